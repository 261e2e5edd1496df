// KPI periods: the last 7 or 30 days (rolling, today included: never empty on the 1st),
// or a month, a quarter or a year, stepped through with ‹ ›.
const LENGTH = { year: 12, quarter: 3, month: 1 };
export const ROLLING = ["last7", "last30"];
export const DEFAULT_KIND = "last30";

export function isRolling(p) { return ROLLING.includes(p.kind); }

export function currentPeriod(todayIso, kind) {
  return { kind: kind || "month", year: +todayIso.slice(0, 4), month: +todayIso.slice(5, 7) };
}
export function periodKey(p) {
  if (isRolling(p)) return p.kind;
  if (p.kind === "year") return String(p.year);
  if (p.kind === "quarter") return `${p.year}-Q${Math.ceil(p.month / 3)}`;
  return `${p.year}-${String(p.month).padStart(2, "0")}`;
}
// Months since year 0 of the period's first month.
export function periodStart(p) {
  const first = p.kind === "year" ? 1 : p.kind === "quarter" ? (Math.ceil(p.month / 3) - 1) * 3 + 1 : p.month;
  return p.year * 12 + first - 1;
}
// A rolling period always ends today: it does not step.
export function shifted(p, step) {
  if (isRolling(p)) return p;
  const m = p.year * 12 + p.month - 1 + LENGTH[p.kind] * step;
  return { kind: p.kind, year: Math.floor(m / 12), month: (m % 12) + 1 };
}
export function monthsOf(p) {
  const out = {};
  if (isRolling(p)) return out;
  const start = periodStart(p);
  for (let i = 0; i < LENGTH[p.kind]; i++) {
    const m = start + i;
    out[`${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, "0")}`] = true;
  }
  return out;
}
export function isFuture(p, todayIso) {
  if (isRolling(p)) return true;
  return periodStart(shifted(p, 1)) > periodStart(currentPeriod(todayIso, "month"));
}
// Another kind chosen: a rolling period, or the calendar period of that kind holding the
// one shown (today's when a rolling one was shown).
export function withKind(p, kind, todayIso) {
  if (ROLLING.includes(kind)) return { ...currentPeriod(todayIso, "month"), kind };
  const base = isRolling(p) ? currentPeriod(todayIso, "month") : p;
  return { ...base, kind };
}
