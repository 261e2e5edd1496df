// KPI periods: a month, a quarter or a year, stepped through with ‹ ›.
const LENGTH = { year: 12, quarter: 3, month: 1 };

export function currentPeriod(todayIso, kind) {
  return { kind: kind || "month", year: +todayIso.slice(0, 4), month: +todayIso.slice(5, 7) };
}
export function periodKey(p) {
  if (p.kind === "year") return String(p.year);
  if (p.kind === "quarter") return `${p.year}-Q${Math.ceil(p.month / 3)}`;
  return `${p.year}-${String(p.month).padStart(2, "0")}`;
}
// Months since year 0 of the period's first month.
export function periodStart(p) {
  const first = p.kind === "year" ? 1 : p.kind === "quarter" ? (Math.ceil(p.month / 3) - 1) * 3 + 1 : p.month;
  return p.year * 12 + first - 1;
}
export function shifted(p, step) {
  const m = p.year * 12 + p.month - 1 + LENGTH[p.kind] * step;
  return { kind: p.kind, year: Math.floor(m / 12), month: (m % 12) + 1 };
}
export function monthsOf(p) {
  const start = periodStart(p);
  const out = {};
  for (let i = 0; i < LENGTH[p.kind]; i++) {
    const m = start + i;
    out[`${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, "0")}`] = true;
  }
  return out;
}
export function isFuture(p, todayIso) {
  return periodStart(shifted(p, 1)) > periodStart(currentPeriod(todayIso, "month"));
}
