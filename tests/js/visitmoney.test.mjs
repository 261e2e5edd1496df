// A visit's money on the appointment card: the lines, what may be refunded, the late fee offered.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as M from "../../chalicelib/static/dashboard/visitmoney.js";

const deposit = { mark: "paid", kind: "deposit", paid_cents: 4770, refunded_cents: 0, fees: {}, fee_cents: {},
  chargeable_cents: { late_cancel: 3180, no_show: 11130 } };

test("a deposit paid: one line, all of it refundable", () => {
  assert.deepEqual(M.moneyLines(deposit), [{ key: "money_paid_deposit", cents: 4770 }]);
  assert.equal(M.refundableCents(deposit), 4770);
});

test("part refunded: what went back and what is not", () => {
  const p = { ...deposit, refunded_cents: 2000 };
  assert.deepEqual(M.moneyLines(p), [
    { key: "money_paid_deposit", cents: 4770 },
    { key: "money_refunded", cents: 2000 },
    { key: "money_not_refunded", cents: 2770 },
  ]);
  assert.equal(M.refundableCents(p), 2770);
  assert.equal(M.refundableCents({ ...deposit, refunded_cents: 4770, mark: "refunded" }), 0);
});

test("a refund her cancellation owes is on its way, not kept; one that failed is the owner's to give back", () => {
  const cancelled = { ...deposit, chargeable_cents: { late_cancel: 7950, no_show: 15900 } };
  const owed = { ...cancelled, mark: "refund_pending", refund_pending_cents: 4770, refund_failed_cents: 0 };
  assert.deepEqual(M.moneyLines(owed), [
    { key: "money_paid_deposit", cents: 4770 },
    { key: "money_refund_pending", cents: 4770 },
  ]);
  assert.equal(M.refundableCents(owed), 0); // never refunded twice
  assert.equal(M.lateFeeOffer({ status: "cancelled", payment: owed }), 0); // cancelled in time
  const failed = { ...cancelled, mark: "refund_failed", refund_pending_cents: 0, refund_failed_cents: 4770 };
  assert.deepEqual(M.moneyLines(failed)[1], { key: "money_refund_failed", cents: 4770 });
  assert.equal(M.refundableCents(failed), 4770); // she may refund it herself
  assert.equal(M.lateFeeOffer({ status: "cancelled", payment: failed }), 0);
});

test("a fee collected is not the deposit: it is its own line and never refunded here", () => {
  const p = { ...deposit, paid_cents: 15900, fees: { no_show: "succeeded" }, fee_cents: { no_show: 11130 }, chargeable_cents: {} };
  assert.equal(M.depositCents(p), 4770);
  assert.equal(M.refundableCents(p), 4770);
  assert.deepEqual(M.moneyLines(p)[1], { key: "money_fee", kind: "no_show", fee: "no_show", state: "succeeded", cents: 11130 });
  const open = { ...deposit, mark: "fee_owed", fees: { no_show: "open" }, fee_cents: { no_show: 11130 } };
  assert.equal(M.depositCents(open), 4770); // an open fee is not paid
});

test("a fee given back (a no-show undone) is said on its own line, and the deposit stays the deposit", () => {
  const p = { ...deposit, paid_cents: 15900, refunded_cents: 11130, fees: { no_show: "refunded" },
    fee_cents: { no_show: 11130 }, chargeable_cents: {} };
  assert.equal(M.depositCents(p), 4770);
  assert.equal(M.refundableCents(p), 4770);
  assert.deepEqual(M.moneyLines(p).map((l) => [l.key, l.state, l.cents]), [
    ["money_paid_deposit", undefined, 4770],
    ["money_fee", "refunded", 11130],
  ]);
  assert.deepEqual(M.checkoutDue(15900, p), { deposit: 4770, due: 11130, below: false });
  const owed = { ...p, refunded_cents: 0, refund_pending_cents: 11130, fees: { no_show: "refunding" } };
  assert.equal(M.refundableCents(owed), 4770);
  assert.deepEqual(M.moneyLines(owed).map((l) => l.key), ["money_paid_deposit", "money_fee"]);
});

test("a fee whose refund failed, kept by the no-show marked again, is said kept: nothing to retry", () => {
  const p = { ...deposit, paid_cents: 15900, refund_failed_cents: 0, fees: { no_show: "refund_failed" },
    fee_cents: { no_show: 11130 }, fees_kept: ["no_show"], chargeable_cents: {} };
  assert.deepEqual(M.moneyLines(p).map((l) => [l.key, l.state, l.cents]), [
    ["money_paid_deposit", undefined, 4770],
    ["money_fee", "kept", 11130],
  ]);
});

test("a card on file: no deposit to refund, the card said as such", () => {
  const p = { mark: "card_on_file", kind: "card_on_file", paid_cents: 6450, refunded_cents: 0,
    fees: { late_cancel: "succeeded" }, fee_cents: { late_cancel: 6450 } };
  assert.equal(M.refundableCents(p), 0);
  assert.deepEqual(M.moneyLines(p).map((l) => l.key), ["money_card_on_file", "money_fee"]);
  assert.deepEqual(M.moneyLines({ ...deposit, mark: "held", paid_cents: 0 }), []); // not paid yet
});

test("the late fee is offered on a cancelled visit only, once, as the API would charge it", () => {
  const a = { status: "cancelled", payment: deposit };
  assert.equal(M.lateFeeOffer(a), 3180);
  assert.equal(M.lateFeeOffer({ ...a, status: "booked" }), 0);
  assert.equal(M.lateFeeOffer({ ...a, payment: { ...deposit, fees: { late_cancel: "open" } } }), 0);
  assert.equal(M.lateFeeOffer({ ...a, payment: { ...deposit, chargeable_cents: {} } }), 0); // covered, or no card
  assert.equal(M.lateFeeOffer({ ...a, payment: { ...deposit, refunded_cents: 4770 } }), 0); // cancelled in time
  assert.equal(M.lateFeeOffer({ status: "cancelled" }), 0);
});

test("amounts as she types them, and the refund's own check", () => {
  // Read as every box reads an amount (i18n.js readCents; its own test in i18n.test.mjs).
  assert.equal(M.refundRequest(" 27,70 € ", "x", 5000).amount_cents, 2770);
  assert.equal(M.refundRequest("15,50", "x", 5000).amount_cents, 1550);
  assert.deepEqual(M.refundRequest("2,555", "x", 5000).errors, { amount_cents: "range" });
  assert.equal(M.amountText(2770, "fi-FI"), "27,70");
  assert.equal(M.amountText(123450, "en-GB"), "1234.50");
  assert.deepEqual(M.refundRequest("20,00", " stylist ill ", 4770), { amount_cents: 2000, reason: "stylist ill" });
  assert.deepEqual(M.refundRequest("48", "", 4770), { errors: { amount_cents: "range", reason: "missing" } });
  assert.deepEqual(M.refundRequest("0", "x", 4770), { errors: { amount_cents: "range" } });
});

test("checkoutDue: the deposit kept comes off the price; a price below it is no checkout", () => {
  const p = { kind: "deposit", paid_cents: 4770, refunded_cents: 0, fees: {}, fee_cents: {} };
  assert.deepEqual(M.checkoutDue(15900, p), { deposit: 4770, due: 11130, below: false });
  // A lower price than the deposit kept: what she paid above it would vanish (the API's 422).
  assert.deepEqual(M.checkoutDue(3000, p), { deposit: 3000, due: 0, below: true });
  assert.deepEqual(M.checkoutDue(4770, p), { deposit: 4770, due: 0, below: false });
  assert.deepEqual(M.checkoutDue(15900, { ...p, refunded_cents: 2000 }), { deposit: 2770, due: 13130, below: false });
  const fee = { ...p, paid_cents: 4770 + 3180, fees: { late_cancel: "succeeded" }, fee_cents: { late_cancel: 3180 } };
  assert.deepEqual(M.checkoutDue(15900, fee), { deposit: 4770, due: 11130, below: false }); // a fee is no deposit
  assert.deepEqual(M.checkoutDue(15900, null), { deposit: 0, due: 15900, below: false });
  assert.deepEqual(M.checkoutDue(15900, { kind: "card_on_file", paid_cents: 0 }), { deposit: 0, due: 15900, below: false });
});

test("checkoutRequest: a price that is not an amount is refused, never read as the booked price", () => {
  const p = { kind: "deposit", paid_cents: 4770, refunded_cents: 0, fees: {}, fee_cents: {} };
  for (const text of ["abc", "", "  ", "12,345", "-5", "1e3"]) {
    assert.deepEqual(M.checkoutRequest(text, p), { errors: { price_cents: "invalid" } }, text);
  }
  const plain = (price, deposit, due) => ({ price_cents: price, lines: [], discount: null, subtotal: price, off: 0, total: price, deposit, due });
  assert.deepEqual(M.checkoutRequest("150,50", p), plain(15050, 4770, 10280));
  assert.deepEqual(M.checkoutRequest("59.9", null), plain(5990, 0, 5990));
  // Below the deposit kept: refund the difference first (its least price said).
  assert.deepEqual(M.checkoutRequest("30,00", p), { errors: { price_cents: "below_deposit" }, least: 4770 });
  // Refunded the 17,70 € difference: 30,00 € is the deposit kept, nothing to pay.
  assert.deepEqual(M.checkoutRequest("30,00", { ...p, refunded_cents: 1770 }), plain(3000, 3000, 0));
});

test("checkoutRequest: a shampoo sold with the visit and a discount off both, as the API counts them", () => {
  const p = { kind: "deposit", paid_cents: 4770, refunded_cents: 0, fees: {}, fee_cents: {} };
  const shampoo = { name: " Shampoo 250 ml ", amount: "24,90", quantity: "1" };
  // 159,00 + 24,90 = 183,90 €; 10 % off (18,39 €, half up): 165,51 €, the deposit off it.
  assert.deepEqual(M.checkoutRequest("159,00", p, { lines: [shampoo], discount: "10 %", unit: "percent" }), {
    price_cents: 15900, lines: [{ name: "Shampoo 250 ml", amount_cents: 2490, quantity: 1 }], discount: { percent: 10 },
    subtotal: 18390, off: 1839, total: 16551, deposit: 4770, due: 11781,
  });
  // 5 € off two of it, no deposit.
  const two = M.checkoutRequest("42", null, { lines: [{ ...shampoo, quantity: "2" }], discount: "5", unit: "amount" });
  assert.deepEqual([two.lines.length, two.off, two.total, two.due], [1, 500, 8680, 8680]);
  // A row added and left wholly empty is no line; one with anything in it is.
  assert.equal(M.blankLine({ name: " ", amount: "", quantity: "1" }), true);
  assert.equal(M.blankLine({ name: "", amount: "2", quantity: "1" }), false);
  // Each problem on the API's field path; more off than the total, or below the deposit kept.
  assert.deepEqual(M.checkoutRequest("42", null, { lines: [{ name: "", amount: "x", quantity: "0" }] }).errors,
    { "lines.0.name": "missing", "lines.0.amount_cents": "invalid", "lines.0.quantity": "range" });
  assert.deepEqual(M.checkoutRequest("42", null, { lines: [{ name: "x".repeat(61), amount: "1" }] }).errors, { "lines.0.name": "too_long" });
  assert.deepEqual(M.checkoutRequest("42", null, { discount: "101", unit: "percent" }).errors, { discount: "invalid" });
  assert.deepEqual(M.checkoutRequest("42", null, { lines: [{ name: "Kuivain", amount: "10000", quantity: "2" }] }),
    { errors: { lines: "too_much" }, most: 1000000 });
  assert.equal(M.checkoutRequest("20000", null).errors, undefined); // the price alone: the API says its maximum on it
  assert.deepEqual(M.checkoutRequest("42", null, { discount: "43", unit: "amount" }), { errors: { discount: "above" }, most: 4200 });
  assert.deepEqual(M.checkoutRequest("159", p, { discount: "80", unit: "percent" }), { errors: { discount: "below_deposit" }, least: 4770 });
});

test("paid at the desk: what, how and when, as the appointment says; the time alone on the visit's day", () => {
  const a = { start: "2026-11-25T12:00:00+02:00", checkout: { method: "card", paid_cents: 11130, at: "2026-11-25T14:05:00+02:00" } };
  assert.deepEqual(M.paidAtDesk(a), { cents: 11130, method: "card", at: "2026-11-25T14:05:00+02:00", onVisitDay: true });
  const later = { ...a, checkout: { ...a.checkout, at: "2026-11-26T09:30:00+02:00" } };
  assert.equal(M.paidAtDesk(later).onVisitDay, false);
  assert.equal(M.paidAtDesk({ ...a, checkout: null }), null);
  assert.equal(M.paidAtDesk({ start: a.start }), null);
});

test("sold at the desk: the card lists the products and the discount the checkout kept; none before they were kept", () => {
  const checkout = { method: "card", paid_cents: 11781, at: "2026-11-25T15:30:00+02:00", total_cents: 16551,
    lines: [{ name: "Shampoo 250 ml", amount_cents: 2490, quantity: 2, total_cents: 4980 }], discount_cents: 1839, discount_percent: 10 };
  const a = { start: "2026-11-25T12:00:00+02:00", checkout };
  assert.deepEqual(M.soldAtDesk(a), { lines: [{ name: "Shampoo 250 ml", quantity: 2, cents: 4980 }], discount: 1839, percent: 10 });
  // An amount off (no percentage), and no products.
  assert.deepEqual(M.soldAtDesk({ ...a, checkout: { ...checkout, lines: [], discount_cents: 500, discount_percent: null } }),
    { lines: [], discount: 500, percent: null });
  // A checkout stored before its products were kept, and one with neither: the paid line alone.
  assert.equal(M.soldAtDesk({ ...a, checkout: { method: "cash", paid_cents: 11130, at: checkout.at } }), null);
  assert.equal(M.soldAtDesk({ ...a, checkout: { ...checkout, lines: [], discount_cents: 0, discount_percent: null } }), null);
  assert.equal(M.soldAtDesk({ ...a, checkout: null }), null);
});

test("a fee collected is the owner's to refund, whole, on its own: charged, or its refund failed", () => {
  const p = { kind: "card_on_file", paid_cents: 3180, refunded_cents: 0, fees: { late_cancel: "succeeded" },
    fee_cents: { late_cancel: 3180 } };
  assert.equal(M.feeRefundable(p, "late_cancel"), 3180);
  assert.equal(M.feeRefundable({ ...p, fees: { late_cancel: "refund_failed" } }, "late_cancel"), 3180);
  for (const state of ["open", "waived", "refunding", "refunded"]) {
    assert.equal(M.feeRefundable({ ...p, fees: { late_cancel: state } }, "late_cancel"), 0, state);
  }
  assert.equal(M.feeRefundable(p, "no_show"), 0);
  assert.equal(M.feeRefundable(null, "late_cancel"), 0);
  // Never part of what the deposit's form refunds.
  assert.equal(M.refundableCents({ ...deposit, paid_cents: 4770 + 3180, ...{ fees: p.fees, fee_cents: p.fee_cents } }), 4770);
});

test("feeRefundRequest: a reason is required, no amount (the fee goes back whole)", () => {
  assert.deepEqual(M.feeRefundRequest("late_cancel", "  Sairastui  "), { fee: "late_cancel", reason: "Sairastui" });
  assert.deepEqual(M.feeRefundRequest("no_show", "   "), { errors: { reason: "missing" } });
  assert.deepEqual(M.feeRefundRequest("no_show", undefined), { errors: { reason: "missing" } });
});

test("a visit checked out at the desk offers no refund of its deposit: it went into what she paid", () => {
  const a = { status: "completed", payment: deposit };
  assert.equal(M.depositRefundOffer(a), 4770);
  assert.equal(M.depositRefundOffer({ ...a, checkout: { method: "card", paid_cents: 11130, at: "2026-11-25T14:05:00+02:00" } }), 0);
  assert.equal(M.depositRefundOffer({ status: "booked" }), 0);
  assert.equal(M.depositRefundOffer(null), 0);
});

test("the price a reward leaves is the server's: half rounded as price_after, an amount never below zero", () => {
  assert.equal(M.priceWithReward(6900, { percent_off: 50 }), 3450);
  assert.equal(M.priceWithReward(6901, { percent_off: 50 }), 3450); // 3450.5 off rounds up, as (p * 50 + 50) // 100
  assert.equal(M.priceWithReward(6900, { percent_off: null, amount_off_cents: 1000 }), 5900);
  assert.equal(M.priceWithReward(500, { amount_off_cents: 1000 }), 0);
  assert.equal(M.priceWithReward(6900, null), 6900);
});

test("a no-show a staff member marked leaves its fee for the owner to charge; charged, nothing more is offered", () => {
  const card = { ...deposit, kind: "deposit", card_saved: true, chargeable_cents: { no_show: 11130 } };
  assert.equal(M.noShowFeeOffer({ status: "no_show", payment: card }), 11130);
  assert.equal(M.noShowFeeOffer({ status: "completed", payment: card }), 0);
  assert.equal(M.noShowFeeOffer({ status: "no_show", payment: { ...card, fees: { no_show: "succeeded" } } }), 0);
  assert.equal(M.noShowFeeOffer({ status: "no_show", payment: null }), 0);
});

test("undoing a no-show whose fee was taken gives it back: the owner's, not staff's", () => {
  assert.equal(M.undoMovesFee({ ...deposit, fees: { no_show: "succeeded" } }), true);
  assert.equal(M.undoMovesFee({ ...deposit, fees: { no_show: "open" } }), true);
  assert.equal(M.undoMovesFee({ ...deposit, fees: { no_show: "refunded" } }), false);
  assert.equal(M.undoMovesFee({ ...deposit, fees: {} }), false);
  assert.equal(M.undoMovesFee(null), false);
});

test("the owner's no-show asks first when it would charge a fee, naming the API's amount; none, no question", () => {
  const p = { ...deposit, card_saved: true, no_show_fee_cents: 11130 };
  for (const status of ["booked", "arrived", "completed"]) assert.equal(M.noShowMarkFee({ status, payment: p }), 11130);
  assert.equal(M.noShowMarkFee({ status: "no_show", payment: p }), 0);
  assert.equal(M.noShowMarkFee({ status: "booked", payment: p, checkout: { paid_cents: 100 } }), 0);
  assert.equal(M.noShowMarkFee({ status: "booked", payment: { ...p, no_show_fee_cents: 0 } }), 0);
  assert.equal(M.noShowMarkFee({ status: "booked", payment: null }), 0);
});

test("undoing a no-show asks first naming the refund when its fee was collected; open or none, nothing to refund", () => {
  const taken = { ...deposit, fees: { no_show: "succeeded" }, fee_cents: { no_show: 11130 } };
  assert.equal(M.undoRefundCents({ status: "no_show", payment: taken }), 11130);
  assert.equal(M.undoRefundCents({ status: "no_show", payment: { ...taken, fees: { no_show: "open" } } }), 0);
  assert.equal(M.undoRefundCents({ status: "no_show", payment: { ...taken, fees: { no_show: "refunded" } } }), 0);
  assert.equal(M.undoRefundCents({ status: "completed", payment: taken }), 0);
});

test("a no-show fee given back by an undo and charged anew shows both rounds, each by the key the API names it", () => {
  const p = {
    mark: "paid", kind: "deposit", paid_cents: 4770 + 2 * 11130, refunded_cents: 11130, refund_pending_cents: 0,
    fees: { no_show: "refunded", "no_show.r1": "succeeded" }, fee_cents: { no_show: 11130, "no_show.r1": 11130 },
    fee_keys: { no_show: "no_show.r1", late_cancel: "late_cancel" },
  };
  assert.deepEqual(M.moneyLines(p), [
    { key: "money_paid_deposit", cents: 4770 },
    { key: "money_fee", kind: "no_show", fee: "no_show", state: "refunded", cents: 11130 },
    { key: "money_fee", kind: "no_show", fee: "no_show.r1", state: "succeeded", cents: 11130 },
  ]);
  assert.equal(M.feeRefundable(p, "no_show"), 0); // given back
  assert.equal(M.feeRefundable(p, "no_show.r1"), 11130); // the current round's
  assert.deepEqual(M.feeRefundRequest("no_show.r1", " why "), { fee: "no_show.r1", reason: "why" });
  assert.equal(M.undoRefundCents({ status: "no_show", payment: p }), 11130);
  assert.equal(M.undoMovesFee(p), true);
  // Undone again: its round ended, so the next mark's fee is offered anew.
  const ended = { ...p, fees: { ...p.fees, "no_show.r1": "refunding" }, fee_keys: { no_show: "no_show.r2" },
    chargeable_cents: { no_show: 11130 } };
  assert.equal(M.undoMovesFee(ended), false);
  assert.equal(M.noShowFeeOffer({ status: "no_show", payment: ended }), 11130);
});
