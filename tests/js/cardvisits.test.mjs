// The client card's visit lists: a cancelled future time is not among the upcoming.
import { test } from "node:test";
import assert from "node:assert/strict";
import { splitVisits } from "../../chalicelib/static/dashboard/cardvisits.js";

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
