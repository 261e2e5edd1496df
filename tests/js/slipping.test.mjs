// The at-risk list's order: the request the dashboard makes for each choice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as i18n from "../../chalicelib/static/dashboard/i18n.js";
import { ORDERS, PAGE_SIZE, atStake, moreText, orderOf, pageOf, retentionPath } from "../../chalicelib/static/dashboard/slipping.js";

test("the most value first asks for the API's default, the most recent first asks for order=recent", () => {
  assert.deepEqual(ORDERS, ["value", "recent"]);
  assert.equal(retentionPath("value"), "/retention");
  assert.equal(retentionPath("recent"), "/retention?order=recent");
});

test("an unknown or missing stored choice is the default order", () => {
  for (const stored of [null, undefined, "", "newest", "RECENT"]) {
    assert.equal(orderOf(stored), "value");
    assert.equal(retentionPath(stored), "/retention");
  }
  assert.equal(orderOf("recent"), "recent");
});

test("a refused order is told in the dashboard's words, in each language", async () => {
  const { readFileSync } = await import("node:fs");
  const i18n = await import("../../chalicelib/static/dashboard/i18n.js");
  const dir = new URL("../../chalicelib/strings/", import.meta.url);
  const words = { fi: /suurin menetys/i, sv: /störst förlust/i, en: /most at stake/i };
  for (const l of ["fi", "sv", "en"]) {
    i18n.setCatalogue(l, JSON.parse(readFileSync(new URL(`${l}.json`, dir), "utf8")));
    i18n.setLang(l);
    assert.match(i18n.errorText({ status: 400, code: "bad_order", message: "'order' is value or recent." }), words[l], l);
  }
  i18n.setLang("fi");
});

test("the two orders read as plain short words, the same on the buttons, the page and a refusal", async () => {
  const { readFileSync } = await import("node:fs");
  const dir = new URL("../../chalicelib/strings/", import.meta.url);
  const labels = {
    fi: ["Suurin menetys ensin", "Tuoreimmat ensin", /”Suurin menetys ensin” tai ”Tuoreimmat ensin”/],
    sv: ["Störst förlust först", "Senaste först", /”Störst förlust först” eller ”Senaste först”/],
    en: ["Most at stake first", "Most recent first", /“Most at stake first” or “Most recent first”/],
  };
  for (const [l, [value, recent, refusal]] of Object.entries(labels)) {
    const words = JSON.parse(readFileSync(new URL(`${l}.json`, dir), "utf8")).dashboard;
    assert.deepEqual([words.slipping_order_value, words.slipping_order_recent], [value, recent], l);
    // The refusal names the same two choices as the buttons do.
    assert.match(words.err_bad_order, refusal, l);
  }
  // The page's own Finnish text (before the catalogue loads) is the catalogue's.
  const html = readFileSync(new URL("../../chalicelib/pages/templates/dashboard.html", import.meta.url), "utf8");
  assert.match(html, /data-t="slipping_order_value">Suurin menetys ensin</);
  assert.match(html, /data-t="slipping_order_recent">Tuoreimmat ensin</);
});

// The default order is by value at risk (her typical spend × the chance she does not
// come back), not by what she spent: her row says that value, so the order can be read.
test("each row says her value at stake in whole money, the number the default order sorts by", () => {
  const dir = new URL("../../chalicelib/strings/", import.meta.url);
  const said = { fi: "Menetysriski n. 69 €", sv: "På spel ca 69 €", en: "About €69 at stake" };
  try {
    for (const l of ["fi", "sv", "en"]) {
      i18n.setCatalogue(l, JSON.parse(readFileSync(new URL(`${l}.json`, dir), "utf8")));
      i18n.setLang(l);
      assert.equal(atStake({ value_at_risk_cents: 6873 }, "EUR").replace(/\s/g, " "), said[l], l);
      assert.equal(atStake({}, "EUR"), "", l); // none given: nothing said
    }
    i18n.setLang("fi");
    assert.equal(atStake({ value_at_risk_cents: 0 }, "EUR").replace(/\s/g, " "), "Menetysriski n. 0 €");
    assert.equal(atStake({ value_at_risk_cents: 123450 }, "EUR").replace(/\s/g, " "), "Menetysriski n. 1 235 €");
  } finally {
    i18n.setLang("fi");
  }
});

// A salon with years of clients has hundreds slipping: the list draws 50 at a time.
test("the list draws its first 50 rows, 50 more at each press, until all are drawn", () => {
  assert.equal(PAGE_SIZE, 50);
  assert.deepEqual(pageOf(115, PAGE_SIZE), { drawn: 50, left: 65, next: 50 });
  assert.deepEqual(pageOf(115, 100), { drawn: 100, left: 15, next: 15 });
  assert.deepEqual(pageOf(115, 150), { drawn: 115, left: 0, next: 0 });
  // A short list is drawn whole; an empty one has nothing left.
  assert.deepEqual(pageOf(12, PAGE_SIZE), { drawn: 12, left: 0, next: 0 });
  assert.deepEqual(pageOf(0, PAGE_SIZE), { drawn: 0, left: 0, next: 0 });
  // The rows she opened stay open when the list is drawn again one shorter (a row acted on).
  assert.deepEqual(pageOf(114, 100), { drawn: 100, left: 14, next: 14 });
  // Never fewer than a page, whatever was kept.
  assert.deepEqual(pageOf(80, 0), { drawn: 50, left: 30, next: 30 });
  assert.deepEqual(pageOf(80, undefined), { drawn: 50, left: 30, next: 30 });
});

test("the button says how many the press shows and how many are left, in each language", () => {
  const dir = new URL("../../chalicelib/strings/", import.meta.url);
  const said = {
    fi: ["Näytä 50 lisää (120 jäljellä)", "Näytä 1 lisää (1 jäljellä)"],
    sv: ["Visa 50 till (120 kvar)", "Visa 1 till (1 kvar)"],
    en: ["Show 50 more (120 left)", "Show 1 more (1 left)"],
  };
  try {
    for (const [l, [many, one]] of Object.entries(said)) {
      i18n.setCatalogue(l, JSON.parse(readFileSync(new URL(`${l}.json`, dir), "utf8")));
      i18n.setLang(l);
      assert.equal(moreText(pageOf(170, PAGE_SIZE)), many, l);
      assert.equal(moreText(pageOf(101, 100)), one, l);
    }
  } finally {
    i18n.setLang("fi");
  }
});
