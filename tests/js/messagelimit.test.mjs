// The personal message's room: what the API accepts for the client's channel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SMS_UNITS, TEXT_MAX, cappedUntil, mayMessage, messageRoom, smsUnits } from "../../chalicelib/static/dashboard/messagelimit.js";

test("SMS units are counted as the API counts them (notify/gsm.py)", () => {
  // The same texts give 29 and 16 with gsm.gsm7_length(gsm.to_gsm7(text.strip())).
  assert.equal(smsUnits("Hei! Tervetuloa – €20 … œ\u200b"), 29);
  assert.equal(smsUnits("  Åke [x] ^ 😀 š  "), 16);
});

test("a client with only a phone gets an SMS: the SMS limit, and € counts two", () => {
  const phoneOnly = { phone: "+358401234567", email: null };
  assert.deepEqual(messageRoom(phoneOnly, "x".repeat(SMS_UNITS)), { channel: "sms", used: 206, max: 206, over: false });
  assert.equal(messageRoom(phoneOnly, "x".repeat(SMS_UNITS - 1) + "€").over, true);
});

test("by SMS her words get the room her links leave, as the API gave it with her", () => {
  // A walkthrough: "205/206" on the counter, then the API's "at most 99 characters".
  const phoneOnly = { phone: "+358401234567", email: null, marketing: { granted: true, sms_room: 99 } };
  assert.deepEqual(messageRoom(phoneOnly, "x".repeat(99)), { channel: "sms", used: 99, max: 99, over: false });
  assert.equal(messageRoom(phoneOnly, "x".repeat(100)).over, true);
});

test("a client with an email gets an email: up to 1000 characters", () => {
  const withEmail = { phone: "+358401234567", email: "a@example.com" };
  assert.deepEqual(messageRoom(withEmail, "x".repeat(300)), { channel: "email", used: 300, max: TEXT_MAX, over: false });
  assert.equal(messageRoom(withEmail, "x".repeat(TEXT_MAX + 1)).over, true);
});

test("only a client who agreed to marketing may be messaged", () => {
  assert.equal(mayMessage({ marketing: { granted: true } }), true);
  assert.equal(mayMessage({ marketing: { granted: false } }), false);
  assert.equal(mayMessage({}), false);
});

test("the marketing cap holds until its next_at, and then lets a message go", () => {
  const now = Date.parse("2026-11-23T10:00:00+02:00");
  const capped = { marketing: { granted: true, next_at: "2026-12-07T10:00:00+02:00" } };
  assert.equal(cappedUntil(capped, now), "2026-12-07T10:00:00+02:00");
  assert.equal(cappedUntil(capped, Date.parse("2026-12-07T10:00:01+02:00")), null);
  assert.equal(cappedUntil({ marketing: { granted: true, next_at: null } }, now), null);
  assert.equal(cappedUntil({ marketing: { granted: true } }, now), null);
  assert.equal(cappedUntil(null, now), null);
});
