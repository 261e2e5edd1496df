// Her visits on the client card, in the lists the owner reads: what is still coming
// (soonest first), the future times cancelled (soonest first: not coming, so not among
// the upcoming), and the past (latest first, cancelled ones marked among them). Pure (no
// DOM, no words): tests/js/cardvisits.test.mjs. `appts` as GET /clients/{id}/history
// gives them, latest first; `now` in milliseconds.
export function splitVisits(appts, now) {
  const ahead = appts.filter((a) => Date.parse(a.start) >= now).reverse();
  return {
    upcoming: ahead.filter((a) => a.status !== "cancelled"),
    cancelled: ahead.filter((a) => a.status === "cancelled"),
    past: appts.filter((a) => Date.parse(a.start) < now),
  };
}

// What the salon kept of her money for visits she did not come to (a no-show, her
// cancellation): deposits and fees, less what went back or is on its way. Her total spend
// counts the visits she came to (the KPIs' definition), so this is said beside it (a walk:
// a client who had paid 159,00 € read "Total spend 0,00 €").
export function keptFromMissed(appts) {
  let kept = 0;
  for (const a of appts) {
    const p = a.payment;
    if (!p || (a.status !== "no_show" && a.status !== "cancelled")) continue;
    kept += Math.max(0, (p.paid_cents || 0) - (p.refunded_cents || 0) - (p.refund_pending_cents || 0));
  }
  return kept;
}
