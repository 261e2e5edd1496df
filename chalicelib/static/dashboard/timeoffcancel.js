// A booking time off covers, cancelled from the time-off sheet ("Peru ja kutsu"): the
// salon's cancellation, `by: "salon"` (docs/owner-api.md) — not counted as hers, no
// late-cancellation fee, its SMS waiting out the quiet hours ("At night") — with an
// invitation to book again. **Pure**: the body of POST /appointments/{id}/cancel.
export function timeOffCancelBody(reason) {
  return { by: "salon", reason, invite: true };
}
