// Who gets a reminder: the visits of a day (tomorrow unless she picks another) and, for
// each rule of the reminder plan, when it goes and by which channel — or why she gets
// none (GET /reminders; the words: reminderlines.js).
import { $, clear, clearFieldErrors, el, openDialog, showFieldErrors } from "./dom.js";
import { clock, day, dayTime, errorText, t } from "./i18n.js";
import { routeMissing } from "./api.js";
import { api, todayIso } from "./state.js";
import { addDays } from "./grid.js";
import { reminderLine } from "./reminderlines.js";

const dialog = () => $("reminders-dialog");
let shown = null; // the answer on screen ({ok} or {error}), drawn again in another language
let seq = 0;

const words = (part) => t(part.key, part.when ? { when: dayTime(part.when) } : undefined);

export function openReminders() {
  $("reminders-date").value = addDays(todayIso(), 1);
  openDialog(dialog(), $("reminders-date"));
  load();
}

async function load() {
  const date = $("reminders-date").value;
  const mine = ++seq;
  shown = null;
  clearFieldErrors($("reminders-form"));
  $("reminders-error").textContent = "";
  const box = clear($("reminders-list"));
  box.setAttribute("aria-busy", "true");
  box.appendChild(el("p", { className: "muted", text: t("loading") }));
  try {
    const answer = await api("GET", `/reminders?${new URLSearchParams(date ? { date } : {})}`);
    if (mine !== seq) return;
    shown = { ok: answer };
  } catch (err) {
    if (mine !== seq) return;
    shown = { error: err };
  }
  box.removeAttribute("aria-busy");
  render();
}

function render() {
  const box = clear($("reminders-list"));
  if (!shown) return;
  if (shown.error) {
    // A day the API refuses (422 `date`) is said at the day's field, in the page's words.
    const err = shown.error;
    if (routeMissing(err)) $("reminders-error").textContent = t("not_available_yet");
    else if (err.fields && err.fields.date) showFieldErrors($("reminders-form"), err, { date: $("reminders-date") }, $("reminders-error"));
    else $("reminders-error").textContent = `${t("load_failed")} ${errorText(err)}`;
    return;
  }
  const visits = shown.ok.visits || [];
  if (!visits.length) { box.appendChild(el("p", { className: "muted", text: t("reminders_no_visits") })); return; }
  const list = el("ul", { className: "list reminders" });
  for (const v of visits) {
    const lines = el("ul", { className: "reminder-lines" });
    for (const r of v.reminders) {
      const w = reminderLine(r);
      const text = `${t(w.channel)}: ${words(w.status)}${w.reason ? ` – ${words(w.reason)}` : ""}`;
      lines.appendChild(el("li", { className: r.status === "none" || r.status === "skipped" || r.status === "failed" ? "none" : "goes", text }));
    }
    if (!v.reminders.length) lines.appendChild(el("li", { className: "none", text: t("reminders_none_for_visit") }));
    list.appendChild(el("li", { "data-appointment": v.appointment_id },
      el("p", { className: "reminder-visit" }, el("strong", { text: `${clock(v.start)} ${v.client.name || t("why_no_client")}` }),
        " ", el("span", { className: "muted", text: v.staff.name })),
      lines));
  }
  box.appendChild(list);
}

// The dashboard's language changed with the list open: the same answer in the new words.
export function relabelReminders() {
  if (dialog().open) render();
}

export function initReminders() {
  $("reminders-date").addEventListener("change", () => { if ($("reminders-date").value) load(); });
  $("reminders-form").addEventListener("submit", (e) => { e.preventDefault(); load(); });
}
