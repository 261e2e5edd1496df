// Pure layout of the time grid: minutes to pixels, overlapping blocks side by side, the
// hour lines of a day. Positions are measured in real elapsed time from the grid's top
// (instants parsed from the API's local ISO strings, which carry their offset), and the
// hour labels come from the business's time zone: on the day clocks go forward the grid
// is 23 hours long and 03:00 is missing; on the day they go back 03:00 comes twice.
export const PX_PER_MIN = 1.5; // 30 minutes = 45 px: a free half hour is a 44 px target
export const MINUTE = 60000;

export function ms(iso) { return typeof iso === "number" ? iso : Date.parse(iso); }

const formatters = new Map();
function formatter(tz) {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "longOffset",
    });
    formatters.set(tz, f);
  }
  return f;
}

// The wall clock of an instant in a zone: {date: "YYYY-MM-DD", hour, minute, offset: "+02:00"}.
export function zoned(t, tz) {
  const p = {};
  for (const part of formatter(tz).formatToParts(new Date(t))) p[part.type] = part.value;
  const off = (p.timeZoneName || "GMT").replace("GMT", "") || "+00:00";
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    hour: Number(p.hour) % 24,
    minute: Number(p.minute),
    offset: off.length === 3 ? `${off}:00` : off,
  };
}

export function offsetMinutes(t, tz) {
  const off = zoned(t, tz).offset;
  const sign = off[0] === "-" ? -1 : 1;
  const [h, m] = off.slice(1).split(":").map(Number);
  return sign * (h * 60 + (m || 0));
}

// The instant of a local wall-clock time on a date (a time in the spring gap lands an
// hour later, as zoneinfo's fold=0 does).
export function wallToMs(date, hour, minute, tz) {
  const [y, m, d] = date.split("-").map(Number);
  const wall = Date.UTC(y, m - 1, d, hour, minute);
  const first = wall - offsetMinutes(wall, tz) * MINUTE;
  const second = wall - offsetMinutes(first, tz) * MINUTE;
  return offsetMinutes(second, tz) === offsetMinutes(first, tz) ? second : Math.max(first, second);
}

// "2026-11-25T10:05:00+02:00": what the API takes for a time.
export function localIso(t, tz) {
  const z = zoned(t, tz);
  const hh = String(z.hour).padStart(2, "0");
  const mm = String(z.minute).padStart(2, "0");
  return `${z.date}T${hh}:${mm}:00${z.offset}`;
}

// "09:05": an instant's wall clock as a machine writes it, what an <input type="time">
// takes. Not for text: times in words are i18n.js clock's (the language's own "9.05").
export function hhmm(t, tz) {
  const z = zoned(t, tz);
  return `${String(z.hour).padStart(2, "0")}:${String(z.minute).padStart(2, "0")}`;
}

export function addDays(date, n) {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

// Monday of the week of a date.
export function weekStart(date) {
  const [y, m, d] = date.split("-").map(Number);
  const wd = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
  return addDays(date, -wd);
}

export function floorTo(t, minutes, tz) {
  const z = zoned(t, tz);
  const off = z.minute % minutes;
  return t - (t % MINUTE) - off * MINUTE;
}

// The grid's window on a date: from the earliest thing to show to the latest, whole
// hours, at least the default hours when nothing is there.
export function dayWindow(date, tz, intervals, { startHour = 8, endHour = 20 } = {}) {
  let top = wallToMs(date, startHour, 0, tz);
  let bottom = wallToMs(date, endHour, 0, tz);
  const dayStart = wallToMs(date, 0, 0, tz);
  const dayEnd = wallToMs(addDays(date, 1), 0, 0, tz);
  for (const iv of intervals) {
    const s = Math.max(ms(iv.start), dayStart);
    const e = Math.min(ms(iv.end), dayEnd);
    if (e <= s) continue;
    top = Math.min(top, s);
    bottom = Math.max(bottom, e);
  }
  top = floorTo(top, 60, tz);
  const rest = zoned(bottom, tz).minute;
  if (rest) bottom = floorTo(bottom, 60, tz) + 60 * MINUTE;
  return { top, bottom: Math.min(Math.max(bottom, top + 60 * MINUTE), dayEnd) };
}

export function yOf(t, top, px = PX_PER_MIN) { return ((ms(t) - top) / MINUTE) * px; }
export function heightOf(start, end, px = PX_PER_MIN) { return ((ms(end) - ms(start)) / MINUTE) * px; }

// The time at a y offset in a column, snapped to `step` minutes (the top is a whole hour,
// so this is the wall clock's step too): down for a tap (the slot she tapped in), to the
// nearest mark for a dragged block's top edge (a hair above 13.00 is 13.00, not 12.55).
export function timeAtY(y, top, { px = PX_PER_MIN, step = 15, nearest = false } = {}) {
  const snap = nearest ? Math.round : Math.floor;
  const minutes = Math.max(0, snap(y / px / step) * step);
  return top + minutes * MINUTE;
}

// Every whole hour between top and bottom (its label, the local wall clock, is the
// calendar's to word: i18n.js clock).
export function hourMarks(top, bottom, tz, px = PX_PER_MIN) {
  const marks = [];
  for (let t = top; t < bottom; t += 15 * MINUTE) {
    const z = zoned(t, tz);
    if (z.minute === 0) marks.push({ t, y: yOf(t, top, px) });
  }
  return marks;
}

export function overlaps(a, b) { return ms(a.start) < ms(b.end) && ms(b.start) < ms(a.end); }

// Overlapping blocks side by side: each block gets a column within its cluster of
// overlapping blocks, and the cluster's width in columns. Input order is kept. `endOf`:
// where a block is drawn to (a visit done early: as long as it still holds the chair).
export function layoutBlocks(items, endOf = (item) => ms(item.end)) {
  const order = items
    .map((item, i) => ({ item, i, s: ms(item.start), e: endOf(item) }))
    .sort((a, b) => a.s - b.s || b.e - a.e || a.i - b.i);
  const out = new Array(items.length);
  let cluster = [];
  let clusterEnd = -Infinity;
  let colEnds = [];
  const close = () => {
    for (const c of cluster) out[c.i].cols = colEnds.length;
    cluster = [];
    colEnds = [];
  };
  for (const b of order) {
    if (b.s >= clusterEnd && cluster.length) close();
    let col = colEnds.findIndex((end) => end <= b.s);
    if (col < 0) { col = colEnds.length; colEnds.push(b.e); } else colEnds[col] = b.e;
    out[b.i] = { item: b.item, col, cols: 1 };
    cluster.push(b);
    clusterEnd = cluster.length === 1 ? b.e : Math.max(clusterEnd, b.e);
  }
  if (cluster.length) close();
  return out;
}

// The parts of [top, bottom) outside the given intervals (closed hours, breaks).
export function gaps(top, bottom, intervals) {
  const sorted = intervals
    .map((iv) => ({ s: Math.max(ms(iv.start), top), e: Math.min(ms(iv.end), bottom) }))
    .filter((iv) => iv.e > iv.s)
    .sort((a, b) => a.s - b.s);
  const out = [];
  let at = top;
  for (const iv of sorted) {
    if (iv.s > at) out.push({ start: at, end: iv.s });
    at = Math.max(at, iv.e);
  }
  if (at < bottom) out.push({ start: at, end: bottom });
  return out;
}

export function inside(start, end, intervals) {
  return intervals.some((iv) => ms(iv.start) <= ms(start) && ms(end) <= ms(iv.end));
}

// Is [start, end) free of the (not cancelled) appointments, except one being moved?
export function isFree(appointments, start, end, exceptId) {
  return !appointments.some(
    (a) => a.id !== exceptId && a.status !== "cancelled" && overlaps(a, { start, end }),
  );
}

// Opening hours of a weekday from the public profile ({mon: ["09:00","18:00"], ...} or a
// list of such pairs), as instants on a date; the API's own days[].open when it has them.
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
export function openingOn(date, tz, openingHours, closures) {
  if ((closures || []).includes(date)) return [];
  const [y, m, d] = date.split("-").map(Number);
  const wd = WEEKDAYS[(new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7];
  let hours = (openingHours || {})[wd] || [];
  if (hours.length && typeof hours[0] === "string") hours = [hours];
  return hours
    .filter((h) => h && h.length === 2)
    .map(([s, e]) => {
      const [sh, sm] = s.split(":").map(Number);
      const [eh, em] = e.split(":").map(Number);
      return { start: wallToMs(date, sh, sm, tz), end: wallToMs(date, eh, em, tz) };
    });
}

// Where a new time off starts: on the day she is looking at (`shown`, a date; `open`, its
// opening as the calendar has it), not on today's — the next whole hour if that day is
// today, else its first opening hour (9.00 on a day the salon is closed), so that editing
// only the times never lands on another day.
export function timeOffStart(now, shown, tz, open = []) {
  const next = floorTo(now, 60, tz) + 60 * MINUTE;
  if (!shown || shown === zoned(now, tz).date) return next;
  return open.length ? ms(open[0].start) : wallToMs(shown, 9, 0, tz);
}
