// A visit's money as the appointment card says it, and what the owner may do with it:
// refund what is still kept of the deposit or prepayment, charge the late-cancellation
// fee, read an open fee's pay link. Pure (no DOM, no words): tests/js/visitmoney.test.mjs.
// The amounts are the API's (GET /appointments/{id} `payment`, docs/owner-api.md); this
// computes nothing the server decides, it only reads it — but for the price a reward
// would leave, shown in the desk's booking sheet before the booking is made (the server's
// rule, domain/loyalty.py price_after, prices the booking). An amount she types is read as
// every box of the dashboard reads one (i18n.js readCents, readNumber).
import { readCents, readNumber } from "./i18n.js";

// The catalogue's words of a visit's money mark (the payment's `mark`), where the owner
// would look again: a fee she still owes, a refund on its way, due from the owner or
// failed, or all she paid given back (her client card's visits, the refunds to make).
export const MONEY_TAGS = {
  fee_owed: "visit_money_fee_owed",
  refund_pending: "visit_money_refund_pending",
  refund_due: "visit_money_refund_due", // the salon cancelled and holds her deposit: the owner refunds it
  refund_failed: "visit_money_refund_failed",
  refunded: "visit_money_refunded",
};

// The fees in these states, in cents.
function feesIn(p, states) {
  const fees = (p && p.fees) || {};
  const cents = (p && p.fee_cents) || {};
  return Object.entries(fees).reduce((sum, [k, state]) => sum + (states.includes(state) ? cents[k] || 0 : 0), 0);
}

// The fees whose money came in (paid_cents holds them), given back since or not: a fee
// refunded (a no-show mark undone, the owner's refund) is "refunding" until Stripe takes
// the refund, then "refunded"; "refund_failed" when Stripe failed it.
const FEE_TAKEN = ["succeeded", "refunding", "refunded", "refund_failed"];

// The fees collected (charged and paid), in cents.
export function feesCollected(p) {
  return feesIn(p, FEE_TAKEN);
}

// What the deposit or prepayment took (paid_cents holds the fees collected too).
export function depositCents(p) {
  if (!p || !["deposit", "prepay"].includes(p.kind)) return 0;
  return Math.max(0, (p.paid_cents || 0) - feesCollected(p));
}

// Of what was refunded and is on its way back, a fee's: the fee's own line says it.
function feeRefunded(p) {
  return feesIn(p, ["refunded"]);
}
function feeRefunding(p) {
  return feesIn(p, ["refunding"]);
}

// What went back or is on its way back of the deposit or prepayment: refunded, and owed
// by her cancellation (the refund not made yet; the server makes it).
function givenBack(p) {
  const refunded = Math.max(0, ((p && p.refunded_cents) || 0) - feeRefunded(p));
  return refunded + Math.max(0, ((p && p.refund_pending_cents) || 0) - feeRefunding(p));
}

// What may still be refunded: the deposit or prepayment less what went back already or
// is on its way (a fee is charged by a payment of its own, not refunded from the card here).
export function refundableCents(p) {
  if (!p) return 0;
  const kept = (p.paid_cents || 0) - givenBack(p);
  return Math.max(0, Math.min(kept, depositCents(p) - givenBack(p)));
}

// The lines the card shows: what she paid, what went back, what is still kept, and each
// fee with its state and amount. [{key, cents?, kind?, state?}]: the card puts them in words.
export function moneyLines(p) {
  if (!p || p.mark === "held") return [];
  const lines = [];
  const deposit = depositCents(p);
  if (p.kind === "deposit" && deposit) lines.push({ key: "money_paid_deposit", cents: deposit });
  else if (p.kind === "prepay" && deposit) lines.push({ key: "money_paid_prepay", cents: deposit });
  else if (p.kind === "card_on_file") lines.push({ key: "money_card_on_file" });
  // A fee given back is said on the fee's own line ("refunded"), not here.
  const refunded = Math.max(0, (p.refunded_cents || 0) - feeRefunded(p));
  if (refunded) lines.push({ key: "money_refunded", cents: refunded });
  // Her cancellation gives it back and Stripe has not taken the refund yet: on its way,
  // not kept; refused (or never taken): the owner's to give back.
  const pending = Math.max(0, (p.refund_pending_cents || 0) - feeRefunding(p));
  if (pending) lines.push({ key: "money_refund_pending", cents: pending });
  if (p.refund_failed_cents) lines.push({ key: "money_refund_failed", cents: p.refund_failed_cents });
  if (givenBack(p)) {
    const left = refundableCents(p);
    if (left) lines.push({ key: "money_not_refunded", cents: left });
  }
  // Each round of a fee by its key (`no_show`, then `no_show.r1` when a no-show undone and
  // marked again was charged anew): the name its pay link, waiver and refund go by. A round
  // whose refund failed and that the no-show marked again keeps as its fee (`fees_kept`)
  // is said kept: nothing to refund again.
  const kept = p.fees_kept || [];
  for (const [fee, stored] of Object.entries(p.fees || {})) {
    const state = kept.includes(fee) ? "kept" : stored;
    lines.push({ key: "money_fee", kind: feeKind(fee), fee, state, cents: (p.fee_cents || {})[fee] || 0 });
  }
  return lines;
}

// The kind of a fee's key ("no_show.r1" -> "no_show").
export function feeKind(fee) {
  return String(fee).split(".")[0];
}

// The state of the current round of a fee kind (the API's `fee_keys`; undefined: none
// charged in it): a no-show's fee given back by an undo leaves the next mark a new round.
function currentFee(p, kind) {
  const key = ((p && p.fee_keys) || {})[kind] || kind;
  return { key, state: ((p && p.fees) || {})[key] };
}

// The late-cancellation fee the owner may charge now, in cents (0: none is offered): a
// cancelled visit with a card on file whose fee is not charged yet and not covered by what
// is kept (the API's own figure, `chargeable_cents`), and nothing was given back or owed
// back — a refund means she cancelled in time or the salon cancelled, and then no fee is due.
export function lateFeeOffer(a) {
  const p = a && a.payment;
  if (!p || a.status !== "cancelled" || currentFee(p, "late_cancel").state || givenBack(p) || p.refund_failed_cents) return 0;
  return ((p.chargeable_cents || {}).late_cancel) || 0;
}

// Cents as the amount field shows them in the language ("27,70"; no currency, no grouping).
export function amountText(cents, locale) {
  return new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2, useGrouping: false })
    .format(cents / 100);
}

// The refund form's own check, as the API's (1 cent up to what may be refunded; a reason):
// {amount_cents, reason} or {errors: {amount_cents: "range", reason: "missing"}}.
export function refundRequest(amountText, reason, refundable) {
  const errors = {};
  const cents = readCents(amountText);
  if (!(cents >= 1 && cents <= refundable)) errors.amount_cents = "range";
  const why = String(reason || "").trim();
  if (!why) errors.reason = "missing";
  return Object.keys(errors).length ? { errors } : { amount_cents: cents, reason: why };
}

// Checked out at the desk, as the appointment says (its `checkout`), or null: what was
// paid then, how, when (local time), and whether that was the visit's own day (the card
// then says the time alone).
export function paidAtDesk(a) {
  const c = a && a.checkout;
  if (!c) return null;
  return { cents: c.paid_cents || 0, method: c.method, at: c.at, onVisitDay: String(c.at).slice(0, 10) === String(a.start).slice(0, 10) };
}

// What was sold at the desk with the visit, as the appointment's `checkout` keeps it: each
// product line (its name, how many, what it came to) and the discount off the visit and its
// products (in cents, and its percentage when given as one) — or null with neither (none
// sold, or a checkout stored before they were kept).
export function soldAtDesk(a) {
  const c = a && a.checkout;
  if (!c) return null;
  const lines = (c.lines || []).map((l) => ({ name: l.name, quantity: l.quantity || 1,
    cents: l.total_cents ?? (l.amount_cents || 0) * (l.quantity || 1) }));
  const discount = c.discount_cents || 0;
  if (!lines.length && !discount) return null;
  return { lines, discount, percent: c.discount_percent ?? null };
}

// What the deposit or prepayment she paid still keeps (not given back nor on its way).
export function depositKept(p) {
  return Math.max(0, depositCents(p) - givenBack(p));
}

// At the desk's checkout: what the deposit or prepayment kept takes off the price, and
// what is left to pay (the API's rule: the deposit not given back). A price below the
// deposit kept is no checkout (the API's 422): `below` says so, and what she paid above
// the price is refunded first.
export function checkoutDue(priceCents, p) {
  const kept = depositKept(p);
  const price = Math.max(0, priceCents || 0);
  const deposit = Math.min(kept, price);
  return { deposit, due: price - deposit, below: price < kept };
}

// The checkout form read as the API takes it (services/payments/checkout.py `sale`): the
// visit's price, the products sold with it (`lines`: name, unit price text, how many;
// blankLine's rows left out first) and a discount off the two together (`discount` text, a
// `unit` "percent" or "amount"; empty: none), the deposit kept taken off. Gives
// {price_cents, lines, discount, subtotal, off, total, deposit, due}, or {errors} keyed by
// the API's field paths (price_cents, lines.0.name, discount...): "invalid" (not an
// amount, never the booked price instead), "missing", "too_long", "range", "too_much"
// (`lines`: the visit and its products above the API's most, `most`), "above" (more off
// than the total; `most`), "below_deposit" (below the deposit kept; `least`).
export function checkoutRequest(priceText, p, sale = {}) {
  const errors = {};
  const price = readCents(priceText);
  if (!Number.isFinite(price)) errors.price_cents = "invalid";
  const lines = [];
  for (const row of sale.lines || []) {
    const name = String(row.name || "").trim();
    const amountText = String(row.amount || "").trim();
    const qtyText = String(row.quantity ?? "").trim() || "1";
    const at = `lines.${lines.length}`;
    const amount = readCents(amountText);
    const quantity = /^\d{1,2}$/.test(qtyText) ? Number(qtyText) : 0;
    if (!name) errors[`${at}.name`] = "missing";
    else if (name.length > LINE_NAME_MAX) errors[`${at}.name`] = "too_long";
    if (!Number.isFinite(amount)) errors[`${at}.amount_cents`] = "invalid";
    if (quantity < 1) errors[`${at}.quantity`] = "range";
    lines.push({ name, amount_cents: amount, quantity });
  }
  const discountText = String(sale.discount || "").trim();
  let discount = null;
  if (discountText && sale.unit === "amount") {
    const cents = readCents(discountText);
    if (cents >= 1) discount = { amount_cents: cents };
    else errors.discount = "invalid";
  } else if (discountText) {
    const percent = readNumber(discountText); // "12,5" is 12.5 (not whole: invalid), never 125
    if (Number.isInteger(percent) && percent >= 1 && percent <= 100) discount = { percent };
    else errors.discount = "invalid";
  }
  if (Object.keys(errors).length) return { errors };
  const subtotal = price + lines.reduce((sum, l) => sum + l.amount_cents * l.quantity, 0);
  // A price alone above it is the API's to refuse, on the price (its own maximum).
  if (price <= CHECKOUT_MAX && subtotal > CHECKOUT_MAX) return { errors: { lines: "too_much" }, most: CHECKOUT_MAX };
  if (discount && discount.amount_cents > subtotal) return { errors: { discount: "above" }, most: subtotal };
  // A percentage rounded half up to the cent, as the API's (domain/payments.py percent_of).
  const off = !discount ? 0 : discount.percent ? Math.min(subtotal, Math.floor((subtotal * discount.percent + 50) / 100)) : discount.amount_cents;
  const total = subtotal - off;
  const { deposit, due, below } = checkoutDue(total, p);
  if (below) return { errors: { [discount ? "discount" : "price_cents"]: "below_deposit" }, least: depositKept(p) };
  return { price_cents: price, lines, discount, subtotal, off, total, deposit, due };
}

export const LINE_NAME_MAX = 60; // the API's (CheckoutIn.lines[].name)
export const LINES_MAX = 20; // the API's (CheckoutIn.lines)
export const CHECKOUT_MAX = 1000000; // the API's: the visit and its products together, in cents

// A product row added and left wholly empty: no line (neither sent nor refused).
export function blankLine(row) {
  return !String(row.name || "").trim() && !String(row.amount || "").trim() && ["", "1"].includes(String(row.quantity ?? "").trim());
}

// A fee collected that the owner may give back, in cents (0: none): charged and paid
// (`succeeded`), or its refund failed at Stripe (`refund_failed`, settled by refunding it
// again). Refunded whole, on the fee's own payment (POST /refund with `fee`), never from
// the deposit's refund form.
export function feeRefundable(p, fee) {
  const state = ((p && p.fees) || {})[fee];
  if (!["succeeded", "refund_failed"].includes(state)) return 0;
  return ((p && p.fee_cents) || {})[fee] || 0;
}

// The fee refund's own check, as the API's (a reason required; the fee whole, so no
// amount): {fee, reason} or {errors: {reason: "missing"}}.
export function feeRefundRequest(fee, reason) {
  const why = String(reason || "").trim();
  return why ? { fee, reason: why } : { errors: { reason: "missing" } };
}

// What the card offers to refund of the deposit or prepayment, in cents (0: no "Refund"):
// what is kept, unless the visit was checked out at the desk — the deposit went into what
// she paid then (deducted from the price), and a refund would give it back twice.
export function depositRefundOffer(a) {
  if (!a || a.checkout) return 0;
  return refundableCents(a.payment);
}

// The price of a visit with a reward from her card (GET /clients/{id}/loyalty: its
// `percent_off` or `amount_off_cents`), in cents, never below zero: price_after's rule.
export function priceWithReward(cents, reward) {
  const price = cents || 0;
  if (reward && reward.percent_off) return price - Math.floor((price * reward.percent_off + 50) / 100);
  return Math.max(0, price - Math.min(price, (reward && reward.amount_off_cents) || 0));
}

// The no-show fee a no-show marked (a staff member's, an integration's) left for the owner
// to charge, in cents (0: none): the visit marked no-show, its fee not charged yet, with
// the API's own figure (`chargeable_cents`). The owner is offered it; staff are told so.
export function noShowFeeOffer(a) {
  const p = a && a.payment;
  if (!p || a.status !== "no_show" || currentFee(p, "no_show").state) return 0;
  return ((p.chargeable_cents || {}).no_show) || 0;
}

// Undoing the no-show (or correcting it to completed) gives its fee back: refunded when it
// was collected (`succeeded`), waived when open. That is the owner's (permission "money"):
// staff are not offered it (the API answers them 403 owner_only).
export function undoMovesFee(p) {
  return ["succeeded", "open"].includes(currentFee(p, "no_show").state);
}

// What the owner's "No-show" would charge now, in cents (0: nothing, so nothing to ask):
// the API's own figure (`no_show_fee_cents`) on a visit that can still be marked no-show.
export function noShowMarkFee(a) {
  const p = a && a.payment;
  if (!p || !["booked", "arrived", "completed"].includes(a.status) || a.checkout) return 0;
  return p.no_show_fee_cents || 0;
}

// What undoing a no-show (or correcting it to completed) refunds to her card, in cents
// (0: nothing moves): its fee collected. An open fee is waived instead (nothing was paid).
export function undoRefundCents(a) {
  const p = a && a.payment;
  const fee = currentFee(p, "no_show");
  if (!p || a.status !== "no_show" || fee.state !== "succeeded") return 0;
  return (p.fee_cents || {})[fee.key] || 0;
}
