// The at-risk list's order: the request the dashboard makes for each choice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ORDERS, orderOf, retentionPath } from "../../chalicelib/static/dashboard/slipping.js";

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
  const words = { fi: /arvokkaimmat/i, sv: /värdefulla/i, en: /most valuable/i };
  for (const l of ["fi", "sv", "en"]) {
    i18n.setCatalogue(l, JSON.parse(readFileSync(new URL(`${l}.json`, dir), "utf8")));
    i18n.setLang(l);
    assert.match(i18n.errorText({ status: 400, code: "bad_order", message: "'order' is value or recent." }), words[l], l);
  }
  i18n.setLang("fi");
});
