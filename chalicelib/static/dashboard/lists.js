// The to-do lists: clients at risk and lapsed (message, maintenance, follow-up), follow-ups
// due, low scores, messages that failed for good and the owner's refunds to make (refunds.js).
import { $, clear, clearFieldErrors, closeDialog, el, openDialog, showFieldErrors } from "./dom.js";
import { clock, day, days, dayTime, errorText, has, intl, lang, money, number, percentNumber, plural, t } from "./i18n.js";
import { api, currency, phoneText, say, serviceName, staffList, staffName, state, todayIso, visitService } from "./state.js";
import { outcomeUnknown, postOnce, saveHeaders } from "./api.js";
import { signalText } from "./signals.js";
import { contactLinks } from "./card.js";
import { SMS_UNITS, TEXT_MAX, cappedUntil, mayMessage, messageRoom } from "./messagelimit.js";
import * as W from "./waitlistform.js";
import { recentOffers } from "./waitlistview.js";
import { drawRefunds } from "./refunds.js";
import { ORDER_KEY, PAGE_SIZE, atStake, moreText, orderOf, pageOf, retentionPath } from "./slipping.js";

let reload = () => Promise.resolve();
export function setReload(fn) { reload = fn; }

export function setCount(view, n) {
  const badge = $(`count-${view}`);
  if (!badge) return;
  badge.hidden = !n;
  badge.textContent = n ? String(n) : "";
}

export function empty(box, key) {
  box.appendChild(el(box.tagName === "UL" ? "li" : "p", { className: "muted", text: t(key) }));
}

// A button whose visible words are the action and whose accessible name says whom it is about.
export function action(label, name, fn) {
  const b = el("button", { type: "button", "aria-label": `${label}: ${name}` }, label);
  b.addEventListener("click", () => fn(b));
  return b;
}

function failure(reason) {
  if (!reason) return "";
  if (reason === "opted_out") return t("e_opted_out");
  if (/InvalidPhoneNumber/.test(reason)) return t("e_invalid_phone");
  if (/MessageRejected/.test(reason)) return t("e_rejected");
  return reason;
}

// Which of the slipping clients the list shows: "" all, "at_risk" or "lapsed".
let slippingShown = "";
// In which order (slipping.js): the most value first, or who slipped most recently first;
// the owner's choice, remembered on the device.
let slippingOrder = null;
function currentOrder() {
  if (slippingOrder === null) {
    try { slippingOrder = orderOf(localStorage.getItem(ORDER_KEY)); } catch (e) { slippingOrder = orderOf(null); }
  }
  return slippingOrder;
}
// The list's request, in the chosen order (main.js loads it).
export function slippingPath() { return retentionPath(currentOrder()); }
// How many of its rows she has opened ("show more", slipping.js pageOf): another filter or
// order starts again at the first page; the list drawn again as it is (read again after
// an action on a row, after her card, in another language) keeps her place.
let slippingOpen = PAGE_SIZE;
// The clients a filter shows ("" all, "at_risk" or "lapsed"; the one chosen unless told).
function slippingRows(data, status = slippingShown) {
  return data.clients.filter((c) => !status || c.status === status);
}

// When a client is listed, in words: the thresholds of P(she is still a client) in
// percent, regulars' own if they differ, and where they come from (docs/retention.md).
function slippingRule(th) {
  if (!th) return "";
  const pct = percentNumber; // 75,5 %, not "alle 76 %" for a limit of 75.5 %
  let text = t("slipping_rule", { at_risk: pct(th.at_risk_below), lapsed: pct(th.lapsed_below) });
  if (th.regular_lapsed_below != null
      && (pct(th.regular_lapsed_below) !== pct(th.lapsed_below) || pct(th.regular_at_risk_below) !== pct(th.at_risk_below))) {
    text += " " + t("slipping_rule_regulars", { at_risk: pct(th.regular_at_risk_below), lapsed: pct(th.regular_lapsed_below) });
  }
  // What the money on each row is (it moves as the model is fitted again: a chance, not a bill).
  const weeks = Math.round((th.window_days || 182) / 7);
  return `${text} ${t(`slipping_rule_${th.source}`)} ${t("slipping_rule_value", { weeks })}`;
}

// The days and times a waitlist entry wishes, in words: its dates, the staff member asked
// for, each window's weekdays and hours ("25.11. – 27.11. · Aino · ma, ti 09:00–12:00"; one
// day, one date).
const WEEKDAY_OF = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };  // Jan 2024 began on a Monday
function weekday(d) {
  return new Intl.DateTimeFormat(intl(), { weekday: "short", timeZone: "UTC" }).format(new Date(Date.UTC(2024, 0, WEEKDAY_OF[d])));
}
export function entryWished(e) {
  const windows = (e.windows || []).map((w) => {
    const days = (w.days || []).length && w.days.length < 7 ? `${w.days.map(weekday).join(", ")} ` : "";
    return `${days}${clock(w.start)}–${clock(w.end)}`;
  });
  return [days(e.from, e.to), e.staff ? staffName(e.staff) : "", ...windows].filter(Boolean).join(" · ");
}

// The recent offers of freed time under the entries: to whom, which time, and whether she
// took it, someone else was first, it ran out or is still open (waitlistview.js).
function renderOffers(box, offers) {
  const rows = recentOffers(offers, Date.now());
  if (!rows.length) { empty(box, "no_recent_offers"); return; }
  const at = dayTime;
  for (const o of rows) {
    box.appendChild(el("li", { "data-offer": o.id, "data-state": o.state },
      el("div", { className: "row" },
        el("span", { className: "who", text: o.name || "–" }),
        el("span", { className: `tag ${o.state}`, text: t(`offer_state_${o.state}`) })),
      el("p", { className: "muted", text: [at(o.start), serviceName(o.service), staffName(o.staff),
        t("offered_at", { when: at(o.offered_at) })].join(" · ") })));
  }
}

// The ratings the report counts low (at or under the business's threshold): the lowest
// `low` ratings are exactly those, newest visit first.
function lowRatings(data) {
  return data.ratings.slice().sort((a, b) => a.rating - b.rating).slice(0, data.low || 0)
    .sort((a, b) => (a.visit_start < b.visit_start ? 1 : -1));
}

// What each list's tab counts: main.js sets it whenever the list is read, drawn or not (a
// list is drawn when its view is shown).
export const COUNTS = {
  waitlist: (data) => data.entries.length,
  clients: (data) => data.clients.length,
  followups: (data) => data.follow_ups.length,
  feedback: (data) => lowRatings(data).length,
  failed: (data) => data.messages.length,
  refunds: (data) => data.refunds.length,
};

// One client's row: her name (a link to her card), her status and since when, why (her
// warnings), her visits, spend and value at stake, and the three one-click actions.
function slippingRow(c) {
  const name = c.client.name;
  const li = el("li", { "data-client": c.client.id },
    el("div", { className: "row" },
      el("a", { className: "who", href: `#client/${c.client.id}`, text: name }),
      el("span", { className: `tag ${c.status}`, text: t(c.status) })),
    el("p", { className: "muted", text: (c.status_since ? `${t("slipping_since", { status: t(c.status), date: day(c.status_since) })} · ` : "")
      + t("last_visit", { date: day(c.last_visit) })
      + (c.last_service && c.last_service.id ? ` · ${visitService(c.last_service.id, c.last_service.name, c.last_service.note)}` : "")
      + ` · ${t("expected", { date: day(c.expected_visit) })}`
      // The last marketing message she got (a win-back, a nudge, the owner's own): before she calls.
      + (c.client.marketing && c.client.marketing.last_at ? ` · ${t("last_message_sent", { date: day(c.client.marketing.last_at) })}` : "") }),
    el("p", { className: "muted", text: [t("visits_spend", { visits: c.visits, spend: money(c.spend_cents, currency()) }), atStake(c, currency())]
      .filter(Boolean).join(" · ") }));
  // Why, beside her status: the warnings her card shows (dismissed there); with none, what
  // her card says then (everyone listed is past her expected visit): never a bare status.
  const reasons = c.signals && c.signals.length ? c.signals.map(signalText)
    : [t("no_signals_overdue", { date: day(c.expected_visit) })];
  li.insertBefore(el("ul", { className: "reasons", "aria-label": t("cc_signals") },
    ...reasons.map((text) => el("li", { text }))), li.children[1]);
  const actions = el("div", { className: "actions" });
  // At the desk the first way back is a call (an owner's walk: no number on the list).
  if (c.client.phone) {
    actions.appendChild(el("a", { href: `tel:${c.client.phone}`, className: "contact", text: t("call", { phone: phoneText(c.client) }) }));
  }
  // No consent to messages: said on the button, not only once tapped (an owner's walk);
  // the dialog then offers her own phone and email instead.
  const message = mayMessage(c.client) ? t("act_message") : t("act_message_no_consent");
  actions.appendChild(action(message, name, () => openMessage(c.client, () => redrawRow(li, c))));
  actions.appendChild(action(t("act_maintenance"), name, (b) => setMaintenance(c.client, b)));
  actions.appendChild(action(t("act_followup"), name, () => openFollowUp(c.client)));
  li.appendChild(actions);
  return li;
}

// Her row drawn again in place (a message sent: its day on the row), the keyboard kept on
// its message button.
function redrawRow(li, c) {
  if (!li.isConnected) return;
  const again = slippingRow(c);
  const had = li.contains(document.activeElement);
  li.replaceWith(again);
  if (had) again.querySelector(".actions button").focus();
}

// The button under the list for its next page, with how many are left (slipping.js
// moreText); hidden once all are drawn (a page null: nothing drawn, an error instead).
export function drawMore(page) {
  const more = $("retention-more");
  more.hidden = !page || !page.left;
  more.textContent = more.hidden ? "" : moreText(page);
}

// The next page of rows, under those drawn; the keyboard goes on from the first of them.
function showMore() {
  const data = state.data.clients && state.data.clients.ok;
  if (!data) return;
  const shown = slippingRows(data);
  const from = pageOf(shown.length, slippingOpen).drawn;
  slippingOpen = from + PAGE_SIZE;
  const page = pageOf(shown.length, slippingOpen);
  const box = $("retention");
  const rows = shown.slice(from, page.drawn).map(slippingRow);
  for (const li of rows) box.appendChild(li);
  drawMore(page);
  if (rows.length) rows[0].querySelector("a.who").focus();
}

export const RENDER = {
  // Who waits for what (issue 21): first to join first; the owner removes an entry here.
  waitlist(box, data) {
    renderOffers(clear($("waitlist-offers")), data.offers);
    if (!data.entries.length) { empty(box, "no_waitlist"); return; }
    for (const e of data.entries) {
      const who = e.name;
      const li = el("li", { "data-entry": e.id },
        el("div", { className: "row" },
          el("span", { className: "who", text: who }),
          el("span", { className: "tag", text: serviceName(e.service.id, e.service.name) })),
        el("p", { className: "muted", text: `${entryWished(e)} · ${[phoneText(e), e.email].filter(Boolean).join(", ")}` }));
      const actions = el("div", { className: "actions" });
      actions.appendChild(action(t("act_edit_entry"), who, () => openEntry(e)));
      actions.appendChild(action(t("act_remove_entry"), who, (b) => removeEntry(e, b)));
      li.appendChild(actions);
      box.appendChild(li);
    }
  },
  clients(box, data) {
    $("retention-rule").textContent = slippingRule(data.thresholds);
    // At risk or lapsed or both: the few still to be won back are not lost among the many gone.
    for (const b of $("retention-filter").querySelectorAll("button")) {
      const status = b.dataset.status;
      b.setAttribute("aria-pressed", String(status === slippingShown));
      const n = slippingRows(data, status).length; // all of them, drawn or not
      b.querySelector(".count").textContent = ` ${number(n, 0)}`;
    }
    $("retention-filter").hidden = !data.clients.length;
    for (const b of $("retention-order").querySelectorAll("button")) {
      b.setAttribute("aria-pressed", String(b.dataset.order === currentOrder()));
    }
    $("retention-order").hidden = !data.clients.length;
    const shown = slippingRows(data);
    const page = pageOf(shown.length, slippingOpen);
    drawMore(page);
    if (!shown.length) { empty(box, slippingShown ? `no_slipping_${slippingShown}` : "no_slipping"); return; }
    for (const c of shown.slice(0, page.drawn)) box.appendChild(slippingRow(c));
  },
  followups(box, data) {
    if (!data.follow_ups.length) { empty(box, "no_followups"); return; }
    const today = todayIso();
    for (const f of data.follow_ups) {
      const open = (f.actions || []).filter((a) => !a.done);
      const what = f.next_step || (open[0] && open[0].text) || f.goal || "";
      const name = (f.client && f.client.name) || "";
      const late = f.due && f.due < today;
      const li = el("li", { "data-followup": f.id },
        el("div", { className: "row" }, el("span", { className: "who", text: name }),
          el("span", { className: `tag${late ? " overdue" : ""}`, text: late ? t("overdue") : t("due_on", { date: day(f.due || today) }) })),
        el("p", { text: what }));
      if (late) li.appendChild(el("p", { className: "muted", text: t("due_on", { date: day(f.due) }) }));
      const actions = el("div", { className: "actions" });
      actions.appendChild(action(t("mark_done"), name, (b) => markDone(f, b)));
      li.appendChild(actions);
      box.appendChild(li);
    }
  },
  feedback(box, data) {
    const low = lowRatings(data);
    $("feedback-summary").textContent = data.count
      ? plural("feedback_summary", data.count, { avg: number(data.average, 2) }) : "";
    if (!low.length) { empty(box, "no_low"); return; }
    for (const r of low) {
      const li = el("li", {},
        el("div", { className: "row" },
          el("span", { className: "stars", "aria-hidden": "true", text: "★★★★★".slice(0, r.rating) + "☆☆☆☆☆".slice(0, 5 - r.rating) }),
          el("span", { className: "vh", text: t("stars", { n: r.rating }) }),
          el("span", { className: "who", text: (r.client && r.client.name) || "" }),
          el("span", { className: "muted", text: day(r.visit_start) })),
        el("p", { className: "muted", text: [serviceName(r.service), staffName(r.staff)].filter(Boolean).join(" · ") }));
      if (r.comment) li.appendChild(el("blockquote", { text: r.comment }));
      box.appendChild(li);
    }
  },
  refunds: drawRefunds,
  failed(box, data) {
    if (!data.messages.length) { empty(box, "no_failed"); return; }
    for (const m of data.messages) {
      // Every kind the server sends has its words (tests/js/i18n.test.mjs); one newer than
      // this page is "a message", not its code.
      const kind = has(`k_${m.kind}`) ? t(`k_${m.kind}`) : t("message");
      box.appendChild(el("li", { "data-message": m.key },
        el("div", { className: "row" },
          el("span", { className: "who", text: m.client_name || "" }),
          el("span", { className: "tag", text: kind }),
          el("span", { className: "muted", text: m.channel === "sms" ? t("ch_sms") : t("ch_email") })),
        el("p", { className: "muted", text: (m.failed_at ? `${day(m.failed_at)} ${clock(m.failed_at)} · ` : "") + failure(m.error) })));
    }
  },
};

// --- the one-click actions -------------------------------------------------------------
let dialogClient = null;
let messageProblem = null; // why the message did not go, in the language of the moment (a function)
let afterFollowUp = null;
let afterMessage = null; // what is drawn again once it went (her row, her card)
function failed(err) { say(t("action_failed", { message: errorText(err) }), true); }

export function openMessage(client, then) {
  dialogClient = client;
  afterMessage = then || null;
  messageProblem = null;
  shownPreview = null;
  $("message-text").value = "";
  const allowed = drawMessage();
  openDialog($("message-dialog"), allowed ? $("message-text") : $("message-title"));
}

// The sheet's words for its client, in the dashboard's language (again when it changes
// with the sheet open: what she typed stays in its box). True when a message may go.
function drawMessage() {
  const client = dialogClient;
  $("message-title").textContent = t("message_to", { name: client.name });
  $("message-error").textContent = messageProblem ? messageProblem() : "";
  // Without her consent nothing can go: said before the owner types, with her contacts
  // to call or text her from the owner's own phone instead.
  // Nor while the marketing cap holds: said with the day it may go.
  const consent = mayMessage(client);
  const capped = consent ? cappedUntil(client) : null;
  const allowed = consent && !capped;
  $("message-compose").hidden = !allowed;
  $("message-send").hidden = !allowed;
  $("message-preview-button").hidden = !allowed;
  drawPreview();
  const refused = clear($("message-no-consent"));
  refused.hidden = allowed;
  if (!allowed) {
    const contacts = contactLinks(client);
    const why = capped
      ? t(contacts ? "message_capped_until" : "message_capped_until_no_contact", { name: client.name, date: day(capped) })
      : t(contacts ? "message_no_consent" : "message_no_consent_no_contact", { name: client.name });
    refused.appendChild(el("p", { id: "message-no-consent-text", text: why }));
    if (contacts) refused.appendChild(contacts);
  }
  countMessage();
  return allowed;
}

// The dashboard's language changed with the sheet open.
export function relabelMessage() {
  if (dialogClient && $("message-dialog").open) drawMessage();
}

// What the text takes of what the API accepts for her channel, shown as she types.
function countMessage() {
  const room = messageRoom(dialogClient, $("message-text").value);
  const box = $("message-text");
  box.maxLength = room.channel === "sms" ? room.max : TEXT_MAX; // an SMS unit is at least one character
  const count = $("message-count");
  count.textContent = t(room.channel === "sms" ? "message_count_sms" : "message_count", { used: number(room.used, 0), max: number(room.max, 0) });
  count.className = room.over ? "error" : "muted";
  $("message-hint").textContent = t(room.channel === "sms" ? "message_hint_sms" : "message_hint");
  return room;
}

// The message as she would get it (POST .../messages/preview: the sender's own rendering,
// her links in it); gone as soon as the words change.
let shownPreview = null;

function drawPreview() {
  const box = $("message-preview");
  box.hidden = !shownPreview;
  if (!shownPreview) { // nothing of an earlier one left in the sheet
    for (const id of ["message-preview-title", "message-preview-subject", "message-preview-text"]) $(id).textContent = "";
    return;
  }
  const p = shownPreview;
  $("message-preview-title").textContent = t(p.channel === "sms" ? "preview_sms" : "preview_email", { name: dialogClient.name });
  $("message-preview-subject").hidden = !p.subject;
  $("message-preview-subject").textContent = p.subject ? t("preview_subject", { subject: p.subject }) : "";
  $("message-preview-text").textContent = p.text;
}

// Why the sheet cannot take her words, said where she types (again in a new language).
function refuseMessage(why) {
  messageProblem = why;
  $("message-error").textContent = why();
  $("message-text").focus();
}

// Her words, once they are something the API takes (else null, and the sheet says why).
function messageToGo() {
  const text = $("message-text").value.trim();
  if (!text) { refuseMessage(() => t("message_empty")); return null; }
  const room = countMessage();
  if (room.over) { refuseMessage(() => t("message_too_long_sms", { max: number(room.max, 0) })); return null; }
  messageProblem = null;
  $("message-error").textContent = "";
  return text;
}

async function previewMessage() {
  const client = dialogClient;
  const button = $("message-preview-button");
  const text = messageToGo();
  if (text === null) return;
  button.disabled = true;
  try {
    const done = await api("POST", `/clients/${client.id}/messages/preview`, { text });
    if (client !== dialogClient || $("message-text").value.trim() !== text) return; // typed on meanwhile
    shownPreview = done.preview;
    drawPreview();
    $("message-preview-text").focus();
  } catch (err) {
    if (client !== dialogClient || !$("message-dialog").open) return; // another sheet by now
    refuseMessage(() => messageRefusal(err, client));
  } finally {
    button.disabled = false;
  }
}

async function sendMessage(e) {
  e.preventDefault();
  const client = dialogClient;
  const button = $("message-send");
  const text = messageToGo();
  if (text === null) return;
  button.disabled = true;
  try {
    const done = await api("POST", `/clients/${client.id}/messages`, { text });
    capFrom(client, done && done.marketing && done.marketing.next_at);
    // The day it went, as the server's clock and the salon's time zone have it.
    client.marketing = { ...(client.marketing || {}), last_at: (done && done.marketing && done.marketing.last_at) || null };
    closeDialog($("message-dialog"));
    if (afterMessage) afterMessage();
    // An SMS in the quiet hours waits for their end: the API says when it goes.
    const at = done && done.message && done.message.due_at;
    say(at ? t("sent_at", { name: client.name, time: clock(at) }) : t("sent", { name: client.name }));
    setTimeout(() => reload("failed"), 1500); // a message that could not go shows up there
  } catch (err) {
    // Refused: the sheet stays open with her words, and says why.
    if (err.code === "capped") capFrom(client, err.details && err.details.next_at);
    refuseMessage(() => messageRefusal(err, client));
  } finally {
    button.disabled = false;
  }
}

// The cap as the API last said it, kept on her (the list's or the card's client): the
// dialog opened again says when the next may go before she types (messagelimit.cappedUntil).
function capFrom(client, nextAt) {
  if (nextAt === undefined) return;
  client.marketing = { ...(client.marketing || {}), next_at: nextAt };
}

function messageRefusal(err, client) {
  if (err.code === "capped" && err.details && err.details.next_at) {
    return t("message_capped_until_no_contact", { name: client.name, date: day(err.details.next_at) });
  }
  if (["no_consent", "no_contact", "capped"].includes(err.code)) return t(err.code, { name: client.name });
  if (err.fields && /SMS/.test(err.fields.text || "")) return t("message_too_long_sms", { max: number(SMS_UNITS, 0) });
  // Her links as they are leave less room than the counter's: the API says how much.
  const room = /at most (\d+) characters/.exec((err.fields && err.fields.text) || "");
  if (room) return t("message_too_long_sms", { max: number(Number(room[1]), 0) });
  return t("action_failed", { message: errorText(err) });
}

async function setMaintenance(client, button) {
  button.disabled = true;
  try {
    await api("PATCH", `/clients/${client.id}`, { relationship: "maintenance" });
    const undo = () => followAgain(client).then(() => reload("clients"), failed);
    say(t("maintenance_done", { name: client.name }), false, { label: t("act_undo_maintenance"), run: undo });
    await reload("clients");
    $("h-clients").focus(); // the button is gone
  } catch (err) { failed(err); } finally { button.disabled = false; }
}

// Her own pace taken back (the status line's undo here, her card's "follow again" in
// client.js): the return model's word again, said.
export async function followAgain(client) {
  await api("PATCH", `/clients/${encodeURIComponent(client.id)}`, { relationship: null });
  say(t("follow_again_done", { name: client.name }));
}

export function openFollowUp(client, then) {
  dialogClient = client;
  afterFollowUp = then || null;
  $("followup-title").textContent = t("followup_for", { name: client.name });
  $("followup-text").value = t("default_followup");
  $("followup-due").value = todayIso();
  $("followup-due").min = todayIso(); // today or later, as the API takes it
  clearFieldErrors($("followup-form"));
  $("followup-error").textContent = "";
  openDialog($("followup-dialog"), $("followup-text"));
}

// The follow-up sent last and its Idempotency-Key: sent again after its answer was lost, it
// is the same follow-up (the server answers as the first time), never a second one.
const followUpAsked = {};

async function addFollowUp(e) {
  e.preventDefault();
  const form = e.target;
  const client = dialogClient;
  const text = $("followup-text").value.trim();
  const due = $("followup-due").value;
  const button = form.querySelector("[type=submit]");
  const inputs = { text: $("followup-text"), due: $("followup-due") };
  const missing = {};
  if (!text) missing.text = t("err_required");
  if (!due) missing.due = t("err_required");
  else if (due < todayIso()) missing.due = t("f_date_past"); // ISO days compare as text
  if (Object.keys(missing).length) { showFieldErrors(form, { fields: missing }, inputs, $("followup-error")); return; }
  clearFieldErrors(form);
  $("followup-error").textContent = "";
  button.disabled = true;
  const path = `/clients/${client.id}/follow-ups`;
  const body = { next_step: text, actions: [{ text, due }] };
  try {
    await postOnce(api, followUpAsked, path, body);
    closeDialog($("followup-dialog"));
    say(t("followup_added", { name: client.name, date: day(due) }));
    await reload("followups");
    if (afterFollowUp) afterFollowUp();
  } catch (err) {
    // Refused input stays in the sheet, marked on its field (actions.0.due: the date); the
    // answer lost, it stays too, said why, and her next tap is the same follow-up (its key).
    if (err.status === 422 || outcomeUnknown(err)) showFieldErrors(form, err, inputs, $("followup-error"));
    else { closeDialog($("followup-dialog")); failed(err); }
  } finally { button.disabled = false; }
}

async function markDone(f, button) {
  button.disabled = true;
  const body = { goal: f.goal, next_step: f.next_step, closed: true,
    actions: (f.actions || []).map((a) => ({ text: a.text, due: a.due, staff: a.staff, done: true })) };
  try {
    // The version the list showed: a save another device made since is not overwritten.
    await api("PUT", `/clients/${f.client.id}/follow-ups/${f.id}`, body, saveHeaders(f.version));
    say(t("followup_done", { name: f.client.name || "" }));
    await reload("followups");
    $("h-followups").focus();
  } catch (err) {
    if (err.status === 409 && err.code === "followup_changed") {
      await reload("followups");
      say(t("followup_changed_elsewhere"), true);
      $("h-followups").focus();
    } else failed(err);
  } finally { button.disabled = false; }
}

async function removeEntry(entry, button) {
  button.disabled = true;
  try {
    await api("DELETE", `/waitlist/${entry.id}`);
    say(t("entry_removed", { name: entry.name }));
    await reload("waitlist");
  } catch (err) { failed(err); } finally { button.disabled = false; }
}

// --- adding and editing an entry (POST /waitlist, PUT /waitlist/{id}) ----------------------
const DAY_KEYS = { mon: "d_mon", tue: "d_tue", wed: "d_wed", thu: "d_thu", fri: "d_fri", sat: "d_sat", sun: "d_sun" };
let editing = null;

function windowRow(w, i) {
  const box = el("fieldset", { className: "wl-window" }, el("legend", { text: t("wl_window_n", { n: i + 1 }) }));
  const days = el("div", { className: "wl-days" });
  for (const d of W.DAYS) {
    const tick = el("input", { type: "checkbox", value: d });
    tick.checked = w.days.includes(d);
    days.appendChild(el("label", { className: "check" }, tick, " ", t(DAY_KEYS[d])));
  }
  box.appendChild(days);
  const start = el("input", { type: "time", step: "900", id: `wl-w${i}-start`, value: w.start });
  const end = el("input", { type: "time", step: "900", id: `wl-w${i}-end`, value: w.end });
  box.appendChild(el("div", { className: "pair" },
    el("div", {}, el("label", { for: start.id, text: t("wl_after") }), start),
    el("div", {}, el("label", { for: end.id, text: t("wl_before") }), end)));
  const remove = el("button", { type: "button", className: "plain", text: t("wl_remove_window") });
  remove.addEventListener("click", () => { const rows = readWindows(); rows.splice(i, 1); drawWindows(rows); $("wl-add-window").focus(); });
  box.appendChild(remove);
  return box;
}

function readWindows() {
  return [...$("wl-windows").querySelectorAll(".wl-window")].map((row) => ({
    days: [...row.querySelectorAll("input[type=checkbox]")].filter((c) => c.checked).map((c) => c.value),
    start: row.querySelector("input[id$=-start]").value,
    end: row.querySelector("input[id$=-end]").value,
  }));
}

function drawWindows(rows) {
  const box = clear($("wl-windows"));
  rows.forEach((w, i) => box.appendChild(windowRow(w, i)));
}

// The owner adds an entry (entry null) or edits one, as the client would join.
export function openEntry(entry) {
  editing = entry || null;
  const form = $("waitlist-form");
  form.reset();
  clearFieldErrors(form);
  $("waitlist-error").textContent = "";
  $("waitlist-title").textContent = t(entry ? "wl_title_edit" : "wl_title_add");
  const services = clear($("wl-service"));
  for (const s of (state.profile && state.profile.services) || []) services.appendChild(el("option", { value: s.id, text: serviceName(s.id) }));
  const staff = clear($("wl-staff"));
  staff.appendChild(el("option", { value: "", text: t("anyone_free") }));
  for (const m of staffList()) staff.appendChild(el("option", { value: m.id, text: m.name }));
  const f = W.toForm(entry, { service: services.value, from: todayIso(), locale: lang() });
  for (const k of ["service", "staff", "from", "to", "name", "phone", "email", "locale"]) $(`wl-${k}`).value = f[k];
  drawWindows(f.windows);
  openDialog($("waitlist-dialog"), $("wl-service"));
}

async function saveEntry(e) {
  e.preventDefault();
  const form = $("waitlist-form");
  const values = { windows: readWindows() };
  for (const k of ["service", "staff", "from", "to", "name", "phone", "email", "locale"]) values[k] = $(`wl-${k}`).value;
  const { body, errors, rows } = W.fromForm(values);
  const inputs = { service: $("wl-service"), staff: $("wl-staff"), from: $("wl-from"), to: $("wl-to"),
    "client.name": $("wl-name"), "client.phone": $("wl-phone"), "client.email": $("wl-email"), "client.locale": $("wl-locale"),
    windows: $("wl-add-window") };
  rows.forEach((row, n) => {
    inputs[`windows.${n}.start`] = $(`wl-w${row}-start`);
    inputs[`windows.${n}.end`] = $(`wl-w${row}-end`);
    inputs[`windows.${n}.days`] = $(`wl-w${row}-start`);
    inputs[`windows.${n}`] = $(`wl-w${row}-end`);
  });
  if (Object.keys(errors).length) {
    const fields = Object.fromEntries(Object.entries(errors).map(([k, key]) => [k, t(key)]));
    showFieldErrors(form, { fields }, inputs, $("waitlist-error"));
    return;
  }
  const button = form.querySelector("[type=submit]");
  button.disabled = true;
  try {
    if (editing) await api("PUT", `/waitlist/${editing.id}`, body);
    else await api("POST", "/waitlist", body);
    closeDialog($("waitlist-dialog"));
    say(t("entry_saved", { name: body.client.name }));
    await reload("waitlist");
  } catch (err) {
    showFieldErrors(form, err, inputs, $("waitlist-error"));
  } finally {
    button.disabled = false;
  }
}

// The list opened on one filter ("at_risk" from the first screen's "at risk now"): the
// figure's link shows the clients it counts, not all of them with the long gone first.
export function showSlipping(status) {
  slippingShown = status;
  slippingOpen = PAGE_SIZE;
  if (state.data.clients && state.data.clients.ok) RENDER.clients(clear($("retention")), state.data.clients.ok);
}

export function initLists() {
  for (const b of $("retention-filter").querySelectorAll("button")) {
    b.addEventListener("click", () => showSlipping(b.dataset.status));
  }
  // The order is the API's (GET /retention?order=…): the list is read again in it.
  for (const b of $("retention-order").querySelectorAll("button")) {
    b.addEventListener("click", () => {
      slippingOrder = orderOf(b.dataset.order);
      slippingOpen = PAGE_SIZE;
      try { localStorage.setItem(ORDER_KEY, slippingOrder); } catch (err) { /* not remembered */ }
      for (const o of $("retention-order").querySelectorAll("button")) {
        o.setAttribute("aria-pressed", String(o.dataset.order === slippingOrder));
      }
      reload("clients");
    });
  }
  $("retention-more").addEventListener("click", showMore);
  $("waitlist-add").addEventListener("click", () => openEntry(null));
  $("wl-add-window").addEventListener("click", () => {
    const rows = [...readWindows(), W.emptyWindow()];
    drawWindows(rows);
    $(`wl-w${rows.length - 1}-start`).focus();
  });
  $("waitlist-form").addEventListener("submit", saveEntry);
  $("message-form").addEventListener("submit", sendMessage);
  $("message-text").addEventListener("input", () => {
    countMessage();
    messageProblem = null;
    $("message-error").textContent = "";
    if (shownPreview) { shownPreview = null; drawPreview(); } // no longer what she would get
  });
  $("message-preview-button").addEventListener("click", previewMessage);
  $("followup-form").addEventListener("submit", addFollowUp);
}

export function clearLists() {
  slippingOpen = PAGE_SIZE;
  drawMore(null);
  for (const id of ["retention", "followups", "feedback", "failed", "refunds", "waitlist", "waitlist-offers", "feedback-summary", "retention-rule"]) clear($(id));
}
