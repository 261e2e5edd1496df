// Her data on the client card (the owner's: GDPR): the export's file name, and what the
// erasure asks of the API. **Pure** (no DOM, no words): tests/js/clientdata.test.mjs.

// The export's file, named after her and the day: "Maija-Meikäläinen-2026-11-25.json".
// Her name's letters and digits kept (accents too: a phone's Files app shows them), any
// run of anything else one "-", so that no file system refuses it or reads a folder in it.
export function exportFileName(name, isoDate) {
  const base = String(name || "").normalize("NFC").replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-+|-+$/g, "").slice(0, 60);
  return `${base || "client"}-${isoDate}.json`;
}

// The bookings that keep her from being erased (DELETE /clients/{id} answers 409
// `has_upcoming_bookings`, `error.appointments` their ids), or null for any other answer.
export function upcomingInTheWay(err) {
  if (!err || err.status !== 409 || err.code !== "has_upcoming_bookings") return null;
  const ids = err.details && err.details.appointments;
  return Array.isArray(ids) ? ids : [];
}

// Each booking cancelled before she is erased: hers (she asked to be erased), and no
// message about it — her contacts go with the erasure, and a message still waiting is
// skipped by it (docs/owner-api.md, GDPR), so one would never be sent.
export function eraseCancelBody() {
  return { by: "client", notify: false };
}
