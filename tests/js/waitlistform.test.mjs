// The owner's waitlist entry form <-> the body of POST/PUT /waitlist.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as F from "../../chalicelib/static/dashboard/waitlistform.js";

const entry = {
  id: "e1", status: "open", service: { id: "womens-cut", name: "Naisten leikkaus" }, staff: "aino",
  from: "2026-11-25", to: "2026-11-27",
  windows: [{ days: ["tue", "thu"], start: "16:00", end: "20:00" }, { days: F.DAYS, start: "09:00", end: "12:00" }],
  name: "Maija", phone: "+358401234567", email: null, locale: "sv",
};

test("an entry round-trips through the form to the body the API takes", () => {
  const { body, errors } = F.fromForm(F.toForm(entry));
  assert.deepEqual(errors, {});
  assert.deepEqual(body, {
    service: "womens-cut", staff: "aino", from: "2026-11-25", to: "2026-11-27",
    windows: [{ days: ["tue", "thu"], start: "16:00", end: "20:00" }, { start: "09:00", end: "12:00" }],
    client: { name: "Maija", locale: "sv", phone: "+358401234567" },
  });
});

test("her phone in the form as her card reads it, national for the salon's country", () => {
  assert.equal(F.toForm({ ...entry, phone_display: "040 1234567" }).phone, "040 1234567");
  assert.equal(F.toForm(entry).phone, "+358401234567"); // an API without the display form
});

test("anyone, no windows, email only: what is left empty is left out", () => {
  const form = { ...F.toForm(null, { service: "colour", from: "2026-11-30" }), name: " Liisa ", email: "l@example.com",
    windows: [F.emptyWindow()] };
  const { body, errors } = F.fromForm(form);
  assert.deepEqual(errors, {});
  assert.deepEqual(body, { service: "colour", from: "2026-11-30", to: "2026-11-30", windows: [],
    client: { name: "Liisa", locale: "fi", email: "l@example.com" } });
});

test("errors are keyed by the API's field paths, a window's by its place in the body", () => {
  const form = { ...F.toForm(null), from: "2026-11-27", to: "2026-11-25",
    windows: [F.emptyWindow(), { days: ["mon"], start: "18:00", end: "17:00" }] };
  const { errors, rows } = F.fromForm(form);
  assert.deepEqual(errors, { service: "pick_service", to: "wl_to_before_from", "windows.0.end": "end_after_start",
    "client.name": "err_required", "client.phone": "phone_or_email" });
  assert.deepEqual(rows, [1]); // windows.0 was typed on the second row
});
