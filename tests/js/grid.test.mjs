// The calendar's pure layout (chalicelib/static/dashboard/grid.js): node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import * as g from "../../chalicelib/static/dashboard/grid.js";

const TZ = "Europe/Helsinki";

test("an instant's wall clock and offset in the business's zone", () => {
  assert.deepEqual(g.zoned(Date.parse("2026-11-25T10:00:00Z"), TZ), { date: "2026-11-25", hour: 12, minute: 0, offset: "+02:00" });
  assert.deepEqual(g.zoned(Date.parse("2026-07-01T10:00:00Z"), TZ), { date: "2026-07-01", hour: 13, minute: 0, offset: "+03:00" });
  assert.equal(g.zoned(0, "UTC").offset, "+00:00");
});

test("a local wall time becomes the instant the API means, also across DST", () => {
  assert.equal(g.localIso(g.wallToMs("2026-11-25", 9, 30, TZ), TZ), "2026-11-25T09:30:00+02:00");
  assert.equal(g.localIso(g.wallToMs("2027-03-28", 9, 0, TZ), TZ), "2027-03-28T09:00:00+03:00");
  assert.equal(g.localIso(g.wallToMs("2026-10-25", 9, 0, TZ), TZ), "2026-10-25T09:00:00+02:00");
  // 03:30 does not exist on the spring day: an hour later, as zoneinfo does.
  assert.equal(g.localIso(g.wallToMs("2027-03-28", 3, 30, TZ), TZ), "2027-03-28T04:30:00+03:00");
});

test("minutes to pixels from the grid's top", () => {
  const top = Date.parse("2026-11-25T08:00:00+02:00");
  assert.equal(g.yOf("2026-11-25T09:30:00+02:00", top), 90 * g.PX_PER_MIN);
  assert.equal(g.heightOf("2026-11-25T09:30:00+02:00", "2026-11-25T10:15:00+02:00"), 45 * g.PX_PER_MIN);
  assert.equal(g.timeAtY(100, top, { step: 15 }), top + 60 * g.MINUTE); // 66.7 min -> 60
  assert.equal(g.timeAtY(-3, top), top);
  // A dragged block's top a pixel above the 12.00 line (4 h = 360 px) lands on 12.00,
  // where a tap a pixel above it is in the slot before.
  assert.equal(g.timeAtY(359, top, { step: 5, nearest: true }), top + 240 * g.MINUTE);
  assert.equal(g.timeAtY(359, top, { step: 5 }), top + 235 * g.MINUTE);
  assert.equal(g.timeAtY(354, top, { step: 5, nearest: true }), top + 235 * g.MINUTE);
  assert.ok(30 * g.PX_PER_MIN >= 44, "a free half hour is a 44 px touch target");
});

test("a day's window covers opening hours and every appointment, in whole hours", () => {
  const w = g.dayWindow("2026-11-25", TZ, [
    { start: "2026-11-25T09:00:00+02:00", end: "2026-11-25T20:00:00+02:00" },
    { start: "2026-11-25T07:30:00+02:00", end: "2026-11-25T08:30:00+02:00" },
    { start: "2026-11-25T20:10:00+02:00", end: "2026-11-25T20:40:00+02:00" },
  ]);
  assert.equal(g.localIso(w.top, TZ), "2026-11-25T07:00:00+02:00");
  assert.equal(g.localIso(w.bottom, TZ), "2026-11-25T21:00:00+02:00");
  const empty = g.dayWindow("2026-11-29", TZ, []);
  assert.equal(g.hhmm(empty.top, TZ) + "-" + g.hhmm(empty.bottom, TZ), "08:00-20:00");
});

test("hour lines on an ordinary day, and on the days the clocks turn", () => {
  const labels = (date, from, to) => {
    const top = g.wallToMs(date, from, 0, TZ);
    const bottom = g.wallToMs(date, to, 0, TZ);
    return g.hourMarks(top, bottom, TZ).map((m) => g.hhmm(m.t, TZ));
  };
  assert.deepEqual(labels("2026-11-25", 8, 11), ["08:00", "09:00", "10:00"]);
  assert.deepEqual(labels("2027-03-28", 1, 6), ["01:00", "02:00", "04:00", "05:00"]); // 03:00 never happens
  assert.deepEqual(labels("2026-10-25", 1, 5), ["01:00", "02:00", "03:00", "03:00", "04:00"]); // 03:00 twice
  // Real elapsed time: 09:00 is 7 hours after 01:00 on the spring day, 9 on the autumn day.
  const spring = g.wallToMs("2027-03-28", 1, 0, TZ);
  assert.equal(g.yOf("2027-03-28T09:00:00+03:00", spring), 7 * 60 * g.PX_PER_MIN);
  const autumn = g.wallToMs("2026-10-25", 1, 0, TZ);
  assert.equal(g.yOf("2026-10-25T09:00:00+02:00", autumn), 9 * 60 * g.PX_PER_MIN);
});

test("overlapping blocks side by side, the rest full width", () => {
  const at = (s, e, id) => ({ id, start: `2026-11-25T${s}:00+02:00`, end: `2026-11-25T${e}:00+02:00` });
  const items = [at("09:00", "10:00", "a"), at("09:30", "10:30", "b"), at("10:00", "11:00", "c"), at("12:00", "13:00", "d"), at("09:45", "10:15", "e")];
  const out = g.layoutBlocks(items);
  const by = Object.fromEntries(out.map((o) => [o.item.id, [o.col, o.cols]]));
  assert.deepEqual(by.a, [0, 3]);
  assert.deepEqual(by.b, [1, 3]);
  assert.deepEqual(by.e, [2, 3]);
  assert.deepEqual(by.c, [0, 3]); // a ended at 10:00: its column is free again
  assert.deepEqual(by.d, [0, 1]);
  assert.deepEqual(out.map((o) => o.item.id), ["a", "b", "c", "d", "e"]); // input order kept
  assert.deepEqual(g.layoutBlocks([]), []);
});

test("a visit done early is laid out as far as it is drawn: the walk-in after it gets the full width", () => {
  const at = (s, e, id) => ({ id, start: `2026-11-25T${s}:00+02:00`, end: `2026-11-25T${e}:00+02:00` });
  const done = { ...at("10:00", "11:00", "done"), drawnEndMs: Date.parse("2026-11-25T10:40:00+02:00") };
  const walkIn = at("10:40", "11:40", "walk-in");
  const byEnd = (x) => x.drawnEndMs || Date.parse(x.end);
  assert.deepEqual(g.layoutBlocks([done, walkIn], byEnd).map((o) => [o.col, o.cols]), [[0, 1], [0, 1]]);
  assert.deepEqual(g.layoutBlocks([done, walkIn]).map((o) => [o.col, o.cols]), [[0, 2], [1, 2]]); // by booked ends
});

test("closed hours and breaks are the gaps between the working intervals", () => {
  const top = Date.parse("2026-11-25T08:00:00+02:00");
  const bottom = Date.parse("2026-11-25T20:00:00+02:00");
  const gaps = g.gaps(top, bottom, [
    { start: "2026-11-25T13:00:00+02:00", end: "2026-11-25T17:00:00+02:00" },
    { start: "2026-11-25T09:00:00+02:00", end: "2026-11-25T12:00:00+02:00" },
  ]).map((x) => `${g.hhmm(x.start, TZ)}-${g.hhmm(x.end, TZ)}`);
  assert.deepEqual(gaps, ["08:00-09:00", "12:00-13:00", "17:00-20:00"]);
  assert.deepEqual(g.gaps(top, bottom, []).length, 1);
});

test("free time: cancelled bookings and the one being moved do not count", () => {
  const appts = [
    { id: "a", status: "booked", start: "2026-11-25T10:00:00+02:00", end: "2026-11-25T11:00:00+02:00" },
    { id: "b", status: "cancelled", start: "2026-11-25T12:00:00+02:00", end: "2026-11-25T13:00:00+02:00" },
  ];
  assert.equal(g.isFree(appts, "2026-11-25T10:30:00+02:00", "2026-11-25T11:30:00+02:00"), false);
  assert.equal(g.isFree(appts, "2026-11-25T10:30:00+02:00", "2026-11-25T11:30:00+02:00", "a"), true);
  assert.equal(g.isFree(appts, "2026-11-25T11:00:00+02:00", "2026-11-25T12:30:00+02:00"), true);
});

test("opening hours from the public profile, closures closed", () => {
  const hours = { wed: [["09:00", "20:00"]], sat: ["10:00", "16:00"], sun: [] };
  const wed = g.openingOn("2026-11-25", TZ, hours, []);
  assert.deepEqual(wed.map((x) => g.localIso(x.start, TZ)), ["2026-11-25T09:00:00+02:00"]);
  assert.equal(g.openingOn("2026-11-28", TZ, hours, []).length, 1);
  assert.equal(g.openingOn("2026-11-29", TZ, hours, []).length, 0);
  assert.equal(g.openingOn("2026-11-25", TZ, hours, ["2026-11-25"]).length, 0);
});

test("dates: days added and the week's Monday", () => {
  assert.equal(g.addDays("2026-12-31", 1), "2027-01-01");
  assert.equal(g.weekStart("2026-11-25"), "2026-11-23");
  assert.equal(g.weekStart("2026-11-29"), "2026-11-23");
  assert.equal(g.weekStart("2026-11-23"), "2026-11-23");
  assert.equal(g.hhmm(g.floorTo(Date.parse("2026-11-25T10:07:42+02:00"), 5, TZ), TZ), "10:05");
});

import { normalizeCalendar, markersOf, datesOf } from "../../chalicelib/static/dashboard/calmodel.js";

test("the calendar as the grid needs it, with the public opening hours standing in", () => {
  const profile = { timezone: TZ, opening_hours: { wed: [["09:00", "20:00"]], thu: [["09:00", "20:00"]] }, closures: [] };
  const data = {
    view: "day", from: "2026-11-25", to: "2026-11-25", timezone: TZ,
    staff: [{ id: "aino", name: "Aino", appointments: [{ id: "a1", status: "booked", start: "2026-11-25T10:00:00+02:00", end: "2026-11-25T11:00:00+02:00", note: "long hair", client: { id: "c", allergies: "ammonia" } }] }],
  };
  const cal = normalizeCalendar(data, profile, 42);
  assert.equal(cal.now, 42);
  assert.equal(cal.token, null);
  assert.equal(g.hhmm(cal.days[0].open[0].start, TZ), "09:00");
  assert.equal(cal.staff[0].hoursKnown, false);
  assert.equal(g.hhmm(cal.staff[0].hours["2026-11-25"][0].end, TZ), "20:00");
  assert.deepEqual(cal.staff[0].appointments[0].markers, { allergy: true, note: true, first_visit: false, deposit: false, held: false, paid: false });
});

test("the contract's hours, breaks, time off and markers win", () => {
  const data = {
    view: "day", from: "2026-11-25", to: "2026-11-25", timezone: TZ, now: "2026-11-25T12:00:00+02:00", token: "tk",
    days: [{ date: "2026-11-25", open: [{ start: "2026-11-25T09:00:00+02:00", end: "2026-11-25T18:00:00+02:00" }], closed: false }],
    staff: [{ id: "aino", name: "Aino",
      hours: [{ date: "2026-11-25", intervals: [{ start: "2026-11-25T09:00:00+02:00", end: "2026-11-25T12:00:00+02:00" }, { start: "2026-11-25T13:00:00+02:00", end: "2026-11-25T17:00:00+02:00" }] }],
      time_off: [{ id: "t1", start: "2026-11-25T15:00:00+02:00", end: "2026-11-25T17:00:00+02:00", reason: "dentist", whole_salon: false }],
      appointments: [{ id: "a", start: "2026-11-25T09:00:00+02:00", end: "2026-11-25T10:00:00+02:00", markers: { allergy: false, note: false, first_visit: true, deposit: true, held: true }, client: { allergies: "x" } }] },
    { id: "mikko", name: "Mikko", hours: [], appointments: [] }],
  };
  const cal = normalizeCalendar(data, null, 0);
  assert.equal(cal.token, "tk");
  assert.equal(g.hhmm(cal.now, TZ), "12:00");
  assert.equal(cal.staff[0].hours["2026-11-25"].length, 2);
  assert.deepEqual(cal.staff[1].hours["2026-11-25"], []); // not working that day
  assert.equal(cal.staff[0].timeOff[0].reason, "dentist");
  assert.deepEqual(markersOf(data.staff[0].appointments[0]), { allergy: false, note: false, first_visit: true, deposit: true, held: true, paid: false });
  assert.deepEqual(datesOf("2026-12-30", "2027-01-01"), ["2026-12-30", "2026-12-31", "2027-01-01"]);
});

test("a closed day the owner named is said above the desk's grid, in her language: Suljettu: Juhannus", async () => {
  const { closedText, normalizeCalendar: norm } = await import("../../chalicelib/static/dashboard/calmodel.js");
  const i18n = await import("../../chalicelib/static/dashboard/i18n.js");
  const { readFileSync } = await import("node:fs");
  const dir = new URL("../../chalicelib/strings/", import.meta.url);
  const week = norm({
    view: "week", from: "2027-06-21", to: "2027-06-27", timezone: TZ,
    days: [
      { date: "2027-06-23", open: [{ start: "2027-06-23T09:00:00+03:00", end: "2027-06-23T18:00:00+03:00" }], closed: false, closure: null },
      { date: "2027-06-25", open: [], closed: true, closure: { name: "Juhannus" } },
      { date: "2027-06-26", open: [], closed: true, closure: { name: null } }, // a closed day without a name
      { date: "2027-06-27", open: [], closed: true, closure: null }, // a Sunday: no hours, not a closed day she set
    ],
    staff: [],
  }, null, 0);
  const said = {
    fi: ["Suljettu: Juhannus", "pe 25.6. Suljettu: Juhannus · la 26.6. Suljettu"],
    sv: ["Stängt: Juhannus", "fre 25.6 Stängt: Juhannus · lör 26.6 Stängt"],
    en: ["Closed: Juhannus", "Fri 25 Jun Closed: Juhannus · Sat 26 Jun Closed"],
  };
  for (const [l, [one, all]] of Object.entries(said)) {
    i18n.setCatalogue(l, JSON.parse(readFileSync(new URL(`${l}.json`, dir), "utf8")));
    i18n.setLang(l);
    assert.equal(closedText(week.days.filter((d) => d.date === "2027-06-25"), false), one);
    assert.equal(closedText(week.days, true), all);
  }
  assert.equal(closedText(week.days.filter((d) => d.date === "2027-06-23"), false), ""); // an open day: nothing
  i18n.setLang("fi");
});

test("a visit checked out at the desk is marked paid: by the calendar's marker, else by its own checkout", () => {
  const checkout = { method: "card", paid_cents: 11130, at: "2026-11-25T14:05:00+02:00" };
  assert.equal(markersOf({ markers: { paid: true } }).paid, true);
  assert.equal(markersOf({ markers: { paid: false }, checkout }).paid, false); // the calendar's word wins
  assert.equal(markersOf({ checkout }).paid, true); // GET /appointments/{id}: no markers
  assert.equal(markersOf({ checkout: null }).paid, false);
  assert.equal(markersOf({}).paid, false);
});

test("a visit done early holds the chair only until its held_until: a walk-in fits after it", async () => {
  const { fitsAt, walkInNext, normalizeCalendar: norm } = await import("../../chalicelib/static/dashboard/calmodel.js");
  const day = (hhmm) => `2026-11-23T${hhmm}:00+02:00`;
  const cal = norm({
    from: "2026-11-23", to: "2026-11-23", timezone: "Europe/Helsinki", now: day("10:41"),
    days: [{ date: "2026-11-23", closed: false, open: [{ start: day("09:00"), end: day("20:00") }] }],
    staff: [{ id: "aino", name: "Aino", hours: [{ date: "2026-11-23", intervals: [{ start: day("09:00"), end: day("18:00") }] }],
      time_off: [],
      appointments: [
        { id: "done", status: "completed", start: day("10:00"), end: day("11:00"), occupied_until: day("11:10"), held_until: day("10:40") },
      ] }],
  }, null, 0);
  const m = cal.staff[0];
  const at = (hhmm) => Date.parse(day(hhmm));
  assert.equal(m.appointments[0].heldMs, at("10:40"));
  assert.equal(m.appointments[0].drawnEndMs, at("10:40")); // drawn as long as it holds her
  const hour = { length: 60 * 60000, held: 70 * 60000, nowMs: cal.now };
  assert.equal(fitsAt(m, "2026-11-23", at("10:40"), hour), true);
  assert.equal(fitsAt(m, "2026-11-23", at("10:35"), hour), false); // her clearing up
  assert.deepEqual(walkInNext([m], "2026-11-23", at("10:40"), { length: 60 * 60000 }), { free: true, next: null });
});

test("a visit done early: its label ends when it ended, and the time it freed off the quarter hour can be tapped", async () => {
  const { slotStarts, normalizeCalendar: norm } = await import("../../chalicelib/static/dashboard/calmodel.js");
  const day = (hhmm) => `2026-11-23T${hhmm}:00+02:00`;
  const at = (hhmm) => Date.parse(day(hhmm));
  const cal = norm({
    from: "2026-11-23", to: "2026-11-23", timezone: "Europe/Helsinki", now: day("09:27"),
    days: [{ date: "2026-11-23", closed: false, open: [{ start: day("09:00"), end: day("20:00") }] }],
    staff: [{ id: "aino", name: "Aino", hours: [{ date: "2026-11-23", intervals: [{ start: day("09:00"), end: day("18:00") }] }],
      time_off: [],
      appointments: [
        // Done at 9.25 with a 10-minute buffer: free from 9.35.
        { id: "done", status: "completed", start: day("09:00"), end: day("10:00"), occupied_until: day("10:10"), held_until: day("09:35") },
        { id: "gone", status: "no_show", start: day("11:00"), end: day("12:00"), occupied_until: day("12:10"), held_until: day("11:20") },
        { id: "plain", status: "booked", start: day("13:00"), end: day("13:45"), occupied_until: day("13:50") },
        // Arrived 15.08, done at 15.09: freed from 15.05 (+ buffer), shown ending when she came.
        { id: "late", status: "completed", start: day("15:00"), end: day("16:00"), occupied_until: day("16:10"), held_until: day("15:15"), arrived_at: day("15:08") },
        { id: "quick", status: "completed", start: day("16:30"), end: day("17:30"), occupied_until: day("17:40"), held_until: day("16:40"), arrived_at: day("16:30") },
      ] }],
  }, null, 0);
  const m = cal.staff[0];
  const [done, gone, plain, late] = m.appointments;
  assert.equal(late.shownEndMs, at("15:08")); // not "15.00–15.05" for a client who came at 15.08
  assert.equal(m.appointments[4].shownEndMs, at("16:35")); // done the minute she came: five minutes, not "16.30–16.30"
  assert.equal(done.shownEndMs, at("09:25")); // "9.00–9.25", not "9.00–10.00" above the walk-in at 9.35
  assert.equal(gone.shownEndMs, at("11:20")); // a no-show has no buffer: waited for until marked
  assert.equal(plain.shownEndMs, at("13:45"));
  const quarter = { length: 15 * 60000, held: 15 * 60000, nowMs: cal.now };
  const starts = (hhmm) => slotStarts(m, "2026-11-23", at(hhmm), 30 * 60000, 15 * 60000, quarter);
  assert.deepEqual(starts("09:30"), [at("09:35"), at("09:45")]); // 9.35 first, not 9.45
  assert.deepEqual(starts("13:30"), [at("13:50")]); // a buffer ending off the quarter too
  assert.deepEqual(starts("10:00"), [at("10:00"), at("10:15")]);
});

test("a booking's buffer holds the chair: free times and moves leave it out, past times are not offered", async () => {
  const { fitsAt, normalizeCalendar: norm } = await import("../../chalicelib/static/dashboard/calmodel.js");
  const cal = norm({
    from: "2026-11-25", to: "2026-11-25", timezone: "Europe/Helsinki", now: "2026-11-25T12:00:00+02:00",
    days: [{ date: "2026-11-25", closed: false, open: [{ start: "2026-11-25T09:00:00+02:00", end: "2026-11-25T20:00:00+02:00" }] }],
    staff: [{ id: "mikko", name: "Mikko", hours: [{ date: "2026-11-25", intervals: [{ start: "2026-11-25T10:00:00+02:00", end: "2026-11-25T18:00:00+02:00" }] }],
      time_off: [{ id: "x", start: "2026-11-25T15:00:00+02:00", end: "2026-11-25T16:00:00+02:00" }],
      appointments: [
        { id: "walkin", status: "booked", start: "2026-11-25T12:00:00+02:00", end: "2026-11-25T12:30:00+02:00", occupied_until: "2026-11-25T12:35:00+02:00" },
        { id: "minna", status: "booked", start: "2026-11-25T16:00:00+02:00", end: "2026-11-25T16:30:00+02:00", occupied_until: "2026-11-25T16:35:00+02:00" },
      ] }],
  }, null, 0);
  const m = cal.staff[0];
  const at = (hhmm) => Date.parse(`2026-11-25T${hhmm}:00+02:00`);
  const quarter = { length: 15 * 60000, held: 15 * 60000, nowMs: cal.now };
  assert.equal(m.appointments[0].heldMs, at("12:35"));
  assert.equal(fitsAt(m, "2026-11-25", at("12:30"), quarter), false); // the walk-in's buffer
  assert.equal(fitsAt(m, "2026-11-25", at("12:45"), quarter), true);
  assert.equal(fitsAt(m, "2026-11-25", at("11:45"), quarter), true); // 15 minutes' grace
  assert.equal(fitsAt(m, "2026-11-25", at("11:30"), quarter), false); // past
  assert.equal(fitsAt(m, "2026-11-25", at("17:45"), { ...quarter, length: 30 * 60000 }), false); // ends after her hours
  // Moving Minna (30 min and a 5-minute buffer): from 14:30 she would hold the chair into the time off.
  const minna = { length: 30 * 60000, held: 35 * 60000, nowMs: cal.now, exceptId: "minna" };
  assert.equal(fitsAt(m, "2026-11-25", at("14:30"), minna), false);
  assert.equal(fitsAt(m, "2026-11-25", at("14:25"), minna), true);
  assert.equal(fitsAt(m, "2026-11-25", at("16:00"), minna), true); // her own place is free to her
});

test("a walk-in now: somebody must work now, and until the service would end", async () => {
  const { walkInProblem, normalizeCalendar: norm } = await import("../../chalicelib/static/dashboard/calmodel.js");
  const hours = (from, to) => [{ date: "2026-11-25", intervals: [{ start: `2026-11-25T${from}:00+02:00`, end: `2026-11-25T${to}:00+02:00` }] }];
  const cal = norm({
    from: "2026-11-25", to: "2026-11-25", timezone: "Europe/Helsinki",
    days: [{ date: "2026-11-25", closed: false, open: [{ start: "2026-11-25T09:00:00+02:00", end: "2026-11-25T20:00:00+02:00" }] }],
    staff: [{ id: "aino", name: "Aino", hours: hours("11:00", "20:00") }, { id: "sanna", name: "Sanna", hours: hours("09:00", "17:00") }],
  }, null, 0);
  const at = (hhmm) => Date.parse(`2026-11-25T${hhmm}:00+02:00`);
  const hour = 60 * 60000;
  assert.equal(walkInProblem(cal.staff, "2026-11-25", at("03:05"), 30 * 60000), "off"); // the salon closed
  assert.equal(walkInProblem(cal.staff, "2026-11-25", at("03:05"), 0), "off"); // no service picked yet
  assert.equal(walkInProblem(cal.staff, "2026-11-25", at("10:00"), hour), null); // Sanna
  assert.equal(walkInProblem([cal.staff[0]], "2026-11-25", at("10:00"), hour), "off"); // Aino from 11
  assert.equal(walkInProblem(cal.staff, "2026-11-25", at("19:30"), hour), "short"); // past Aino's closing
  assert.equal(walkInProblem(cal.staff, "2026-11-25", at("19:00"), hour), null); // ends as she does
  assert.equal(walkInProblem(cal.staff, "2026-11-25", at("20:00"), 0), "off"); // her day just ended
});

test("a walk-in when everyone working is busy: who is free first today, and when", async () => {
  const { walkInNext, normalizeCalendar: norm } = await import("../../chalicelib/static/dashboard/calmodel.js");
  const hours = (from, to) => [{ date: "2026-12-07", intervals: [{ start: `2026-12-07T${from}:00+02:00`, end: `2026-12-07T${to}:00+02:00` }] }];
  const booked = (id, from, to, held) => ({ id, status: "booked", start: `2026-12-07T${from}:00+02:00`, end: `2026-12-07T${to}:00+02:00`,
    occupied_until: `2026-12-07T${held || to}:00+02:00` });
  const cal = norm({
    from: "2026-12-07", to: "2026-12-07", timezone: "Europe/Helsinki",
    days: [{ date: "2026-12-07", closed: false, open: [{ start: "2026-12-07T09:00:00+02:00", end: "2026-12-07T20:00:00+02:00" }] }],
    staff: [
      { id: "aino", name: "Aino", hours: hours("09:00", "17:00"), appointments: [booked("w", "12:40", "13:10", "13:15")] },
      { id: "sanna", name: "Sanna", hours: hours("09:00", "18:00"), appointments: [booked("s", "12:00", "14:00")],
        time_off: [{ id: "t", start: "2026-12-07T14:00:00+02:00", end: "2026-12-07T14:30:00+02:00" }] },
    ],
  }, null, 0);
  const at = (hhmm) => Date.parse(`2026-12-07T${hhmm}:00+02:00`);
  const half = { length: 30 * 60000, held: 30 * 60000 };
  // 12:40: Aino has the walk-in until 13:10 and its buffer to 13:15; Sanna is busy until 14:30.
  assert.deepEqual(walkInNext(cal.staff, "2026-12-07", at("12:40"), half), { free: false, next: { id: "aino", start: at("13:15") } });
  assert.deepEqual(walkInNext([cal.staff[1]], "2026-12-07", at("12:40"), half), { free: false, next: { id: "sanna", start: at("14:30") } });
  assert.deepEqual(walkInNext(cal.staff, "2026-12-07", at("12:00"), half), { free: true, next: null }); // Aino, until 12:40
  assert.equal(walkInNext(cal.staff, "2026-12-07", at("12:20"), half).free, false); // 30 minutes would run into 12:40
  // Nobody free again today for a service that long.
  assert.deepEqual(walkInNext([cal.staff[0]], "2026-12-07", at("12:40"), { length: 4 * 3600000 }), { free: false, next: null });
});

test("a new time off starts on the day she is looking at, not on today's", () => {
  const tz = "Europe/Helsinki";
  const now = Date.parse("2026-12-06T15:20:00+02:00"); // a Sunday afternoon
  const hours = { thu: ["09:00", "18:00"], sat: ["10:00", "16:00"] };
  const open = (date, closures = []) => g.openingOn(date, tz, hours, closures); // the calendar's days[].open
  // Today's screen (or none): the next whole hour.
  assert.equal(g.timeOffStart(now, "2026-12-06", tz, open("2026-12-06")), Date.parse("2026-12-06T16:00:00+02:00"));
  assert.equal(g.timeOffStart(now, null, tz), Date.parse("2026-12-06T16:00:00+02:00"));
  // Thursday's screen: Thursday's opening; Saturday's: Saturday's.
  assert.equal(g.timeOffStart(now, "2026-12-10", tz, open("2026-12-10")), Date.parse("2026-12-10T09:00:00+02:00"));
  assert.equal(g.timeOffStart(now, "2026-12-12", tz, open("2026-12-12")), Date.parse("2026-12-12T10:00:00+02:00"));
  // A day the salon is closed (no hours, or a closure): 9.00 that day.
  assert.equal(g.timeOffStart(now, "2026-12-08", tz, open("2026-12-08")), Date.parse("2026-12-08T09:00:00+02:00"));
  assert.equal(g.timeOffStart(now, "2026-12-10", tz, open("2026-12-10", ["2026-12-10"])), Date.parse("2026-12-10T09:00:00+02:00"));
});

test("a closed day has nothing of hers at now: the phone's first screen stays at the top", async () => {
  const { dayHasTime } = await import("../../chalicelib/static/dashboard/calmodel.js");
  const open = [{ start: 1, end: 2 }];
  const member = (hours, appointments = []) => ({ hours, appointments });
  const sunday = [{ date: "2026-12-06", open: [] }];
  assert.equal(dayHasTime(sunday, member({}), "2026-12-06"), false); // closed, her day off
  assert.equal(dayHasTime(sunday, member({ "2026-12-06": open }), "2026-12-06"), true); // she works anyway
  const booked = { status: "booked", start: "2026-12-06T12:00:00+02:00" };
  assert.equal(dayHasTime(sunday, member({}, [booked]), "2026-12-06"), true); // a booking to see
  assert.equal(dayHasTime(sunday, member({}, [{ ...booked, status: "cancelled" }]), "2026-12-06"), false);
  assert.equal(dayHasTime([{ date: "2026-12-07", open }], member({}), "2026-12-07"), true); // the salon open
});

test("a phone's day opens on the signed-in staff member, else on someone at work that day", async () => {
  const { defaultStaffId } = await import("../../chalicelib/static/dashboard/calmodel.js");
  const hours = (ivs) => ({ "2026-12-12": ivs });
  const aino = { id: "aino", hours: hours([]), appointments: [] }; // off on Saturday
  const mikko = { id: "mikko", hours: hours([{ start: 1, end: 2 }]), appointments: [] };
  const sanna = { id: "sanna", hours: hours([]), appointments: [{ status: "booked" }] }; // a visit outside her hours
  assert.equal(defaultStaffId([aino, mikko, sanna], null), "mikko");
  assert.equal(defaultStaffId([aino, sanna, mikko], null), "sanna");
  assert.equal(defaultStaffId([aino, { ...sanna, appointments: [{ status: "cancelled" }] }], null), "aino"); // nobody: the first
  assert.equal(defaultStaffId([aino, mikko], "aino"), "aino"); // her own column, even on her day off
  assert.equal(defaultStaffId([], null), null);
});
