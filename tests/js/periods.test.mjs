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
