// The calendar's data as the grid needs it: instants (ms) instead of strings, every day
// of the range with its opening hours, every staff member with working hours, time off
// and appointments with their markers. The API's answer (GET /calendar) may not carry
// hours yet; then the business's public opening hours stand in for both.
import { addDays, ms, openingOn } from "./grid.js";
import { day, t } from "./i18n.js";

export function datesOf(from, to) {
  const out = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

// Whose column a phone's day (and whose week) opens on: the signed-in staff member's own,
// else the first who works in the range or has a visit in it (a walk: on Saturday the
// owner's phone opened on the stylist off that day, an empty grey column), else the first.
export function defaultStaffId(staff, mine) {
  const own = staff.find((m) => m.id === mine);
  const busy = (m) =>
    Object.values(m.hours || {}).some((ivs) => ivs.length) || (m.appointments || []).some((a) => a.status !== "cancelled");
  return (own || staff.find(busy) || staff[0] || {}).id || null;
}

export function markersOf(a) {
  const m = a.markers || {};
  return {
    allergy: m.allergy !== undefined ? !!m.allergy : !!(a.client && a.client.allergies),
    note: m.note !== undefined ? !!m.note : !!(a.note || (a.client && a.client.important_notes)),
    first_visit: !!m.first_visit,
    deposit: !!m.deposit,
    held: !!m.held, // a new client's booking waiting for her confirmation link
    // Checked out at the desk: the calendar's marker, else the appointment's own `checkout`
    // (GET /appointments/{id} has no markers).
    paid: m.paid !== undefined ? !!m.paid : !!a.checkout,
  };
}

const span = (iv) => ({ start: ms(iv.start), end: ms(iv.end) });

export function normalizeCalendar(data, profile, nowMs) {
  const tz = data.timezone || (profile && profile.timezone) || "Europe/Helsinki";
  const dates = datesOf(data.from, data.to);
  const apiDays = Object.fromEntries((data.days || []).map((d) => [d.date, d]));
  const days = dates.map((date) => {
    const d = apiDays[date];
    const open = d
      ? (d.closed ? [] : (d.open || []).map(span))
      : openingOn(date, tz, profile && profile.opening_hours, profile && profile.closures);
    // A closed day the owner set ({name} or {name: null}); null on any other day.
    return { date, open, closed: open.length === 0, closure: (d && d.closure) || null, waiting: (d && d.waiting) || {} };
  });
  const openOn = Object.fromEntries(days.map((d) => [d.date, d.open]));
  const staff = (data.staff || []).map((m) => {
    const given = Object.fromEntries((m.hours || []).map((h) => [h.date, (h.intervals || []).map(span)]));
    return {
      id: m.id,
      name: m.name,
      hoursKnown: Array.isArray(m.hours),
      hours: Object.fromEntries(dates.map((date) => [date, given[date] || (Array.isArray(m.hours) ? [] : openOn[date])])),
      timeOff: (m.time_off || []).map((x) => ({ ...x, startMs: ms(x.start), endMs: ms(x.end) })),
      appointments: (m.appointments || []).map((a) => ({
        ...a,
        startMs: ms(a.start),
        endMs: ms(a.end),
        // The service's buffer after the end is held too (nobody can be booked there); a
        // visit done early or a no-show holds only until `held_until` (the rest is free).
        heldMs: a.held_until ? ms(a.held_until) : Math.max(ms(a.occupied_until || a.end), ms(a.end)),
        // Drawn as long as it holds her (at least a quarter hour, to tap): the time it gave
        // back shows free, and the desk can tap it.
        drawnEndMs: a.held_until ? Math.min(ms(a.end), Math.max(ms(a.held_until), ms(a.start) + 15 * 60000)) : ms(a.end),
        // Its label's end: when the visit ended (done: its buffer before held_until), not
        // the booked end, which would read as a double booking above a walk-in after it.
        shownEndMs: shownEnd(a),
        markers: markersOf(a),
      })),
    };
  });
  return {
    view: data.view || "day",
    from: data.from,
    to: data.to,
    tz,
    dates,
    days,
    staff,
    token: data.token || null,
    now: data.now ? ms(data.now) : nowMs,
  };
}

// The closed days the owner set among the days shown, as the desk reads them above the
// grid: "Suljettu: Juhannus" ("Suljettu" when she gave no name); in a week each with its
// day ("pe 19.6. Suljettu: Juhannus"). "" when none of the days is one.
function shownEnd(a) {
  if (!a.held_until) return ms(a.end);
  const buffer = a.status === "completed" ? Math.max(ms(a.occupied_until || a.end) - ms(a.end), 0) : 0;
  // Freed from the 5-minute mark before the tap: never shown ending before she arrived.
  const came = a.arrived_at ? ms(a.arrived_at) : ms(a.start);
  // At least five minutes: "10.45–10.45" for one done the minute she came reads as nothing.
  return Math.min(ms(a.end), Math.max(ms(a.held_until) - buffer, ms(a.start) + 5 * 60000, came));
}

export function closedText(days, week) {
  return days
    .filter((d) => d.closure)
    .map((d) => {
      const words = d.closure.name ? t("cal_closed_named", { name: d.closure.name }) : t("cal_closed");
      return week ? `${day(d.date, { weekday: "short", day: "numeric", month: "numeric" })} ${words}` : words;
    })
    .join(" · ");
}

// What a staff member's column holds on a day, as [start, end) instants: the salon's
// opening, her working hours and her bookings (the calendar's window is drawn around them).
export function dayIntervals(days, member, date) {
  const d = days.find((x) => x.date === date);
  return [...(d ? d.open : []), ...(member.hours[date] || []),
    ...member.appointments.filter((a) => a.status !== "cancelled" && a.start.slice(0, 10) === date)
      .map((a) => ({ start: a.startMs, end: a.endMs }))];
}

// Is there anything of hers to see on that day? A closed day (a Sunday, a holiday) has
// none: its first screen is the top — the day and why it is closed — not an empty grid
// scrolled to now.
export function dayHasTime(days, member, date) {
  return dayIntervals(days, member, date).length > 0;
}

// What holds a staff member's time, as [start, end) instants: her kept bookings with their
// buffers (all but `exceptId`, the one being moved) and her time off.
export function busyOf(member, exceptId) {
  return [
    ...member.appointments
      .filter((a) => a.status !== "cancelled" && a.id !== exceptId)
      .map((a) => ({ start: a.startMs, end: a.heldMs || a.endMs })),
    ...member.timeOff.map((x) => ({ start: x.startMs, end: x.endMs })),
  ];
}

// Can a visit start at `at` for this staff member by the desk's rules, as far as the
// calendar shows: not long past (15 minutes' grace), the service inside her working
// hours, the service and its buffer clear of every other booking and time off.
export const DESK_GRACE_MS = 15 * 60000;
export function fitsAt(member, date, at, { length, held, nowMs, exceptId }) {
  if (at < nowMs - DESK_GRACE_MS) return false;
  const work = member.hours[date] || [];
  if (!work.some((iv) => iv.start <= at && at + length <= iv.end)) return false;
  return busyOf(member, exceptId).every((b) => !(b.start < at + held && at < b.end));
}

// The starts a free-time button from `s` (`slot` ms long) offers, earliest first: its
// quarter hours (`step`), and where a visit's held time ends off them inside it — one done
// early frees her at 9.35, and the desk books on any 5-minute mark — those that fit.
export function slotStarts(member, date, s, slot, step, fit) {
  const starts = new Set();
  for (let q = s; q < s + slot; q += step) starts.add(q);
  for (const a of member.appointments) {
    const h = a.heldMs;
    if (a.status !== "cancelled" && h > s && h < s + slot && h % (5 * 60000) === 0) starts.add(h);
  }
  return [...starts].sort((x, y) => x - y).filter((q) => fitsAt(member, date, q, fit));
}

// Why nobody can take a walk-in that starts at `at` and lasts `length` ms, as far as the
// calendar's hours show, or null: the desk's rule (chalicelib/domain/availability.py,
// is_allowed_desk_start) is her working hours around the whole service. "off": none of
// `members` works at `at`; "short": whoever does ends her day before the service would.
// Bookings aside: among those working the server takes whoever is free.
export function walkInProblem(members, date, at, length) {
  const worksUntil = (m, end) => (m.hours[date] || []).some((iv) => iv.start <= at && end <= iv.end);
  const working = members.filter((m) => worksUntil(m, at + 1)); // at `at` itself, not just ending there
  if (!working.length) return "off";
  return working.some((m) => worksUntil(m, at + (length || 0))) ? null : "short";
}

// Whether one of `members` can take a walk-in that starts at `at` and lasts `length` ms
// (`held` with its buffer) by what the calendar shows — her hours around it, clear of
// bookings with their buffers and of time off (fitsAt) — and if nobody can, who can
// first later today and when (5-minute steps, as a walk-in starts): {free, next: {id,
// start} | null}. The server decides; this says so before she fills the sheet in.
export const WALK_IN_STEP_MS = 5 * 60000;
export function walkInNext(members, date, at, { length, held }) {
  const fit = { length: length || 0, held: held || length || 0, nowMs: at };
  if (members.some((m) => fitsAt(m, date, at, fit))) return { free: true, next: null };
  const last = Math.max(at, ...members.flatMap((m) => (m.hours[date] || []).map((iv) => iv.end)));
  for (let t = at + WALK_IN_STEP_MS; t + fit.length <= last; t += WALK_IN_STEP_MS) {
    const m = members.find((x) => fitsAt(x, date, t, fit));
    if (m) return { free: false, next: { id: m.id, start: t } };
  }
  return { free: false, next: null };
}

// From when the desk may mark a visit (chalicelib/domain/visits.py): arrived from an hour
// before its start, completed and no-show once it has begun.
export const ARRIVAL_EARLIEST_MS = 60 * 60000;
export function markOpensAt(a, mark) {
  return ms(a.start) - (mark === "arrived" ? ARRIVAL_EARLIEST_MS : 0);
}

// The appointment a card or a move is about, wherever it is in the calendar.
export function findAppointment(cal, id) {
  for (const m of cal.staff) {
    const a = m.appointments.find((x) => x.id === id);
    if (a) return a;
  }
  return null;
}
