// The calendar: a day as a time grid with a column per staff member (one at a time on a
// phone, switched by the staff buttons or a swipe), a staff member's week, opening and
// working hours, breaks and time off shaded, a now-line, appointment blocks. Tapping a
// block opens its card; tapping a free time opens the desk booking; a block is moved by
// dragging it (mouse, pen) or with the card's "Move" and a tap on a free time.
import { $, clear, el, openDialog } from "./dom.js";
import { clock, day, errorText, fieldText, t, withHeldSms } from "./i18n.js";
import * as g from "./grid.js";
import { closedText, dayHasTime, dayIntervals, defaultStaffId, findAppointment, normalizeCalendar, slotStarts } from "./calmodel.js";
import { createPoller } from "./live.js";
import { postOnce, routeMissing } from "./api.js";
import { api, changed, onChanged, say, serviceName, staffList, state, todayIso } from "./state.js";

const STEP_TAP = 15; // minutes: a tap picks a quarter hour
const STEP_DRAG = 5; // minutes: a drag can land on any 5-minute mark (desk rules)
const SLOT = 30; // minutes per free-time button

export const cal = {
  view: "day",
  date: null,
  staff: null, // the staff member chosen: her column of the day on a phone, and her week
  scrolledWeek: null, // the week whose sideways scroll is hers (renderCalendar)
  scrolledNow: false, // today's day on a phone was scrolled to the now-line once (scrollToNow)
  showId: null, // a booking just made, to bring into view once drawn (showWhenDrawn)
  data: null,
  moving: null,
  preview: null,
  seq: 0,
  lastRenderMs: null,
};

let handlers = { openCard: () => {}, openBooking: () => {}, removeTimeOff: () => {}, freshCard: () => {} };
export function setHandlers(h) { handlers = { ...handlers, ...h }; }

// What else reads itself again when the live poll sees a change (main.js: a list's count).
const liveListeners = [];
export function onLiveChange(fn) { liveListeners.push(fn); }

const poller = createPoller({
  check: (since) => api("GET", `/calendar/changes?since=${encodeURIComponent(since)}`),
  onChange: async () => {
    for (const fn of liveListeners) fn();
    await loadCalendar({ quiet: true });
    // An open card on a visit changed elsewhere: drawn as it is now (card.js freshCard).
    if (cal.data) handlers.freshCard(cal.data.staff.flatMap((m) => m.appointments));
  },
  isVisible: () => document.visibilityState === "visible" && !!state.me,
});

// --- loading --------------------------------------------------------------------------
export async function loadCalendar({ quiet } = {}) {
  if (!cal.date) cal.date = todayIso();
  const box = $("calendar");
  const seq = ++cal.seq;
  const token = state.token;
  if (!cal.data && !quiet) clear(box).appendChild(el("p", { className: "muted", text: t("loading") }));
  box.setAttribute("aria-busy", "true");
  const params = new URLSearchParams({ view: cal.view, date: cal.date });
  try {
    const data = await api("GET", `/calendar?${params}`);
    if (seq !== cal.seq || token !== state.token) return;
    const t0 = performance.now();
    cal.data = normalizeCalendar(data, state.profile, Date.now());
    renderCalendar();
    cal.lastRenderMs = performance.now() - t0;
    performance.mark("rebook-calendar-rendered");
    box.dataset.renderMs = cal.lastRenderMs.toFixed(1);
    poller.setToken(cal.data.token);
  } catch (err) {
    if (seq !== cal.seq || token !== state.token) return;
    if (err.status === 403) state.denied.calendar = true;
    clear(box).appendChild(el("p", { className: "error", text: `${t("load_failed")} ${errorText(err)}` }));
    const retry = el("button", { type: "button", className: "plain", text: t("retry") });
    retry.addEventListener("click", () => loadCalendar());
    box.appendChild(retry);
  } finally {
    if (seq === cal.seq) box.removeAttribute("aria-busy");
  }
}

// Today's calendar: the range shown when it holds today (the week's answer has every staff
// member too), else asked for. The walk-in sheet reads who works now from it.
export async function todayCalendar(fresh) {
  const today = todayIso();
  if (!fresh && cal.data && cal.data.dates.includes(today)) return cal.data;
  const data = await api("GET", `/calendar?${new URLSearchParams({ view: "day", date: today })}`);
  return normalizeCalendar(data, state.profile, Date.now());
}

export function startLive() { poller.start(); }
export function stopLive() { poller.stop(); poller.setToken(null); }

export function forgetCalendar() {
  cal.data = null;
  cal.moving = null;
  cal.preview = null;
  cal.date = null;
  cal.staff = null;
  cal.scrolledWeek = null;
  cal.scrolledNow = false;
  cal.seq++;
  stopLive();
  clear($("calendar"));
  clear($("staff-switch"));
  $("cal-range").textContent = "";
  $("move-banner").hidden = true;
}

// --- rendering ------------------------------------------------------------------------
function visibleStaff() {
  const all = cal.data.staff;
  if (!cal.staff || !all.some((m) => m.id === cal.staff)) cal.staff = defaultStaffId(all, state.me && state.me.staff_id);
  return cal.view === "week" ? all.filter((m) => m.id === cal.staff) : all;
}

// The staff member whose time she is looking at: the week's, or the one column a phone's
// day shows (its staff switch is on the screen); null when the day shows everyone's.
export function staffOnScreen() {
  if (!cal.data || !cal.staff || state.view !== "calendar") return null;
  if (cal.view === "week") return cal.staff;
  return $("staff-switch").getClientRects().length ? cal.staff : null;
}


export function renderCalendar() {
  const data = cal.data;
  if (!data) return;
  const before = $("calendar").querySelector(".cal-scroll");
  const scrolled = before ? before.scrollLeft : 0;
  const box = clear($("calendar"));
  const tz = data.tz;
  $("cal-day").setAttribute("aria-pressed", String(cal.view === "day"));
  $("cal-week").setAttribute("aria-pressed", String(cal.view === "week"));
  $("cal-range").textContent = cal.view === "week"
    ? `${day(data.from, { weekday: "short", day: "numeric", month: "numeric" })} – ${day(data.to)}`
    : day(data.from, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  renderWaiting(data);
  const closed = $("cal-closed");
  closed.textContent = closedText(data.days, cal.view === "week");
  closed.hidden = !closed.textContent;
  const staff = visibleStaff();
  renderStaffSwitch(data.staff);
  renderMoveBanner();

  // The columns: [staff member, date] pairs.
  const columns = cal.view === "week"
    ? data.dates.map((date) => ({ member: staff[0], date }))
    : staff.map((member) => ({ member, date: data.dates[0] }));
  if (!columns.length || !columns[0].member) {
    box.appendChild(el("p", { className: "muted", text: t("no_staff") }));
    return;
  }

  // One window of wall-clock hours for every column (for a week: the widest day).
  let fromHour = 24;
  let toHour = 0;
  for (const { member, date } of columns) {
    const w = g.dayWindow(date, tz, dayIntervals(data.days, member, date));
    fromHour = Math.min(fromHour, g.zoned(w.top, tz).hour);
    const endZ = g.zoned(w.bottom, tz);
    toHour = Math.max(toHour, endZ.date > date ? 24 : endZ.hour);
  }
  const windows = columns.map(({ date }) => ({
    top: g.wallToMs(date, fromHour, 0, tz),
    bottom: toHour >= 24 ? g.wallToMs(g.addDays(date, 1), 0, 0, tz) : g.wallToMs(date, toHour, 0, tz),
  }));
  const height = Math.max(...windows.map((w) => g.yOf(w.bottom, w.top)));

  const grid = el("div", {
    className: `cal ${cal.view}`,
    role: "region",
    "aria-label": cal.view === "week" ? t("week_of", { name: staff[0].name }) : t("day_grid"),
  });
  grid.style.setProperty("--cols", String(columns.length));
  const head = el("div", { className: "cal-head", "aria-hidden": "true" }, el("div", { className: "gutter-head" }));
  const body = el("div", { className: "cal-body" });
  body.style.height = `${height}px`;
  const gutter = el("div", { className: "gutter", "aria-hidden": "true" });
  for (const mark of g.hourMarks(windows[0].top, windows[0].bottom, tz)) {
    const label = el("span", { className: "hour", text: clock(mark.t, tz) });
    label.style.top = `${mark.y}px`;
    gutter.appendChild(label);
  }
  body.appendChild(gutter);

  columns.forEach(({ member, date }, i) => {
    const active = cal.view === "week" || member.id === cal.staff;
    const title = cal.view === "week" ? day(date, { weekday: "short", day: "numeric", month: "numeric" }) : member.name;
    head.appendChild(el("div", { className: `col-head${active ? " active" : ""}${date === todayIso() && cal.view === "week" ? " today" : ""}`, text: title }));
    body.appendChild(renderColumn(member, date, windows[i], active));
  });
  // A week scrolls sideways on a phone: a region the keyboard reaches too, an empty week
  // having nothing else in it to focus (axe's scrollable-region-focusable).
  const week = cal.view === "week";
  const scroller = el("div", { className: "cal-scroll", tabindex: week ? "0" : null, role: week ? "region" : null,
    "aria-labelledby": week ? "cal-range" : null }, head, body);
  grid.appendChild(scroller);
  box.appendChild(grid);
  if (cal.view === "week") scrollWeek(scroller, head.querySelector(".col-head.today"), scrolled);
  else cal.scrolledWeek = null;
  const shown = columns.find(({ member }) => member.id === cal.staff) || columns[0];
  if (cal.view === "day" && dayHasTime(data.days, shown.member, shown.date)) scrollToNow(body.querySelector(".col.active .now-line"));
  showBooked(body);
}

// A booking the desk just made, brought into view once the calendar holds it (an owner's
// walk: the page stayed where the long sheet had been, the new visit off the screen).
export function showWhenDrawn(id) { cal.showId = id; }
function showBooked(body) {
  if (!cal.showId) return;
  const block = body.querySelector(`.appt[data-id="${CSS.escape(cal.showId)}"]`);
  if (!block) return; // not in this range (another day): nothing to show
  const staff = block.closest(".col") && block.closest(".col").dataset.staff;
  if (!block.offsetParent && cal.view === "day" && staff && staff !== cal.staff) {
    pickStaff(staff); // a phone shows one column: hers whom the visit went to ("anyone free")
    return;
  }
  cal.showId = null;
  if (block.offsetParent) block.scrollIntoView({ block: "center" });
}

// Today's day on a phone opens at now, not at the first opening hour: drawn first with the
// now-line below the first screen, the page is scrolled to put it an hour (or a quarter of
// the screen) from the top. Once: a poll or a change draws it again where she scrolled.
const PHONE = "(max-width: 39.99rem)";
function scrollToNow(line) {
  if (cal.scrolledNow || !line || !line.offsetParent || !window.matchMedia(PHONE).matches) return;
  cal.scrolledNow = true;
  const top = line.getBoundingClientRect().top;
  const room = Math.max(60 * g.PX_PER_MIN, window.innerHeight / 4);
  if (top > window.innerHeight - room) window.scrollBy(0, top - room);
}

// A week wider than the phone: drawn first, today's column in sight; drawn again (a
// change, a poll, a preview) where she had scrolled it.
function scrollWeek(scroller, today, scrolled) {
  if (!scroller.clientWidth) return; // not on the screen (another view): when it is
  const key = `${cal.staff} ${cal.data.from}`;
  if (cal.scrolledWeek === key) {
    scroller.scrollLeft = scrolled;
    return;
  }
  cal.scrolledWeek = key;
  if (!today) return;
  // By whole days (the week snaps to them): today in sight, the first day shown whole.
  const box = today.getBoundingClientRect();
  const over = box.right - scroller.getBoundingClientRect().right;
  if (over > 0) scroller.scrollLeft += Math.ceil(over / box.width - 0.01) * box.width;
}

function renderColumn(member, date, win, active) {
  const data = cal.data;
  const tz = data.tz;
  const dayInfo = data.days.find((d) => d.date === date);
  const work = member.hours[date] || [];
  const name = cal.view === "week"
    ? day(date, { weekday: "long", day: "numeric", month: "numeric" })
    : member.name;
  const col = el("div", {
    className: `col${active ? " active" : ""}`,
    role: "group",
    "aria-label": name,
    "data-staff": member.id,
    "data-date": date,
  });
  col.dataset.top = String(win.top);

  // Shading: the salon closed; the staff member not working (breaks are the gaps).
  for (const gap of g.gaps(win.top, win.bottom, dayInfo.open)) col.appendChild(shade("closed", gap, win));
  for (const gap of g.gaps(win.top, win.bottom, work)) {
    if (!g.gaps(win.top, win.bottom, dayInfo.open).some((c) => c.start <= gap.start && gap.end <= c.end)) {
      col.appendChild(shade("off", gap, win));
    }
  }
  // Hour lines.
  for (const mark of g.hourMarks(win.top, win.bottom, tz)) {
    const line = el("div", { className: "hour-line", "aria-hidden": "true" });
    line.style.top = `${mark.y}px`;
    col.appendChild(line);
  }
  // Free time: a button per half hour with a quarter hour the desk can book (inside
  // working hours, clear of bookings with their buffers and of time off, not past). While
  // a booking is being moved, only where all of it (and its buffer) fits.
  const appts = member.appointments.filter((a) => a.status !== "cancelled");
  const m = cal.moving;
  const fit = m
    ? { length: m.endMs - m.startMs, held: (m.heldMs || m.endMs) - m.startMs, exceptId: m.id }
    : { length: STEP_TAP * g.MINUTE, held: STEP_TAP * g.MINUTE, exceptId: null };
  // Free times, time off and visits go into the column in the order of their times: Tab
  // (and a screen reader) walks the day as it runs, not every free time first.
  const timed = [];
  for (let s = win.top; s < win.bottom; s += SLOT * g.MINUTE) {
    const quarters = slotStarts(member, date, s, SLOT * g.MINUTE, STEP_TAP * g.MINUTE, { ...fit, nowMs: data.now });
    if (!quarters.length) continue;
    const first = quarters[0];
    const label = cal.moving
      ? t("move_here", { time: clock(first, tz), name: member.name })
      : t("free_time", { time: clock(first, tz), name: member.name });
    const slot = el("button", { type: "button", className: "slot", "aria-label": label, "data-start": String(first) });
    slot.style.top = `${g.yOf(s, win.top)}px`;
    slot.style.height = `${g.heightOf(s, s + SLOT * g.MINUTE)}px`;
    slot.addEventListener("click", (e) => {
      let at = first;
      if (e.detail > 0 && e.offsetY >= 0) {
        const picked = g.timeAtY(g.yOf(s, win.top) + e.offsetY, win.top, { step: STEP_TAP });
        if (quarters.includes(picked)) at = picked;
      }
      freeTimeTapped(member, at);
    });
    timed.push([first, slot]); // by the time it offers: 10.55 after a visit done at 10.52
  }
  // Time off; blocks that overlap (two people at the desk, the whole salon's and her own)
  // side by side, each visible and removable on its own.
  for (const { item: off, col: c, cols } of g.layoutBlocks(member.timeOff)) {
    const s = Math.max(off.startMs, win.top);
    const e = Math.min(off.endMs, win.bottom);
    if (e <= s) continue;
    const label = `${t("time_off_block")}${off.reason ? `: ${off.reason}` : ""}`;
    const block = el("button", { type: "button", className: "timeoff-block", "aria-label": `${label} (${clock(off.startMs, tz)}–${clock(off.endMs, tz)})` },
      el("span", { text: label }));
    block.style.top = `${g.yOf(s, win.top)}px`;
    block.style.height = `${g.heightOf(s, e)}px`;
    if (cols > 1) {
      block.style.left = `${(c / cols) * 100}%`;
      block.style.width = `${100 / cols}%`;
    }
    block.addEventListener("click", () => handlers.removeTimeOff(off, member));
    block.dataset.start = String(s);
    timed.push([s, block]);
  }
  // Appointments, overlapping ones side by side.
  const onDay = appts.filter((a) => a.endMs > win.top && a.startMs < win.bottom);
  for (const { item: a, col: c, cols } of g.layoutBlocks(onDay, (x) => x.drawnEndMs || x.endMs)) {
    const b = block(a, c, cols, win);
    b.dataset.start = String(Math.max(a.startMs, win.top));
    timed.push([Number(b.dataset.start), b]);
    // Its buffer (cleaning up, nobody bookable) as a faint tail under the block.
    const tailStart = Math.max(a.drawnEndMs || a.endMs, win.top);
    const tailEnd = Math.min(a.heldMs || a.endMs, win.bottom);
    if (tailEnd > tailStart) {
      const tail = el("div", { className: "buffer", "aria-hidden": "true" });
      tail.style.top = `${g.yOf(tailStart, win.top)}px`;
      tail.style.height = `${g.heightOf(tailStart, tailEnd)}px`;
      tail.style.left = `calc(${(c / cols) * 100}% + 2px)`;
      tail.style.width = `calc(${100 / cols}% - 4px)`;
      col.appendChild(tail);
    }
  }
  timed.sort((x, y) => x[0] - y[0]); // stable: side by side as laid out
  for (const [, node] of timed) col.appendChild(node);
  // The booking being made, its end drawn.
  if (cal.preview && cal.preview.staff === member.id && cal.preview.start >= win.top && cal.preview.start < win.bottom) {
    const p = el("div", { className: "preview", "aria-hidden": "true", text: `${clock(cal.preview.start, tz)}–${clock(cal.preview.end, tz)}` });
    p.style.top = `${g.yOf(cal.preview.start, win.top)}px`;
    p.style.height = `${g.heightOf(cal.preview.start, cal.preview.end)}px`;
    col.appendChild(p);
  }
  // Now.
  if (data.now >= win.top && data.now < win.bottom && g.zoned(data.now, tz).date === date) {
    const now = el("div", { className: "now-line", title: t("now_at", { time: clock(data.now, tz) }) },
      el("span", { className: "vh", text: t("now_at", { time: clock(data.now, tz) }) }));
    now.style.top = `${g.yOf(data.now, win.top)}px`;
    col.appendChild(now);
  }
  return col;
}

// "3 waiting for Tue 25.11." per day shown, by service (the waitlist, issue 21).
function renderWaiting(data) {
  const parts = data.days
    .map((d) => {
      const per = Object.entries(d.waiting || {});
      const total = per.reduce((n, [, c]) => n + c, 0);
      if (!total) return null;
      const services = per.map(([id, c]) => `${serviceName(id)} ${c}`).join(", ");
      return t("waiting_on_day", { count: total, day: day(d.date, { weekday: "short", day: "numeric", month: "numeric" }), services });
    })
    .filter(Boolean);
  const line = $("cal-waiting");
  line.textContent = parts.join(" · ");
  line.hidden = !parts.length;
}

function shade(kind, gap, win) {
  const s = el("div", { className: `shade ${kind}`, "aria-hidden": "true" });
  s.style.top = `${g.yOf(gap.start, win.top)}px`;
  s.style.height = `${g.heightOf(gap.start, gap.end)}px`;
  return s;
}

export function statusKey(a) {
  if (a.status === "arrived") return "o_arrived";
  return `o_${a.outcome || (a.status === "booked" ? "upcoming" : a.status)}`;
}

export function appointmentSummary(a) {
  const who = (a.client && a.client.name) || t("no_name");
  const what = serviceName(a.service && a.service.id, a.service && a.service.name);
  const marks = [];
  if (a.markers.allergy) marks.push(t("m_allergy"));
  if (a.markers.note) marks.push(t("m_note"));
  if (a.markers.first_visit) marks.push(t("m_first_visit"));
  if (a.markers.deposit) marks.push(t("m_deposit"));
  if (a.markers.held) marks.push(t("m_held"));
  if (a.markers.paid) marks.push(t("m_paid"));
  return { who, what, marks, status: t(statusKey(a)) };
}

// A badge of a word or a sign ("Uusi", "€"): its full word is its name (role img: the
// sign alone is not read), a tooltip too, and the block's name says it.
function marker(kind, short, long) {
  return el("span", { className: `mk ${kind}`, role: "img", "aria-label": ` ${t(long)} `, title: t(long), text: t(short) });
}

const SHORT_BLOCK_PX = 52; // under three lines of a block's text (.appt: .78rem, 1.25 line height) and its padding

function block(a, c, cols, win) {
  const s = appointmentSummary(a);
  // Both ends in the salon's zone: an instant (ms) has none of its own (a re-check walk: a
  // phone set to Stockholm read "10.55–10.40").
  const time = `${clock(a.start)}–${clock(a.shownEndMs || a.endMs, cal.data.tz)}`;
  const b = el("button", {
    type: "button",
    className: `appt st-${a.status} oc-${a.outcome || ""}${a.markers.allergy ? " has-allergy" : ""}${a.markers.held ? " held" : ""}${cal.moving && cal.moving.id === a.id ? " moving" : ""}`,
    "data-id": a.id,
  },
  // The accessible name is the visible text; a short marker says its full word to
  // screen readers (and in a tooltip). One box inside, at the block's top: a button
  // centres its content, which put a long visit's time halfway down it. The marks come
  // before the service: a half-hour block (45 px) has room for two lines, and her
  // allergy and whether she has come matter more at a glance than what was booked.
  el("span", { className: "in" },
  el("span", { className: "t", text: time }), " ",
  el("span", { className: "who", text: s.who }), " ",
  el("span", { className: "marks" },
    a.markers.allergy ? el("span", { className: "mk allergy", text: t("m_allergy") }) : null,
    a.markers.note ? marker("note", "m_note_short", "m_note") : null,
    a.markers.first_visit ? marker("first", "m_first_short", "m_first_visit") : null,
    // Checked out, its deposit went into what she paid: "paid" says it all.
    a.markers.deposit && !a.markers.paid ? marker("deposit", "m_deposit_short", "m_deposit") : null,
    a.markers.held ? marker("held", "m_held_short", "m_held") : null,
    a.markers.paid ? marker("paid", "m_paid_short", "m_paid") : null,
    " ", el("span", { className: `mk state ${a.status}`, text: s.status })), " ",
  el("span", { className: "what", text: s.what })));
  const top = Math.max(a.startMs, win.top);
  b.style.top = `${g.yOf(top, win.top)}px`;
  const height = Math.max(g.heightOf(top, Math.min(a.drawnEndMs || a.endMs, win.bottom)), 22);
  b.style.height = `${height}px`;
  // Two lines' room (a half-hour): the service would be cut through its middle on a third
  // (a staff member's walk); it is on her card, and in the block once there is room.
  if (height < SHORT_BLOCK_PX) b.classList.add("short");
  b.style.left = `calc(${(c / cols) * 100}% + 2px)`;
  b.style.width = `calc(${100 / cols}% - 4px)`;
  b.addEventListener("click", (e) => {
    if (b.dataset.dragged) { delete b.dataset.dragged; e.preventDefault(); return; }
    if (cal.moving) return;
    handlers.openCard(a);
  });
  if (a.status === "booked") enableDrag(b, a);
  return b;
}

// --- staff switch, move banner ----------------------------------------------------------
function renderStaffSwitch(all) {
  const box = clear($("staff-switch"));
  box.className = `staff-switch ${cal.view}`;
  for (const m of all) {
    const on = m.id === cal.staff;
    const b = el("button", { type: "button", "aria-pressed": String(on), "data-staff": m.id, text: m.name });
    b.addEventListener("click", () => pickStaff(m.id));
    box.appendChild(b);
  }
}

function pickStaff(id) {
  cal.staff = id;
  // Her day opens at now, as the first one did (the switch is above the grid: she
  // scrolled up to it, and the 8.00 she would land on is hours ago).
  cal.scrolledNow = false;
  renderCalendar();
}

function stepStaff(delta) {
  const all = cal.data ? cal.data.staff : [];
  if (!all.length) return;
  const current = cal.staff;
  const i = all.findIndex((m) => m.id === current);
  pickStaff(all[(i + delta + all.length) % all.length].id);
}

function renderMoveBanner() {
  const banner = clear($("move-banner"));
  banner.hidden = !cal.moving;
  if (!cal.moving) return;
  const s = appointmentSummary(cal.moving);
  banner.appendChild(el("span", { text: t("moving_hint", { name: s.who, service: s.what }) }));
  const stop = el("button", { type: "button", className: "plain", text: t("cancel_move") });
  stop.addEventListener("click", () => { cal.moving = null; renderCalendar(); say(""); });
  banner.appendChild(stop);
}

export function startMove(a) {
  cal.moving = a;
  renderCalendar();
  // The banner says it (role=status), kept in sight with its "Don't move" (dashboard.css):
  // the status line would say it twice, and a long one scrolls away.
  say("");
  const first = document.querySelector("#calendar .col.active .slot, #calendar .slot");
  if (first) first.focus();
}

// --- free time, moves -----------------------------------------------------------------
function freeTimeTapped(member, at) {
  if (cal.moving) {
    askMove(cal.moving, member.id, at);
    return;
  }
  handlers.openBooking({ staff: member.id, start: at });
}

// A move is asked first, in a small sheet: "Move Maija 10.00 → 12.30 (Aino)?", whether
// the client is told (ticked), Move or Back. Back leaves the move going on (another time
// may be tapped, or the banner's "Don't move" ends it); a drag dropped is simply undone.
let moveDone = null;
function moveDialog() {
  let d = $("move-dialog");
  if (d) return d;
  d = el("dialog", { id: "move-dialog", "aria-labelledby": "move-title" });
  d.addEventListener("close", () => {
    const done = moveDone;
    moveDone = null;
    if (done) done(d.returnValue === "move");
  });
  document.body.appendChild(d);
  return d;
}

export function moveQuestion(a, staffId, start) {
  const tz = cal.data.tz;
  const from = a.startMs ?? Date.parse(a.start);
  const date = (ms) => g.zoned(ms, tz).date;
  const when = (ms) => (date(ms) === date(from) && date(start) === date(from)
    ? clock(ms, tz)
    : `${day(date(ms), { weekday: "short", day: "numeric", month: "numeric" })} ${clock(ms, tz)}`);
  const staff = (cal.data.staff.find((m) => m.id === staffId) || {}).name || staffId;
  return t("move_question", { name: appointmentSummary(a).who, from: when(from), to: when(start), staff });
}

function askMove(a, staffId, start, { dragged = false } = {}) {
  const d = moveDialog();
  const notify = el("input", { id: "move-notify", type: "checkbox", checked: true });
  const yes = el("button", { type: "submit", value: "move", text: t("act_move") });
  const back = el("button", { type: "button", text: t("confirm_back") });
  back.addEventListener("click", () => d.close("back"));
  const form = el("form", { method: "dialog" },
    el("h2", { id: "move-title", tabindex: "-1", text: moveQuestion(a, staffId, start) }),
    el("label", { className: "check" }, notify, " ", el("span", { text: t("move_notify") })),
    el("div", { className: "buttons" }, back, yes));
  clear(d).appendChild(form);
  d.returnValue = "";
  moveDone = (ok) => {
    if (ok) {
      if (cal.moving && cal.moving.id === a.id) cal.moving = null;
      moveAppointment(a, staffId, start, { notify: notify.checked });
    } else if (dragged) {
      renderCalendar();
    } else {
      const slot = document.querySelector(`#calendar .col[data-staff="${staffId}"] .slot[data-start="${start}"]`);
      if (slot) slot.focus();
    }
  };
  openDialog(d, yes);
}

// The move asked last and its key (api.js postOnce).
const moveAsked = {};

export async function moveAppointment(a, staffId, start, { notify = true } = {}) {
  const tz = cal.data.tz;
  const body = { start: g.localIso(start, tz) };
  if (staffId !== a.staff.id) body.staff = staffId;
  if (!notify) body.notify = false;
  const who = appointmentSummary(a).who;
  const path = `/appointments/${a.id}/reschedule`;
  try {
    const done = await postOnce(api, moveAsked, path, body, a.version);
    // Her own retry answered with the visit as it is now, which another device cancelled
    // or marked meanwhile (a probe): not "moved", but the card as it is.
    if (done && done.status && done.status !== "booked") throw { status: 409, code: "visit_changed", fields: {} };
    say(withHeldSms(t(notify ? "moved_to" : "moved_to_untold", { name: who, time: `${day(g.localIso(start, tz), { weekday: "short", day: "numeric", month: "numeric" })} ${clock(start, tz)}` }), done));
  } catch (err) {
    if (err.code === "slot_taken") say(t("slot_taken_reloaded"), true);
    else if (routeMissing(err)) say(t("not_available_yet"), true);
    else {
      // Refused: said where the visit's other errors go — its card, opened again on it —
      // not in the status line away from where she tapped; the field's words (the time,
      // the staff member) with it.
      const why = Object.entries(err.fields || {}).map(([path, reason]) => fieldText(path, reason));
      const text = [t("action_failed", { message: errorText(err) }), ...why].join(" ");
      say("");
      // Changed on another device meanwhile (cancelled, marked): the card as it is now.
      let shown = a;
      if (err.status === 409) {
        try { shown = { ...a, ...(await api("GET", `/appointments/${a.id}`)) }; } catch { /* as the calendar had it */ }
      }
      handlers.openCard(shown, text);
    }
  }
  changed();
}

function enableDrag(b, a) {
  let start = null;
  let ghost = null;
  let target = null;
  b.addEventListener("pointerdown", (e) => {
    if (e.pointerType === "touch" || e.button !== 0) return; // a finger scrolls; "Move" is its way
    start = { x: e.clientX, y: e.clientY, offset: e.clientY - b.getBoundingClientRect().top };
  });
  b.addEventListener("pointermove", (e) => {
    if (!start) return;
    if (!ghost) {
      if (Math.hypot(e.clientX - start.x, e.clientY - start.y) < 6) return;
      b.setPointerCapture(e.pointerId);
      ghost = b.cloneNode(true);
      ghost.classList.add("ghost");
      ghost.removeAttribute("aria-label");
      ghost.setAttribute("aria-hidden", "true");
      ghost.tabIndex = -1;
      b.classList.add("dragging");
    }
    // Near the window's top or bottom edge the page scrolls, so a block can be dragged to
    // a time that was out of sight when the drag began.
    const edge = 48;
    if (e.clientY < edge) window.scrollBy(0, -24);
    else if (e.clientY > window.innerHeight - edge) window.scrollBy(0, 24);
    const under = document.elementsFromPoint(e.clientX, e.clientY).find((n) => n.classList && n.classList.contains("col"));
    if (!under) return;
    const top = Number(under.dataset.top);
    const y = e.clientY - start.offset - under.getBoundingClientRect().top;
    const at = g.timeAtY(Math.max(0, y), top, { step: STEP_DRAG, nearest: true });
    target = { staff: under.dataset.staff, start: at };
    if (ghost.parentNode !== under) under.appendChild(ghost);
    ghost.style.top = `${g.yOf(at, top)}px`;
    ghost.style.left = "2px";
    ghost.style.width = "calc(100% - 4px)";
    ghost.querySelector(".t").textContent = `${clock(at, cal.data.tz)}–${clock(at + (a.endMs - a.startMs), cal.data.tz)}`;
  });
  const finish = (e, drop) => {
    if (!start) return;
    const moved = !!ghost;
    start = null;
    if (ghost) { ghost.remove(); ghost = null; b.classList.remove("dragging"); }
    if (moved) b.dataset.dragged = "1";
    if (moved && drop && target && (target.start !== a.startMs || target.staff !== a.staff.id)) {
      askMove(a, target.staff, target.start, { dragged: true });
    }
    target = null;
  };
  b.addEventListener("pointerup", (e) => finish(e, true));
  b.addEventListener("pointercancel", (e) => finish(e, false));
}

// --- preview of the booking being made ------------------------------------------------
export function showPreview(p) {
  cal.preview = p;
  renderCalendar();
}
export function clearPreview() {
  if (!cal.preview) return;
  cal.preview = null;
  renderCalendar();
}

export function appointmentById(id) { return cal.data ? findAppointment(cal.data, id) : null; }

// --- navigation -----------------------------------------------------------------------
function go(view, date) {
  cal.view = view;
  cal.date = date;
  cal.scrolledNow = false; // "Tänään" (or back to today) opens at now again
  say(""); // what was said was about the day she leaves: not left pinned over the next one
  loadCalendar();
}

export function initCalendar() {
  $("cal-day").addEventListener("click", () => go("day", cal.date || todayIso()));
  $("cal-week").addEventListener("click", () => go("week", cal.date || todayIso()));
  $("cal-today").addEventListener("click", () => go(cal.view, todayIso()));
  $("cal-prev").addEventListener("click", () => go(cal.view, g.addDays(cal.date || todayIso(), cal.view === "week" ? -7 : -1)));
  $("cal-next").addEventListener("click", () => go(cal.view, g.addDays(cal.date || todayIso(), cal.view === "week" ? 7 : 1)));
  // A swipe sideways on a phone shows the next or the previous staff member.
  const box = $("calendar");
  let touch = null;
  box.addEventListener("pointerdown", (e) => { if (e.pointerType === "touch") touch = { x: e.clientX, y: e.clientY }; });
  box.addEventListener("pointerup", (e) => {
    if (!touch || e.pointerType !== "touch") return;
    const dx = e.clientX - touch.x;
    const dy = e.clientY - touch.y;
    touch = null;
    if (Math.abs(dx) > 60 && Math.abs(dy) < 40) stepStaff(dx < 0 ? 1 : -1);
  });
  box.addEventListener("pointercancel", () => { touch = null; });
  document.addEventListener("visibilitychange", () => poller.visibilityChanged());
  onChanged(() => loadCalendar({ quiet: true }));
}

export { staffList };
