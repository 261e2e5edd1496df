// What the waitlist did, as the desk reads it (docs/waitlist.md, docs/kpis.md "The
// waitlist"): the recent offers of freed time (GET /waitlist/offers) — to whom, which time,
// taken, lost, not paid, expired or still open — and the waitlist's figures (GET /waitlist/kpis).
// Pure: no page, no requests (tests/js/waitlistview.test.mjs).
import { money, number, percent, t } from "./i18n.js";

// How many offers the waitlist tab lists, newest first.
export const RECENT_OFFERS = 10;
// The days of offered times the tab asks for: from two weeks back to the booking horizon.
export const OFFERS_BACK_DAYS = 14;
export const OFFERS_AHEAD_DAYS = 90;

// The offers the tab reads (GET /waitlist/offers, by the time offered): from two weeks
// before `today` (YYYY-MM-DD) to the booking horizon.
export function offersPath(today) {
  const shift = (days) => {
    const [y, m, d] = today.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
  };
  return `/waitlist/offers?from=${shift(-OFFERS_BACK_DAYS)}&to=${shift(OFFERS_AHEAD_DAYS)}`;
}

// An offer's state: "taken" (she booked it), "lost" (someone else booked the time first),
// "unpaid" (she booked it held for its deposit and never paid: the time went back to the
// list), "expired" (it ran out untaken) or "open" (she may still book it). `now`: milliseconds.
export function offerState(offer, now) {
  if (["taken", "lost", "unpaid"].includes(offer.status)) return offer.status;
  return Date.parse(offer.expires_at) <= now ? "expired" : "open";
}

// The newest `limit` offers (by when they were made), each with its state.
export function recentOffers(offers, now, limit = RECENT_OFFERS) {
  return [...(offers || [])]
    .sort((a, b) => Date.parse(b.offered_at) - Date.parse(a.offered_at))
    .slice(0, limit)
    .map((o) => ({ ...o, state: offerState(o, now) }));
}

// The figures in the order docs/kpis.md defines them; words in the catalogue's `kpi`.
export const WAITLIST_KPIS = [
  "freed_minutes", "refilled_minutes", "refill_rate", "refills", "revenue_recovered_cents", "median_seconds_to_refill",
];

// Minutes in words: minutes under two hours ("0 min", "90 min"), else hours ("2,5 h").
function minutesText(minutes) {
  if (minutes < 120) return t("dur_minutes", { n: number(Math.round(minutes), 0) });
  return t("dur_hours", { n: number(minutes / 60, 1) });
}

// A length of time in words: seconds under a minute ("42 s"), else as minutesText.
export function duration(seconds) {
  return seconds < 60 ? t("dur_seconds", { n: number(Math.round(seconds), 0) }) : minutesText(seconds / 60);
}

// A waitlist figure's value as shown ("–" where the API has none: no freed time, no refill).
export function waitlistValue(key, v, currency) {
  if (v === null || v === undefined) return "–";
  if (key.endsWith("_cents")) return money(v, currency);
  if (key === "refill_rate") return percent(v);
  if (key === "median_seconds_to_refill") return duration(v);
  if (key.endsWith("_minutes")) return minutesText(v);
  return number(v, 0);
}
