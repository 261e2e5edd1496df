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
