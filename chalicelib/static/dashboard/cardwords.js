// What the appointment card's status line says once the desk has acted on a visit: the
// mark (and the no-show fee it charged or gave back), a fee charged or given back, a cancellation (and
// what it left of her money) — and, when the API's
// answer holds her SMS of it for the end of the quiet hours (`sms_at`, docs/owner-api.md
// "At night"), when it goes (withHeldSms). Pure (words, no DOM): tests/js/cardwords.test.mjs.
import { clock, money, t, withHeldSms } from "./i18n.js";
import { depositKept, lateFeeOffer, noShowFeeOffer } from "./visitmoney.js";

// A mark (POST /appointments/{id}/status): the fee it charged, or gave back, by name and
// amount. `before`: the visit's payment before it; `answer`: the API's answer (the visit).
// `mayMoney`: the caller charges fees (the owner); staff are told the owner charges it.
export function markedText(status, who, before, answer, opts) {
  const text = feeMarkedText(status, who, before, answer, opts);
  // Done early, or a no-show: the rest of her time is free for a walk-in from then.
  const freed = answer && answer.held_until && answer.staff;
  return freed ? `${text} ${t("marked_time_freed", { name: answer.staff.name, time: clock(answer.held_until) })}` : text;
}

function feeMarkedText(status, who, before, answer, { currency, mayMoney }) {
  const after = answer && answer.payment;
  const fee = (p) => ((p && p.fees) || {}).no_show;
  const amount = money(((after && after.fee_cents) || {}).no_show || 0, currency);
  if (status === "no_show" && fee(before) !== fee(after)) {
    if (fee(after) === "succeeded") return withHeldSms(t("marked_no_show_charged", { name: who, amount }), answer);
    if (fee(after) === "open") return withHeldSms(t("marked_no_show_open", { name: who, amount }), answer);
  }
  if (status === "no_show" && !mayMoney && after && noShowFeeOffer({ status, payment: after })) {
    return t("marked_no_show_owner_charges", { name: who, amount: money(after.chargeable_cents.no_show, currency) });
  }
  if (status !== "no_show" && fee(before) === "succeeded" && ["refunding", "refunded"].includes(fee(after))) {
    return withHeldSms(t("marked_fee_refunded", { name: who, amount }), answer);
  }
  // An undo after the visit's end lands on completed (the after-visit rule), not booked.
  if (status === "booked" && answer && answer.status === "completed") return t("marked_undone_completed", { name: who });
  // An undo during the visit of one the desk had marked arrived: she is in the chair still.
  if (status === "booked" && answer && answer.status === "arrived") return t("marked_undone_arrived", { name: who });
  return t(`marked_${status}`, { name: who });
}

// A fee charged (POST /appointments/{id}/fees): charged to her card, or open (her bank
// asks her to confirm: she got the pay link). `fee`: the API's answer.
export function chargedText(who, kind, fee, currency) {
  const name = { name: who, fee: t(`fee_kind_${kind}`), amount: money(fee.amount_cents, currency) };
  return withHeldSms(fee.state === "open" ? t("charge_open_done", name) : t("charged_done", name), fee);
}

// A fee given back (POST /appointments/{id}/refund with `fee`): `words` name it, `answer`
// is the API's (at night it holds her SMS of it for the morning: `sms_at`).
export function feeRefundedText(words, answer) {
  return withHeldSms(t("fee_refunded_done", words), answer);
}

// A cancellation at the desk (POST /appointments/{id}/cancel; `answer`: the visit as the
// API answers it): what went back with it (`back`, the salon's refund), else what it left of
// her money — the deposit or prepayment kept and the late-cancellation fee that may still be
// charged to her card (the answer's own `payment`: visitmoney.js), briefly.
// Her deposit or prepayment, not the salon's to keep (the salon cancelled): "the owner
// refunds it" — said to a staff member, who cannot.
export function ownerRefundsText(p, cents, currency) {
  return t(`timeoff_owner_refunds_${p.kind === "prepay" ? "prepay" : "deposit"}`, { amount: money(cents, currency) });
}

// What her cancelling now does with her money (the API's `if_client_cancels`: what comes
// back, what is kept, the fee the salon may charge), said in the desk's cancel form when
// "she cancelled" is chosen — before the owner confirms, not only after (a walk).
export function clientCancelText(p, currency) {
  const m = p && p.if_client_cancels;
  if (!m) return "";
  const words = [];
  const kept = m.paid_cents - (m.earlier_cents || 0) - m.back_cents;
  if (m.paid_cents && m.back_cents) words.push(t("cancel_outcome_back", { amount: money(m.back_cents, currency) }));
  if (m.paid_cents && kept > 0) {
    words.push(t(`cancelled_kept_${m.kind === "prepay" ? "prepay" : "deposit"}`, { amount: money(kept, currency) }));
  }
  if (m.fee_cents) words.push(t("cancelled_late_fee", { amount: money(m.fee_cents, currency) }));
  return words.join(" ");
}

export function cancelledText(who, answer, back, currency, told = false) {
  if (back) return withHeldSms(t("cancelled_refunded_done", { name: who, amount: money(back, currency) }), answer);
  const p = answer && answer.payment;
  const words = [t("cancelled_done", { name: who })];
  // Asked to tell her, and she has a contact to tell her by: the line says she hears of it.
  const contact = answer && answer.client && (answer.client.phone || answer.client.email);
  if (told && contact) words.push(t("cancelled_told"));
  const kept = p && p.mark !== "held" ? depositKept(p) : 0;
  // Cancelled by the salon, her money is not the salon's to keep: the owner refunds it
  // (her message says so, the refunds to make list it). Else the terms keep it.
  if (kept) {
    words.push(p.mark === "refund_due" ? ownerRefundsText(p, kept, currency)
      : t(`cancelled_kept_${p.kind === "prepay" ? "prepay" : "deposit"}`, { amount: money(kept, currency) }));
  }
  const fee = lateFeeOffer(answer);
  if (fee) words.push(t("cancelled_late_fee", { amount: money(fee, currency) }));
  return withHeldSms(words.join(" "), answer);
}
