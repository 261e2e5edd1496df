// Pure: the settings screen's forms <-> the sections of GET/PUT /settings
// (docs/owner-api.md "Settings"). A form is plain data the inputs edit (strings as typed);
// fromForm gives back the section's JSON exactly as GET shows it, so a form nobody
// touched saves nothing. The server validates (the YAML loader's model): the only checks
// here are what must be parsed before sending (a price or a deposit in euros). Errors are keyed by the
// path inside the section, as the API keys them ("0.duration_minutes", "mon", "_").
import { day, explain, localText, money, nameMissing, readCents, readNumber, t } from "./i18n.js";

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
export const TEXT_LANGS = ["fi", "sv", "en"];
// "policy" (payments.policy, what a service without its own payment takes) and "terms"
// (payments.terms, the cancellation terms) come right after the services, whose cards say
// what each booking pays.
// "loyalty" (the stamp card and referrals) comes after the marketing messages, the other
// card about bringing clients back.
export const SECTIONS = ["salon", "hours", "closures", "services", "policy", "terms", "staff", "rules", "reminders", "messages", "shop", "retention", "marketing", "loyalty", "feedback"];
// change_grace_minutes: how long a booking made inside the cancellation window may still be
// changed online (0: not at all).
export const RULES = ["min_notice_minutes", "max_horizon_days", "slot_step_minutes", "cancellation_window_hours", "change_grace_minutes"];
export const MESSAGES = ["review_link", "sender_name", "sms_sender"];
// The salon as her clients see it, and where its alerts go in which language; name, address
// and owner_email are required (an empty box goes as "", refused at its field), phone and
// website may be empty, and the alerts' language ("": the salon's own) unset.
export const SALON = ["name", "address", "phone", "website", "locale", "owner_email", "owner_locale"];
const SALON_OPTIONAL = ["phone", "website", "owner_locale"];
// The cancellation terms: free until this many hours before the time, then each fee a
// percentage of the booked price (domain/payments.py CancellationTerms, its bounds here too).
export const TERMS = ["free_until_hours", "late_cancel_fee_percent", "no_show_fee_percent"];
const TERMS_MAX = { free_until_hours: 336, late_cancel_fee_percent: 100, no_show_fee_percent: 100 };
export const MAX_REMINDERS = 4;
// Spans of days the owner may write in weeks (a unit chosen beside the number; a span
// that is not whole weeks is shown in days, so nothing is rounded on a save).
export const DAY_SPANS = { retention: ["return_window_days", "default_return_days"],
  marketing: ["marketing.min_days_between", "marketing.winback_days_between"],
  loyalty: ["loyalty.reward_valid_days", "referrals.reward_valid_days"] };
// The perks of the stamp card and referrals (config.py Perk): a percentage off the visit or
// an amount off, in euros; where each is in the `loyalty` section.
export const PERK_KINDS = ["percent", "amount"];
export const PERKS = ["loyalty.reward", "referrals.referrer_reward", "referrals.welcome_perk"];
// The at-risk and lapsed limits: a chance (0-1) in the API, a percentage on the screen.
export const PERCENTS = { retention: ["at_risk_below", "lapsed_below"] };
export const WHOLE = "_";

const str = (v) => (v === null || v === undefined ? "" : String(v));

// --- small conversions ------------------------------------------------------------------
// A whole number as typed: a number when it is one, null when empty (optional fields),
// else as read (i18n.js readNumber: "12,5" is 12.5, never 125) or, not a number at all, the
// text as it is, so that the server names the field ("Write a whole number.").
export function intOrRaw(text, optional) {
  const s = str(text).trim();
  if (s === "") return optional ? null : "";
  const n = readNumber(s);
  return Number.isNaN(n) ? s : n;
}

// A whole number as intOrRaw reads it, or null (a hint under a box waits for one).
const wholeOrNull = (text) => {
  const v = intOrRaw(text);
  return Number.isInteger(v) ? v : null;
};

// Cents as the owner writes euros: "69,00" (fi, sv) or "69.00" (en).
export function centsToText(cents, decimal = ",") {
  if (cents === null || cents === undefined) return "";
  const whole = Math.floor(cents / 100);
  const part = String(cents % 100).padStart(2, "0");
  return `${whole}${decimal}${part}`;
}

// Days as the owner reads them: {n: "26", unit: "weeks"} for 182, {n: "10", unit: "days"} for 10.
export function daysToForm(days) {
  if (typeof days === "number" && days > 0 && days % 7 === 0) return { n: String(days / 7), unit: "weeks" };
  return { n: str(days), unit: "days" };
}

// The unit switched beside the number. A number she typed keeps its meaning: the unit
// says what it counts ("3", then weeks: 3 weeks). A number she did not type is the saved
// span, which stays the same ("26" weeks -> "182" days; 14 days -> "2" weeks); a span
// that is not whole weeks goes to the nearest week, never to 0, which she sees. Not a
// number: kept. `f.typed` is set by the input (settings.js daysField).
export function switchUnit(f, unit) {
  const v = intOrRaw(f && f.n);
  if (f.typed || typeof v !== "number" || f.unit === unit) return { ...f, unit };
  const n = unit === "days" ? v * 7 : v > 0 ? Math.max(1, Math.round(v / 7)) : v;
  return { ...f, n: String(n), unit };
}

// Back to days; what is not a whole number goes as typed, for the server to name.
export function daysFromForm(f) {
  const v = intOrRaw(f && f.n);
  return typeof v === "number" && f.unit === "weeks" ? v * 7 : v;
}

// A chance as a percentage with the language's decimal mark: 0.8 -> "80", 0.755 -> "75,5"
// (fi, sv) or "75.5" (en); none (null) -> "" (fitted to her own past).
export function percentToForm(p, decimal = ",") {
  return typeof p === "number" ? String(Math.round(p * 10000) / 100).replace(".", decimal) : "";
}

// "80" or "72,5" -> 0.8, 0.725; empty -> null; anything else as typed (the server says so).
export function percentFromForm(text) {
  const n = readNumber(text);
  if (n === null) return null;
  return Number.isNaN(n) ? str(text).replace(/[\s%]/g, "") : Math.round(n * 100) / 10000;
}

// A decimal number as typed ("1,5" or "1.5"); else as typed.
export function decimalOrRaw(text) {
  const n = readNumber(text);
  return n === null || Number.isNaN(n) ? str(text).trim() : n;
}

function localizedToForm(v) {
  const out = { fi: "", sv: "", en: "" };
  if (v && typeof v === "object") for (const l of TEXT_LANGS) out[l] = str(v[l]);
  else if (typeof v === "string") out.fi = v;
  return out;
}

// Every language empty: null (optional); else {fi, sv, en} with empty ones null, as
// GET shows them. A missing Finnish text goes as "" and the server names "x.fi".
// Where a staff member's photo comes from, said under her Photo URL box: an image of the
// salon's own set (`photo`, set in the business file) shows before any URL, so the empty
// box must not read as "no photo". None when the box tells it all.
export function photoSource(m) {
  return m && m.photo ? { key: "set_photo_from_set", vars: { image: m.photo } } : null;
}

// A closed day as she reads it beside its date box: its weekday and date in the
// dashboard's language ("torstai 24.12.2026"); "" while the box holds no real date.
export function closedDayText(date) {
  const d = str(date).trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d);
  if (!m) return "";
  const at = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (at.getUTCMonth() !== Number(m[2]) - 1 || at.getUTCDate() !== Number(m[3])) return "";
  return `${day(d, { weekday: "long" })} ${day(d)}`;
}

export function localizedFromForm(f, optional) {
  const v = Object.fromEntries(TEXT_LANGS.map((l) => [l, str(f && f[l]).trim()]));
  if (optional && TEXT_LANGS.every((l) => !v[l])) return null;
  return { fi: v.fi, sv: v.sv || null, en: v.en || null };
}

export function weekToForm(week) {
  return Object.fromEntries(DAYS.map((d) => [d, ((week && week[d]) || []).map(([start, end]) => ({ start, end }))]));
}

export function weekFromForm(form) {
  return Object.fromEntries(DAYS.map((d) => [d, ((form && form[d]) || []).map((r) => [str(r.start).trim(), str(r.end).trim()])]));
}

// An id for something new from its name: "Naisten värjäys" -> "naisten-varjays", unique
// among `taken` (the API's ids: a-z, 0-9 and dashes, at most 40).
export function newId(name, taken, fallback = "item") {
  const base = str(name).toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 34).replace(/-+$/, "") || fallback;
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) if (!used.has(`${base}-${n}`)) return `${base}-${n}`;
}

// --- section <-> form -------------------------------------------------------------------
// `all` is every section as GET /settings gave them (services need the staff: who offers
// each one is edited with the service).
export function toForm(name, value, all, decimal = ",") {
  switch (name) {
    case "hours": return weekToForm(value);
    // {date, name} as GET shows them (a bare date from an older server: no name).
    case "closures": return (value || []).map((c) => (c && typeof c === "object" ? { date: str(c.date), name: str(c.name) } : { date: str(c), name: "" }));
    case "services": {
      const staff = (all && all.staff) || [];
      return (value || []).map((s) => ({
        id: s.id,
        isNew: false,
        name: localizedToForm(s.name),
        category: localizedToForm(s.category),
        description: localizedToForm(s.description),
        duration_minutes: str(s.duration_minutes),
        buffer_minutes: str(s.buffer_minutes),
        price: centsToText(s.price_cents, decimal),
        price_max_cents: s.price_max_cents ?? null, // kept as it is (set in the business file)
        ...paymentToForm(s.payment, decimal),
        // Kept as it is too: the VAT rate is set in the business file, and a section is
        // saved whole (a save without it dropped it).
        vat_percent: s.vat_percent ?? null,
        return_interval_days: str(s.return_interval_days),
        staff: staff.filter((m) => (m.services || []).includes(s.id)).map((m) => m.id),
      }));
    }
    case "staff":
      return (value || []).map((m) => ({
        id: m.id,
        isNew: false,
        name: str(m.name),
        title: localizedToForm(m.title),
        photo_url: str(m.photo_url),
        photo: m.photo ?? null, // kept as it is (an image of the business's set)
        services: [...(m.services || [])],
        hours: weekToForm(m.hours),
        days_off: [...(m.days_off || [])],
        exceptions: { ...(m.exceptions || {}) },
      }));
    case "rules": return Object.fromEntries(RULES.map((k) => [k, str(value && value[k])]));
    case "reminders":
      return (value || []).map((r) => ({
        channel: r.channel || "email",
        timing: r.day_before_at ? "day_before" : "hours",
        hours_before: str(r.hours_before),
        day_before_at: str(r.day_before_at),
      }));
    case "messages": return Object.fromEntries(MESSAGES.map((k) => [k, str(value && value[k])]));
    case "salon": return Object.fromEntries(SALON.map((k) => [k, str(value && value[k])]));
    case "terms": return Object.fromEntries(TERMS.map((k) => [k, str(value && value[k])]));
    case "policy": return paymentToForm(value || { kind: "none" }, decimal);
    case "shop": {
      const v = value || {};
      return {
        intro: localizedToForm(v.intro),
        map_url: str(v.map_url),
        show_rating: v.show_rating === false ? "no" : "yes",
        rating_min_count: str(v.rating_min_count ?? 5),
        cover: v.cover ?? null, // image names of the business's set: kept as they are
        logo: v.logo ?? null,
      };
    }
    case "retention": {
      const v = value || {};
      return {
        return_window_days: daysToForm(v.return_window_days),
        default_return_days: daysToForm(v.default_return_days),
        at_risk_below: percentToForm(v.at_risk_below, decimal),
        lapsed_below: percentToForm(v.lapsed_below, decimal),
        at_risk_after: v.at_risk_after, // the old rhythm rule's multiples: kept as they are
        lapsed_after: v.lapsed_after,
      };
    }
    case "marketing": {
      const m = (value && value.marketing) || {};
      const q = (value && value.quiet_hours) || {};
      return {
        marketing: {
          min_days_between: daysToForm(m.min_days_between),
          send_at: str(m.send_at),
          winback_messages: str(m.winback_messages),
          winback_days_between: daysToForm(m.winback_days_between),
          birthday_greetings: m.birthday_greetings !== false,
          birthday_perk: localizedToForm(m.birthday_perk),
          next_visit_nudge: m.next_visit_nudge === true,
          nudge_lead_days: str(m.nudge_lead_days),
        },
        quiet_hours: { start: str(q.start), end: str(q.end) },
      };
    }
    case "loyalty": {
      const l = (value && value.loyalty) || {};
      const r = (value && value.referrals) || {};
      return {
        loyalty: {
          enabled: l.enabled === true,
          stamps_for_reward: str(l.stamps_for_reward),
          reward: perkToForm(l.reward, decimal),
          reward_valid_days: daysToForm(l.reward_valid_days),
          counts_from: str(l.counts_from),
        },
        referrals: {
          enabled: r.enabled === true,
          referrer_reward: perkToForm(r.referrer_reward, decimal),
          welcome_perk: perkToForm(r.welcome_perk, decimal),
          reward_valid_days: daysToForm(r.reward_valid_days),
        },
      };
    }
    case "feedback": {
      const v = value || {};
      return {
        delay_hours: str(v.delay_hours).replace(".", decimal),
        day_start: str(v.day_start),
        day_end: str(v.day_end),
        low_score: str(v.low_score),
        min_days_between: str(v.min_days_between),
      };
    }
    default: throw new Error(`unknown section ${name}`);
  }
}

// What a service has that its form does not edit (set in the business's configuration,
// kept by a save): the top of its price range, its VAT rate. Each a catalogue key and its
// values; money in cents.
export function keptFacts(s) {
  const facts = [];
  if (s.price_max_cents != null) facts.push(["set_kept_price_max", { cents: s.price_max_cents }]);
  if (s.vat_percent != null) facts.push(["set_kept_vat", { percent: s.vat_percent }]);
  return facts;
}

// --- the cancellation terms (the `terms` section) -------------------------------------------
// What the client reads of each term, said under its box as the owner types (the booking
// page's words: services/payments/pay.py terms_text): {key, vars, counted} — `counted`: a
// count said in its plural form (plural(key, vars.n)). A box without a whole number in
// range gets its plain hint instead (the server names the error on save).
export function termsTold(form) {
  const out = {};
  for (const k of TERMS) {
    const v = wholeOrNull(form && form[k]);
    const ok = v !== null && v >= 0 && v <= TERMS_MAX[k];
    if (k === "free_until_hours") {
      out[k] = !ok ? { key: "set_terms_free_hint", vars: {} }
        : v === 0 ? { key: "set_terms_told_free_start", vars: {} }
          : { key: "set_terms_told_free", vars: { n: v }, counted: true };
    } else {
      const told = k === "late_cancel_fee_percent" ? "set_terms_told_late" : "set_terms_told_no_show";
      out[k] = !ok ? { key: "set_terms_percent_hint", vars: {} } : v === 0 ? { key: `${told}_none`, vars: {} } : { key: told, vars: { percent: v } };
    }
  }
  return out;
}

// --- the two cancellation deadlines, said apart ---------------------------------------------
// The terms' free cancellation (payments.terms.free_until_hours: until when cancelling costs
// nothing) and the booking rules' window (rules.cancellation_window_hours: until when she may
// cancel or move online herself) are two deadlines set on two cards: each box says in one
// line what the other is and its value (`terms`: under the free box, the online one;
// `rules`: under the window box, the free one), and `hint`, at the terms card, that a free
// deadline later than the online one (fewer hours before the visit) leaves no late
// cancellation online, so no late-cancellation fee is ever taken from one. Each {key, vars},
// or null where a box holds no whole number (the server names that on save).
export function deadlinesTold(terms, rules) {
  const hours = (v) => (v !== null && v >= 0 ? v : null);
  const free = hours(wholeOrNull(terms && terms.free_until_hours));
  const online = hours(wholeOrNull(rules && rules.cancellation_window_hours));
  return {
    terms: online === null ? null : { key: "set_terms_online_is", vars: { n: online } },
    rules: free === null ? null : { key: "set_rules_free_is", vars: { n: free } },
    hint: free !== null && online !== null && free < online ? { key: "set_terms_never_late_online", vars: { free, online } } : null,
  };
}

// --- what a booking of a service pays or secures (its `payment`) ---------------------------
// The choices on a service's card, in order: "" the business's own policy (payment null),
// no payment, a deposit as a percentage of the price or as a fixed amount, the whole price,
// a card on file (for the late-cancellation and no-show fees).
export const PAY_CHOICES = ["", "none", "deposit_percent", "deposit_amount", "prepay", "card_on_file"];
// The business's own policy (the "policy" section, payments.policy): the same choices but
// the first, which is this policy itself.
export const POLICY_CHOICES = PAY_CHOICES.filter(Boolean);

// The first choice, "" (the business's own policy: payments.policy of GET /business), said
// with what that policy is ("Yrityksen yleinen käytäntö: ennakkomaksu 20 %"), so that the
// owner choosing for a service knows what leaving it to the business means; the plain words
// while the policy is not known (GET /business not answered).
export function defaultPayText(policy, currency = "EUR") {
  if (!policy) return t("set_pay_default");
  if (policy.kind !== "deposit") return t(`set_pay_default_${policy.kind}`);
  if (policy.deposit_cents != null) return t("set_pay_default_deposit_amount", { amount: money(policy.deposit_cents, currency) });
  return t("set_pay_default_deposit_percent", { percent: policy.deposit_percent });
}

// What each choice means, said under the choice on the policy's card and a service's (the
// select's own words are short: a 360 px phone cuts a long one).
export const PAY_HINTS = { none: "set_pay_hint_none", deposit_percent: "set_pay_hint_deposit_percent",
  deposit_amount: "set_pay_hint_deposit_amount", prepay: "set_pay_hint_prepay", card_on_file: "set_pay_hint_card" };

// The business's fixed deposit (the policy card's box, as she types it) against the
// services that follow the policy (`payment` null, as saved): the names of those whose price
// it reaches, whose bookings then take the whole price (the server's rule: a deposit is at
// most the price). [] while the box holds no amount.
export function depositCoversPrice(deposit, services) {
  const cents = readCents(deposit);
  if (cents === null || cents < 1) return [];
  return (services || []).filter((s) => !s.payment && s.price_cents <= cents).map((s) => s.name);
}

// {pay, deposit_percent, deposit}: the choice and the deposit as she types it (euros).
export function paymentToForm(p, decimal = ",") {
  const pay = !p ? "" : p.kind !== "deposit" ? p.kind : p.deposit_cents != null ? "deposit_amount" : "deposit_percent";
  return { pay, deposit_percent: str(p && p.deposit_percent), deposit: centsToText(p && p.deposit_cents, decimal) };
}

// {payment, error}: the service's `payment` as GET shows it, and what could not be read
// (keyed like the API: "deposit_percent" or "deposit_cents" under "payment"). The
// server checks the rest (1-100 %, a deposit not above the price).
export function paymentFromForm(f) {
  const policy = (kind, cents = null, percent = null) => ({ kind, deposit_cents: cents, deposit_percent: percent });
  switch (f.pay || "") {
    case "": return { payment: null };
    case "deposit_percent": {
      const v = intOrRaw(f.deposit_percent);
      return { payment: policy("deposit", null, v === "" ? null : v), error: v === "" ? ["deposit_percent", "required"] : null };
    }
    case "deposit_amount": {
      const cents = readCents(f.deposit);
      return { payment: policy("deposit", cents ?? 0), error: cents === null ? ["deposit_cents", str(f.deposit).trim() ? "amount" : "required"] : null };
    }
    default: return { payment: policy(f.pay) };
  }
}

// --- the stamp card's and referrals' perks (config.py Perk) -------------------------------
// {kind, percent, amount, description}: a percentage off or an amount off in euros as she
// types it ("15,50"), and the words the client reads of it in each language (empty: the
// amount itself, "-30 %").
export function perkToForm(p, decimal = ",") {
  const v = p || {};
  return {
    kind: v.amount_off_cents != null ? "amount" : "percent",
    percent: str(v.percent_off),
    amount: centsToText(v.amount_off_cents, decimal),
    description: localizedToForm(v.description),
  };
}

// The perk as GET shows it: exactly one of percent_off and amount_off_cents. What cannot be
// read goes into `errors` at its path ("loyalty.reward.amount_off_cents"); the server checks
// the rest (1-100 %, at least 0,01 €).
export function perkFromForm(f, path, errors) {
  const perk = { percent_off: null, amount_off_cents: null, description: localizedFromForm(f.description, true) };
  if (f.kind === "amount") {
    const cents = readCents(f.amount);
    if (cents === null) errors[`${path}.amount_off_cents`] = str(f.amount).trim() ? "amount" : "required";
    perk.amount_off_cents = cents ?? 0;
  } else {
    const v = intOrRaw(f.percent);
    if (v === "") errors[`${path}.percent_off`] = "required";
    perk.percent_off = v === "" ? null : v;
  }
  return perk;
}

// A reward's validity in days: an empty box is none (null: it never runs out).
export function validDaysFromForm(f) {
  return str(f && f.n).trim() === "" ? null : daysFromForm(f);
}

// What the client reads of a perk as the owner types it, in the dashboard's language `lang`:
// {key, vars} — her own words for it in that language (else the English, else the Finnish:
// config.py LocalizedText.get), else the amount as the messages write it (loyalty.py
// describe: "-30 %", "-15,50 €"); a box that holds no amount yet: its plain hint.
export function perkTold(f, lang = "fi", currency = "EUR") {
  const d = (f && f.description) || {};
  const own = str(d[lang]).trim() || str(d.en).trim() || str(d.fi).trim();
  if (own) return { key: "set_perk_told", vars: { perk: own } };
  if (f && f.kind === "amount") {
    const cents = readCents(f.amount);
    return cents === null || cents < 1 ? { key: "set_perk_amount_hint", vars: {} } : { key: "set_perk_told", vars: { perk: `-${money(cents, currency)}` } };
  }
  const v = wholeOrNull(f && f.percent);
  if (v === null || v < 1 || v > 100) return { key: "set_perk_percent_hint", vars: {} };
  return { key: "set_perk_told", vars: { perk: lang === "en" ? `-${v}%` : `-${v} %` } };
}

// Her own words for a perk that name another amount than the one in its box ("-50 % seuraavasta
// käynnistä" after she typed 30): the client would read the old one. The languages whose words
// do, so the card can say so under the box.
export function perkWordsDiffer(f) {
  if (!f || !f.description) return [];
  const percent = f.kind === "percent" ? wholeOrNull(f.percent) : null;
  const cents = f.kind === "amount" ? readCents(f.amount) : null;
  return TEXT_LANGS.filter((l) => {
    const words = str(f.description[l]);
    const percents = [...words.matchAll(/(\d+)\s*%/g)].map((m) => Number(m[1]));
    const euros = [...words.matchAll(/(\d+(?:[.,]\d{1,2})?)\s*€|€\s*(\d+(?:[.,]\d{1,2})?)/g)].map((m) => readCents(m[1] || m[2]));
    if (f.kind === "percent") return euros.length > 0 || (percent !== null && percents.some((p) => p !== percent));
    return percents.length > 0 || (cents !== null && euros.some((c) => c !== cents));
  });
}

// Something new in a list section, as its form.
export function blank(name) {
  switch (name) {
    case "closures": return { date: "", name: "" };
    case "services":
      return { id: null, isNew: true, name: localizedToForm(null), category: localizedToForm(null), description: localizedToForm(null),
        duration_minutes: "60", buffer_minutes: "0", price: "", return_interval_days: "", staff: [], ...paymentToForm(null) };
    case "staff":
      return { id: null, isNew: true, name: "", title: localizedToForm(null), photo_url: "", services: [], hours: weekToForm(null),
        days_off: [], exceptions: {} };
    case "reminders": return { channel: "email", timing: "hours", hours_before: "24", day_before_at: "" };
    default: throw new Error(`${name} is not a list`);
  }
}

// The new things get their ids (from their names) before the form is sent.
export function withIds(name, form) {
  if (name !== "services" && name !== "staff") return form;
  const taken = form.filter((x) => x.id).map((x) => x.id);
  return form.map((x) => {
    if (x.id) return x;
    const id = newId(name === "services" ? x.name.fi || x.name.en || x.name.sv : x.name, taken, name === "services" ? "service" : "staff");
    taken.push(id);
    return { ...x, id };
  });
}

// {value, errors}: the section's JSON, and what could not be read (keyed like the API).
export function fromForm(name, form) {
  const errors = {};
  let value;
  switch (name) {
    case "hours": value = weekFromForm(form); break;
    case "closures": value = form.map((c) => ({ date: str(c.date).trim(), name: str(c.name).trim() || null })); break;
    case "services":
      value = withIds(name, form).map((s, i) => {
        const cents = readCents(s.price);
        if (cents === null) errors[`${i}.price_cents`] = str(s.price).trim() ? "price" : "required";
        const { payment, error } = paymentFromForm(s);
        if (error) errors[`${i}.payment.${error[0]}`] = error[1];
        return {
          id: s.id,
          name: localizedFromForm(s.name, false),
          category: localizedFromForm(s.category, true),
          description: localizedFromForm(s.description, true),
          duration_minutes: intOrRaw(s.duration_minutes),
          price_cents: cents === null ? 0 : cents,
          price_max_cents: s.price_max_cents ?? null,
          buffer_minutes: intOrRaw(s.buffer_minutes),
          return_interval_days: intOrRaw(s.return_interval_days, true),
          payment,
          vat_percent: s.vat_percent ?? null,
        };
      });
      break;
    case "staff":
      value = withIds(name, form).map((m) => ({
        id: m.id,
        name: str(m.name).trim(),
        title: localizedFromForm(m.title, true),
        photo_url: str(m.photo_url).trim() || null,
        photo: m.photo ?? null,
        services: [...m.services],
        hours: weekFromForm(m.hours),
        days_off: [...(m.days_off || [])],
        exceptions: { ...(m.exceptions || {}) },
      }));
      break;
    case "rules": value = Object.fromEntries(RULES.map((k) => [k, intOrRaw(form[k])])); break;
    case "reminders":
      value = form.map((r) => (r.timing === "day_before"
        ? { channel: r.channel, hours_before: null, day_before_at: str(r.day_before_at).trim() || "" }
        : { channel: r.channel, hours_before: intOrRaw(r.hours_before), day_before_at: null }));
      break;
    case "messages": value = Object.fromEntries(MESSAGES.map((k) => [k, str(form[k]).trim() || null])); break;
    case "salon": value = Object.fromEntries(SALON.map((k) => [k, str(form[k]).trim() || (SALON_OPTIONAL.includes(k) ? null : "")])); break;
    case "terms": value = Object.fromEntries(TERMS.map((k) => [k, intOrRaw(form[k])])); break;
    case "policy": {
      // The business's own: never "" (that choice is a service's, "the business's policy").
      const { payment, error } = paymentFromForm(form.pay ? form : { ...form, pay: "none" });
      value = payment;
      if (error) errors[error[0]] = error[1];
      break;
    }
    case "shop":
      value = {
        intro: localizedFromForm(form.intro, true),
        map_url: str(form.map_url).trim() || null,
        show_rating: form.show_rating !== "no",
        rating_min_count: intOrRaw(form.rating_min_count),
        cover: form.cover ?? null,
        logo: form.logo ?? null,
      };
      break;
    case "retention":
      value = {
        return_window_days: daysFromForm(form.return_window_days),
        default_return_days: daysFromForm(form.default_return_days),
        at_risk_below: percentFromForm(form.at_risk_below),
        lapsed_below: percentFromForm(form.lapsed_below),
        at_risk_after: form.at_risk_after,
        lapsed_after: form.lapsed_after,
      };
      break;
    case "marketing": {
      const m = form.marketing;
      value = {
        marketing: {
          min_days_between: daysFromForm(m.min_days_between),
          send_at: str(m.send_at).trim(),
          winback_messages: intOrRaw(m.winback_messages),
          winback_days_between: daysFromForm(m.winback_days_between),
          birthday_greetings: !!m.birthday_greetings,
          birthday_perk: localizedFromForm(m.birthday_perk, true),
          next_visit_nudge: !!m.next_visit_nudge,
          nudge_lead_days: intOrRaw(m.nudge_lead_days),
        },
        quiet_hours: { start: str(form.quiet_hours.start).trim(), end: str(form.quiet_hours.end).trim() },
      };
      break;
    }
    case "loyalty": {
      const l = form.loyalty;
      const r = form.referrals;
      value = {
        loyalty: {
          enabled: !!l.enabled,
          stamps_for_reward: intOrRaw(l.stamps_for_reward),
          reward: perkFromForm(l.reward, "loyalty.reward", errors),
          reward_valid_days: validDaysFromForm(l.reward_valid_days),
          counts_from: str(l.counts_from).trim() || null,
        },
        referrals: {
          enabled: !!r.enabled,
          referrer_reward: perkFromForm(r.referrer_reward, "referrals.referrer_reward", errors),
          welcome_perk: perkFromForm(r.welcome_perk, "referrals.welcome_perk", errors),
          reward_valid_days: validDaysFromForm(r.reward_valid_days),
        },
      };
      break;
    }
    case "feedback":
      value = {
        delay_hours: decimalOrRaw(form.delay_hours),
        day_start: str(form.day_start).trim(),
        day_end: str(form.day_end).trim(),
        low_score: intOrRaw(form.low_score),
        min_days_between: intOrRaw(form.min_days_between),
      };
      break;
    default: throw new Error(`unknown section ${name}`);
  }
  return { value, errors };
}

// --- who offers what --------------------------------------------------------------------
// The staff section after the services form: each service offered by the staff ticked on
// it, a removed service offered by nobody. Members keep their other services in order.
export function staffWithOffers(staff, services) {
  const ids = new Set(services.map((s) => s.id));
  return (staff || []).map((m) => {
    const kept = (m.services || []).filter((id) => ids.has(id) && services.find((s) => s.id === id).staff.includes(m.id));
    const added = services.filter((s) => s.staff.includes(m.id) && !kept.includes(s.id)).map((s) => s.id);
    return { ...m, services: [...kept, ...added] };
  });
}

// Does saving the services form change who offers what (a service added or removed, a
// member ticked or unticked)? Then services and staff must be saved together.
export function offersChanged(staff, services) {
  const after = staffWithOffers(staff, services);
  return after.some((m, i) => JSON.stringify(m.services) !== JSON.stringify((staff[i].services || [])));
}

// Errors of PUT /business (paths from the configuration's top, "services.2.price_cents")
// as errors of the services section; anything else is about the section as a whole.
export function servicesErrorsFromConfig(fields) {
  const out = {};
  for (const [path, msg] of Object.entries(fields || {})) {
    const key = path.startsWith("services.") ? path.slice("services.".length) : WHOLE;
    if (!(key in out)) out[key] = msg;
    else if (key === WHOLE) out[key] += `; ${msg}`;
  }
  return out;
}

// --- after a save -----------------------------------------------------------------------
// What the page's status line (at the top, kept in sight while she scrolls) says after she
// saves a section: {key, vars, bad}. "saved", "unchanged", or why it did not go through:
// "invalid" (her fields: marked in the card), "outdated" (the page must be reloaded),
// "changed_elsewhere" (someone else saved first), "failed" (no answer, not allowed). One
// short line each (the card says the rest), and a save that fails replaces the "Saved"
// an earlier one left there.
export function saveLine(outcome, section) {
  switch (outcome) {
    case "saved": return { key: "set_saved_section", vars: { section }, bad: false };
    case "unchanged": return { key: "set_nothing_changed", vars: {}, bad: false };
    case "outdated": return { key: "set_not_saved_outdated", vars: { section }, bad: true };
    case "changed_elsewhere": return { key: "set_changed_elsewhere", vars: {}, bad: true };
    default: return { key: "set_not_saved_section", vars: { section }, bad: true };
  }
}

// --- errors next to their inputs --------------------------------------------------------
// The paths a save's 422 names `required` that the page did not send: fields the server
// has and this page does not know (a deploy added them after it was loaded). The page
// sends every field it has a box for (or keeps), so she cannot fill these in here: the
// page is out of date and must be reloaded (settings.js says so, with a reload button).
export function unknownRequired(fields, sent) {
  const out = [];
  for (const [path, msg] of Object.entries(fields || {})) {
    if (path === WHOLE || !/^(field )?required$/i.test(String(msg))) continue;
    let at = sent;
    for (const k of String(path).split(".")) {
      if (at === null || typeof at !== "object" || !Object.prototype.hasOwnProperty.call(at, k)) { out.push(path); break; }
      at = at[k];
    }
  }
  return out;
}

// The input an error belongs to: its own path if the form has it, else the nearest
// enclosing one ("0.name" for "0.name.fi" when only the item has a place), else "_".
export function targetFor(path, known) {
  const has = known instanceof Set ? (p) => known.has(p) : (p) => known.includes(p);
  const parts = String(path).split(".");
  while (parts.length) {
    const p = parts.join(".");
    if (has(p)) return p;
    parts.pop();
  }
  return WHOLE;
}

// A rule across fields comes back about the section as a whole ("lapsed_below must be at
// most at_risk_below"): the first field of the section it names is where it is marked, so
// she is taken to a box to fix, not only told above the Save button (an owner's walk).
export function namedField(message, known) {
  const words = String(message).match(/[a-z][a-z0-9_]*/g) || [];
  return words.find((w) => w.includes("_") && [...known].includes(w)) || null;
}

// The API's English field messages in the catalogue's words: one list, in i18n.js.
export { explain };

// An error in the unit the owner typed: a bound in days said in weeks when she wrote
// weeks (28 days: "at least 4 weeks"), a chance's bound as a percentage.
export function explainAt(section, path, message, form) {
  const said = explain(message);
  const { key, vars } = said;
  if (nameMissing(path, key)) return { key: "f_name_needed", vars: {} };
  if (key === "err_closure_twice") return { key, vars: { date: day(vars.date) } }; // "24.12.2026"
  // Services named by the owner's names for them, not their ids ("pesu-hoito-pitkat-hiukset").
  if (section === "services" && vars.ids && Array.isArray(form)) return { key, vars: { ids: serviceNames(vars.ids, form) } };
  if ((PERCENTS[section] || []).includes(path) && ["err_min", "err_max", "err_above", "err_below"].includes(key)) {
    return { key: "err_percent", vars: {} };
  }
  // An amount's bound is in cents in the API: said as money ("Vähintään 0,01 €").
  if (/(^|\.)(deposit|amount_off)_cents$/.test(path) && (key === "err_min" || key === "err_max")) return { key: `${key}_amount`, vars: { cents: Number(vars.n) } };
  if (!(DAY_SPANS[section] || []).includes(path) || (key !== "err_min" && key !== "err_max")) return said;
  const f = path.split(".").reduce((o, k) => (o ? o[k] : undefined), form);
  if (!f || f.unit !== "weeks") return { key: `${key}_days`, vars };
  const days = Number(vars.n);
  return { key: `${key}_weeks`, vars: { n: String(key === "err_min" ? Math.ceil(days / 7) : Math.floor(days / 7)) } };
}

// "a, b" (service ids, as the API lists them) as the services' names in the dashboard's
// language (else the first written); a new one's id is the one withIds gave it.
function serviceNames(ids, form) {
  const named = withIds("services", form);
  return ids.split(", ").map((id) => {
    const s = named.find((x) => x.id === id);
    return (s && localText(s.name)) || id;
  }).join(", ");
}

// --- API keys (apikeys.js) ---------------------------------------------------------------
// Each scope of a key and the word the owner reads for it.
export const SCOPES = [["read", "keys_scope_read"], ["write:bookings", "keys_scope_bookings"], ["write:clients", "keys_scope_clients"]];

// The body of POST /api-keys: the name trimmed, the scopes ticked in the contract's order.
export function newKeyBody(name, checked) {
  return { name: String(name || "").trim(), scopes: SCOPES.map(([s]) => s).filter((s) => checked.includes(s)) };
}
