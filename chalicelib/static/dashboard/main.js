// The owner dashboard (/admin): signs in, then opens on today's calendar with the week's
// summary; key figures, the to-do lists and the client card are a tap away. ES modules
// loaded as they are (no build step); docs/dashboard.md says why.
import { $, clear, closeDialog, closeDialogs, el, topDialog } from "./dom.js";
import { LANGS, errorText, hasCatalogue, lang, monthName, setCatalogue, setLang, t } from "./i18n.js";
import { createApi, request } from "./api.js";
import { DEFAULT_KIND, currentPeriod, isFuture, isRolling, periodKey, shifted, withKind } from "./periods.js";
import { BASE, fillLanguageSelects, onChanged, say, staffName, state, todayIso } from "./state.js";
import { initSignIn, setToken, showSignIn, storedToken } from "./signin.js";
import { forgetCalendar, initCalendar, loadCalendar, onLiveChange, renderCalendar, setHandlers, startLive, stopLive } from "./calendar.js";
import { freshCard, initCard, openCard, relabelCard } from "./card.js";
import { initBooking, openBooking, relabelBooking } from "./booking.js";
import { initTimeOff, openTimeOff, relabelTimeOff, removeTimeOff } from "./timeoff.js";
import { initReminders, openReminders, relabelReminders } from "./reminders.js";
import { clearSearch, initSearch, relabelSearch } from "./search.js";
import { forgetClient, initClient, showClient } from "./client.js";
import { initErase, relabelErase } from "./privacy.js";
import { forgetSummary, loadSummary, renderKpis, renderSummary, withWaitlist } from "./kpis.js";
import { COUNTS, RENDER, clearLists, drawMore, initLists, relabelMessage, setCount, setReload, slippingPath } from "./lists.js";
import { offersPath } from "./waitlistview.js";
import { forgetSettings, renderSettings, showSettings, unsavedSections } from "./settings.js";
import { forgetImport, onImported, renderImport, rewordImport, showImport } from "./imports.js";

const LANG_KEY = "rebook.dashboard.lang";
const VIEWS = ["calendar", "kpis", "clients", "followups", "feedback", "failed", "refunds", "waitlist", "client", "settings", "import"];
const TABS = ["calendar", "kpis", "clients", "followups", "feedback", "failed", "refunds", "waitlist", "settings", "import"];

let period = null;

// --- language -------------------------------------------------------------------------
function pickLanguage() {
  let stored = null;
  try { stored = localStorage.getItem(LANG_KEY); } catch (e) { stored = null; }
  if (LANGS.includes(stored)) return stored;
  const served = document.documentElement.lang; // from the browser's Accept-Language
  return LANGS.includes(served) ? served : "fi";
}

async function useLanguage(code) {
  if (!hasCatalogue(code)) setCatalogue(code, await request("GET", `${BASE}admin/strings/${code}.json`));
  setLang(code);
  applyLanguage();
}

function applyLanguage() {
  document.documentElement.lang = lang();
  $("lang").value = lang();
  for (const n of document.querySelectorAll("[data-t]")) n.textContent = t(n.getAttribute("data-t"));
  for (const n of document.querySelectorAll("[data-t-label]")) n.setAttribute("aria-label", t(n.getAttribute("data-t-label")));
  for (const n of document.querySelectorAll("[data-t-placeholder]")) n.setAttribute("placeholder", t(n.getAttribute("data-t-placeholder")));
  if (state.me) { renderAll(); rewordImport(); }
  document.title = (state.me ? `${state.me.business.name} – ` : "") + "Rebook";
}

// --- the lists and the key figures (the calendar loads itself) -------------------------
const LOADERS = {
  kpis: () => state.api("GET", `/kpis?period=${periodKey(period)}`).then(withWaitlist),
  clients: () => state.api("GET", slippingPath()),  // in the order the owner chose (lists.js)
  followups: () => state.api("GET", "/follow-ups/due"),
  feedback: () => state.api("GET", "/feedback"),
  failed: () => state.api("GET", "/messages/failed"),
  refunds: () => state.api("GET", "/refunds/due"), // the owner's: staff never ask (start)
  // Who waits, and the recent offers of freed time (who was offered it, who took it).
  waitlist: () => Promise.all([state.api("GET", "/waitlist"), state.api("GET", offersPath(todayIso()))])
    .then(([waiting, offered]) => ({ ...waiting, offers: offered.offers })),
};
const CONTAINERS = { kpis: "kpis", clients: "retention", followups: "followups", feedback: "feedback", failed: "failed", refunds: "refunds", waitlist: "waitlist" };
const requests = {};

function load(view) {
  const box = $(CONTAINERS[view]);
  if (!state.data[view]) clear(box).appendChild(el("p", { className: "muted", text: t("loading") }));
  const token = state.token;
  const seq = (requests[view] || 0) + 1;
  requests[view] = seq;
  box.setAttribute("aria-busy", "true");
  // Only the latest request of the view counts, and nothing after signing out is kept.
  const current = () => token === state.token && seq === requests[view];
  return LOADERS[view]().then((data) => {
    if (current()) state.data[view] = { ok: data };
  }, (err) => {
    if (!current()) return;
    if (err.status === 403) state.denied[view] = true;
    state.data[view] = { error: err };
  }).then(() => {
    if (!current()) return;
    box.removeAttribute("aria-busy");
    if (!state.me) return;
    render(view);
    // The summary's lapsed beside the at-risk come from the list, its refunds to make too.
    if (view === "clients" || view === "refunds") renderSummary();
    route();
  });
}

// A view opened again is read again, so that what changed meanwhile (an import, another
// device) shows, and its count on the nav with it. The calendar keeps itself current
// (live.js); the summary strip above it is read again.
function refresh(view) {
  if (LOADERS[view]) load(view);
  else if (view === "calendar" && !state.denied.kpis) loadSummary();
}

// A list not on screen read again after a change elsewhere: its count on the tab follows; the
// list she is reading is left as it is (it is read again when she opens it).
function readUnseen(view) {
  if (state.me && !state.denied[view] && state.view !== view) load(view);
}

// A view is drawn when it is shown, not into a hidden view at every load and language
// switch: the key figures' 40 tiles and charts were 2 000 of the page's 2 900 elements, and
// a large salon's at-risk list is hundreds of rows. A list's count on its tab is set as
// it is read, drawn or not (COUNTS). The views drawn since their data was last read:
let drawn = {};

function render(view) {
  const entry = state.data[view];
  if (!entry) return;
  const box = clear($(CONTAINERS[view]));
  if (COUNTS[view]) setCount(view, entry.ok ? COUNTS[view](entry.ok) : null);
  drawn[view] = state.view === view;
  if (!drawn[view]) return;
  if (entry.error) {
    if (view === "clients") drawMore(null); // no "show more" under the error
    if (view === "kpis" && entry.error.status === 404) { box.appendChild(el("p", { className: "muted", text: t("kpis_unavailable") })); return; }
    box.appendChild(el("p", { className: "error", text: `${t("load_failed")} ${errorText(entry.error)}` }));
    const retry = el("button", { type: "button", className: "plain", text: t("retry") });
    retry.addEventListener("click", () => load(view));
    box.appendChild(retry);
    return;
  }
  if (view === "kpis") renderKpis(box, entry.ok, period);
  else RENDER[view](box, entry.ok);
}

function renderPeriod() {
  $("period-kind").value = period.kind;
  $("period-label").textContent = isRolling(period) ? t(period.kind)
    : period.kind === "year" ? String(period.year)
      : period.kind === "quarter" ? t("quarter_label", { q: Math.ceil(period.month / 3), y: period.year }) : monthName(periodKey(period));
  $("period-next").disabled = isFuture(period, todayIso());
  $("period-prev").disabled = isRolling(period); // the last N days always end today
}

function renderAll() {
  const role = state.me.role === "owner" ? t("role_owner") : t("role_staff");
  $("who").textContent = state.me.staff_id ? `${role} · ${staffName(state.me.staff_id)}` : role;
  $("business-name").textContent = state.me.business.name;
  Object.keys(CONTAINERS).forEach(render);
  renderPeriod();
  renderCalendar();
  renderSummary();
  if (state.view === "client") routeClient();
  relabelCard(); // a visit's card open: in the new language too
  relabelBooking(); // so the desk's booking sheet,
  relabelMessage(); // and the message to a client
  relabelTimeOff(); // and time off with the bookings it covers
  relabelReminders(); // and who gets a reminder
  relabelSearch(); // and the client search's results
  relabelErase(); // and a client's erasure being asked
  renderSettings();
  renderImport();
}

// --- routing --------------------------------------------------------------------------
function wantedView() {
  const hash = (location.hash || "#calendar").slice(1);
  if (hash.startsWith("client/")) return "client";
  if (hash === "today") return "calendar"; // the address of the old first screen
  return VIEWS.includes(hash) && hash !== "client" && !state.denied[hash] ? hash : "calendar";
}

// The address of the view shown: the back gesture over an open sheet puts it back.
let shownHash = "";

function route() {
  const wanted = wantedView();
  const before = state.view;
  state.view = wanted;
  shownHash = location.hash;
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== wanted || !!state.denied[v];
  for (const v of TABS) {
    const tab = document.querySelector(`#tabs a[data-view=${v}]`);
    tab.hidden = !!state.denied[v];
    if (v === wanted) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
    // Only when the view changes: a view's data arriving routes again, and the row she
    // scrolled (to tap another tab) must not jump back under her finger.
    if (v === wanted && before !== wanted) showTab(tab);
  }
  if (wanted === "client" && before !== "client") routeClient();
  if (CONTAINERS[wanted] && !drawn[wanted]) render(wanted);
  if (wanted === "settings" && before !== "settings") showSettings();
  if (wanted === "import" && before !== "import") showImport();
}

// On a phone the tabs are one row that scrolls sideways: keep the current one in sight
// (the row alone scrolls, never the page).
function showTab(tab) {
  const row = tab.parentElement;
  const left = tab.offsetLeft - row.offsetLeft;
  if (left < row.scrollLeft || left + tab.offsetWidth > row.scrollLeft + row.clientWidth) row.scrollLeft = Math.max(0, left - 8);
}

function routeClient() {
  const id = decodeURIComponent((location.hash || "").slice("#client/".length));
  if (id) showClient(id).then(() => { const h = $("client-name"); if (h && state.view === "client") h.focus(); });
}

// She was erased from her card: her card's address gives way to the list of clients (the
// back gesture does not bring back a card of someone who is gone), read again without her,
// and the status line says so.
function clientErased(text) {
  forgetClient();
  const to = state.denied.clients ? "calendar" : "clients";
  history.replaceState(null, "", `${location.pathname}${location.search}#${to}`);
  route();
  refresh(to);
  if (to === "clients" && !state.denied.kpis) loadSummary(); // her in the at-risk count
  say(text);
  const heading = $(`h-${to}`);
  if (heading) heading.focus();
}

// --- starting and signing out ---------------------------------------------------------
async function start() {
  try {
    state.me = await state.api("GET", "/me");
    state.profile = await request("GET", `${BASE}api/v1/businesses/${encodeURIComponent(state.me.business.slug)}`).catch(() => null);
  } catch (err) {
    if (err && (err.status === 401 || err.status === 403)) return; // back at the sign-in form already
    showSignIn("sign_in_failed");
    return;
  }
  if (!state.me) return;
  // What her role may see is /me's to say: a section it may not is neither asked for nor
  // shown (staff: the key figures, the summary strip with them, the CSV import).
  const may = (permission) => (state.me.permissions || []).includes(permission);
  if (!may("kpis")) state.denied.kpis = true;
  if (!may("import")) state.denied.import = true;
  if (!may("money")) state.denied.refunds = true; // refunds are the owner's
  $("booting").hidden = true;
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("sign-out").hidden = false;
  $("search").hidden = false;
  applyLanguage();
  route();
  loadCalendar();
  startLive();
  if (!state.denied.kpis) loadSummary();
  for (const view of Object.keys(LOADERS)) if (!state.denied[view]) load(view);
}

function signOut(note) {
  setToken(null);
  state.me = null;
  state.data = {};
  state.denied = {};
  stopLive();
  forgetCalendar();
  forgetSummary();
  forgetClient();
  forgetSettings();
  forgetImport();
  clearLists();
  clearSearch();
  for (const d of document.querySelectorAll("dialog")) if (d.open) closeDialog(d);
  for (const id of ["kpis", "status", "who"]) clear($(id)).removeAttribute("aria-busy");
  drawn = {};
  for (const v of TABS) setCount(v, null);
  showSignIn(note);
}

async function boot() {
  setLang(pickLanguage());
  try { await useLanguage(lang()); } catch (e) { /* the page's own Finnish words stay */ }
  period = withKind(currentPeriod(todayIso(), "month"), DEFAULT_KIND, todayIso());
  state.api = createApi({ base: BASE, getToken: () => state.token, onSessionEnded: () => signOut("session_ended"), getLang: lang });
  $("lang").addEventListener("change", async (e) => {
    const code = LANGS.includes(e.target.value) ? e.target.value : "fi";
    try { localStorage.setItem(LANG_KEY, code); } catch (err) { /* not remembered */ }
    try {
      await useLanguage(code);
      // The status line's last sentence is in the language left: a screen reader would
      // read it again so. What goes on still says so in its own place (the move banner).
      say("");
    } catch (err) { say(t("load_failed"), true); }
  });
  initSignIn(start);
  fillLanguageSelects();
  initLists();
  setReload(load);
  // A refund made on a visit's card (or a salon's cancellation) changes the refunds to make.
  onChanged(() => { if (state.me && !state.denied.refunds) load("refunds"); readUnseen("clients"); });
  // A slipping client who books online (or on another device) leaves the at-risk count on
  // the tab and the summary at once, not when the list is opened next.
  onLiveChange(() => readUnseen("clients"));
  // Imported clients with past visits may be slipping away already.
  onImported(() => { load("clients"); loadSummary(); });
  initCalendar();
  initCard();
  initClient(clientErased);
  initErase();
  initBooking();
  initTimeOff();
  initReminders();
  initSearch();
  setHandlers({ openCard, openBooking, removeTimeOff, freshCard });
  // The tabs' links name this page with their view ("/admin#kpis", not "#kpis"): on a phone
  // the row scrolls, and a bare "#kpis" out of its sight reads as a skip link to nowhere.
  for (const tab of document.querySelectorAll("#tabs a[data-view]")) tab.setAttribute("href", `${location.pathname}#${tab.dataset.view}`);
  $("walk-in").addEventListener("click", () => openBooking({ walkIn: true }));
  $("time-off").addEventListener("click", () => openTimeOff({}));
  $("cal-reminders").addEventListener("click", openReminders);
  $("sign-out").addEventListener("click", () => { signOut("signed_out"); $("email").focus(); });
  // Closing or reloading the page with settings edited and not saved, or something typed in
  // an open sheet (the back gesture on the first view she opened leaves the page): the
  // browser asks.
  const typedSheet = () => [...document.querySelectorAll("dialog[open]")].some((d) => d.dataset.typed);
  window.addEventListener("beforeunload", (e) => { if (unsavedSections().length || typedSheet()) { e.preventDefault(); e.returnValue = ""; } });
  // A link tapped goes where it leads, from a sheet too (the appointment's "client card").
  let linkTapped = false;
  document.addEventListener("click", (e) => { if (e.target.closest && e.target.closest("a[href*='#']")) linkTapped = true; }, true);
  window.addEventListener("hashchange", () => {
    if (!state.me) return;
    const byLink = linkTapped;
    linkTapped = false;
    const sheet = topDialog();
    if (sheet && !byLink) {
      // The phone's back gesture over an open sheet closes the sheet, not the view under it
      // (it left the view, and a message typed in the sheet with it: an owner's walk); what
      // she typed or picked in it is asked about first. The address goes back to the view's.
      history.pushState(null, "", shownHash || `${location.pathname}${location.search}`);
      if (!sheet.dataset.typed || window.confirm(t("sheet_discard"))) closeDialog(sheet);
      return;
    }
    const before = state.view;
    // Leaving the settings with a section edited and not saved: asked first (they would be lost).
    const unsaved = before === "settings" && !location.hash.endsWith("#settings") ? unsavedSections() : [];
    if (unsaved.length && !window.confirm(t("set_leave_unsaved", { sections: unsaved.join(", ") }))) {
      location.hash = "settings";
      return;
    }
    route();
    if (state.view === "client" && before === "client") routeClient(); // another client
    if (state.view === before) return;
    closeDialogs(); // a sheet of the view she left does not stay over the one she went to
    say(""); // a note about another view's action is stale here
    refresh(state.view);
  });
  $("period-kind").addEventListener("change", (e) => { period = withKind(period, e.target.value, todayIso()); renderPeriod(); load("kpis"); });
  $("period-prev").addEventListener("click", () => { period = shifted(period, -1); renderPeriod(); load("kpis"); });
  $("period-next").addEventListener("click", () => { period = shifted(period, 1); renderPeriod(); load("kpis"); });
  for (const b of document.querySelectorAll("dialog [data-close]")) {
    b.addEventListener("click", () => closeDialog(b.closest("dialog")));
  }
  state.token = storedToken();
  try {
    state.config = await request("GET", `${BASE}admin/config.json`);
  } catch (e) {
    showSignIn("sign_in_failed");
    return;
  }
  if (state.token) { await start(); return; }
  showSignIn(state.config.auth === "local" || state.config.auth === "cognito" ? null : "no_sign_in");
}

boot();
