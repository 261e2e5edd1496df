// Pure: the CSV import's column mapping, the file as base64 and what the import view
// says (docs/owner-api.md "Imports", docs/import.md).
export const FIELDS = ["name", "first_name", "last_name", "phone", "email", "birthday", "notes",
  "visit_date", "service", "price", "staff", "status"];
export const IGNORE = "-";
// The body of POST /imports may be 5 MB; base64 makes 4 bytes of 3, and the JSON around it.
export const MAX_BODY_BYTES = 5 * 1024 * 1024;
export const MAX_ROWS = 20000;

// The file's bytes as base64 (btoa takes a "binary string"; built in slices so that a
// big file does not overflow the call stack).
export function toBase64(bytes) {
  let bin = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
  return btoa(bin);
}

// Would a file of this many bytes fit in the request?
export function fits(byteLength) {
  return Math.ceil(byteLength / 3) * 4 + 1024 <= MAX_BODY_BYTES;
}

// Every column with its field ("-" when none), in the file's order.
export function rows(columns, mapping) {
  return (columns || []).map((column) => ({ column, field: (mapping && mapping[column]) || IGNORE }));
}

// The mapping with `column` set to `field`; a field belongs to one column, so a column
// that had it before is left out ("-").
export function withField(mapping, column, field) {
  const out = { ...(mapping || {}) };
  if (field !== IGNORE) for (const [c, f] of Object.entries(out)) if (f === field && c !== column) out[c] = IGNORE;
  out[column] = field;
  return out;
}

// What the server would refuse (422 bad_mapping), as a catalogue key; null when fine.
export function problem(mapping) {
  const used = new Set(Object.values(mapping || {}).filter((f) => f !== IGNORE));
  if (!["name", "first_name", "last_name"].some((f) => used.has(f))) return "imp_need_name";
  if (!["phone", "email"].some((f) => used.has(f))) return "imp_need_contact";
  return null;
}

export function body(base64, mapping, stamps) {
  const b = { csv_base64: base64, stamps: !!stamps };
  if (mapping) b.mapping = mapping;
  return b;
}

// The figures of an import's view: the dry run's before the run, the run's after
// (`contactless`: of the new clients, those with a name alone, who are sent nothing;
// `notes`: added to cards, none a card has already; null from a dry run before the count).
export function figures(view) {
  const ran = view.status === "running" || view.status === "done";
  const d = view.dry_run || {};
  return ran
    ? { create: view.created || 0, contactless: view.contactless || 0, merge: view.merged || 0, visits: view.visits || 0,
      notes: d.notes == null ? null : view.notes || 0, rejected: view.rejected || [], rejectedTotal: view.rejected_total || 0 }
    : { create: d.create || 0, contactless: d.contactless || 0, merge: d.merge || 0, visits: d.visits || 0,
      notes: d.notes == null ? null : d.notes, rejected: d.rejected || [], rejectedTotal: d.rejected_total || 0 };
}

// What the dry run tells beyond its figures (none in one from before 5 Dec 2026): the
// visits booked ahead, which are not imported and the owner books at the desk, the
// service and staff names that match nothing, and (since 7 Dec 2026) the rows imported
// without a detail that is not valid (`warnings`: a birthday, or a phone or an email
// beside one that works). Each: the entries listed and how many
// more the server counted than it listed.
export function dryFacts(view) {
  const d = (view && view.dry_run) || {};
  const list = (key) => {
    const items = d[key] || [];
    return { items, more: Math.max((d[`${key}_total`] || 0) - items.length, 0) };
  };
  return { future: list("future_visits"), services: list("unknown_services"), staff: list("unknown_staff"),
    leftOut: list("warnings") };
}

// A listed row's words after its number: the client as the file names her, then what is
// said of the row ("Kristina Ström · Telefonnumret är ogiltigt: 040 12"); a row of no
// name (or a list from before 7 Dec 2026, which named no one) without her.
export function rowWords(name, ...parts) {
  return [name, ...parts].filter(Boolean).join(" · ");
}

export function progress(view) {
  const total = view.total_rows || 0;
  const done = Math.min(view.done_rows || 0, total);
  return { done, total, finished: view.status === "done", failed: view.status === "failed",
    percent: total ? Math.floor((done / total) * 100) : 100 };
}

// What a failed upload means to the owner, as a catalogue key.
export function uploadError(err) {
  if (!err) return "imp_failed";
  if (err.status === 413 || err.code === "payload_too_large") return "imp_too_big";
  if (err.code === "too_many_rows") return "imp_too_many_rows";
  if (err.code === "bad_file") return "imp_bad_file";
  if (err.code === "unclosed_quote") return "imp_unclosed_quote"; // says its line (details.line)
  if (err.code === "bad_mapping") return "imp_need_columns";
  if (err.status === 403) return "imp_owner_only";
  return "imp_failed";
}
