// Key figures: the full page (a tile per KPI with its 12-month chart) and the first
// screen's summary strip (GET /kpis/summary; hidden when the server has none).
import { $, clear, el } from "./dom.js";
import { day, kpiWords, money, monthName, number, percent, plural, t } from "./i18n.js";
import { isRolling, monthsOf } from "./periods.js";
import { api, currency, state } from "./state.js";
import { WAITLIST_KPIS, waitlistValue } from "./waitlistview.js";
import { showSlipping } from "./lists.js";

export const GROUPS = [
  ["g_clients", ["retention_rate", "new_clients", "returning_clients", "visit_frequency", "average_spend_cents"]],
  ["g_visits", ["visits", "revenue_cents", "revenue_per_visit_cents", "no_show_rate", "cancellation_rate",
    "late_cancellation_rate", "salon_cancellation_rate", "no_show_rate_reminded", "no_show_rate_not_reminded"]],
  ["g_rebooking", ["rebooking_rate_30", "rebooking_rate_60", "rebooking_rate_90", "rebooked_before_leaving_rate"]],
  ["g_satisfaction", ["average_rating", "response_rate"]],
  ["g_winback", ["winback_messages", "winback_conversions", "winback_conversion_rate", "winback_revenue_cents"]],
  ["g_nudge", ["nudges_sent", "nudge_bookings", "nudge_revenue_cents"]],
  ["g_money", ["deposits_taken", "deposits_taken_cents", "fees_charged_cents", "fees_collected_cents", "refunds_cents",
    "no_show_rate_protected", "no_show_rate_unprotected"]],
];

export function kpiValue(key, v) {
  if (v === null || v === undefined) return "–";
  if (/_cents$/.test(key)) return money(v, currency());
  if (/rate/.test(key)) return percent(v);
  if (key === "average_rating") return number(v, 1);
  if (key === "visit_frequency") return number(v, 2);
  return number(v, 0);
}

const SVG = "http://www.w3.org/2000/svg";
let chartIds = 0;
function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) { if (k === "text") e.textContent = v; else e.setAttribute(k, v); }
  return e;
}

// A bar's label: its month ("marras 2026") or, in a rolling period, its day ("25.11.").
function barLabel(m) { return m.day ? day(m.day, { day: "numeric", month: "numeric" }) : monthName(m.month, true); }

function chart(key, name, trend, highlight) {
  const id = `chart-${++chartIds}`;
  const daily = trend.some((m) => m.day);
  const values = trend.map((m) => (m.kpis ? m.kpis[key] : null));
  const max = Math.max(0, ...values.filter((v) => v !== null && v !== undefined));
  const box = el("div", { className: "trend" });
  const graphic = svg("svg", { viewBox: "0 0 120 40", preserveAspectRatio: "none", role: "img", class: "chart",
    "aria-labelledby": `${id}-t ${id}-d`, focusable: "false" });
  graphic.appendChild(svg("title", { id: `${id}-t`, text: t(daily ? "trend_daily" : "trend", { kpi: name }) }));
  graphic.appendChild(svg("desc", { id: `${id}-d`, text: trend.map((m, i) => {
    const v = values[i];
    return `${barLabel(m)}: ${v === null || v === undefined ? t("no_value") : kpiValue(key, v)}`;
  }).join("; ") }));
  const w = 120 / Math.max(trend.length, 1);
  trend.forEach((m, i) => {
    const v = values[i];
    const has = v !== null && v !== undefined;
    const h = has && max > 0 ? Math.max((39 * v) / max, v > 0 ? 1 : 0) : 0;
    const bar = svg("rect", { x: (i * w + w * 0.15).toFixed(2), width: (w * 0.7).toFixed(2), y: (39 - h).toFixed(2),
      height: h.toFixed(2), class: `bar${daily || highlight[m.month] ? " current" : ""}` });
    bar.appendChild(svg("title", { text: `${barLabel(m)}: ${has ? kpiValue(key, v) : t("no_value")}` }));
    graphic.appendChild(bar);
  });
  graphic.appendChild(svg("line", { x1: 0, x2: 120, y1: 39.5, y2: 39.5, class: "base" }));
  box.appendChild(graphic);
  if (trend.length) {
    box.appendChild(el("div", { className: "axis", "aria-hidden": "true" },
      el("span", { text: barLabel(trend[0]) }), el("span", { text: barLabel(trend[trend.length - 1]) })));
  }
  return box;
}

// A range with its year last ("1.12.–31.12. 2025"): the year compared with is not always
// the period's own (January against December), and a year against a year reads the same
// days without it.
function rangeText(r) {
  if (!r || !r.from) return "";
  const opts = { day: "numeric", month: "numeric" };
  const days = r.from === r.to ? day(r.from, opts) : `${day(r.from, opts)}–${day(r.to, opts)}`;
  return `${days} ${r.to.slice(0, 4)}`;
}

// No visit in the period, the one before or anywhere on the charts (a new salon): the
// page says so once, above its tiles of dashes and zeros.
export function nothingCounted(data) {
  const visits = (k) => (k && k.visits && typeof k.visits === "object" ? k.visits.value : k && k.visits) || 0;
  return !visits(data.kpis) && !visits(data.compared) && (data.trend || []).every((p) => !visits(p.kpis));
}

// A figure that can still grow (the API's counting_until: its window after the period is
// open) is a lower bound: "at least", so a young month's 0 % does not read as a collapse.
function shownValue(key, value, openUntil) {
  const text = kpiValue(key, value);
  const full = /rate/.test(key) && value >= 1; // 100 % can grow no more
  return openUntil && value !== null && value !== undefined && !full ? t("kpi_at_least", { value: text }) : text;
}

// The tile's figure, its "so far" (shownValue) set small beside the number: in the big
// figure's type "tähän mennessä 1" took three lines of a 360 px tile (an owner's walk).
function valueEl(key, value, openUntil) {
  const plain = kpiValue(key, value);
  const text = shownValue(key, value, openUntil);
  if (text === plain) return el("p", { className: "value", text });
  const [before, after] = t("kpi_at_least", { value: "\u0000" }).split("\u0000");
  const small = (words) => (words.trim() ? el("span", { className: "so-far", text: words.trim() }) : null);
  return el("p", { className: "value" }, small(before), before.trim() ? " " : null, plain, after.trim() ? " " : null, small(after));
}

export function renderKpis(box, data, period) {
  const inPeriod = monthsOf(period);
  const open = (data.counting_until && data.counting_until.kpis) || {};
  const openBefore = (data.counting_until && data.counting_until.compared) || {};
  const rolling = isRolling(period);
  if (data.range) {
    box.appendChild(el("p", { className: "muted range", text: t("kpi_range", {
      range: rangeText(data.range), previous: rangeText(data.previous_range) }) }));
  }
  if (nothingCounted(data)) box.appendChild(el("p", { className: "card muted", id: "kpi-nothing-yet", text: t("kpi_nothing_yet") }));
  // Changes the sync (every 5 minutes) has not counted yet: the figures are catching up.
  if (data.catching_up) box.appendChild(el("p", { className: "muted", id: "kpi-catching-up", role: "status", text: t("kpi_catching_up") }));
  for (const [group, keys] of GROUPS) {
    const section = el("section", { className: "kpi-group" }, el("h3", { text: t(group) }));
    const tiles = el("div", { className: "tiles" });
    for (const key of keys) {
      const figure = (data.kpis || {})[key] || { value: null };
      const before = ((data.compared || {})[key] || {}).value;
      const words = kpiWords(key);
      const tile = el("article", { className: "tile", "data-kpi": key },
        el("h4", { text: words.name }), valueEl(key, figure.value, open[key]));
      if (/rate/.test(key) && figure.denominator) {
        tile.appendChild(el("p", { className: "fraction", text: `${number(figure.numerator, 0)} / ${number(figure.denominator, 0)}` }));
      }
      const notRolling = rolling && DISTINCT.includes(key);
      if (notRolling) {
        // Said, with the way to the figure, instead of an empty chart under a dash.
        tile.appendChild(el("p", { className: "muted note", text: t("kpi_not_rolling") }));
        tile.appendChild(el("button", { type: "button", className: "plain see-month", text: t("kpi_see_month"), onclick: toMonth }));
      } else if (data.compared) {
        tile.appendChild(el("p", { className: "compared", text: t("compared_with", { value: shownValue(key, before, openBefore[key]) }) }));
      }
      if (open[key] && !notRolling && figure.value !== null && figure.value !== undefined) {
        // Open until the period's own end (the retention rate), or a window after it.
        const words = data.range && open[key] === data.range.to ? "kpi_counting_period" : "kpi_counting_until";
        tile.appendChild(el("p", { className: "muted counting", text: t(words, { date: day(open[key]) }) }));
      }
      if (!notRolling) tile.appendChild(chart(key, words.name, data.trend || [], inPeriod));
      tile.appendChild(el("details", {}, el("summary", { text: t("what_is") }), el("p", { text: words.help })));
      tiles.appendChild(tile);
    }
    section.appendChild(tiles);
    box.appendChild(section);
  }
  if (data.waitlist) box.appendChild(waitlistGroup(data.waitlist));
  if (Array.isArray(data.staff) && data.staff.length) box.appendChild(staffTable(data.staff));
}

// The page's figures with the waitlist's of the same days (GET /waitlist/kpis); without
// them (not answered) the page shows the rest.
export function withWaitlist(data) {
  const r = data && data.range;
  if (!r || !r.from) return data;
  return api("GET", `/waitlist/kpis?from=${r.from}&to=${r.to}`).then((waitlist) => ({ ...data, waitlist }), () => data);
}

// The waitlist's figures (docs/kpis.md "The waitlist"): a tile each, with its definition.
function waitlistGroup(w) {
  const section = el("section", { className: "kpi-group", "data-group": "waitlist" },
    el("h3", { text: t("g_waitlist") }), el("p", { className: "muted", text: t("g_waitlist_note") }));
  const tiles = el("div", { className: "tiles" });
  for (const key of WAITLIST_KPIS) {
    const words = kpiWords(key);
    tiles.appendChild(el("article", { className: "tile", "data-kpi": key },
      el("h4", { text: words.name }), el("p", { className: "value", text: waitlistValue(key, w[key], currency()) }),
      el("details", {}, el("summary", { text: t("what_is") }), el("p", { text: words.help }))));
  }
  section.appendChild(tiles);
  return section;
}

// Figures of distinct clients: not given for the last 7 or 30 days (docs/kpis.md).
const DISTINCT = ["retention_rate", "returning_clients", "average_spend_cents", "visit_frequency"];

// The period switch's own change, as if she had picked "month" there.
function toMonth() {
  const kind = $("period-kind");
  kind.value = "month";
  kind.dispatchEvent(new Event("change"));
}

function hours(minutes) { return number((minutes || 0) / 60, 1); }
function rateText(r) { return r === null || r === undefined ? "–" : percent(r); }

// Occupancy and revenue per staff member, with the period before where the API gives it.
// Visits of no one in the team now: imported under no known name, or a former member's.
const NOT_IN_TEAM = { imported: "staff_imported", removed: "staff_removed" };
function staffName(s) {
  return s.name || (NOT_IN_TEAM[s.not_in_team] ? t(NOT_IN_TEAM[s.not_in_team]) : s.staff);
}

function staffTable(staff) {
  // The table's scrolling box is the one landmark named by the heading (one region, one name).
  const section = el("section", { className: "kpi-group staff-kpis" },
    el("h3", { id: "h-staff-kpis", text: t("g_staff") }));
  const head = el("tr", {}, ...["staff_member", "occupancy", "booked_working", "bookings", "visits_col", "no_shows_col", "revenue"]
    .map((k) => el("th", { scope: "col", text: t(k) })));
  const body = el("tbody");
  for (const s of staff) {
    const was = s.compared;
    const cell = (text, prev) => el("td", {}, text, prev === undefined ? null
      : el("span", { className: "was", text: ` (${t("before_short", { value: prev })})` }));
    body.appendChild(el("tr", { "data-staff": s.staff },
      el("th", { scope: "row", text: staffName(s) }),
      cell(rateText(s.rate), was ? rateText(was.rate) : undefined),
      cell(`${hours(s.booked_minutes)} / ${hours(s.working_minutes)} h`),
      cell(number(s.bookings || 0, 0), was ? number(was.bookings || 0, 0) : undefined),
      cell(number(s.visits || 0, 0), was ? number(was.visits || 0, 0) : undefined),
      cell(number(s.no_shows || 0, 0)),
      cell(money(s.revenue_cents || 0, currency()), was ? money(was.revenue_cents || 0, currency()) : undefined)));
  }
  const scroll = el("div", { className: "table-scroll", role: "region", tabindex: "0", "aria-labelledby": "h-staff-kpis" },
    el("table", { className: "staff-table" }, el("thead", {}, head), body));
  section.appendChild(scroll);
  return section;
}

// --- the summary strip on the first screen ----------------------------------------------
let summary = null;

export async function loadSummary() {
  try {
    summary = await api("GET", "/kpis/summary");
  } catch (err) {
    summary = null; // not there yet (404), not the owner's to see (403), or down: no strip
  }
  renderSummary();
}

export function renderSummary() {
  const strip = $("summary");
  const box = clear($("summary-figures"));
  strip.hidden = !summary;
  if (!summary) return;
  const s = summary;
  const was = s.compared || null;
  const figure = (key, value, ...extra) => el("div", { className: "figure", "data-figure": key },
    el("p", { className: "label", text: t(key) }), el("p", { className: "value", text: value }), ...extra);
  const before = (text) => el("p", { className: "sub was", text: t("compared_with", { value: text }) });
  box.appendChild(figure("sum_week", plural("sum_week_value", s.bookings_week || 0),
    el("p", { className: "sub", text: money(s.revenue_week_cents || 0, s.currency || currency()) }),
    was ? before(`${plural("sum_week_value", was.bookings_week || 0)}, ${money(was.revenue_week_cents || 0, s.currency || currency())}`) : null));
  const occ = el("ul", { className: "occupancy" });
  const wasOcc = Object.fromEntries(((was && was.occupancy) || []).map((o) => [o.staff, o]));
  for (const o of s.occupancy || []) {
    const prev = wasOcc[o.staff];
    occ.appendChild(el("li", {}, el("span", { text: staffName(o) }), " ",
      el("strong", { text: rateText(o.rate) }),
      prev ? el("span", { className: "was", text: ` (${t("before_short", { value: rateText(prev.rate) })})` }) : null));
  }
  box.appendChild(figure("sum_occupancy", "", occ));
  box.appendChild(figure("sum_no_show", rateText(s.no_show_rate), was ? before(rateText(was.no_show_rate)) : null));
  // At risk now (docs/kpis.md), and beside it the lapsed the list shows too (its count on
  // the nav is both): the two figures add up to the list.
  const listed = state.data.clients && state.data.clients.ok;
  const lapsed = listed ? listed.clients.filter((c) => c.status === "lapsed").length : null;
  box.appendChild(figure("sum_at_risk", number(s.at_risk || 0, 0),
    lapsed === null ? null : el("p", { className: "sub", text: t("sum_lapsed", { n: number(lapsed, 0) }) }),
    el("a", { href: "#clients", className: "sub more", text: t("see_list"),  // .more: a thumb's target
      onclick: () => showSlipping(s.at_risk ? "at_risk" : "") })));
  // What the owner is to give back herself (a salon's cancellation holding her money, a
  // refund Stripe failed), while there is any, on her first screen (refunds.js).
  const owed = state.data.refunds && state.data.refunds.ok;
  if (owed && owed.refunds.length) {
    const held = owed.refunds.reduce((sum, r) => sum + r.held_cents, 0);
    box.appendChild(figure("sum_refunds", number(owed.refunds.length, 0),
      el("p", { className: "sub", text: money(held, s.currency || currency()) }),
      el("a", { href: "#refunds", className: "sub more", text: t("see_refunds") })));
  }
}

export function forgetSummary() { summary = null; if (state) renderSummary(); }
