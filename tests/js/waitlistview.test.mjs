// What the desk shows of the waitlist's offers and figures (walk report: the waitlist tab
// never said who was offered a freed time or who took it; the KPI page had no waitlist).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as i18n from "../../chalicelib/static/dashboard/i18n.js";
import * as W from "../../chalicelib/static/dashboard/waitlistview.js";

const dir = new URL("../../chalicelib/strings/", import.meta.url);
for (const l of ["fi", "sv", "en"]) i18n.setCatalogue(l, JSON.parse(readFileSync(new URL(`${l}.json`, dir), "utf8")));

const offer = (id, offered_at, status, expires_at) => ({
  id, name: `N${id}`, service: "womens-cut", staff: "aino", start: "2026-11-25T13:00:00+02:00",
  offered_at, expires_at, channel: "sms", status, appointment_id: status === "taken" ? "a1" : null,
});

test("the recent offers: newest first, each taken, lost, expired or still open", () => {
  const now = Date.parse("2026-11-23T12:00:00+02:00");
  const offers = [
    offer("old", "2026-11-20T09:00:00+02:00", "open", "2026-11-20T09:30:00+02:00"),
    offer("won", "2026-11-23T10:00:00+02:00", "taken", "2026-11-23T10:30:00+02:00"),
    offer("lost", "2026-11-23T10:00:01+02:00", "lost", "2026-11-23T10:30:00+02:00"),
    offer("new", "2026-11-23T11:50:00+02:00", "open", "2026-11-23T12:20:00+02:00"),
  ];
  const rows = W.recentOffers(offers, now);
  assert.deepEqual(rows.map((o) => [o.id, o.state]), [["new", "open"], ["lost", "lost"], ["won", "taken"], ["old", "expired"]]);
  assert.equal(W.recentOffers(offers, now, 2).length, 2);
  assert.deepEqual(W.recentOffers(undefined, now), []);
  // From two weeks back to the booking horizon (90 days), by the time offered.
  assert.equal(W.offersPath("2026-11-23"), "/waitlist/offers?from=2026-11-09&to=2027-02-21");
});

test("an offer she booked held for its deposit and never paid shows as not paid, not taken", () => {
  // Before, the desk read any status but taken and lost from the clock: "expired" at best.
  const now = Date.parse("2026-11-23T12:00:00+02:00");
  const unpaid = offer("unpaid", "2026-11-23T11:00:00+02:00", "unpaid", "2026-11-23T13:00:00+02:00");
  assert.deepEqual(W.recentOffers([unpaid], now).map((o) => o.state), ["unpaid"]);
  // What she did, as the other states say it ("Varasi", "Vanheni"): not "Ei maksettu", which
  // reads as a bill still to chase, when the time already went back to the list.
  i18n.setLang("fi");
  assert.equal(i18n.t("offer_state_unpaid"), "Ei maksanut ajoissa");
  i18n.setLang("sv");
  assert.equal(i18n.t("offer_state_unpaid"), "Betalade inte i tid");
  i18n.setLang("en");
  assert.equal(i18n.t("offer_state_unpaid"), "Didn't pay in time");
});

test("every offer state and waitlist figure has its words in each language", () => {
  for (const l of ["fi", "sv", "en"]) {
    i18n.setLang(l);
    for (const s of ["taken", "lost", "unpaid", "expired", "open"]) assert.notEqual(i18n.t(`offer_state_${s}`), `offer_state_${s}`, `${l} ${s}`);
    for (const k of W.WAITLIST_KPIS) {
      const words = i18n.kpiWords(k);
      assert.ok(words.name !== k && words.help, `${l} ${k}`);
    }
  }
});

test("the waitlist's figures read as the KPI page's others do", () => {
  i18n.setLang("fi");
  const v = (k, x) => W.waitlistValue(k, x, "EUR").replace(/\s/g, " ");
  assert.equal(v("freed_minutes", 90), "90 min");
  assert.equal(v("refilled_minutes", 0), "0 min");  // none refilled yet: minutes still
  assert.equal(v("refilled_minutes", 150), "2,5 h");
  assert.equal(v("refill_rate", 0.25), "25 %");
  assert.equal(v("refills", 3), "3");
  assert.equal(v("revenue_recovered_cents", 13800), "138,00 €");
  assert.equal(v("median_seconds_to_refill", 42), "42 s");
  assert.equal(v("median_seconds_to_refill", 600), "10 min");
  assert.equal(v("refill_rate", null), "–");  // nothing freed: no rate
  i18n.setLang("en");
  assert.equal(W.waitlistValue("refilled_minutes", 150, "EUR"), "2.5 h");
});
