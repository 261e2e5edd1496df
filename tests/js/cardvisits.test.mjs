// The client card's visit lists: a cancelled future time is not among the upcoming.
import { test } from "node:test";
import assert from "node:assert/strict";
import { splitVisits } from "../../chalicelib/static/dashboard/cardvisits.js";
import * as V from "../../chalicelib/static/dashboard/cardvisits.js";

const now = Date.parse("2026-12-05T10:00:00+02:00");
// As the history gives them: latest first.
const history = [
  { id: "later", start: "2026-12-20T12:00:00+02:00", status: "booked" },
  { id: "called-off", start: "2026-12-12T09:00:00+02:00", status: "cancelled" },
  { id: "soon", start: "2026-12-08T15:00:00+02:00", status: "booked" },
  { id: "done", start: "2026-11-20T10:00:00+02:00", status: "completed" },
  { id: "old-cancel", start: "2026-10-01T10:00:00+02:00", status: "cancelled" },
];
const ids = (list) => list.map((a) => a.id);

test("upcoming lists only what is still coming, soonest first", () => {
  assert.deepEqual(ids(splitVisits(history, now).upcoming), ["soon", "later"]);
});

test("a future time she cancelled is listed apart, not as upcoming nor as past", () => {
  const { cancelled, past } = splitVisits(history, now);
  assert.deepEqual(ids(cancelled), ["called-off"]);
  assert.deepEqual(ids(past), ["done", "old-cancel"]);
});

test("nothing ahead: no upcoming, no cancelled", () => {
  const { upcoming, cancelled } = splitVisits(history.slice(3), now);
  assert.deepEqual([upcoming, cancelled], [[], []]);
});

// A walk: a client who paid a 47,70 € deposit and a 111,30 € no-show fee read "Total spend
// 0,00 €" on her card; what was kept from the visits she missed is said beside it.
test("what was kept of her money for the visits she did not come to", () => {
  const pay = (paid, refunded = 0, pending = 0) => ({ paid_cents: paid, refunded_cents: refunded, refund_pending_cents: pending });
  const appts = [
    { status: "no_show", payment: pay(15900) }, // deposit and the no-show fee
    { status: "cancelled", payment: pay(7950, 2000) }, // a late cancellation, 20 € given back
    { status: "cancelled", payment: pay(4770, 0, 4770) }, // in time: on its way back
    { status: "completed", payment: pay(4770) }, // she came: her spend, not this
    { status: "booked", payment: pay(4770) }, // still coming
    { status: "cancelled" }, // nothing paid
  ];
  assert.equal(V.keptFromMissed(appts), 15900 + 5950);
  assert.equal(V.keptFromMissed([]), 0);
});
