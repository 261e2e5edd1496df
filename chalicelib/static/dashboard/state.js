// What the modules share: the signed-in user, the business's public profile, the API
// client and the status line. Nothing is kept but the token (sessionStorage) and the
// chosen language (localStorage).
import { el, placeStatus } from "./dom.js";
import { day, localText, t } from "./i18n.js";

export const state = {
  config: null,
  token: null,
  me: null,
  profile: null,
  data: {},
  denied: {},
  view: "calendar",
  api: null,
};

// The page is /admin or <stage>/admin: every other URL is relative to what precedes it.
export const BASE = location.pathname.replace(/admin\/?$/, "");

export function api(method, path, body, headers) { return state.api(method, path, body, headers); }

export function tz() {
  return (state.profile && state.profile.timezone) || (state.me && state.me.business.timezone) || "Europe/Helsinki";
}
export function currency() { return (state.profile && state.profile.currency) || "EUR"; }
// May the signed-in user move money (refund, charge a fee, give a deposit back when
// cancelling)? The owner's "money" permission; a staff member's answer is 403 owner_only.
export function mayMoney() { return ((state.me && state.me.permissions) || []).includes("money"); }

export function todayIso() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz(), year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
}

export function service(id) {
  return (state.profile && state.profile.services.find((s) => s.id === id)) || null;
}
// A visit brought in by a CSV import has the service and staff member "import" when the
// file named none the salon has (its words are in the visit's note): said as such.
const IMPORTED = "import";

export function serviceName(id, fallback) {
  if (id === IMPORTED) return t("imported_visit");
  const s = service(id);
  return (s && localText(s.name)) || fallback || id || "";
}
// What she had on a visit: the service, or for an imported one of no service of the
// salon's the file's own words, kept as the visit's note ("Importerat besök: Slingor").
export function visitService(id, name, note) {
  const what = serviceName(id, name);
  return id === IMPORTED && note ? `${what}: ${note}` : what;
}
export function staffName(id) {
  if (id === IMPORTED) return "";
  const s = state.profile && state.profile.staff.find((x) => x.id === id);
  return s ? s.name : id || "";
}
// A client's phone as people read it (the API's phone_display: national for the salon's
// own country, international otherwise); `phone` (E.164) is for tel: and sms: links.
export function phoneText(c) { return (c && (c.phone_display || c.phone)) || ""; }
// One muted line that tells two clients of the same name apart in search results: her
// phone as shown, else her email, and her last visit, where known.
export function clientApart(c) {
  return [phoneText(c) || c.email, c.last_visit_at ? t("last_visit_on", { date: day(c.last_visit_at) }) : ""]
    .filter(Boolean).join(" · ");
}
// The languages a client's messages go in, by their own names (as the waitlist form's).
export const LANGUAGES = [["fi", "suomi"], ["sv", "svenska"], ["en", "English"]];
// The page's language selects (`data-languages`: a desk booking's, a waitlist entry's) from the one list.
export function fillLanguageSelects() {
  for (const select of document.querySelectorAll("select[data-languages]")) {
    select.replaceChildren(...LANGUAGES.map(([value, name]) => Object.assign(document.createElement("option"), { value, text: name })));
  }
}
// The business's own language: a client's messages go in it unless she has another.
export function businessLocale() { return (state.profile && state.profile.locale) || "fi"; }
export function staffList() { return (state.profile && state.profile.staff) || []; }

// The status line: in the page, or in the modal dialog open on top of it (dom.js placeStatus).
// `undo`: a button after the words that takes back what they tell ({label, run}), for a
// one-tap action with nothing to confirm it (an owner's walk: "comes at her own pace"
// tapped by mistake took the client off the list, to be found again by search).
export function say(message, bad, undo) {
  const s = placeStatus();
  s.textContent = message || "";
  s.className = bad ? "status bad" : "status";
  if (undo) {
    const b = el("button", { type: "button", className: "link undo", text: undo.label });
    b.addEventListener("click", () => { b.disabled = true; undo.run(); }, { once: true });
    s.append(" ", b);
  }
  // Kept in sight at the top while she scrolls only while it is at most two lines
  // (dashboard.css --status-sticky): a longer one would cover a phone's screen.
  const cs = getComputedStyle(s);
  const lines = (s.getBoundingClientRect().height - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom)) / parseFloat(cs.lineHeight);
  if (lines > 2.5) s.classList.add("long");
}

// A link (or a line of code) in a read-only field: the buttons that copy it and, on a
// phone that can, share it. `tell` says it was copied (the page's status line unless told).
export function copyActions(input, { copy = "act_copy_link", copied = "link_copied", share = true, tell = say } = {}) {
  const button = el("button", { type: "button", text: t(copy) });
  button.addEventListener("click", async () => {
    input.select();
    try { await navigator.clipboard.writeText(input.value); } catch { document.execCommand && document.execCommand("copy"); }
    tell(t(copied));
  });
  const row = el("div", { className: "actions" }, button);
  if (share && typeof navigator.share === "function") {
    const url = input.value;
    row.appendChild(el("button", { type: "button", text: t("act_share_link"), onclick: () => navigator.share({ url }).catch(() => {}) }));
  }
  return row;
}

// Listeners of "the calendar changed" (a booking, a move, a mark): the calendar reloads.
const listeners = [];
export function onChanged(fn) { listeners.push(fn); }
// `origin`: the view that made the change ("client": her card's save), which need not be
// read again itself.
export function changed(origin) { for (const fn of listeners) fn(origin); }
