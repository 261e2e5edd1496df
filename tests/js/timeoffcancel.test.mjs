// A booking time off covers, cancelled from the time-off sheet, is the salon's doing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { timeOffCancelBody, timeOffMoney, timeOffMoveFailed, undecidedCovered } from "../../chalicelib/static/dashboard/timeoffcancel.js";

// Elin's booking: a 47,70 € deposit paid, nothing refunded (the owner API's `payment`).
const PAID = { mark: "paid", kind: "deposit", paid_cents: 4770, refunded_cents: 0, refund_pending_cents: 0, fees: {}, fee_cents: {} };

test("time off cancels as the salon, with her invitation to book again", () => {
  // Not `by` left out (the API's default, "client": she phoned): that would count it as
  // her cancellation, make a late fee chargeable and text her at once at night.
  assert.deepEqual(timeOffCancelBody("Sairausloma"), { by: "salon", reason: "Sairausloma", invite: true });
  assert.deepEqual(timeOffCancelBody("Sairausloma", null, true), { by: "salon", reason: "Sairausloma", invite: true });
});

test("the owner's cancel from the time-off sheet gives the deposit back, as the card's salon cancel does", () => {
  // It once sent no `refund`: past her free deadline the salon kept Elin's 47,70 € and
  // her message, which apologised, said her terms kept it.
  assert.deepEqual(timeOffCancelBody("Sairas", PAID, true), { by: "salon", reason: "Sairas", invite: true, refund: true });
  assert.deepEqual(timeOffMoney(PAID, true), { key: "timeoff_refund_deposit", cents: 4770 });
  // Refunded already (the owner gave it back before): nothing to give back, nothing said.
  const back = { ...PAID, refunded_cents: 4770, mark: "refunded" };
  assert.deepEqual(timeOffCancelBody("Sairas", back, true), { by: "salon", reason: "Sairas", invite: true });
  assert.equal(timeOffMoney(back, true), null);
  // After the cancel, what the answer says: on its way back to her card.
  assert.deepEqual(timeOffMoney(PAID, true, { ...PAID, refund_pending_cents: 4770 }), { key: "timeoff_refunded_deposit", cents: 4770 });
});

test("a staff member's cancel leaves the deposit for the owner to refund, and the row says so", () => {
  // Staff may not move money (refund: true is 403 owner_only): no refund asked, and the row
  // says the deposit is not kept but left to the owner — before and after the cancel.
  assert.deepEqual(timeOffCancelBody("Sairas", PAID, false), { by: "salon", reason: "Sairas", invite: true });
  assert.deepEqual(timeOffMoney(PAID, false), { key: "timeoff_owner_refunds_deposit", cents: 4770 });
  assert.deepEqual(timeOffMoney(PAID, false, { ...PAID, mark: "refund_due" }), { key: "timeoff_refund_due_deposit", cents: 4770 });
  const prepay = { ...PAID, kind: "prepay", paid_cents: 12900 };
  assert.deepEqual(timeOffMoney(prepay, false), { key: "timeoff_owner_refunds_prepay", cents: 12900 });
});

test("a proposed move whose time was taken is one sentence that says what to do", () => {
  // It once read "That time was just taken. That time is no longer free." in the success
  // colour: the error's words and the field's, saying the same twice, and no way on.
  const taken = { status: 409, code: "slot_taken", message: "That time was just taken.", fields: { start: "no longer free" } };
  assert.deepEqual(timeOffMoveFailed(taken), { key: "timeoff_move_taken" });
  assert.deepEqual(timeOffMoveFailed({ status: 409, fields: { start: "no longer free" } }), { key: "timeoff_move_taken" });
  // Any other refusal keeps its own words.
  assert.equal(timeOffMoveFailed({ status: 422, code: "validation_failed", fields: { start: "in the past" } }), null);
  assert.equal(timeOffMoveFailed(null), null);
});

test("Done with covered bookings undecided names those still inside the time off", () => {
  const covered = [{ id: "a1" }, { id: "a2" }, { id: "a3" }];
  // a1 kept, a2's move refused (not done), a3 untouched.
  const outcomes = { a1: { done: true }, a2: { done: false, bad: true } };
  assert.deepEqual(undecidedCovered(covered, outcomes).map((a) => a.id), ["a2", "a3"]);
  assert.deepEqual(undecidedCovered(covered, { a1: { done: true }, a2: { done: true }, a3: { done: true } }), []);
  assert.deepEqual(undecidedCovered([], {}), []);
});
