// Her data on the client card: the export's file name, the bookings in the way of erasure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { eraseCancelBody, exportFileName, upcomingInTheWay } from "../../chalicelib/static/dashboard/clientdata.js";

test("the export is named after her and the day, letters and accents kept", () => {
  assert.equal(exportFileName("Maija Meikäläinen", "2026-11-25"), "Maija-Meikäläinen-2026-11-25.json");
  assert.equal(exportFileName("Anna-Liisa O'Brien / Kallio", "2026-11-25"), "Anna-Liisa-O-Brien-Kallio-2026-11-25.json");
  assert.equal(exportFileName("  ../..\\x ", "2026-11-25"), "x-2026-11-25.json");
});

test("a name with nothing a file may keep still gives a file name", () => {
  assert.equal(exportFileName("", "2026-11-25"), "client-2026-11-25.json");
  assert.equal(exportFileName("???", "2026-11-25"), "client-2026-11-25.json");
});

test("only the API's 409 for upcoming bookings lists the bookings in the way", () => {
  const err = { status: 409, code: "has_upcoming_bookings", details: { appointments: ["a1", "a2"] } };
  assert.deepEqual(upcomingInTheWay(err), ["a1", "a2"]);
  assert.deepEqual(upcomingInTheWay({ status: 409, code: "has_upcoming_bookings" }), []);
  assert.equal(upcomingInTheWay({ status: 409, code: "client_changed" }), null);
  assert.equal(upcomingInTheWay({ status: 403, code: "owner_only" }), null);
  assert.equal(upcomingInTheWay(null), null);
});

test("the bookings are cancelled as hers, with no message that could not reach her", () => {
  assert.deepEqual(eraseCancelBody(), { by: "client", notify: false });
});
