// The appointment card: who, what, when, the markers (an allergy first), the client's
// contacts, and what the desk does with it: arrived / completed / no-show, undo (back to
// booked), move, cancel with a reason (+ tell the client, + invite to book again), and
// checkout once the visit began: the rest paid, the deposit deducted, a receipt by email.
import { $, clear, closeDialog, el, openDialog, showFieldErrors } from "./dom.js";
import { clock, day, errorText, money, t } from "./i18n.js";
import { routeMissing, withoutDefaults } from "./api.js";
import { api, changed, currency, say, staffName, todayIso, tz } from "./state.js";
import { appointmentSummary, startMove, statusKey } from "./calendar.js";
import { markOpensAt, markersOf } from "./calmodel.js";
import * as g from "./grid.js";

const dialog = () => $("appointment-dialog");
let current = null;

export function contactLinks(client) {
  const links = el("p", { className: "contacts" });
  if (client && client.phone) {
    links.appendChild(el("a", { href: `tel:${client.phone}`, className: "contact", text: t("call", { phone: client.phone }) }));
    links.appendChild(el("a", { href: `sms:${client.phone}`, className: "contact", text: t("text_message") }));
  }
  if (client && client.email) {
    links.appendChild(el("a", { href: `mailto:${client.email}`, className: "contact", text: client.email }));
  }
  return links.childNodes.length ? links : null;
}

export function openCard(a) {
  current = { ...a, markers: a.markers || markersOf(a) };
  render();
  openDialog(dialog(), $("appointment-title"));
}

function render(errorText) {
  const a = current;
  const s = appointmentSummary(a);
  const box = clear($("appointment-card"));
  box.appendChild(el("h2", { id: "appointment-title", tabindex: "-1", text: s.who }));
  box.appendChild(el("p", { className: "when",
    text: `${day(a.start, { weekday: "short", day: "numeric", month: "numeric" })} ${clock(a.start)}–${clock(a.end)} · ${s.what} · ${staffName(a.staff && a.staff.id) || (a.staff && a.staff.name) || ""}` }));
  box.appendChild(el("p", {}, el("span", { className: `tag ${a.status}`, "data-status": a.status, text: t(statusKey(a)) })));
  const client = a.client || {};
  if (client.allergies) box.appendChild(el("p", { className: "allergy-box", role: "note" }, el("strong", { text: `${t("m_allergy")}: ` }), client.allergies));
  else if (a.markers.allergy) box.appendChild(el("p", { className: "allergy-box", role: "note" }, el("strong", { text: t("m_allergy") })));
  if (client.important_notes) box.appendChild(el("p", { className: "note-box" }, el("strong", { text: `${t("important_notes")}: ` }), client.important_notes));
  if (a.note) box.appendChild(el("p", { className: "note-box" }, el("strong", { text: `${t("booking_note")}: ` }), a.note));
  const flags = [];
  if (a.markers.first_visit) flags.push(t("m_first_visit"));
  if (a.markers.deposit) flags.push(t("m_deposit"));
  if (a.markers.held) flags.push(a.hold_until ? t("m_held_until", { time: clock(a.hold_until) }) : t("m_held"));
  if (flags.length) box.appendChild(el("p", { className: "muted", text: flags.join(" · ") }));
  // Fees on the card on file: charged, open (her bank wants her to confirm; she got a pay link) or waived.
  for (const [kind, state] of Object.entries((a.payment && a.payment.fees) || {})) {
    box.appendChild(el("p", { className: `fee ${state}`, "data-fee": kind, text: `${t(`fee_kind_${kind}`)}: ${t(`fee_state_${state}`)}` }));
  }
  const contacts = contactLinks(client);
  if (contacts) box.appendChild(contacts);

  const actions = el("div", { className: "actions card-actions", role: "group", "aria-label": t("actions") });
  const add = (key, fn, cls) => {
    const b = el("button", { type: "button", className: cls || null, text: t(key) });
    b.addEventListener("click", () => fn(b));
    actions.appendChild(b);
  };
  // A mark is offered once it can be made (the API's rule); until then the hint says when.
  const now = Date.now();
  const canMark = (m) => markOpensAt(a, m) <= now;
  const ended = () => { add("act_completed", (b) => mark("completed", b)); add("act_no_show", (b) => mark("no_show", b)); };
  if (a.status === "booked") {
    if (canMark("arrived")) add("act_arrived", (b) => mark("arrived", b));
    if (canMark("completed")) ended();
    add("act_move", () => { closeDialog(dialog()); startMove(current); });
    add("act_cancel", () => showCancel(), "danger");
  } else if (a.status === "arrived") {
    if (canMark("completed")) ended();
    add("act_undo", (b) => mark("booked", b));
  } else if (a.status === "completed") {
    add("act_no_show", (b) => mark("no_show", b)); // a mark may be corrected
    add("act_undo", (b) => mark("booked", b));
  }
  if (["booked", "arrived", "completed"].includes(a.status) && new Date(a.start) <= new Date()) {
    add("act_checkout", () => showCheckout());
  } else if (a.status === "no_show") {
    add("act_completed", (b) => mark("completed", b));
    add("act_undo", (b) => mark("booked", b));
  }
  const hint = marksHint(a, canMark);
  if (hint) {
    box.appendChild(el("p", { id: "card-marks-hint", className: "muted", text: hint }));
    actions.setAttribute("aria-describedby", "card-marks-hint");
  }
  box.appendChild(actions);
  box.appendChild(cancelForm());
  box.appendChild(checkoutForm(client));
  box.appendChild(el("p", { id: "card-error", className: "error", role: "alert", text: errorText || "" }));
  const foot = el("div", { className: "buttons" });
  if (client.id) {
    const open = el("a", { href: `#client/${client.id}`, className: "button-link", text: t("client_card") });
    open.addEventListener("click", () => closeDialog(dialog()));
    foot.appendChild(open);
  }
  const close = el("button", { type: "button", text: t("close") });
  close.addEventListener("click", () => closeDialog(dialog()));
  foot.appendChild(close);
  box.appendChild(foot);
}

// When the marks not offered yet can be made, or "".
function marksHint(a, canMark) {
  if (!["booked", "arrived"].includes(a.status) || canMark("completed")) return "";
  if (a.status === "booked" && !canMark("arrived")) return t("marks_from", { time: moment(markOpensAt(a, "arrived")) });
  return t("marks_after_start", { time: moment(markOpensAt(a, "completed")) });
}

// A moment of today as its time; of another day with its date.
function moment(msv) {
  const time = clock(msv, tz());
  const date = g.zoned(msv, tz()).date;
  return date === todayIso() ? time : `${day(date, { weekday: "short", day: "numeric", month: "numeric" })} ${time}`;
}

function cancelForm() {
  const form = el("form", { id: "cancel-form", className: "cancel-form", hidden: true, novalidate: true },
    el("label", { for: "cancel-reason", text: t("cancel_reason") }),
    el("input", { id: "cancel-reason", type: "text", maxlength: "500" }),
    el("label", { className: "check" }, el("input", { id: "cancel-notify", type: "checkbox", checked: true }), " ", el("span", { text: t("notify_client_cancel") })),
    el("label", { className: "check" }, el("input", { id: "cancel-invite", type: "checkbox" }), " ", el("span", { text: t("invite_rebook") })),
    el("button", { type: "submit", className: "danger", text: t("confirm_cancel") }));
  form.addEventListener("submit", (e) => { e.preventDefault(); cancel(form); });
  return form;
}

const METHODS = ["card", "cash", "card_on_file", "gift_card", "other"];

function checkoutForm(client) {
  const method = el("select", { id: "checkout-method" },
    ...METHODS.map((m) => el("option", { value: m, text: t(`method_${m}`) })));
  const form = el("form", { id: "checkout-form", className: "cancel-form", hidden: true, novalidate: true },
    el("label", { for: "checkout-method", text: t("checkout_method") }), method,
    el("label", { for: "checkout-price", text: t("checkout_price") }),
    el("input", { id: "checkout-price", type: "number", min: "0", step: "0.01", inputmode: "decimal",
      value: (current.price_cents / 100).toFixed(2) }),
    el("label", { className: "check" },
      el("input", { id: "checkout-receipt", type: "checkbox", checked: !!(client && client.email), disabled: !(client && client.email) }),
      " ", el("span", { text: t("checkout_receipt") })),
    el("button", { type: "submit", text: t("confirm_checkout") }));
  form.addEventListener("submit", (e) => { e.preventDefault(); checkout(form); });
  return form;
}

function showCheckout() {
  $("checkout-form").hidden = false;
  $("checkout-method").focus();
}

async function checkout(form) {
  const s = appointmentSummary(current);
  const price = Math.round(parseFloat($("checkout-price").value) * 100);
  const body = { method: $("checkout-method").value, receipt: $("checkout-receipt").checked };
  if (Number.isFinite(price) && price !== current.price_cents) body.price_cents = price;
  const submit = form.querySelector("[type=submit]");
  submit.disabled = true;
  try {
    const done = await api("POST", `/appointments/${current.id}/checkout`, body);
    form.hidden = true;
    submit.disabled = false; // asked again, the server says it is paid already
    const text = t("checked_out_done", {
      name: s.who, paid: money(done.paid_cents, currency()), method: t(`method_${done.method}`),
      deposit: money(done.deposit_cents, currency()),
    });
    say(text);
    $("card-error").textContent = "";
    $("appointment-card").appendChild(el("p", { className: "muted", role: "status", text }));
  } catch (err) {
    submit.disabled = false;
    showFieldErrors(form, err, { method: $("checkout-method"), price_cents: $("checkout-price") }, $("card-error"));
  }
}

function showCancel() {
  const form = $("cancel-form");
  form.hidden = false;
  $("cancel-reason").focus();
}

async function mark(status, button) {
  button.disabled = true;
  const s = appointmentSummary(current);
  try {
    const view = await api("POST", `/appointments/${current.id}/status`, { status });
    current = { ...current, ...view, markers: current.markers };
    say(t(`marked_${status}`, { name: s.who }));
    render();
    $("appointment-title").focus();
    changed();
  } catch (err) {
    button.disabled = false;
    const text = status === "booked" && (err.status === 422 || routeMissing(err)) ? t("undo_not_available") : errorText(err);
    $("card-error").textContent = text;
  }
}

async function cancel(form) {
  const s = appointmentSummary(current);
  const body = withoutDefaults({
    reason: $("cancel-reason").value.trim() || undefined,
    notify: $("cancel-notify").checked,
    invite: $("cancel-invite").checked,
  }, { notify: true, invite: false });
  if (body.reason === undefined) delete body.reason;
  const submit = form.querySelector("[type=submit]");
  submit.disabled = true;
  try {
    await api("POST", `/appointments/${current.id}/cancel`, body);
    closeDialog(dialog());
    say(t("cancelled_done", { name: s.who }));
    changed();
  } catch (err) {
    submit.disabled = false;
    showFieldErrors(form, err, { reason: $("cancel-reason"), notify: $("cancel-notify"), invite: $("cancel-invite") }, $("card-error"));
  }
}

export function initCard() {
  dialog().addEventListener("close", () => { current = null; });
}
