// The desk booking sheet: a free time tapped in the calendar (or "Walk-in", or "Book
// again" on a client card): the service (durations shown, the end drawn in the grid),
// the client found as you type or created (a name alone will do: no confirmation or
// reminders then), a reward on her stamp card to use (the price shown with it), whether to
// send a confirmation, confirm.
// POST /bookings; a 409 says the time was taken meanwhile and reloads the calendar.
import { $, clear, clearFieldErrors, closeDialog, el, openDialog, showFieldErrors } from "./dom.js";
import { clock, day, dayTime, errorText, money, t, withHeldSms } from "./i18n.js";
import { postOnce, routeMissing, withoutDefaults } from "./api.js";
import { api, businessLocale, changed, clientApart, currency, phoneText, say, service, serviceName, staffList, staffName, state, todayIso, tz } from "./state.js";
import * as g from "./grid.js";
import { clearPreview, showPreview, showWhenDrawn, todayCalendar } from "./calendar.js";
import { busyOf, walkInNext, walkInProblem } from "./calmodel.js";
import { priceWithReward } from "./visitmoney.js";

const dialog = () => $("booking-dialog");
let sheet = null; // {walkIn, client, key, today: today's calendar for a walk-in, rewards: hers to use, useReward}
let searchTimer = null;
let searchSeq = 0;
let notifyWanted = true; // the confirmation box as left while there was a contact to send to

// With no contact (none typed, or a client chosen who has none) there is nobody to send a
// confirmation to: the box is unticked and disabled; a contact brings it back as it was.
function updateNotify() {
  const box = $("booking-notify");
  const c = sheet && sheet.client;
  const contact = c ? !!(c.phone || c.email) : !!($("booking-phone").value.trim() || $("booking-email").value.trim());
  if (!contact && !box.disabled) notifyWanted = box.checked;
  box.disabled = !contact;
  box.checked = contact ? notifyWanted : false;
}

function staffOptions(walkIn, selected) {
  const select = clear($("booking-staff"));
  if (walkIn) select.appendChild(el("option", { value: "", text: t("anyone_free") }));
  // A walk-in is for today: once today's calendar is read, not those off all day (no
  // hours, or time off over all of them: her holiday).
  const today = walkIn && sheet && sheet.today ? sheet.today : null;
  const date = today ? g.zoned(Date.now(), tz()).date : null;
  const works = (m) => {
    const mine = today && today.staff.find((x) => x.id === m.id);
    if (!mine || m.id === selected) return true;
    const away = (iv) => mine.timeOff.some((o) => o.startMs <= iv.start && iv.end <= o.endMs);
    return (mine.hours[date] || []).some((iv) => !away(iv));
  };
  for (const m of staffList().filter(works)) {
    select.appendChild(el("option", { value: m.id, text: m.name, selected: m.id === selected }));
  }
  if (selected) select.value = selected;
}

function servicesFor(staffId) {
  const all = (state.profile && state.profile.services) || [];
  return staffId ? all.filter((s) => !s.staff || s.staff.includes(staffId)) : all;
}

function renderServices(selected) {
  const box = clear($("booking-service-list"));
  const list = servicesFor($("booking-staff").value);
  for (const s of list) {
    const id = `svc-${s.id}`;
    const input = el("input", { type: "radio", name: "booking-service", id, value: s.id, checked: s.id === selected });
    input.addEventListener("change", updateEnd);
    box.appendChild(el("div", { className: "choice" }, input,
      el("label", { for: id },
        el("span", { className: "name", text: serviceName(s.id) }),
        el("span", { className: "meta", text: t("duration_price", { minutes: s.duration_minutes, price: money(s.price_cents, currency()) }) }))));
  }
  if (!list.length) box.appendChild(el("p", { className: "muted", text: t("no_services") }));
}

function chosenService() {
  const c = document.querySelector("input[name=booking-service]:checked");
  return c ? service(c.value) : null;
}

function startMs() {
  if (sheet.walkIn) return g.floorTo(Date.now(), 5, tz());
  const date = $("booking-date").value;
  const time = $("booking-time").value;
  if (!date || !/^\d\d:\d\d/.test(time)) return null;
  const [h, m] = time.split(":").map(Number);
  return g.wallToMs(date, h, m, tz());
}

function updateEnd() {
  const s = chosenService();
  const start = startMs();
  const when = $("booking-when");
  // "Now" is offered only when somebody works now, long enough for the service.
  sheet.next = null;
  const blocked = sheet.walkIn ? walkInBlocked(s, start) : "";
  drawNext();
  when.classList.toggle("error", !!blocked);
  $("booking-submit").disabled = !!blocked;
  if (blocked) {
    when.textContent = blocked;
    clearPreview();
    return;
  }
  if (!s || start === null) {
    when.textContent = sheet.walkIn ? t("walk_in_now") : "";
    clearPreview();
    return;
  }
  const end = start + s.duration_minutes * g.MINUTE;
  const range = `${clock(start, tz())}–${clock(end, tz())}`;
  when.textContent = sheet.walkIn ? `${t("walk_in_now")} · ${range}` : `${day(g.localIso(start, tz()), { weekday: "short", day: "numeric", month: "numeric" })} ${range}`;
  drawRewardPrice();
  const staffId = $("booking-staff").value;
  if (staffId && !sheet.walkIn) showPreview({ staff: staffId, start, end }); else clearPreview();
}

// Why a walk-in cannot start now, in words, or "": by today's hours of the staff member
// picked, or of those who offer the service. Unknown until today's calendar is read.
function walkInBlocked(s, start) {
  if (!sheet.today) return "";
  const staffId = $("booking-staff").value;
  const members = sheet.today.staff.filter((m) => (staffId ? m.id === staffId : !s || !s.staff || s.staff.includes(m.id)));
  const date = g.zoned(start, tz()).date;
  const problem = walkInProblem(members, date, start, s ? s.duration_minutes * g.MINUTE : 0);
  const who = staffId ? "staff" : "anyone";
  if (problem) {
    return t(`walk_in_${problem}_${who}`, { time: clock(start, tz()), name: staffName(staffId), service: s ? serviceName(s.id) : "" });
  }
  // Working, but with a client (or away): nobody to take her now. Who is free next today
  // and when (for the service picked, else the shortest one), and a booking at that time.
  const shortest = Math.min(...servicesFor(staffId).map((x) => x.duration_minutes));
  const length = (s ? s.duration_minutes : Number.isFinite(shortest) ? shortest : 5) * g.MINUTE;
  // Her clearing up after it must fit too, before her next client (the API refuses else).
  const free = walkInNext(members, date, start, { length, held: length + ((s && s.buffer_minutes) || 0) * g.MINUTE });
  if (free.free) return "";
  sheet.next = free.next;
  // Idle now, her next client too soon for the service: not "busy" — she is standing there.
  const idle = staffId && members.length === 1 && busyOf(members[0]).every((b) => !(b.start <= start && start < b.end));
  if (!free.next) return t(`walk_in_${idle ? "gap" : "busy"}_all_day_${who}`, { name: staffName(staffId) });
  if (idle) return t("walk_in_gap_staff", { name: staffName(staffId), time: clock(free.next.start, tz()) });
  return t(`walk_in_busy_${who}`, { name: staffName(staffId), next: staffName(free.next.id), time: clock(free.next.start, tz()) });
}

// The next free time offered at once: the sheet becomes a booking at that time with that
// staff member, the service and the client as she left them.
function drawNext() {
  const b = $("booking-next");
  const next = sheet && sheet.walkIn ? sheet.next : null;
  b.hidden = !next;
  if (next) b.textContent = t("walk_in_book_next", { time: clock(next.start, tz()), name: staffName(next.id) });
}

function bookNext() {
  const next = sheet && sheet.next;
  if (!next) return;
  const s = chosenService();
  sheet.walkIn = false;
  sheet.waits = true; // she waits at the desk for it: still a walk-in, if it stays today
  placeWhen();
  sheet.next = null;
  sheet.problem = null;
  $("booking-error").textContent = "";
  drawTitle();
  $("booking-time-fields").hidden = false;
  $("booking-date").value = g.zoned(next.start, tz()).date;
  $("booking-time").value = g.hhmm(next.start, tz());
  staffOptions(false, next.id);
  renderServices(s && servicesFor(next.id).some((x) => x.id === s.id) ? s.id : null);
  updateEnd();
  $("booking-time").focus();
}

async function readToday(forSheet, fresh) {
  try {
    const today = await todayCalendar(fresh);
    if (sheet !== forSheet) return;
    sheet.today = today;
    if (sheet.walkIn) staffOptions(true, $("booking-staff").value);
    updateEnd();
  } catch (err) { /* not known: the server alone decides */ }
}

// --- the client -----------------------------------------------------------------------
function chooseClient(client) {
  sheet.client = client;
  if (!client) sheet.useReward = false; // another client's reward is not chosen for her
  $("booking-client-find").hidden = !!client;
  $("booking-new-fields").hidden = true;
  $("booking-new-client").setAttribute("aria-expanded", "false");
  updateNotify();
  drawChosen();
  readRewards(sheet);
  if (!client) $("booking-client-q").focus();
}

// --- a reward from her stamp card -------------------------------------------------------
// The rewards the chosen client can use now (the one that runs out first offered), read
// from her card (GET /clients/{id}/loyalty); the desk books with one without the card link.
async function readRewards(forSheet) {
  const client = forSheet.client;
  forSheet.rewards = [];
  drawReward();
  if (!client || !client.id) return;
  let card = null;
  try {
    card = await api("GET", `/clients/${encodeURIComponent(client.id)}/loyalty`);
  } catch (err) { return; } // no card to read: booked without a reward
  if (sheet !== forSheet || forSheet.client !== client) return;
  const last = (r) => r.expires_on || "9999-12-31";
  forSheet.rewards = (card.rewards || []).filter((r) => r.status === "available")
    .sort((a, b) => last(a).localeCompare(last(b)));
  drawReward();
}

function chosenReward() {
  const box = $("booking-reward-use");
  return sheet && sheet.rewards && sheet.rewards.length && box && box.checked ? sheet.rewards[0] : null;
}

function drawReward() {
  const box = clear($("booking-reward"));
  const r = sheet && sheet.rewards && sheet.rewards[0];
  box.hidden = !r;
  if (!r) return;
  const input = el("input", { type: "checkbox", id: "booking-reward-use", checked: !!sheet.useReward });
  input.addEventListener("change", () => { sheet.useReward = input.checked; drawRewardPrice(); });
  box.appendChild(el("label", { className: "check" }, input, " ", el("span", { text: t("use_reward", { reward: r.description || r.id }) })));
  box.appendChild(el("p", { id: "booking-reward-price", className: "muted", role: "status" }));
  drawRewardPrice();
}

// The chosen service's price with the reward, beside the choice.
function drawRewardPrice() {
  const line = $("booking-reward-price");
  if (!line) return;
  const r = chosenReward();
  const s = chosenService();
  line.textContent = r && s ? t("price_with_reward", { price: money(priceWithReward(s.price_cents, r), currency()), full: money(s.price_cents, currency()) }) : "";
}

function drawChosen() {
  const client = sheet.client;
  const box = clear($("booking-client-chosen"));
  box.hidden = !client;
  if (!client) return;
  box.appendChild(el("span", { className: "who", text: client.name }));
  const contact = [phoneText(client), client.email].filter(Boolean).join(" · ");
  if (contact) box.appendChild(el("span", { className: "muted", text: ` ${contact}` }));
  // Booked at the desk by her name alone: nothing to send a confirmation or reminder to.
  else box.appendChild(el("p", { className: "muted hint", text: t("no_contact_hint") }));
  if (client.allergies) box.appendChild(el("p", { className: "allergy-box", text: `${t("m_allergy")}: ${client.allergies}` }));
  const change = el("button", { type: "button", className: "plain", text: t("change_client"), "aria-label": `${t("change_client")}: ${client.name}` });
  change.addEventListener("click", () => chooseClient(null));
  box.appendChild(change);
}

function findClients() {
  const q = $("booking-client-q").value.trim();
  const box = $("booking-client-results");
  clearTimeout(searchTimer);
  if (q.length < 2) { clear(box); sheet.listed = []; sheet.results = null; sameNameHint(); return; }
  searchTimer = setTimeout(async () => {
    const seq = ++searchSeq;
    try {
      const found = await api("GET", `/clients?${new URLSearchParams({ q, limit: "6" })}`);
      if (seq !== searchSeq) return;
      sheet.listed = found.clients;
      sheet.results = { clients: found.clients };
      sameNameHint();
    } catch (err) {
      if (seq !== searchSeq) return;
      sheet.results = { error: err };
    }
    drawResults();
  }, 250);
}

// The clients found (or why the search failed), in the dashboard's language.
function drawResults() {
  const box = clear($("booking-client-results"));
  const r = sheet.results;
  if (!r) return;
  if (r.error) { box.appendChild(el("li", { className: "error", text: errorText(r.error) })); return; }
  for (const c of r.clients) {
    const b = el("button", { type: "button", className: "result" },
      el("span", { className: "who", text: c.name }),
      el("span", { className: "muted", text: clientApart(c) }));
    b.addEventListener("click", () => { clear(box); sheet.results = null; chooseClient(c); });
    box.appendChild(el("li", {}, b));
  }
  if (!r.clients.length) box.appendChild(el("li", { className: "muted", text: t("no_clients_found") }));
}

// A new client's name typed exactly as one listed above: she may be that client.
function sameNameHint() {
  const key = (v) => (v || "").trim().toLocaleLowerCase().replace(/\s+/g, " ");
  const name = key($("booking-name").value);
  $("booking-same-name").hidden = !(sheet && name && (sheet.listed || []).some((c) => key(c.name) === name));
}

function toggleNewClient() {
  const open = $("booking-new-fields").hidden;
  $("booking-new-fields").hidden = !open;
  $("booking-new-client").setAttribute("aria-expanded", String(open));
  if (open) {
    const q = $("booking-client-q").value.trim();
    if (q && !$("booking-name").value) {
      if (/^[+\d][\d\s-]{5,}$/.test(q)) $("booking-phone").value = q;
      else if (q.includes("@")) $("booking-email").value = q;
      else $("booking-name").value = q;
    }
    updateNotify();
    sameNameHint();
    $("booking-name").focus();
  }
}

// --- opening and confirming -----------------------------------------------------------
// open({staff, start (ms), service, client, walkIn, reward: true to use her reward})
export function openBooking(opts) {
  const o = opts || {};
  sheet = { walkIn: !!o.walkIn, client: null, key: null, asked: null, today: null, listed: [], results: null, problem: null,
    rewards: [], useReward: !!o.reward };
  const form = $("booking-form");
  form.reset();
  clearFieldErrors(form);
  $("booking-error").textContent = "";
  drawTitle();
  $("booking-time-fields").hidden = sheet.walkIn;
  placeWhen();
  const start = o.start || null;
  if (start !== null) {
    const z = g.zoned(start, tz());
    $("booking-date").value = z.date;
    $("booking-time").value = g.hhmm(start, tz());
  } else {
    $("booking-date").value = todayIso();
    $("booking-time").value = "";
  }
  const mine = state.me && state.me.staff_id;
  staffOptions(sheet.walkIn, o.staff || (sheet.walkIn ? "" : mine || (staffList()[0] || {}).id));
  renderServices(o.service || null);
  drawResults();
  chooseClient(o.client || null);
  $("booking-new-fields").hidden = true;
  $("booking-locale").value = businessLocale(); // her messages' language, the salon's unless told
  sameNameHint();
  // A walk-in is standing at the desk, her visit starting now: no confirmation unless asked.
  notifyWanted = !sheet.walkIn;
  $("booking-notify").disabled = false;
  $("booking-notify").checked = notifyWanted;
  updateNotify();
  updateEnd();
  const first = document.querySelector("input[name=booking-service]:checked") || document.querySelector("input[name=booking-service]");
  openDialog(dialog(), sheet.walkIn || start !== null ? first : $("booking-time"));
  if (sheet.walkIn) readToday(sheet);
}

// A walk-in's "when" says whether the stylist and service picked fit now, one to three
// lines that come and go as she picks: under the choices, so they do not move under her
// finger (an owner's walk: the services jumped 94 px). A booking's "when" heads the sheet.
function placeWhen() {
  const when = $("booking-when"), next = $("booking-next");
  if (sheet.walkIn) $("booking-services").after(when, next);
  else $("booking-time-fields").before(when, next);
}

function drawTitle() {
  $("booking-title").textContent = sheet.walkIn ? t("walk_in_title") : t("new_booking");
}

// The dashboard's language changed with the sheet open: its words drawn again in it (the
// title, the staff and service choices, the client found or chosen, when, what was refused),
// what the owner typed and chose as it was.
export function relabelBooking() {
  if (!sheet || !dialog().open) return;
  const focused = dialog().contains(document.activeElement) ? document.activeElement : null;
  const s = chosenService();
  drawTitle();
  staffOptions(sheet.walkIn, $("booking-staff").value);
  renderServices(s ? s.id : null);
  drawResults();
  drawChosen();
  drawReward();
  updateEnd();
  if (sheet.problem) sheet.problem();
  if (!focused) return;
  const back = (focused.id && $(focused.id)) || ($("booking-client-find").hidden ? $("booking-staff") : $("booking-client-q"));
  back.focus();
}

// What was refused, said where it belongs, and again in another language (relabelBooking).
function complain(show) {
  if (sheet) sheet.problem = show;
  show();
}

// The input each field of an error (the form's own checks, the API's) is said next to.
function inputsOf() {
  return {
    service: document.querySelector("input[name=booking-service]") || $("booking-service-list"),
    staff: $("booking-staff"),
    start: $("booking-time"),
    walk_in: $("booking-staff"),
    client_id: $("booking-client-q"),
    client: $("booking-name"),
    "client.name": $("booking-name"),
    "client.phone": $("booking-phone"),
    "client.email": $("booking-email"),
    "client.locale": $("booking-locale"),
    notify: $("booking-notify"),
    reward: $("booking-reward-use") || $("booking-notify"),
  };
}

async function submit(e) {
  e.preventDefault();
  const form = $("booking-form");
  clearFieldErrors(form);
  const error = $("booking-error");
  error.textContent = "";
  sheet.problem = null;
  const s = chosenService();
  const start = startMs();
  const missing = {}; // a field's path: the key of its words
  if (!s) missing.service = "pick_service";
  if (!sheet.walkIn && start === null) missing.start = "pick_time";
  const newClient = !sheet.client;
  const name = $("booking-name").value.trim();
  const phone = $("booking-phone").value.trim();
  const email = $("booking-email").value.trim();
  // A name alone will do at the desk (the walk-in who gives no contact): the form's hint
  // says she then gets no confirmation or reminders.
  if (newClient && !name) missing[$("booking-new-fields").hidden ? "client_id" : "client.name"] = "pick_client";
  if (Object.keys(missing).length) {
    if (missing.client_id === undefined && $("booking-new-fields").hidden && missing["client.name"]) toggleNewClient();
    complain(() => showFieldErrors(form, { fields: Object.fromEntries(Object.entries(missing).map(([path, key]) => [path, t(key)])) },
      inputsOf(), error));
    return;
  }
  const body = { service: s.id };
  const staffId = $("booking-staff").value;
  if (staffId) body.staff = staffId;
  if (sheet.walkIn) body.walk_in = true; else body.start = g.localIso(start, tz());
  if (sheet.waits && g.zoned(start, tz()).date === todayIso()) body.walk_in = true;
  if (sheet.client) body.client_id = sheet.client.id;
  else body.client = Object.fromEntries(Object.entries({ name, phone, email, locale: $("booking-locale").value }).filter(([, v]) => v));
  const reward = chosenReward();
  if (reward) body.reward = { id: reward.id };
  Object.assign(body, withoutDefaults({ notify: $("booking-notify").checked }, { notify: true }));
  const button = $("booking-submit");
  button.disabled = true;
  try {
    // The same booking tapped again after its answer was lost goes with the same key, and
    // gets the booking it made, not a clash with it (postOnce).
    const view = await postOnce(api, sheet, "/bookings", body);
    closeDialog(dialog());
    const who = sheet.client ? sheet.client.name : name;
    const time = dayTime(view.start);
    // "Anyone free" (a walk-in): whom the API gave her to is the news.
    const done = staffId ? t("booked_done", { name: who, time }) : t("booked_done_with", { name: who, time, staff: staffName(view.staff && view.staff.id) });
    say(withHeldSms(done, view));
    showWhenDrawn(view.id);
    changed();
  } catch (err) {
    // Not a race: the calendar has a booking (or time off) there already, and the API says when.
    const o = err.status === 409 && err.details && err.details.reason === "overlaps" ? err.details.overlaps : null;
    if (o && sheet.walkIn) {
      // The walk-in has no time to change: taken meanwhile (or by a buffer the calendar
      // does not draw). Today read again says who is free next and offers that time.
      complain(() => { error.textContent = t("walk_in_taken"); });
      changed();
      readToday(sheet, true);
    } else if (o) {
      complain(() => showFieldErrors(form, { fields: { start: t(o.time_off ? "booking_overlaps_time_off" : "booking_overlaps",
        { time: `${clock(o.start)}–${clock(o.end)}`, name: staffName($("booking-staff").value) || t("staff_member") }) } }, inputsOf(), error));
      changed(); // what it overlaps shows in the calendar
    } else if (err.status === 409 && (err.code === "slot_taken" || err.code === "time_taken")) {
      complain(() => { error.textContent = t("slot_taken_reloaded"); });
      changed();
    } else if (routeMissing(err)) {
      complain(() => { error.textContent = t("not_available_yet"); });
    } else {
      complain(() => showFieldErrors(form, err, inputsOf(), error));
    }
  } finally {
    button.disabled = false;
  }
}

export function initBooking() {
  $("booking-form").addEventListener("submit", submit);
  $("booking-next").addEventListener("click", bookNext);
  $("booking-staff").addEventListener("change", () => {
    const s = chosenService();
    renderServices(s && servicesFor($("booking-staff").value).some((x) => x.id === s.id) ? s.id : null);
    updateEnd();
  });
  $("booking-date").addEventListener("change", updateEnd);
  $("booking-time").addEventListener("change", updateEnd);
  $("booking-client-q").addEventListener("input", findClients);
  $("booking-new-client").addEventListener("click", toggleNewClient);
  $("booking-name").addEventListener("input", sameNameHint);
  $("booking-phone").addEventListener("input", updateNotify);
  $("booking-email").addEventListener("input", updateNotify);
  dialog().addEventListener("close", () => { clearPreview(); sheet = null; });
}
