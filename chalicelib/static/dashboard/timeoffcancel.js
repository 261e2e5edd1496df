// A booking time off covers, cancelled from the time-off sheet ("Peru ja kutsu"): the
// salon's cancellation, `by: "salon"` (docs/owner-api.md) — not counted as hers, no
// late-cancellation fee, its SMS waiting out the quiet hours ("At night") — with an
// invitation to book again. The salon's cancellation keeps nothing of hers under her
// terms (they are about her cancellations): the owner (`mayMoney`, the "money"
// permission) gives all she paid back with it, `refund: true`, as the card's "Salonki
// perui" does; a staff member may not move money, so the deposit stays with the salon for
// the owner to refund (her message says the salon will contact her; the owner's view marks
// it `refund_due`: docs/payments.md). A proposed move refused, and Done with bookings left
// undecided, in words (timeOffMoveFailed, undecidedCovered). **Pure**.
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

// A proposed move the API refused: the words of the row's error. Its time taken (409
// slot_taken, `start` "no longer free") is one sentence that says what to do — pick
// another time in the calendar — not the error's and the field's two sentences saying
// the same. {key} or null (any other refusal: the error's own words).
export function timeOffMoveFailed(err) {
  const e = err || {};
  const taken = e.code === "slot_taken" || /no longer free|taken/.test(String((e.fields || {}).start || ""));
  return taken ? { key: "timeoff_move_taken" } : null;
}

// The covered bookings nobody decided yet (kept, moved or cancelled: `outcomes[id].done`):
// Done with them left says so once, as they stay inside the time off, their clients untold.
export function undecidedCovered(covered, outcomes) {
  return (covered || []).filter((a) => !(outcomes && outcomes[a.id] && outcomes[a.id].done));
}
