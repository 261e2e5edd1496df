import { test } from "node:test";
import assert from "node:assert/strict";
import * as p from "../../chalicelib/static/dashboard/periods.js";

test("the period of a day, its key and its months", () => {
  const month = p.currentPeriod("2026-11-25");
  assert.equal(p.periodKey(month), "2026-11");
  assert.equal(p.periodKey({ ...month, kind: "quarter" }), "2026-Q4");
  assert.equal(p.periodKey({ ...month, kind: "year" }), "2026");
  assert.deepEqual(Object.keys(p.monthsOf({ ...month, kind: "quarter" })), ["2026-10", "2026-11", "2026-12"]);
  assert.equal(Object.keys(p.monthsOf({ ...month, kind: "year" })).length, 12);
});

test("stepping through periods across the year's turn", () => {
  assert.equal(p.periodKey(p.shifted(p.currentPeriod("2027-01-01"), -1)), "2026-12");
  assert.equal(p.periodKey(p.shifted(p.currentPeriod("2027-01-01", "quarter"), -1)), "2026-Q4");
  assert.equal(p.periodKey(p.shifted(p.currentPeriod("2026-12-31"), 1)), "2027-01");
});

test("no stepping into the future", () => {
  assert.equal(p.isFuture(p.currentPeriod("2026-11-25"), "2026-11-25"), true);
  assert.equal(p.isFuture(p.currentPeriod("2026-10-25"), "2026-11-25"), false);
  assert.equal(p.isFuture(p.currentPeriod("2026-11-25", "year"), "2026-11-25"), true);
});

test("the rolling periods: their own key, no stepping, never in the future's way", () => {
  const last30 = p.withKind(p.currentPeriod("2027-01-01"), "last30", "2027-01-01");
  assert.equal(p.periodKey(last30), "last30");
  assert.equal(p.isRolling(last30), true);
  assert.equal(p.periodKey(p.shifted(last30, -1)), "last30");
  assert.equal(p.isFuture(last30, "2027-01-01"), true); // "next" stays disabled
  assert.deepEqual(p.monthsOf(last30), {});
  // From a rolling period to a month: today's month; a quarter keeps the month shown.
  assert.equal(p.periodKey(p.withKind(last30, "month", "2027-01-01")), "2027-01");
  const nov = p.currentPeriod("2026-11-25");
  assert.equal(p.periodKey(p.withKind(nov, "quarter", "2027-01-01")), "2026-Q4");
  assert.equal(p.DEFAULT_KIND, "last30");
});
