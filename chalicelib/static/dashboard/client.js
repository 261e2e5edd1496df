// The client card (#client/<id>): call / text / email links, upcoming and past visits,
// no-shows, notes, allergies, the stamp card and rewards, ratings, consents and
// follow-ups; contacts, birthday, preferences, allergies and important notes edited in
// place (PATCH /clients/{id}); a note added; "Book again" opens the desk booking; at its
// end, for the owner, her data exported and her erasure (privacy.js).
import { $, clear, clearFieldErrors, el, emailText, showFieldErrors } from "./dom.js";
import { clock, day, dayTime, errorText, has, intl, money, number, percent, percentNumber, plural, t } from "./i18n.js";
import { LANGUAGES, api, businessLocale, changed, currency, onChanged, phoneText, say, staffName, state, todayIso, visitService } from "./state.js";
import { cardOpener, contactLinks } from "./card.js";
import { openBooking } from "./booking.js";
import { followAgain, openFollowUp, openMessage } from "./lists.js";
import { statusKey } from "./calendar.js";
import { signalText } from "./signals.js";
import { keptFromMissed, splitVisits } from "./cardvisits.js";
import { postOnce, saveHeaders } from "./api.js";
import { MONEY_TAGS } from "./visitmoney.js";
import { skippedWhy } from "./reminderlines.js";
import { dataActions } from "./privacy.js";

let shown = null; // {id, profile, history, notes, followUps, loyalty, consents}
let seq = 0;
let erased = () => {}; // what the dashboard does once she is erased (main.js)

const MESSAGES_SHOWN = 10; // the card's latest messages to her; the API has them all
const TO_OWNER = ["feedback_alert"]; // messages about her that went to the owner

async function optional(promise) {
  try { return await promise; } catch (err) { return null; }
}

export async function showClient(id) {
  const box = $("client-card");
  const mine = ++seq;
  if (!shown || shown.id !== id) clear(box).appendChild(el("p", { className: "muted", text: t("loading") }));
  box.setAttribute("aria-busy", "true");
  try {
    const [profile, history, notes, followUps, loyalty, consents] = await Promise.all([
      api("GET", `/clients/${encodeURIComponent(id)}`),
      optional(api("GET", `/clients/${encodeURIComponent(id)}/history`)),
      optional(api("GET", `/clients/${encodeURIComponent(id)}/notes`)),
      optional(api("GET", `/clients/${encodeURIComponent(id)}/follow-ups`)),
      optional(api("GET", `/clients/${encodeURIComponent(id)}/loyalty`)),
      optional(api("GET", `/clients/${encodeURIComponent(id)}/consents`)),
    ]);
    if (mine !== seq) return;
    shown = { id, profile, history, notes, followUps, loyalty, consents };
    render();
  } catch (err) {
    if (mine !== seq) return;
    clear(box).appendChild(el("p", { className: "error", role: "alert", text: `${t("load_failed")} ${errorText(err)}` }));
  } finally {
    if (mine === seq) box.removeAttribute("aria-busy");
  }
}

export function forgetClient() { shown = null; seq++; clear($("client-card")); }

// A change made on a visit's card (a refund, a fee charged or waived, a mark, a
// cancellation) or a booking: her card is read again, as the calendar is, so its visits
// and figures are not stale. The card of a visit opened from her list closes onto that
// visit's button, drawn anew meanwhile (card.js cardOpener).
// `onErased(text)`: she was erased from her card; `text` says so.
export function initClient(onErased) {
  erased = onErased;
  onChanged((origin) => { if (origin !== "client" && shown && state.view === "client") showClient(shown.id); });
}

function section(key, ...children) {
  const id = `cc-${key}`;
  return el("section", { className: "card", "aria-labelledby": id }, el("h3", { id, text: t(key) }), ...children);
}

function dl(pairs) {
  const list = el("dl", { className: "facts" });
  for (const [k, v] of pairs) {
    if (v === null || v === undefined || v === "") continue;
    list.appendChild(el("dt", { text: k }));
    list.appendChild(typeof v === "object" ? el("dd", {}, v) : el("dd", { text: String(v) }));
  }
  return list;
}

// What she had: the service, or for an imported visit with no service of the salon's
// the file's own words (the visit's note, "Permanentti · Kalle").
function visitWhat(a) {
  return visitService(a.service && a.service.id, a.service && a.service.name, a.note);
}

// When: its day and time, or only the day where an imported file gave no time.
const visitWhen = (a) => (a.time_known === false ? day(a.start) : `${day(a.start)} ${clock(a.start)}`);

function visitRow(a) {
  return el("li", { className: a.status === "cancelled" ? "cancelled" : null },
    el("div", { className: "row" },
      el("span", { className: "time", text: visitWhen(a) }),
      el("span", { className: "what", text: visitWhat(a) }),
      el("span", { className: "muted", text: staffName(a.staff && a.staff.id) }),
      el("span", { className: `tag ${a.outcome || a.status}`, text: t(statusKey(a)) }),
      moneyTag(a),
      moneyButton(a)));
}

// Her money on a visit, where the owner would look again (visitmoney.js MONEY_TAGS; the
// appointment card has the amounts).
function moneyTag(a) {
  const key = a.payment && MONEY_TAGS[a.payment.mark];
  if (key) return el("span", { className: `tag money ${a.payment.mark}`, "data-money-mark": a.payment.mark, text: t(key) });
  // Checked out at the desk: paid, as the calendar's block says (a money matter above wins).
  return a.checkout ? el("span", { className: "tag money paid", "data-money-mark": "paid", text: t("m_paid") }) : null;
}

// A visit with money (a deposit, a card on file, a fee) opens its appointment card: a
// cancelled one is in no calendar, and there the owner refunds or charges its fee.
function moneyButton(a) {
  if (!a.payment || a.payment.mark === "held" || !a.id) return null;
  return cardOpener(a.id, () => $("client-card"), { className: "plain", "aria-label": `${t("money_title")}: ${visitWhen(a)}` },
    t("money_title"));
}

function render() {
  const { profile, history, notes, followUps, loyalty, consents } = shown;
  const c = profile.client;
  const stats = profile.stats || {};
  const box = clear($("client-card"));
  document.title = `${c.name} – ${(state.me && state.me.business.name) || "Rebook"}`;
  box.appendChild(el("h2", { id: "client-name", tabindex: "-1", text: c.name }));
  if (c.allergies) box.appendChild(el("p", { className: "allergy-box", role: "note" }, el("strong", { text: `${t("m_allergy")}: ` }), c.allergies));
  const contacts = contactLinks(c);
  if (contacts) box.appendChild(contacts);
  const top = el("div", { className: "actions" });
  const again = el("button", { type: "button", className: "accent", text: t("book_again") });
  const last = history && (history.appointments || []).find((a) => a.status !== "cancelled");
  const bookAgain = (reward) => openBooking({ client: c, staff: last && last.staff && last.staff.id, service: last && last.service && last.service.id, reward });
  again.addEventListener("click", () => bookAgain(false));
  top.appendChild(again);
  const message = el("button", { type: "button", id: "cc-message", text: t("act_message") });
  // Her card drawn again (her messages), the keyboard back on this button.
  message.addEventListener("click", () => openMessage(c, async () => {
    await showClient(c.id);
    const again = $("cc-message");
    if (again) again.focus();
  }));
  top.appendChild(message);
  box.appendChild(top);

  // Figures.
  const kept = keptFromMissed((history && history.appointments) || []);
  box.appendChild(section("cc_figures", dl([
    [t("cc_visits"), number(stats.visits || 0, 0)],
    [t("cc_no_shows"), number(stats.no_shows || 0, 0)],
    [t("cc_cancellations"), number(stats.cancellations || 0, 0)],
    [t("cc_spend"), money(stats.lifetime_spend_cents || 0, currency())],
    [t("cc_kept"), kept ? money(kept, currency()) : null],
    [t("cc_interval"), stats.average_interval_days ? plural("days_n", stats.average_interval_days) : null],
    [t("cc_rating"), stats.average_rating ? plural("rating_of", stats.ratings || 0, { avg: number(stats.average_rating, 1) }) : t("no_ratings")],
  ])));

  // Where she stands: the return model's status, and the warning signs with their reasons.
  if (profile.standing) box.appendChild(standingSection(c, profile.standing, stats.next_booking));

  // The profile, edited in place.
  box.appendChild(section("cc_profile", profileView(c)));

  // Visits.
  const now = Date.now();
  const appts = (history && history.appointments) || [];
  // Upcoming is what is still coming; a future time cancelled is neither coming nor past:
  // listed apart under it, where its money (a deposit to give back, a fee) is found.
  const { upcoming, cancelled, past } = splitVisits(appts, now);
  const up = el("ul", { className: "list compact" }, upcoming.map(visitRow));
  if (!upcoming.length) up.appendChild(el("li", { className: "muted", text: t("no_upcoming") }));
  box.appendChild(section("cc_upcoming", up));
  if (cancelled.length) box.appendChild(section("cc_cancelled_ahead", el("ul", { className: "list compact" }, cancelled.map(visitRow))));
  const pastList = el("ul", { className: "list compact" }, past.slice(0, 20).map(visitRow));
  if (!past.length) pastList.appendChild(el("li", { className: "muted", text: t("no_past") }));
  box.appendChild(section("cc_past", pastList));

  // Notes.
  const noteList = el("ul", { className: "list compact notes" });
  for (const n of (notes && notes.notes) || []) {
    const by = noteAuthor(n);
    noteList.appendChild(el("li", {}, el("p", { text: n.text }), el("p", { className: "muted", text: by ? `${day(n.created_at)} · ${by}` : day(n.created_at) })));
  }
  const noteForm = el("form", { className: "inline-form", novalidate: true },
    el("label", { for: "cc-note-text", text: t("add_note") }),
    el("textarea", { id: "cc-note-text", maxlength: "4000", rows: "2" }),
    el("p", { id: "cc-note-error", className: "error", role: "alert" }),
    el("button", { type: "submit", text: t("save_note") }));
  noteForm.addEventListener("submit", (e) => { e.preventDefault(); addNote(noteForm); });
  box.appendChild(section("cc_notes", noteList, noteForm));

  // Follow-ups.
  const fu = el("ul", { className: "list compact" });
  for (const f of ((followUps && followUps.follow_ups) || []).filter((x) => x.status !== "closed")) {
    const open = (f.actions || []).filter((a) => !a.done);
    fu.appendChild(el("li", {}, el("p", { text: f.next_step || (open[0] && open[0].text) || f.goal || "" }),
      f.due || (open[0] && open[0].due) ? el("p", { className: "muted", text: t("due_on", { date: day(f.due || open[0].due) }) }) : null));
  }
  if (!fu.childNodes.length) fu.appendChild(el("li", { className: "muted", text: t("no_followups") }));
  const addFu = el("button", { type: "button", text: t("act_followup") });
  addFu.addEventListener("click", () => openFollowUp(c, () => showClient(c.id)));
  box.appendChild(section("cc_followups", fu, addFu));

  // Stamp card and rewards.
  if (loyalty && (loyalty.loyalty || (loyalty.rewards || []).length)) {
    const parts = [];
    if (loyalty.loyalty) parts.push(el("p", { text: t("stamps_of", { stamps: loyalty.stamps, total: loyalty.stamps_for_reward }) }));
    const rewards = el("ul", { className: "list compact" });
    for (const r of loyalty.rewards || []) {
      const item = el("li", {}, el("span", { text: r.description || r.kind }), " ",
        el("span", { className: `tag ${r.status}`, text: t(`reward_${r.status}`) }));
      // A reward she can use: the desk's booking sheet opens with it chosen (and its price).
      if (r.status === "available") {
        const use = el("button", { type: "button", className: "plain", text: t("use_reward_next"),
          "aria-label": `${t("use_reward_next")}: ${r.description || r.kind}` });
        use.addEventListener("click", () => bookAgain(true));
        item.appendChild(el("div", {}, use));
      }
      rewards.appendChild(item);
    }
    if (rewards.childNodes.length) parts.push(rewards);
    box.appendChild(section("cc_loyalty", ...parts));
  }

  // What was sent to her, newest first: before the owner calls or writes, she sees that
  // Rebook wrote this morning (a win-back, a reminder, her own message).
  // (Not the owner's own alert about her low rating: it is on her timeline for erasure.)
  const sent = ((history && history.messages) || []).filter((m) => !TO_OWNER.includes(m.kind));
  if (sent.length) {
    const list = el("ul", { className: "list compact", id: "cc-message-list" });
    for (const m of sent.slice(0, MESSAGES_SHOWN)) {
      const at = m.sent_at || m.created_at;
      const kind = has(`k_${m.kind}`) ? t(`k_${m.kind}`) : t("message");
      const channel = m.channel === "sms" ? t("ch_sms") : t("ch_email");
      // One still waiting is said by when it goes ("goes 8.12. 10.00"); its planning time
      // beside "waiting" read as stuck (an owner's walk).
      const how = m.status === "pending" && m.due_at
        ? [channel, t("reminder_pending", { when: dayTime(m.due_at) })]
        : [`${day(at)} ${clock(at)}`, channel, t(`msg_st_${m.status}`)];
      const why = skippedWhy(m); // a staff member's walk read "not sent" alone as a fault
      if (why) how.push(t(why));
      list.appendChild(el("li", {}, el("p", { text: kind }), el("p", { className: "muted", text: how.join(" · ") })));
    }
    const parts = [list];
    if (sent.length > MESSAGES_SHOWN) parts.push(el("p", { className: "muted", text: t("cc_messages_more", { n: sent.length - MESSAGES_SHOWN }) }));
    box.appendChild(section("cc_messages", ...parts));
  }

  // Consents.
  if (consents) {
    const m = consents.marketing || {};
    box.appendChild(section("cc_consents", dl([
      [t("consent_marketing"), m.granted ? t("yes_since", { date: m.at ? day(m.at) : "" }) : t("no")],
      [t("consent_source"), consentSource(m.source)],
      // No phone and no email: no reminder or other message reaches her, whatever is set.
      [t("reminders"), !c.phone && !c.email ? t("no_messages_no_contact") : consents.reminders_off ? t("off") : t("on")],
      // Her number replied STOP: no SMS reaches her, whatever the reminders say.
      [t("texts"), c.texts_stopped ? t(c.email ? "texts_stopped_email" : "texts_stopped") : null],
    ])));
  }

  // Her data (GDPR): exported, or erased; the owner's only (null for staff).
  const data = dataActions(c, (text) => erased(text));
  if (data) box.appendChild(section("cc_data", ...data));
}

// Who wrote a note, in words: "you", a staff member by name, the owner or an import (notes
// from before the role was kept name only a user id, which says nothing to her: left out).
function noteAuthor(n) {
  if (state.me && n.author === state.me.user) return t("note_by_you");
  if (n.author_staff_id) return staffName(n.author_staff_id);
  if (n.author_role === "owner" || n.author_role === "import" || n.author === "import") {
    return t(`note_by_${n.author_role || n.author}`);
  }
  return "";
}

// Where her marketing consent was given or withdrawn ("booking:page", "owner:<user>", ...).
function consentSource(source) {
  if (!source) return null;
  const [kind, how] = source.split(":");
  const key = kind === "booking" ? `consent_via_booking_${how}` : `consent_via_${kind}`;
  return has(key) ? t(key) : source;
}

// A birthday as stored ("1985-03-14", or "--03-14" without the year) in the language's own
// way, and as the owner types it back ("14.3.1985", "14.3."): the API takes either.
function birthdayText(b) {
  if (!b) return null;
  return b.startsWith("--") ? day(`2000${b.slice(1)}`, { day: "numeric", month: "numeric" }) : day(b);
}
function birthdayInput(b) {
  if (!b) return "";
  const [, y, m, d] = /^(\d{4}|-)-(\d{2})-(\d{2})$/.exec(b) || [];
  return d ? `${Number(d)}.${Number(m)}.${y === "-" ? "" : y}` : b;
}

// --- where she stands -------------------------------------------------------------------
const STATUS_KEYS = { active: "st_active", maintenance: "st_maintenance", at_risk: "at_risk", lapsed: "lapsed" };

function standingSection(c, st, nextBooking) {
  // Booked, she is coming: her chances from her past visits alone ("still your client
  // 7 %" the day before her booking, an owner's walk) and a visit "expected" long ago
  // say nothing then; her booking does.
  const facts = nextBooking ? dl([
    [t("cc_status"), t(STATUS_KEYS[st.status] || st.status)],
    [t("cc_booked"), `${day(nextBooking)} ${clock(nextBooking)}`],
  ]) : dl([
    [t("cc_status"), t(STATUS_KEYS[st.status] || st.status)],
    [t("cc_still_client"), st.p_still_client === null || st.p_still_client === undefined ? null : percent(Math.round(st.p_still_client * 100) / 100)],
    // A chance in whole percent (84 %, not 84,1 %): a decimal claims more than the model knows.
    [t("cc_p_return", { weeks: Math.round((st.window_days || 182) / 7) }), st.p_return === null || st.p_return === undefined ? null : percent(Math.round(st.p_return * 100) / 100)],
    // Past, her expected visit is one that did not come: said so, not as still to come.
    [t(st.expected_visit && st.expected_visit.slice(0, 10) < todayIso() ? "cc_expected_past" : "cc_expected"), st.expected_visit ? day(st.expected_visit) : null],
  ]);
  // What the two chances are, and the limits her status is judged by (an owner's walk:
  // "65 %, at risk" and "63 %" beside it, unexplained).
  const limits = !nextBooking && st.limits && st.p_still_client != null && st.status !== "maintenance"
    ? el("p", { className: "muted", id: "cc-limits", text: t("cc_limits", {
      at_risk: percentNumber(st.limits.at_risk_below), lapsed: percentNumber(st.limits.lapsed_below),
      weeks: Math.round((st.window_days || 182) / 7) }) })
    : null;
  const list = el("ul", { className: "list compact signals" });
  const owner = state.me && state.me.role === "owner";
  // Dismissed (audited) and shown again (the same, undone): her card drawn again, the
  // keyboard on the button that undoes what was just done.
  const toggle = (s, undo) => async () => {
    try {
      await api(undo ? "DELETE" : "POST", `/clients/${encodeURIComponent(c.id)}/signals/${encodeURIComponent(s.code)}/dismiss`);
      say(t(undo ? "sig_restored" : "sig_dismissed"));
      await showClient(c.id);
      const back = document.querySelector(`#client-card [data-signal="${s.code}"][data-undo="${undo ? "" : "1"}"]`);
      if (back) back.focus();
    } catch (err) { say(errorText(err), true); }
  };
  const button = (s, undo) => {
    const key = undo ? "sig_restore" : "sig_dismiss";
    const b = el("button", { type: "button", className: "link", text: t(key), "aria-label": `${t(key)}: ${signalText(s)}`,
      "data-signal": s.code, "data-undo": undo ? "1" : "" });
    b.addEventListener("click", toggle(s, undo));
    return b;
  };
  for (const s of st.signals || []) {
    list.appendChild(el("li", {}, el("span", { text: signalText(s) }), owner ? button(s, false) : null));
  }
  if (!list.childNodes.length) {
    // At risk or lapsed with no warning shown (none, or dismissed): why she is, all the same.
    const overdue = (st.status === "at_risk" || st.status === "lapsed") && st.expected_visit;
    list.appendChild(el("li", { className: "muted", text: overdue ? t("no_signals_overdue", { date: day(st.expected_visit) }) : t("no_signals") }));
  }
  // What she dismissed, still true: not lost, and shown again in one tap.
  const dismissed = (st.dismissed || []).length
    ? el("div", { id: "cc-dismissed" }, el("h4", { text: t("sig_dismissed_list") }),
      el("ul", { className: "list compact signals" },
        ...st.dismissed.map((s) => el("li", {}, el("span", { className: "muted", text: signalText(s) }), owner ? button(s, true) : null))))
    : null;
  // "Comes at her own pace" set from the at-risk list in one tap: undone here, back to the
  // return model's word (relationship cleared).
  const again = st.status === "maintenance" ? el("button", { type: "button", id: "cc-follow-again", text: t("cc_follow_again") }) : null;
  if (again) {
    again.addEventListener("click", async () => {
      again.disabled = true;
      try {
        await followAgain(c);
        await showClient(c.id);
      } catch (err) { again.disabled = false; say(errorText(err), true); }
    });
  }
  return section("cc_standing", facts, limits, again, el("h4", { text: t("cc_signals") }), list, dismissed);
}

// --- the profile: shown, and edited in place -------------------------------------------
const EDITABLE = ["name", "phone", "email", "locale", "birthday", "allergies", "important_notes", "preferences"];

function prefsText(prefs) {
  return Object.entries(prefs || {}).map(([k, v]) => `${k}: ${v}`).join("\n");
}
function parsePrefs(text) {
  const out = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const k = line.slice(0, i).trim();
    const v = line.slice(i + 1).trim();
    if (k && v) out[k] = v;
  }
  return out;
}

// The language her messages go in: her own, else the business's.
function localeOf(c) { return c.locale || businessLocale(); }
// Named in the dashboard's language ("Finnish" in English); the edit form's choices keep
// each language's own name, as language pickers do.
function languageName(code) {
  try {
    return new Intl.DisplayNames([intl()], { type: "language" }).of(code);
  } catch {
    return (LANGUAGES.find(([k]) => k === code) || [code, code])[1];
  }
}

function profileView(c) {
  const wrap = el("div", { id: "cc-profile" });
  wrap.appendChild(dl([
    [t("phone"), phoneText(c)],
    [t("email"), c.email && emailText(c.email)],
    [t("language"), languageName(localeOf(c))],
    [t("birthday"), birthdayText(c.birthday)],
    [t("important_notes"), c.important_notes],
    [t("preferences"), prefsText(c.preferences)],
  ]));
  const edit = el("button", { type: "button", id: "cc-edit", text: t("edit"), "aria-label": `${t("edit")}: ${c.name}` });
  edit.addEventListener("click", () => { wrap.replaceWith(profileForm(c)); $("cc-name").focus(); });
  wrap.appendChild(edit);
  return wrap;
}

const MAX_LENGTH = { name: "100", allergies: "2000", important_notes: "2000" };
// A field as the form shows it, read as she reads it on the card (a phone nationally, a
// birthday day first): what she leaves as it was is not sent.
function formValue(c, key) {
  if (key === "phone") return phoneText(c);
  if (key === "birthday") return birthdayInput(c.birthday);
  return c[key] || "";
}

function profileForm(c) {
  const field = (key, type, value) => {
    const id = `cc-${key.replace("_", "-")}`;
    const maxlength = MAX_LENGTH[key]; // as the API takes them (domain/registry.py ClientUpdate)
    const input = type === "textarea"
      ? el("textarea", { id, rows: "3", maxlength })
      : el("input", { id, type, autocomplete: "off", maxlength });
    input.value = value || "";
    return [el("label", { for: id, text: t(key) }), input];
  };
  const form = el("form", { id: "cc-profile", className: "edit-form", novalidate: true },
    ...field("name", "text", c.name),
    ...field("phone", "tel", formValue(c, "phone")),
    ...field("email", "email", c.email),
    el("label", { for: "cc-locale", text: t("language") }),
    el("select", { id: "cc-locale" }, ...LANGUAGES.map(([k, name]) => el("option", { value: k, text: name, selected: k === localeOf(c) }))),
    ...field("birthday", "text", formValue(c, "birthday")),
    el("p", { className: "muted hint", text: t("birthday_hint") }),
    ...field("allergies", "textarea", c.allergies),
    ...field("important_notes", "textarea", c.important_notes),
    ...field("preferences", "textarea", prefsText(c.preferences)),
    el("p", { className: "muted hint", text: t("preferences_hint") }),
    el("p", { id: "cc-profile-error", className: "error", role: "alert" }),
    el("div", { className: "buttons" },
      el("button", { type: "button", id: "cc-cancel-edit", text: t("cancel") }),
      el("button", { type: "submit", className: "accent", text: t("save") })));
  form.querySelector("#cc-cancel-edit").addEventListener("click", () => { form.replaceWith(profileView(c)); $("cc-edit").focus(); });
  form.addEventListener("submit", (e) => { e.preventDefault(); saveProfile(form, c); });
  return form;
}

async function saveProfile(form, c) {
  clearFieldErrors(form);
  const inputs = Object.fromEntries(EDITABLE.map((k) => [k, $(`cc-${k.replace("_", "-")}`)]));
  const body = {};
  for (const k of EDITABLE) {
    const raw = inputs[k].value.trim();
    if (k === "preferences") {
      const prefs = parsePrefs(raw);
      if (JSON.stringify(prefs) !== JSON.stringify(c.preferences || {})) body.preferences = Object.keys(prefs).length ? prefs : null;
    } else if (k === "locale") {
      if (raw !== localeOf(c)) body.locale = raw;
    } else if (raw !== formValue(c, k)) {
      body[k] = raw || null;
    }
  }
  if (!Object.keys(body).length) { form.replaceWith(profileView(c)); $("cc-edit").focus(); return; }
  say(""); // an earlier "saved" is not this save's outcome: its field errors may be
  const button = form.querySelector("[type=submit]");
  button.disabled = true;
  try {
    // The version the card showed: a save another device made since is not overwritten.
    const updated = await api("PATCH", `/clients/${c.id}`, body, saveHeaders(c.version));
    shown.profile.client = updated.client;
    say(t("client_saved", { name: updated.client.name }));
    render();
    $("cc-edit").focus();
    changed("client"); // her name, allergies and notes on the calendar's blocks and cards: read now
  } catch (err) {
    button.disabled = false;
    if (err.status === 409 && err.code === "client_changed") {
      // Her card as it is now, edited again with what she typed kept and, beside it, what
      // the other device saved in those fields (a walk: her typing was thrown away and the
      // reason said at the page's top, out of view). Saving again is her choice.
      const typed = Object.fromEntries(Object.keys(body).map((k) => [k, inputs[k].value]));
      await showClient(c.id);
      if (!$("cc-edit")) { say(t("client_changed_elsewhere", { name: c.name }), true); return; }
      $("cc-edit").click();
      const theirs = [];
      let first = null;
      for (const [k, v] of Object.entries(typed)) {
        const input = $(`cc-${k.replace("_", "-")}`);
        if (!input) continue;
        const label = document.querySelector(`label[for="${input.id}"]`);
        theirs.push(`${label ? label.textContent : k}: ${input.value.trim() || "–"}`); // the form holds theirs
        input.value = v;
        first = first || input;
      }
      $("cc-profile-error").textContent = t("client_changed_kept", { name: c.name, theirs: theirs.join("; ") });
      if (first) first.focus();
      return;
    }
    showFieldErrors(form, err, inputs, $("cc-profile-error"));
  }
}

// The note sent last and its Idempotency-Key: sent again after its answer was lost, it is
// the same note (the server answers as the first time), never a second copy on her card.
const noteSent = {};

async function addNote(form) {
  const text = $("cc-note-text").value.trim();
  const error = $("cc-note-error");
  error.textContent = "";
  if (!text) { error.textContent = t("note_empty"); $("cc-note-text").focus(); return; }
  say("");
  const button = form.querySelector("[type=submit]");
  button.disabled = true;
  const path = `/clients/${shown.id}/notes`;
  try {
    await postOnce(api, noteSent, path, { text });
    say(t("note_saved"));
    await showClient(shown.id);
    $("cc-note-text").focus();
  } catch (err) {
    button.disabled = false;
    showFieldErrors(form, err, { text: $("cc-note-text") }, error);
  }
}
