// The desk's list of who gets a reminder: each line of GET /reminders in words.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { REASON_WORDS, STATUS_WORDS, reminderLine, skippedWhy } from "../../chalicelib/static/dashboard/reminderlines.js";

const load = (l) => JSON.parse(readFileSync(new URL(`../../chalicelib/strings/${l}.json`, import.meta.url), "utf8")).dashboard;

test("a moved SMS says when it goes and from when it was moved", () => {
  assert.deepEqual(
    reminderLine({ channel: "sms", status: "pending", at: "2026-11-24T08:00:00+02:00", reason: "quiet_hours_moved",
      planned_for: "2026-11-24T07:00:00+02:00" }),
    { channel: "ch_sms", status: { key: "reminder_pending", when: "2026-11-24T08:00:00+02:00" },
      reason: { key: "why_quiet_hours_moved", when: "2026-11-24T07:00:00+02:00" } },
  );
  assert.deepEqual(reminderLine({ channel: "email", status: "none", at: null, reason: "no_email" }),
    { channel: "ch_email", status: { key: "reminder_none", when: null }, reason: { key: "why_no_email", when: null } });
  // A reason the desk has no words for is left to the status.
  assert.equal(reminderLine({ channel: "email", status: "failed", at: null, reason: "SES said no" }).reason, null);
});

test("every reason the API documents, and every status, has words in every language", () => {
  const doc = readFileSync(new URL("../../docs/openapi.yaml", import.meta.url), "utf8");
  const block = doc.slice(doc.indexOf("    DayRemindersOut:"), doc.indexOf("    CalendarChangesOut:"));
  for (const reason of ["reminders_off", "no_email", "no_phone", "sms_country", "no_client", "booked_inside_lead_time",
    "quiet_hours", "quiet_hours_moved", "not_planned", "sms_limit", "visit_started", "appointment_changed", "opted_out"]) {
    assert.ok(block.includes(reason), `${reason} in the document`);
    assert.ok(REASON_WORDS[reason], reason);
  }
  for (const l of ["fi", "sv", "en"]) {
    const words = load(l);
    for (const key of [...Object.values(REASON_WORDS), ...Object.values(STATUS_WORDS)]) assert.ok(words[key], `${l} ${key}`);
  }
});

test("her card says why a message did not go, where the desk has words for it", () => {
  // A staff member's walk: the reminders of a visit she moved read "not sent", nothing more.
  assert.equal(skippedWhy({ status: "skipped", error: "appointment_changed" }), "why_appointment_changed");
  assert.equal(skippedWhy({ status: "skipped", error: "visit_started" }), "why_visit_started");
  assert.equal(skippedWhy({ status: "skipped", error: "something new" }), null);
  assert.equal(skippedWhy({ status: "sent", error: "appointment_changed" }), null);
  for (const l of ["fi", "sv", "en"]) assert.ok(load(l).why_appointment_changed, l);
});
