// A booking time off covers, cancelled from the time-off sheet ("Peru ja kutsu"): the
// salon's cancellation, `by: "salon"` (docs/owner-api.md) — not counted as hers, no
// late-cancellation fee, its SMS waiting out the quiet hours ("At night") — with an
// invitation to book again. The salon's cancellation keeps nothing of hers under her
// terms (they are about her cancellations): the owner (`mayMoney`, the "money"
// permission) gives all she paid back with it, `refund: true`, as the card's "Salonki
// perui" does; a staff member may not move money, so the deposit stays with the salon for
// the owner to refund (her message says the salon will contact her; the owner's view marks
// it `refund_due`: docs/payments.md). **Pure**.
import { refundableCents } from "./visitmoney.js";

// The body of POST /appointments/{id}/cancel.
export function timeOffCancelBody(reason, payment, mayMoney) {
  const body = { by: "salon", reason, invite: true };
  if (mayMoney && refundableCents(payment) > 0) body.refund = true;
  return body;
}

// What the row says of her money: before the cancel, that it goes back with it (the owner)
// or is left for the owner to refund (staff); after it (`after`: the payment the answer
// gives), what happened — refunded, or waiting for the owner. {key, cents} or null
// (nothing paid that could go back).
export function timeOffMoney(payment, mayMoney, after) {
  const cents = refundableCents(payment);
  if (!cents) return null;
  const kind = payment.kind === "prepay" ? "prepay" : "deposit";
  if (!after) return { key: `timeoff_${mayMoney ? "refund" : "owner_refunds"}_${kind}`, cents };
  const left = refundableCents(after);
  return left ? { key: `timeoff_refund_due_${kind}`, cents: left } : { key: `timeoff_refunded_${kind}`, cents };
}
