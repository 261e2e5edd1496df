// Pure: the owner's waitlist entry form <-> the body of POST/PUT /waitlist (issue 21,
// docs/waitlist.md). A form is plain data the inputs edit (strings as typed); fromForm
// gives the body and the errors found before sending, keyed by the API's own field paths
// ("client.phone", "windows.0.end") so one showFieldErrors call places both kinds.
export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

export function emptyWindow() { return { days: [], start: "", end: "" }; }

export function toForm(entry, defaults) {
  const d = defaults || {};
  if (!entry) {
    return { service: d.service || "", staff: "", from: d.from || "", to: d.to || d.from || "", windows: [],
      name: "", phone: "", email: "", locale: d.locale || "fi" };
  }
  return {
    service: entry.service.id,
    staff: entry.staff || "",
    from: entry.from,
    to: entry.to,
    // A window on every day is shown with no day ticked: "any day" (the API's default).
    windows: entry.windows.map((w) => ({ days: w.days.length === 7 ? [] : [...w.days], start: w.start, end: w.end })),
    name: entry.name || "",
    phone: entry.phone_display || entry.phone || "", // as her card reads it; the API takes either
    email: entry.email || "",
    locale: entry.locale || "fi",
  };
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

export function fromForm(form) {
  const errors = {};
  const text = (v) => String(v || "").trim();
  const body = { service: text(form.service), from: text(form.from), to: text(form.to) };
  if (!body.service) errors.service = "pick_service";
  if (!body.from) errors.from = "pick_date";
  if (!body.to) errors.to = "pick_date";
  if (body.from && body.to && body.to < body.from) errors.to = "wl_to_before_from";
  if (text(form.staff)) body.staff = text(form.staff);
  const windows = [];
  const rows = []; // the row each window was typed on (untouched rows are no window)
  (form.windows || []).forEach((w, row) => {
    const start = text(w.start);
    const end = text(w.end);
    if (!start && !end && !(w.days || []).length) return;
    const n = windows.length;
    const out = { start: start || "00:00", end: end || "24:00" };
    if (!HHMM.test(out.start)) errors[`windows.${n}.start`] = "pick_time";
    else if (!HHMM.test(out.end)) errors[`windows.${n}.end`] = "pick_time";
    else if (out.end <= out.start) errors[`windows.${n}.end`] = "end_after_start";
    if ((w.days || []).length) out.days = DAYS.filter((d) => w.days.includes(d));
    windows.push(out);
    rows.push(row);
  });
  body.windows = windows;
  const client = { name: text(form.name), locale: text(form.locale) || "fi" };
  if (!client.name) errors["client.name"] = "err_required";
  if (text(form.phone)) client.phone = text(form.phone);
  if (text(form.email)) client.email = text(form.email);
  if (!client.phone && !client.email) errors["client.phone"] = "phone_or_email";
  body.client = client;
  return { body, errors, rows };
}
