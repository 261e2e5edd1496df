// Her data, at the end of the client card (the owner's: GDPR, docs/owner-api.md): her
// data downloaded as a JSON file (GET /clients/{id}/export, fetched with the token and
// saved from a Blob: a phone has no other way to keep it), and her erasure (DELETE
// /clients/{id}), asked first in a dialog that says what it removes and what stays. A
// booking still ahead of her keeps her from being erased (409 `has_upcoming_bookings`):
// the dialog then lists those bookings and cancels them and erases her on one more yes;
// nothing is cancelled or erased before it. Each action is shown only to a role the API
// lets do it (/me's `export` and `erase`: a staff member has neither).
import { $, clear, closeDialog, el, openDialog } from "./dom.js";
import { dayTime, errorText, plural, t } from "./i18n.js";
import { api, changed, say, serviceName, staffName, state, todayIso } from "./state.js";
import { eraseCancelBody, exportFileName, upcomingInTheWay } from "./clientdata.js";

const dialog = () => $("erase-dialog");
const may = (permission) => ((state.me && state.me.permissions) || []).includes(permission);

// What the card shows of it: the two actions with a line each, or null (staff).
export function dataActions(c, onErased) {
  const parts = [];
  if (may("export")) {
    const b = el("button", { type: "button", id: "cc-export", text: t("cc_export"), "aria-label": `${t("cc_export")}: ${c.name}`,
      "aria-describedby": "cc-export-hint" });
    b.addEventListener("click", () => download(c, b));
    parts.push(el("div", { className: "actions" }, b), el("p", { id: "cc-export-hint", className: "muted hint", text: t("cc_export_hint") }));
  }
  if (may("erase")) {
    const b = el("button", { type: "button", id: "cc-erase", className: "danger", text: t("cc_erase"), "aria-label": `${t("cc_erase")}: ${c.name}`,
      "aria-describedby": "cc-erase-hint" });
    b.addEventListener("click", () => openErase(c, onErased));
    parts.push(el("div", { className: "actions" }, b), el("p", { id: "cc-erase-hint", className: "muted hint", text: t("cc_erase_hint") }));
  }
  return parts.length ? parts : null;
}

// --- the export -----------------------------------------------------------------------------
async function download(c, button) {
  button.disabled = true;
  say("");
  try {
    const data = await api("GET", `/clients/${encodeURIComponent(c.id)}/export`);
    const file = exportFileName(c.name, todayIso());
    const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
    const link = el("a", { href: url, download: file, hidden: true });
    document.body.appendChild(link);
    link.click();
    link.remove();
    // Not at once: a phone's browser may still be reading it when the click returns.
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    say(t("cc_exported", { file }));
  } catch (err) {
    say(errorText(err), true);
  } finally {
    button.disabled = false;
  }
}

// --- the erasure ----------------------------------------------------------------------------
// { client, upcoming: the bookings in her way as GET /appointments/{id} gives them (null
// until the API named them), onErased, busy }
let erasing = null;

function openErase(c, onErased) {
  erasing = { client: c, upcoming: null, onErased, busy: false };
  draw();
  openDialog(dialog(), $("erase-title"));
}

// The dashboard's language changed with the dialog open: drawn again in it.
export function relabelErase() {
  if (!erasing || !dialog().open) return;
  draw(erasing.error);
  $("erase-title").focus();
}

// A booking as the appointment card's first line says it: "ke 2.12. 15.00 · Naisten hiustenleikkaus · Aino Virtanen".
function bookingLine(a) {
  return [dayTime(a.start),
    serviceName(a.service && a.service.id, a.service && a.service.name),
    staffName(a.staff && a.staff.id) || (a.staff && a.staff.name)].filter(Boolean).join(" · ");
}

function draw(err) {
  const { client: c, upcoming } = erasing;
  erasing.error = err || null;
  const box = clear($("erase-box"));
  const ahead = upcoming && upcoming.length ? upcoming : null;
  box.append(el("h2", { id: "erase-title", tabindex: "-1", text: t("erase_title", { name: c.name }) }));
  // What goes and what stays, read before her first yes; with the bookings in her way
  // listed after it, the phone's screen is theirs (the yes below them in sight at 360x740).
  if (!ahead) box.append(el("p", { text: t("erase_what") }), el("p", { text: t("erase_stays") }));
  box.append(el("p", { className: "erase-final", text: t("erase_final") }));
  if (ahead) {
    box.append(
      el("p", { id: "erase-upcoming-lead", tabindex: "-1", className: "erase-lead", text: plural("erase_upcoming", ahead.length) }),
      el("ul", { id: "erase-upcoming", className: "list compact", "aria-labelledby": "erase-upcoming-lead" },
        ahead.map((a) => el("li", { text: bookingLine(a) }))),
      el("p", { className: "muted hint", text: t("erase_cancel_note") }));
  }
  box.append(el("p", { id: "erase-error", className: "error", role: "alert", text: err ? errorText(err) : "" }));
  const back = el("button", { type: "button", id: "erase-back", text: t("confirm_back") });
  const yes = el("button", { type: "button", id: "erase-yes", className: "danger",
    text: ahead ? plural("erase_cancel_yes", ahead.length) : t("erase_yes") });
  back.addEventListener("click", () => closeDialog(dialog()));
  yes.addEventListener("click", () => erase(yes, back));
  box.append(el("div", { className: "buttons" }, back, yes));
}

async function erase(yes, back) {
  const job = erasing;
  const c = job.client;
  yes.disabled = true;
  back.disabled = true;
  job.busy = true;
  $("erase-error").textContent = "";
  let cancelled = 0;
  try {
    // The bookings she was shown and said yes to, then her erasure.
    for (const a of job.upcoming || []) {
      await api("POST", `/appointments/${encodeURIComponent(a.id)}/cancel`, eraseCancelBody());
      cancelled += 1;
    }
    await api("DELETE", `/clients/${encodeURIComponent(c.id)}`);
  } catch (err) {
    if (cancelled) changed("client"); // the calendar without them
    if (job !== erasing) return;
    job.busy = false;
    job.upcoming = (job.upcoming || []).slice(cancelled);
    const ids = upcomingInTheWay(err);
    if (ids && ids.length) {
      // Bookings in her way (the first time, or one booked meanwhile): listed, each as the
      // API has it now; nothing is cancelled before she says yes to them.
      try {
        job.upcoming = await Promise.all(ids.map((id) => api("GET", `/appointments/${encodeURIComponent(id)}`)));
      } catch (readErr) {
        if (job === erasing) draw(readErr);
        return;
      }
      if (job !== erasing) return;
      draw();
      $("erase-upcoming-lead").focus();
      return;
    }
    draw(err);
    $("erase-error").scrollIntoView({ block: "nearest" });
    return;
  }
  job.busy = false;
  erasing = null;
  closeDialog(dialog());
  changed("client"); // her bookings and her name gone from the calendar
  job.onErased(cancelled ? plural("erased_cancelled", cancelled, { name: c.name }) : t("erased_done", { name: c.name }));
}

export function initErase() {
  // Not closed (Esc) while the cancellations and the erasure are under way: what happened
  // is said in it.
  dialog().addEventListener("cancel", (e) => { if (erasing && erasing.busy) e.preventDefault(); });
  dialog().addEventListener("close", () => {
    const was = erasing;
    erasing = null;
    // Not erased: back on the card's button (the card drawn anew meanwhile, too).
    if (was && $("cc-erase")) $("cc-erase").focus();
  });
}
