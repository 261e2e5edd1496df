// The dashboard's words: one catalogue shared with the server-rendered pages
// (chalicelib/strings/<lang>.json), fetched from /admin/strings/<lang>.json. Dates, times,
// numbers and money follow the language's conventions (Intl).
export const LANGS = ["fi", "sv", "en"];
export const INTL = { fi: "fi-FI", sv: "sv-FI", en: "en-GB" };

const catalogues = {};
let current = "fi";

export function format(template, vars) {
  return String(template).replace(/\{(\w+)\}/g, (m, k) => (vars && vars[k] != null ? String(vars[k]) : m));
}

export function setCatalogue(lang, catalogue) { catalogues[lang] = catalogue; }
export function hasCatalogue(lang) { return !!catalogues[lang]; }
export function setLang(lang) { current = LANGS.includes(lang) ? lang : "fi"; }
export function lang() { return current; }
export function intl() { return INTL[current]; }

export function t(key, vars) {
  const words = (catalogues[current] && catalogues[current].dashboard) || {};
  const s = words[key];
  return s === undefined ? key : format(s, vars);
}

// A counted phrase ("1 booking", "3 bookings"): the catalogue has a form of the key for
// each plural category the language uses, <key>_one and <key>_other in Finnish, Swedish
// and English (Intl.PluralRules), and {n} is the count as the page shows it. A key with
// no forms (a settings message chosen at run time) is the plain one.
export function plural(key, n, vars) {
  const count = Math.round(Number(n) || 0);
  const form = `${key}_${new Intl.PluralRules(intl()).select(count)}`;
  const words = has(form) ? form : has(`${key}_other`) ? `${key}_other` : key;
  return t(words, { ...(vars || {}), n: number(count, 0) });
}

export function has(key) {
  const words = (catalogues[current] && catalogues[current].dashboard) || {};
  return words[key] !== undefined;
}

// A text the salon wrote per language ({fi, sv, en}; one left empty is null or ""): in the
// dashboard's language, else the first one written (Finnish first).
export function localText(text) {
  return (text && (text[current] || text.fi || text.sv || text.en)) || "";
}

// A key figure's name and one-line definition.
export function kpiWords(key) {
  const k = (catalogues[current] && catalogues[current].kpi) || {};
  return k[key] || { name: key, help: "" };
}

// `whole`: rounded to whole units, for an estimate ("n. 69 €", not "68,73 €").
export function money(cents, currency, whole) {
  const digits = whole ? { minimumFractionDigits: 0, maximumFractionDigits: 0 } : {};
  return new Intl.NumberFormat(intl(), { style: "currency", currency: currency || "EUR", ...digits })
    .format(whole ? Math.round(cents / 100) : cents / 100);
}
export function number(v, digits) {
  return new Intl.NumberFormat(intl(), { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(v);
}
// A chance (0-1) as the number of percent, to a tenth, for a phrase that has its own
// "%": 0.755 -> "75,5" (fi, sv), "75.5" (en); 0.8 -> "80".
export function percentNumber(p) {
  return number(Math.round(p * 1000) / 10, 1);
}
export function percent(v) {
  return new Intl.NumberFormat(intl(), { style: "percent", maximumFractionDigits: 1 }).format(v);
}

// --- numbers as she types them ----------------------------------------------------------
// The one reading of a number or an amount typed in a box of the dashboard, whatever its
// language: the decimal mark is a comma or a point, whichever she types (a Finnish
// keyboard's "12,5", an English "12.5"); spaces (thousands: "1 234,50") and the unit
// after it ("12,5 %", "15,50 €") are left out.
const bare = (text) => String(text ?? "").replace(/[\s\u00a0\u202f]/g, "").replace(/(?:%|€|eur)$/i, "");

// "12,5", "12.5", "-3", "1 234,5", "12,5 %" -> the number; null when the box is empty;
// NaN when it is not a number (the caller says so, or sends it as typed for the API to name).
export function readNumber(text) {
  const s = bare(text);
  if (s === "") return null;
  return /^-?\d+(?:[.,]\d+)?$/.test(s) ? Number(s.replace(",", ".")) : NaN;
}

// Money in euros: "15", "15,50", "15.5", "1 234,50 €" -> cents (1550); null when it is not
// an amount (empty, negative, more than two decimals).
export function readCents(text) {
  const m = /^(\d+)(?:[.,](\d{1,2}))?$/.exec(bare(text));
  return m ? Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0")) : null;
}
// "2026-11-23" (a local date, or the date part of a local ISO) in words.
export function day(iso, opts) {
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  const wanted = { ...(opts || { day: "numeric", month: "numeric", year: "numeric" }) };
  // English numbers read either way round (09/12: 9 Dec or 12 Sep?): its month in words.
  if (intl() === INTL.en && wanted.month === "numeric") wanted.month = "short";
  return new Intl.DateTimeFormat(intl(), { timeZone: "UTC", ...wanted }).format(new Date(Date.UTC(y, m - 1, d, 12)));
}
// An instant (ISO with its offset, or ms) as a date and a time on the wall clock of `tz`
// (the salon's): "6.12.2026 klo 14.23", not the phone's zone.
export function dateTime(when, tz, dateStyle = "short") {
  return new Intl.DateTimeFormat(intl(), { dateStyle, timeStyle: "short", timeZone: tz }).format(new Date(when));
}
// From one day to another ("8.12.2026 – 10.12.2026"); one day is one date ("8.12.2026").
// A moment in the coming days as the desk says it: "ti 24.11. 12.00" (a local ISO time).
export function dayTime(iso) {
  return `${day(iso, { weekday: "short", day: "numeric", month: "numeric" })} ${clock(iso)}`;
}
export function days(from, to) {
  return !to || to.slice(0, 10) === from.slice(0, 10) ? day(from) : `${day(from)} – ${day(to)}`;
}
export function monthName(ym, short) {
  const [y, m] = ym.split("-").map(Number);
  return new Intl.DateTimeFormat(intl(), { timeZone: "UTC", month: short ? "short" : "long", year: "numeric" })
    .format(new Date(Date.UTC(y, m - 1, 15)));
}
// A time of day in text, as the language writes it (Intl): "8.00" and "13.30" in Finnish
// and Swedish (sv-FI), "08:00" and "13:30" in English (en-GB). The one formatter of times
// in words; an <input type="time"> keeps its own HH:MM (grid.js hhmm). `when` is one of
// - the API's local ISO string: the wall clock in it is the business's (its own offset),
// - a bare "HH:MM" (opening hours, a waitlist window),
// - an instant (ms), read on the wall clock of the zone `tz`.
const clocks = new Map();
export function clock(when, tz) {
  let at = when;
  let zone = tz;
  if (typeof when !== "number") {
    const m = /(?:^|T)(\d{1,2}):(\d\d)/.exec(String(when));
    if (!m || Number(m[1]) > 23) return String(when);
    at = Date.UTC(2000, 0, 3, Number(m[1]), Number(m[2]));
    zone = "UTC";
  }
  const key = `${intl()} ${zone}`;
  let f = clocks.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(intl(), { timeZone: zone, timeStyle: "short", hourCycle: "h23" });
    clocks.set(key, f);
  }
  return f.format(new Date(at));
}

// What the desk did, and when her SMS of it goes: a booking, move or cancellation made
// in the quiet hours holds her SMS until they end, and the API's answer says when
// (`sms_at`, docs/owner-api.md "At night"); by day it goes at once and nothing is added.
export function withHeldSms(text, answer) {
  const at = answer && answer.sms_at;
  return at ? `${text} ${t("sms_held", { time: clock(at) })}` : text;
}

// The owner API's errors are in English (docs/owner-api.md): the dashboard shows its own
// words for each error `code`, and for a field the API names (error.fields) words of its
// own for that field, never the API's English text.
export function errorText(err) {
  const e = err || {};
  const code = String(e.code || "");
  // A code the API refines with a reason (`invalid_mark`'s not_started) has words for each.
  const reason = e.details && e.details.reason;
  // The booking in the way, by its start (a mark's undo refused: which walk-in to move).
  const o = e.details && e.details.overlaps;
  // A change whose answer never came (api.js): perhaps done; with its key, safe again.
  if (e.status === 0 && e.unanswered) return t(`err_network_${e.unanswered}`);
  if (code && reason && has(`err_${code}_${reason}`)) return t(`err_${code}_${reason}`, o && o.start ? { time: clock(o.start) } : {});
  if (code && has(`err_${code}`)) return t(`err_${code}`);
  if (/^booking_/.test(code)) return t("err_conflict");
  if (e.status === 0) return t("err_network");
  if (e.status >= 500) return t("err_server");
  if (e.status === 422) return t("err_validation_failed");
  if (e.status === 409) return t("err_conflict");
  if (e.status === 404) return t("err_not_found");
  return t("err_other");
}

// A field the API refused, in the dashboard's words: a limit the API names ("at most 2000
// characters", "less than or equal to 1000000" of a price in cents) with its number, as
// the owner wrote it; else the field's own words, else "check this".
const LIMITS = new Set(["err_too_long", "err_too_many", "err_min", "err_max"]);
export function fieldText(path, reason, currency) {
  const name = String(path).split(".").pop();
  const why = String(reason || "");
  if (name === "start") {
    // "in the past", not "past": "the service would run past closing" is about the hours.
    if (/in the past/.test(why)) return t("f_start_past");
    if (/year ahead/.test(why)) return t("f_start_ahead");
    if (/minute mark/.test(why)) return t("f_start_mark");
    if (/no longer free|taken/.test(why)) return t("f_start_free");
  }
  if (name === "due" && /in the past/.test(why)) return t("f_date_past"); // a follow-up's action
  if (name === "birthday") {
    // Written right but no such day (31.2.), or a year not lived in (chalicelib/domain/registry.py).
    if (/not a real date/.test(why)) return t("f_birthday_no_day");
    if (/year out of range/.test(why)) return t("f_birthday_year");
  }
  if (name === "from" || name === "to") {
    // A waitlist entry's dates (chalicelib/domain/waitlist.py), each reason its own words.
    if (/staff member chosen does not work/.test(why)) return t("f_from_staff_off");
    if (/no one who does the service works/.test(why)) return t("f_from_nobody_works");
    if (/in the past/.test(why)) return t("f_date_past");
    if (/too far ahead/.test(why)) return t("f_date_far");
    if (/must not be before/.test(why)) return t("wl_to_before_from");
    const most = /a range of at most (\d+)/.exec(why);
    if (most) return t("f_range_long", { n: most[1] });
  }
  const { key, vars } = explain(why);
  if (nameMissing(path, key)) return t("f_name_needed");
  // A checkout's price (or its discount) below the deposit kept (the API names the least
  // total): refund first.
  if ((name === "price_cents" || name === "discount") && key === "err_min" && /deposit kept/.test(why)) {
    const below = name === "discount" ? "checkout_discount_below_deposit" : "checkout_price_below_deposit";
    return t(below, { deposit: money(Number(vars.n), currency) });
  }
  // The visit and its products above the most a checkout takes (the API names it, in cents).
  if (name === "lines" && key === "err_max" && /in all/.test(why)) {
    return t("checkout_total_too_big", { most: money(Number(vars.n), currency) });
  }
  if (LIMITS.has(key)) {
    const n = Number(vars.n);
    return /_cents$/.test(name) ? t(key, { n: money(n, currency) }) : plural(key, n);
  }
  return has(`f_${name}`) ? t(`f_${name}`) : t("f_invalid");
}

// An empty name (a service's, its Finnish one, a staff member's, a client's, an API key's):
// said as a name needed, not as "check the name" or a bare "required".
export function nameMissing(path, key) {
  return key === "err_required" && /(^|\.)name(\.fi)?$/.test(String(path));
}

// What the API said is wrong, when there is no input to mark (a search box): the
// fields' own words, else the words for its code.
export function reasonText(err, currency) {
  const fields = Object.entries((err && err.fields) || {});
  return fields.length ? fields.map(([path, reason]) => fieldText(path, reason, currency)).join(" ") : errorText(err);
}

// The API's messages are English (pydantic's and the loader's): each becomes a key of the
// catalogue and its values, so the owner reads it in her language.
const EXPLAIN = [
  [/^(required|Field required)$/i, "err_required"],
  [/^price$/, "err_price"],
  [/^amount$/, "err_amount"],
  [/deposit may be at most the price/i, "err_deposit_above_price"],
  [/at least 1 character/i, "err_required"],
  [/greater than or equal to (-?\d+)/i, "err_min", "n"],
  [/less than or equal to (-?\d+)/i, "err_max", "n"],
  [/greater than (-?\d+)/i, "err_above", "n"],
  [/less than (-?\d+)/i, "err_below", "n"],
  [/exactly one of percent_off or amount_off_cents/i, "err_perk_one"],
  [/set both at_risk_below and lapsed_below/i, "err_limits_both"],
  [/lapsed_below must be at most at_risk_below/i, "err_limits_order"],
  [/day_start must be before day_end/i, "err_day_window"],
  [/at most (\d+) characters?/i, "err_too_long", "n"],
  [/at most (\d+) items?/i, "err_too_many", "n"],
  [/at least 1 item/i, "err_at_least_one"],
  [/duration plus buffer may be at most (\d+)/i, "err_occupancy", "n"],
  [/multiple of (\d+)/i, "err_multiple", "n"],
  [/(\d+)-minute boundary/i, "err_multiple", "n"],
  [/valid integer|valid number/i, "err_number"],
  [/https:\/\/ URL/i, "err_https"],
  [/not a time like|valid string|is past midnight/i, "err_time"],
  [/ends before it starts/i, "err_interval_order"],
  [/overlap/i, "err_overlap"],
  [/no staff member offers: (.+)$/i, "err_unserved", "ids"],
  [/offers unknown services: (.+)$/i, "err_unknown_services", "ids"],
  [/duplicate (?:service|staff) ids: (.+)$/i, "err_duplicate", "ids"],
  [/must be email or sms/i, "err_channel"],
  [/either hours_before or day_before_at/i, "err_reminder_timing"],
  [/sender ID needs at least one letter|should match pattern/i, "err_sms_sender"],
  [/letters, digits, spaces and simple punctuation/i, "err_sender_name"],
  [/one line without control characters/i, "err_one_line"],
  [/invisible or text-direction characters/i, "err_invisible"],
  [/must not contain control characters/i, "err_control"],
  [/(\d{4}-\d{2}-\d{2}) is listed twice with different names/i, "err_closure_twice", "date"],
  [/valid date|date in the format|input should be a valid date/i, "err_date"],
  [/unknown field/i, "err_invalid"],
];

export function explain(message) {
  const m = message === null || message === undefined ? "" : String(message);
  for (const [re, key, name] of EXPLAIN) {
    const found = re.exec(m);
    if (found) return { key, vars: name ? { [name]: found[1] } : {} };
  }
  return { key: "err_invalid", vars: {} };
}

