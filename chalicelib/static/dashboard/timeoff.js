// Time off from the calendar: a staff member or the whole salon, start and end, a
// reason, repeated weekly until a date (POST /time-off). The bookings it covers come back
// with a proposed new time; each is kept, moved to the proposal or cancelled with an
// invitation to book again.
import { $, clear, clearFieldErrors, closeDialog, el, openDialog, showFieldErrors } from "./dom.js";
import { clock, day, dayTime, errorText, fieldText, money, t, withHeldSms } from "./i18n.js";
import { postOnce, routeMissing } from "./api.js";
import { api, changed, currency, mayMoney, say, serviceName, staffList, staffName, state, tz } from "./state.js";
import * as g from "./grid.js";
import { timeOffCancelBody, timeOffMoney, timeOffMoveFailed, undecidedCovered } from "./timeoffcancel.js";
import { cal, staffOnScreen } from "./calendar.js";

const dialog = () => $("timeoff-dialog");
let saved = null; // the block saved, with `outcomes`: what became of each booking it covers
let problem = null; // what the form was refused for, said again in another language
const coveredAsked = {}; // the covered booking's move or cancellation asked last, and its key

function localInput(msv) {
  const z = g.zoned(msv, tz());
  return `${z.date}T${String(z.hour).padStart(2, "0")}:${String(z.minute).padStart(2, "0")}`;
}

// open({staff, start})
export function openTimeOff(opts) {
  const o = opts || {};
  saved = null;
  problem = null;
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
  const shown = state.view === "calendar" ? cal.date : null;
  const shownDay = shown && cal.data ? cal.data.days.find((d) => d.date === shown) : null; // its opening, as drawn
  const start = o.start || g.timeOffStart(Date.now(), shown, tz(), shownDay ? shownDay.open : []);
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
  if (!$("timeoff-staff").value) missing.staff = "pick_who_away";
  if (!start) missing.start = "pick_time";
  if (!end) missing.end = "pick_time";
  if (start && end && end <= start) missing.end = "end_after_start";
  if ($("timeoff-repeat").checked && !$("timeoff-until").value) missing["repeat.weekly_until"] = "pick_date";
  problem = null;
  if (Object.keys(missing).length) {
    complain(() => showFieldErrors(form, { fields: Object.fromEntries(Object.entries(missing).map(([k, key]) => [k, t(key)])) },
      inputs, $("timeoff-error")));
    return;
  }
  const body = { start: `${start}:00`, end: `${end}:00`, reason: $("timeoff-reason").value.trim() };
  if ($("timeoff-staff").value !== WHOLE_SALON) body.staff = $("timeoff-staff").value;
  if ($("timeoff-repeat").checked) body.repeat = { weekly_until: $("timeoff-until").value };
  const button = form.querySelector("[type=submit]");
  button.disabled = true;
  try {
    saved = { ...(await api("POST", "/time-off", body)), outcomes: {} };
    changed();
    say(t("time_off_saved"));
    showCovered();
    $("covered-title").focus();
  } catch (err) {
    const o = err.status === 409 && err.code === "time_off_overlaps" && err.details && err.details.overlaps;
    if (routeMissing(err)) complain(() => { $("timeoff-error").textContent = t("not_available_yet"); });
    else if (o) complain(() => showFieldErrors(form, { fields: { start: overlapText(o) } }, inputs, $("timeoff-error")));
    else complain(() => showFieldErrors(form, err, inputs, $("timeoff-error")));
  } finally {
    button.disabled = false;
  }
}

function complain(show) {
  problem = show;
  show();
}

const when = dayTime;

// "Remove the time off: Aino Virtanen, Mon 7 Dec 09:00–13:00 (Training)?"
export function removeQuestion(off, member) {
  const start = g.localIso(off.startMs, tz());
  const end = g.localIso(off.endMs, tz());
  return t("remove_time_off_q", {
    who: off.whole_salon || !member ? t("whole_salon") : member.name,
    time: `${when(start)}–${start.slice(0, 10) === end.slice(0, 10) ? clock(end) : when(end)}`,
    reason: off.reason ? ` (${off.reason})` : "",
  });
}

// The same time off entered twice (409 time_off_overlaps): the one there already, named.
function overlapText(o) {
  const sameDay = o.start.slice(0, 10) === o.end.slice(0, 10);
  return t("time_off_overlaps", {
    who: o.whole_salon ? t("whole_salon") : staffName(o.staff),
    time: `${when(o.start)}–${sameDay ? clock(o.end) : when(o.end)}`,
    reason: o.reason ? ` (${o.reason})` : "",
  });
}

function showCovered() {
  const covered = saved.covered || [];
  $("timeoff-form").hidden = true;
  const box = clear($("timeoff-covered"));
  box.hidden = false;
  box.appendChild(el("h3", { id: "covered-title", tabindex: "-1", text: covered.length ? t("covered_n", { n: covered.length }) : t("covered_none") }));
  const list = el("ul", { className: "list covered" });
  for (const a of covered) list.appendChild(coveredRow(a));
  box.appendChild(list);
  // Done with bookings left undecided: they stay inside the time off, their clients told
  // nothing; said once (it may be meant: tapped again, it closes).
  const left = el("p", { className: "status-line bad", id: "covered-left", role: "alert" });
  const open = undecidedCovered(covered, saved.outcomes);
  if (saved.warned && open.length) left.textContent = t("covered_left", { n: open.length }); // drawn again
  const done = el("button", { type: "button", className: "primary", id: "covered-done", text: t("done") });
  done.addEventListener("click", () => {
    const undecided = undecidedCovered(saved.covered, saved.outcomes);
    if (undecided.length && !saved.warned) {
      saved.warned = true;
      left.textContent = t("covered_left", { n: undecided.length });
      return;
    }
    closeDialog(dialog());
  });
  box.appendChild(left);
  box.appendChild(done);
}

// A covered booking: kept, moved or cancelled (its outcome, in words of the language
// shown), or its three choices.
function coveredRow(a) {
  const who = (a.client && a.client.name) || t("no_name");
  const li = el("li", { "data-appointment": a.id },
    el("div", { className: "row" },
      el("span", { className: "time", text: when(a.start) }),
      el("span", { className: "who", text: who }),
      el("span", { className: "muted", text: serviceName(a.service && a.service.id, a.service && a.service.name) })));
  const outcome = el("p", { className: "status-line", role: "status" });
  const actions = el("div", { className: "actions" });
  const said = saved.outcomes[a.id];
  // Her deposit, before she is cancelled: given back with it (the owner), or left for the
  // owner to refund (staff); after it, what the answer says happened (timeoffcancel.js).
  const moneyText = (after) => {
    const m = timeOffMoney(a.payment, mayMoney(), after);
    return m ? t(m.key, { amount: money(m.cents, currency()) }) : "";
  };
  const deposit = moneyText() ? el("p", { className: "muted", text: moneyText() }) : null;
  if (deposit && !(said && said.done)) li.appendChild(deposit);
  const show = (o) => {
    outcome.textContent = o.text();
    outcome.classList.toggle("bad", !!o.bad); // a refusal in the error's colour, not success's
  };
  if (said) show(said);
  const note = (text, done, bad) => {
    saved.outcomes[a.id] = { text, done, bad };
    if (!li.isConnected) { showCovered(); return; } // drawn again (a language switch) while it was sent
    show(saved.outcomes[a.id]);
    if (done) {
      actions.remove();
      if (deposit) deposit.remove();
    }
  };
  const add = (label, fn) => {
    const b = el("button", { type: "button", "aria-label": `${label}: ${who}`, text: label });
    b.addEventListener("click", () => fn(b));
    actions.appendChild(b);
  };
  add(t("keep"), () => note(() => t("kept"), true));
  if (a.proposal && a.proposal.start) {
    add(t("move_to", { time: when(a.proposal.start) }), async (b) => {
      b.disabled = true;
      try {
        const body = { start: a.proposal.start };
        if (a.proposal.staff && a.proposal.staff !== (a.staff && a.staff.id)) body.staff = a.proposal.staff;
        // As the card: moved or cancelled meanwhile (she moved it herself by her link), the
        // move is refused (visit_changed), not done over her change.
        const path = `/appointments/${a.id}/reschedule`;
        const done = await postOnce(api, coveredAsked, path, body, a.version);
        note(() => withHeldSms(t("moved_to", { name: who, time: `${when(a.proposal.start)} · ${staffName(a.proposal.staff || (a.staff && a.staff.id))}` }), done), true);
        changed();
      } catch (err) {
        b.disabled = false;
        const failed = timeOffMoveFailed(err);
        note(() => (failed ? t(failed.key)
          : [errorText(err), ...Object.entries(err.fields || {}).map(([path, reason]) => fieldText(path, reason))].join(" ")), false, true);
      }
    });
  }
  add(t("cancel_invite"), async (b) => {
    b.disabled = true;
    try {
      const body = timeOffCancelBody((saved && saved.reason) || t("time_off"), a.payment, mayMoney());
      const path = `/appointments/${a.id}/cancel`;
      const done = await postOnce(api, coveredAsked, path, body, a.version);
      note(() => [withHeldSms(t("cancelled_invited", { name: who }), done), moneyText(done.payment)].filter(Boolean).join(" "), true);
      changed();
    } catch (err) {
      b.disabled = false;
      note(() => errorText(err), false, true);
    }
  });
  if (!(said && said.done)) li.appendChild(actions);
  li.appendChild(outcome);
  return li;
}

// The dashboard's language changed with the sheet open: its words drawn again in it (who
// is away, what was refused, the bookings the saved time off covers and what became of
// each), what she typed and chose as it was, and the focus where it was.
export function relabelTimeOff() {
  if (!dialog().open) return;
  const focused = dialog().contains(document.activeElement) ? document.activeElement : null;
  const row = focused && focused.closest("li[data-appointment]");
  const nth = row ? [...row.querySelectorAll("button")].indexOf(focused) : -1;
  staffChoices($("timeoff-staff").value);
  if (problem) {
    clearFieldErrors($("timeoff-form"));
    problem();
  }
  if (saved) showCovered();
  if (!focused) return;
  const again = row ? dialog().querySelector(`li[data-appointment="${row.dataset.appointment}"]`) : null;
  const back = (again && again.querySelectorAll("button")[nth])
    || (focused.id && $(focused.id)) || (saved ? $("covered-title") : $("timeoff-staff"));
  back.focus();
}

export async function removeTimeOff(off, member) {
  // A native confirm: one question, read out by screen readers, nothing to build; it names
  // the time off (whose, when, why), as the overlap's refusal does.
  if (!window.confirm(removeQuestion(off, member))) return;
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
