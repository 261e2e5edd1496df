// Time off from the calendar: a staff member or the whole salon, start and end, a
// reason, repeated weekly until a date (POST /time-off). The bookings it covers come back
// with a proposed new time; each is kept, moved to the proposal or cancelled with an
// invitation to book again.
import { $, clear, clearFieldErrors, closeDialog, el, openDialog, showFieldErrors } from "./dom.js";
import { clock, day, errorText, fieldText, t } from "./i18n.js";
import { routeMissing } from "./api.js";
import { api, changed, say, serviceName, staffList, staffName, state, tz } from "./state.js";
import * as g from "./grid.js";
import { staffOnScreen } from "./calendar.js";

const dialog = () => $("timeoff-dialog");
let saved = null;

function localInput(msv) {
  const z = g.zoned(msv, tz());
  return `${z.date}T${String(z.hour).padStart(2, "0")}:${String(z.minute).padStart(2, "0")}`;
}

// open({staff, start})
export function openTimeOff(opts) {
  const o = opts || {};
  saved = null;
  const form = $("timeoff-form");
  form.reset();
  form.hidden = false;
  clearFieldErrors(form);
  $("timeoff-error").textContent = "";
  clear($("timeoff-covered")).hidden = true;
  // Whose time off: the staff member whose time she is looking at (the week's, the one
  // column of a phone's day), a staff member's own, else nobody until she chooses: never
  // the whole salon unasked.
  const own = state.me && state.me.role !== "owner" ? state.me.staff_id : null;
  staffChoices(o.staff || staffOnScreen() || own || "");
  const start = o.start || g.floorTo(Date.now(), 60, tz()) + 60 * g.MINUTE;
  $("timeoff-start").value = localInput(start);
  $("timeoff-end").value = localInput(start + 60 * g.MINUTE);
  $("timeoff-until-box").hidden = true;
  openDialog(dialog(), $("timeoff-staff"));
}

const WHOLE_SALON = "whole_salon"; // the option's value ("" is the choice not made yet)

function staffChoices(selected) {
  const select = clear($("timeoff-staff"));
  select.appendChild(el("option", { value: "", text: t("choose_who_away") }));
  if (state.me && state.me.role === "owner") select.appendChild(el("option", { value: WHOLE_SALON, text: t("whole_salon") }));
  for (const m of staffList()) select.appendChild(el("option", { value: m.id, text: m.name }));
  select.value = selected;
  if (select.value !== selected) select.value = "";
}

async function submit(e) {
  e.preventDefault();
  const form = $("timeoff-form");
  clearFieldErrors(form);
  const inputs = { staff: $("timeoff-staff"), start: $("timeoff-start"), end: $("timeoff-end"), reason: $("timeoff-reason"),
    repeat: $("timeoff-until"), "repeat.weekly_until": $("timeoff-until") };
  const start = $("timeoff-start").value;
  const end = $("timeoff-end").value;
  const missing = {};
  if (!$("timeoff-staff").value) missing.staff = t("pick_who_away");
  if (!start) missing.start = t("pick_time");
  if (!end) missing.end = t("pick_time");
  if (start && end && end <= start) missing.end = t("end_after_start");
  if ($("timeoff-repeat").checked && !$("timeoff-until").value) missing["repeat.weekly_until"] = t("pick_date");
  if (Object.keys(missing).length) { showFieldErrors(form, { fields: missing }, inputs, $("timeoff-error")); return; }
  const body = { start: `${start}:00`, end: `${end}:00`, reason: $("timeoff-reason").value.trim() };
  if ($("timeoff-staff").value !== WHOLE_SALON) body.staff = $("timeoff-staff").value;
  if ($("timeoff-repeat").checked) body.repeat = { weekly_until: $("timeoff-until").value };
  const button = form.querySelector("[type=submit]");
  button.disabled = true;
  try {
    saved = await api("POST", "/time-off", body);
    changed();
    say(t("time_off_saved"));
    showCovered(saved.covered || []);
  } catch (err) {
    const o = err.status === 409 && err.code === "time_off_overlaps" && err.details && err.details.overlaps;
    if (routeMissing(err)) $("timeoff-error").textContent = t("not_available_yet");
    else if (o) showFieldErrors(form, { fields: { start: overlapText(o) } }, inputs, $("timeoff-error"));
    else showFieldErrors(form, err, inputs, $("timeoff-error"));
  } finally {
    button.disabled = false;
  }
}

// The same time off entered twice (409 time_off_overlaps): the one there already, named.
function overlapText(o) {
  const when = (x) => `${day(x, { weekday: "short", day: "numeric", month: "numeric" })} ${clock(x)}`;
  const sameDay = o.start.slice(0, 10) === o.end.slice(0, 10);
  return t("time_off_overlaps", {
    who: o.whole_salon ? t("whole_salon") : staffName(o.staff),
    time: `${when(o.start)}–${sameDay ? clock(o.end) : when(o.end)}`,
    reason: o.reason ? ` (${o.reason})` : "",
  });
}

function showCovered(covered) {
  $("timeoff-form").hidden = true;
  const box = clear($("timeoff-covered"));
  box.hidden = false;
  box.appendChild(el("h3", { id: "covered-title", tabindex: "-1", text: covered.length ? t("covered_n", { n: covered.length }) : t("covered_none") }));
  const list = el("ul", { className: "list covered" });
  for (const a of covered) list.appendChild(coveredRow(a));
  box.appendChild(list);
  const done = el("button", { type: "button", className: "primary", text: t("done") });
  done.addEventListener("click", () => closeDialog(dialog()));
  box.appendChild(done);
  $("covered-title").focus();
}

function coveredRow(a) {
  const who = (a.client && a.client.name) || t("no_name");
  const li = el("li", { "data-appointment": a.id },
    el("div", { className: "row" },
      el("span", { className: "time", text: `${day(a.start, { weekday: "short", day: "numeric", month: "numeric" })} ${clock(a.start)}` }),
      el("span", { className: "who", text: who }),
      el("span", { className: "muted", text: serviceName(a.service && a.service.id, a.service && a.service.name) })));
  const outcome = el("p", { className: "status-line", role: "status" });
  const actions = el("div", { className: "actions" });
  const add = (label, fn) => {
    const b = el("button", { type: "button", "aria-label": `${label}: ${who}`, text: label });
    b.addEventListener("click", () => fn(b));
    actions.appendChild(b);
  };
  const finish = (text) => { actions.remove(); outcome.textContent = text; };
  add(t("keep"), () => finish(t("kept")));
  if (a.proposal && a.proposal.start) {
    const when = `${day(a.proposal.start, { weekday: "short", day: "numeric", month: "numeric" })} ${clock(a.proposal.start)}`;
    add(t("move_to", { time: when }), async (b) => {
      b.disabled = true;
      try {
        const body = { start: a.proposal.start };
        if (a.proposal.staff && a.proposal.staff !== (a.staff && a.staff.id)) body.staff = a.proposal.staff;
        await api("POST", `/appointments/${a.id}/reschedule`, body);
        finish(t("moved_to", { name: who, time: `${when} · ${staffName(a.proposal.staff || (a.staff && a.staff.id))}` }));
        changed();
      } catch (err) {
        b.disabled = false;
        const why = Object.entries(err.fields || {}).map(([path, reason]) => fieldText(path, reason));
        outcome.textContent = [errorText(err), ...why].join(" ");
      }
    });
  }
  add(t("cancel_invite"), async (b) => {
    b.disabled = true;
    try {
      await api("POST", `/appointments/${a.id}/cancel`, { reason: (saved && saved.reason) || t("time_off"), invite: true });
      finish(t("cancelled_invited", { name: who }));
      changed();
    } catch (err) { b.disabled = false; outcome.textContent = errorText(err); }
  });
  li.appendChild(actions);
  li.appendChild(outcome);
  return li;
}

export async function removeTimeOff(off) {
  // A native confirm: one question, read out by screen readers, nothing to build.
  if (!window.confirm(t("remove_time_off_q"))) return;
  try {
    await api("DELETE", `/time-off/${off.id}`);
    say(t("time_off_removed"));
    changed();
  } catch (err) {
    say(routeMissing(err) ? t("not_available_yet") : t("action_failed", { message: errorText(err) }), true);
  }
}

export function initTimeOff() {
  $("timeoff-form").addEventListener("submit", submit);
  $("timeoff-repeat").addEventListener("change", (e) => {
    $("timeoff-until-box").hidden = !e.target.checked;
    if (e.target.checked) $("timeoff-until").focus();
  });
}
