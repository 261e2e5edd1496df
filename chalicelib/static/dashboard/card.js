// The appointment card: who, what, when, the markers (an allergy first), the client's
// contacts, and what the desk does with it: arrived / completed / no-show, undo (back to
// booked), move, cancel with a reason (+ tell the client, + invite to book again), and
// checkout once the visit began: the rest paid, the deposit deducted, a receipt by email;
// once (the appointment says it was). Its money in words (what she paid, what went back,
// each fee, what was paid at the desk); the owner's money actions
// (permission "money"): refund, charge the late-cancellation fee, an open fee's pay link
// and its waiver, and the deposit back when the salon cancels. Staff see the amounts only.
import { $, clear, clearFieldErrors, closeDialog, el, emailText, openDialog, showFieldErrors } from "./dom.js";
import { clock, day, errorText, intl, money, plural, t } from "./i18n.js";
import { postOnce, routeMissing, withoutDefaults } from "./api.js";
import { api, changed, copyActions, currency, mayMoney, phoneText, say, staffName, todayIso, tz } from "./state.js";
import { appointmentSummary, startMove, statusKey } from "./calendar.js";
import { openBooking } from "./booking.js";
import { markOpensAt, markersOf } from "./calmodel.js";
import { cancelledText, chargedText, clientCancelText, feeRefundedText, markedText, ownerRefundsText } from "./cardwords.js";
import * as g from "./grid.js";
import { LINES_MAX, LINE_NAME_MAX, amountText, blankLine, checkoutRequest, depositRefundOffer, feeKind, feeRefundRequest, feeRefundable, lateFeeOffer, moneyLines, noShowFeeOffer,
  noShowMarkFee, paidAtDesk, refundRequest, soldAtDesk, refundableCents, undoMovesFee, undoRefundCents } from "./visitmoney.js";

const dialog = () => $("appointment-dialog");
let current = null;

export function contactLinks(client) {
  const links = el("p", { className: "contacts" });
  if (client && client.phone) {
    links.appendChild(el("a", { href: `tel:${client.phone}`, className: "contact", text: t("call", { phone: phoneText(client) }) }));
    links.appendChild(el("a", { href: `sms:${client.phone}`, className: "contact", text: t("text_message") }));
  }
  if (client && client.email) {
    // Named by the address itself: a screen reader reads each <wbr> as a space.
    links.appendChild(el("a", { href: `mailto:${client.email}`, className: "contact", "aria-label": client.email }, emailText(client.email)));
  }
  return links.childNodes.length ? links : null;
}

// `error`: what was refused of it (a move), said where the card's errors go.
export function openCard(a, error) {
  current = { ...a, markers: a.markers || markersOf(a) };
  render(error);
  openDialog(dialog(), $("appointment-title"));
}

// The live poll read the calendar again (calendar.js): an open card whose visit another
// device moved, cancelled or marked is drawn as it is now, saying so (a walk: the card kept
// the old time for 45 s while the grid behind it moved) — unless she is in the middle of
// something on it (a form open, a question asked): her action then goes with the version
// she saw, is refused (visit_changed), and the card is read again.
export function freshCard(appointments) {
  if (!current || !dialog().open) return;
  const fresh = appointments.find((a) => a.id === current.id);
  if (!fresh || fresh.version === undefined || fresh.version === current.version) return;
  const box = $("appointment-card");
  const asking = ["money-confirm", "mark-confirm"].some((id) => $(id) && !$(id).hidden);
  if (asking || [...box.querySelectorAll("form")].some((f) => !f.hidden)) return;
  current = { ...current, ...fresh, markers: fresh.markers || markersOf(fresh) };
  render(t("visit_changed_live"));
}

// The dashboard's language changed with the card open: drawn again in it, with what the
// owner had opened and typed in its forms as it was (a choice made, the change it made).
export function relabelCard() {
  if (!current || !dialog().open) return;
  const box = $("appointment-card");
  const opened = [...box.querySelectorAll("form[id]")].filter((f) => !f.hidden).map((f) => f.id);
  const typed = [...box.querySelectorAll("input[id], select[id], textarea[id]")]
    .map((n) => [n.id, n.type === "checkbox" || n.type === "radio" ? n.checked : n.value]);
  const focused = box.contains(document.activeElement) ? document.activeElement.id : null;
  render();
  for (const id of opened) if ($(id)) $(id).hidden = false;
  for (const [id, value] of typed) {
    const n = $(id);
    if (!n) continue;
    if (typeof value !== "boolean") { n.value = value; n.dispatchEvent(new Event("input", { bubbles: true })); continue; }
    if (n.checked === value) continue;
    n.checked = value;
    if (n.type === "radio") n.dispatchEvent(new Event("change", { bubbles: true })); // its defaults first; the boxes after it restored
  }
  ($(focused) || $("appointment-title")).focus();
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
  if (a.arrived_at) flags.push(t("m_arrived_at", { time: clock(a.arrived_at) })); // how long she has waited, too
  if (a.source === "walk_in") flags.push(t("walk_in")); // she came in without a booking
  if (flags.length) box.appendChild(el("p", { className: "muted", text: flags.join(" · ") }));
  // A reward from her card used on this visit: the price is after it.
  if (a.reward) box.appendChild(el("p", { className: "reward-used", text: t("reward_price", { price: money(a.price_cents, currency()), discount: money(a.discount_cents || 0, currency()) }) }));
  const pay = moneySection(a);
  if (pay) box.appendChild(pay);
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
  // A visit checked out (paid at the desk) took place: no "no-show", no cancelling it, no
  // moving it, no undoing its mark (the API refuses them all: checked_out).
  const paid = !!a.checkout;
  const ended = () => { add("act_completed", (b) => mark("completed", b)); if (!paid) add("act_no_show", (b) => markOrAsk("no_show", b)); };
  if (a.status === "booked") {
    if (!paid && canMark("arrived")) add("act_arrived", (b) => mark("arrived", b)); // paid: she came
    if (canMark("completed")) ended();
    if (!paid) add("act_move", () => { closeDialog(dialog()); startMove(current); });
    if (!paid) add("act_cancel", () => showCancel(), "danger");
  } else if (a.status === "arrived") {
    // She came: done, or the arrival undone — not "no-show" one slip from "done" (an owner's
    // walk). One who left before her service: undo the arrival, then mark her.
    if (canMark("completed")) add("act_completed", (b) => mark("completed", b));
    if (!paid) add("act_undo", (b) => mark("booked", b));
  } else if (a.status === "completed") {
    // A mark may be corrected — not a visit paid at the desk: it took place. During the
    // visit, undo first (back to booked; the API refuses a no-show: already_marked); after
    // its end an undo would leave it completed (the after-visit rule), so only the no-show
    // corrects it, asked first when it charges a fee — not for her the desk saw arrive.
    const over = new Date(a.end) <= new Date(now);
    if (!paid && over && !a.arrived_at) add("act_no_show", (b) => markOrAsk("no_show", b));
    if (!paid && !over) add("act_undo", (b) => mark("booked", b));
  }
  // Checkout once the visit began, or once she arrived (early, too): the API's rule.
  if (["booked", "arrived", "completed"].includes(a.status) && (a.status === "arrived" || new Date(a.start) <= new Date())) {
    if (!a.checkout) add("act_checkout", () => showCheckout()); // once: the server says when it was
  } else if (a.status === "no_show" && (mayMoney() || !undoMovesFee(a.payment))) {
    // Its fee taken, the undo gives it back: the owner's (staff are told below).
    add("act_completed", (b) => markOrAsk("completed", b));
    add("act_undo", (b) => markOrAsk("booked", b));
  }
  // Done (or paid at the desk): her next visit booked while she is still at the desk, the
  // same service and stylist, the sheet's time hers to pick.
  if ((a.status === "completed" || paid) && client.id) {
    add("act_book_next", () => {
      closeDialog(dialog());
      openBooking({ client, service: a.service && a.service.id, staff: a.staff && a.staff.id });
    }, "accent");
  }
  const hint = a.status === "no_show" && !mayMoney() && undoMovesFee(a.payment) ? t("marks_owner_undoes") : marksHint(a, canMark);
  if (hint) {
    box.appendChild(el("p", { id: "card-marks-hint", className: "muted", text: hint }));
    actions.setAttribute("aria-describedby", "card-marks-hint");
  }
  box.appendChild(actions);
  box.appendChild(el("div", { id: "mark-confirm", className: "cancel-form", hidden: true }));
  box.appendChild(cancelForm(client));
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

// "Paid at the desk: 111,30 € (card terminal), 14.05": the visit's checkout as the server
// has it (whoever checked it out, wherever), or null.
function paidLine(a) {
  const p = paidAtDesk(a);
  if (!p) return null;
  const time = p.onVisitDay ? clock(p.at) : `${day(p.at, { day: "numeric", month: "numeric" })} ${clock(p.at)}`;
  return el("p", { id: "card-paid", className: "paid",
    text: t("checkout_paid", { amount: money(p.cents, currency()), method: t(`paid_by_${p.method}`), time }) });
}

// Under the paid line: the products sold with the visit ("Shampoo 250 ml × 1: 24,90 €") and
// the discount ("Alennus 10 %: −18,39 €"), as the server keeps them, or null.
function soldList(a) {
  const sold = soldAtDesk(a);
  if (!sold) return null;
  const cur = currency();
  const list = el("ul", { id: "card-paid-sold", className: "paid-sold" });
  for (const line of sold.lines) {
    list.appendChild(el("li", { text: t("checkout_paid_product", { name: line.name, quantity: line.quantity, amount: money(line.cents, cur) }) }));
  }
  if (sold.discount) {
    const key = sold.percent !== null ? "checkout_paid_discount_percent" : "checkout_paid_discount";
    list.appendChild(el("li", { text: t(key, { percent: sold.percent, amount: money(sold.discount, cur) }) }));
  }
  return list;
}

// When the marks not offered yet can be made, or "".
function marksHint(a, canMark) {
  if (!["booked", "arrived"].includes(a.status) || canMark("completed")) return "";
  if (a.status === "booked" && !canMark("arrived")) return t("marks_from", { time: moment(markOpensAt(a, "arrived")) });
  // Arrived: no "no-show" is offered her (undo the arrival first), so none is promised.
  return t(a.status === "arrived" ? "marks_after_start_arrived" : "marks_after_start", { time: moment(markOpensAt(a, "completed")) });
}

// A moment of today as its time; of another day with its date.
function moment(msv) {
  const time = clock(msv, tz());
  const date = g.zoned(msv, tz()).date;
  return date === todayIso() ? time : `${day(date, { weekday: "short", day: "numeric", month: "numeric" })} ${time}`;
}

function cancelForm(client) {
  // No phone and no email: nobody can tell her, nor invite her back — said, not offered.
  const unreachable = !client.phone && !client.email;
  // The salon cancels a paid visit: the owner may give the deposit or prepayment back
  // (a refund after the cancellation; what the terms give back by themselves goes first).
  const back = mayMoney() && current.status === "booked" ? refundableCents(current.payment) : 0;
  // Only when the salon cancels (not when she phoned).
  const refund = back ? el("label", { className: "check", hidden: true }, el("input", { id: "cancel-refund", type: "checkbox" }), " ",
    el("span", { text: t(`cancel_refund_${current.payment.kind}`, { amount: money(back, currency()) }) })) : null;
  // A staff member cannot give it back: the salon's cancellation says the owner will.
  const owed = !mayMoney() && current.status === "booked" ? refundableCents(current.payment) : 0;
  const owedHint = owed ? el("p", { id: "cancel-owed", className: "muted hint", hidden: true,
    text: ownerRefundsText(current.payment, owed, currency()) }) : null;
  // She cancelled: what that does with her money, before the owner confirms.
  const outcomeText = clientCancelText(current.payment, currency());
  const outcome = outcomeText ? el("p", { id: "cancel-outcome", className: "hint", hidden: true, text: outcomeText }) : null;
  // Who cancels: she phoned (her cancellation), or the salon must (the stylist is ill):
  // then the message says sorry, she is asked to book again (ticked for the owner) and it
  // is not counted as hers. Neither is chosen for the owner: the confirm button asks first.
  const by = (value) => el("label", { className: "check" },
    el("input", { id: `cancel-by-${value}`, type: "radio", name: "cancel-by", value, required: true }), " ",
    el("span", { text: t(`cancel_by_${value}`) }));
  const invite = el("input", { id: "cancel-invite", type: "checkbox" });
  const form = el("form", { id: "cancel-form", className: "cancel-form", hidden: true, novalidate: true },
    el("fieldset", { className: "choices" }, el("legend", { text: t("cancel_by") }), by("client"), by("salon")),
    el("label", { for: "cancel-reason", text: t("cancel_reason") }),
    el("input", { id: "cancel-reason", type: "text", maxlength: "500" }),
    el("label", { className: "check", hidden: unreachable }, el("input", { id: "cancel-notify", type: "checkbox", checked: !unreachable }), " ", el("span", { text: t("notify_client_cancel") })),
    el("label", { className: "check", hidden: unreachable }, invite, " ", el("span", { text: t("invite_rebook") })),
    unreachable ? el("p", { id: "cancel-no-contact", className: "muted hint", text: t("cancel_no_contact") }) : null,
    outcome,
    refund,
    owedHint,
    el("button", { type: "submit", id: "cancel-confirm", className: "danger", disabled: true, text: t("cancel_choose_first") }));
  form.addEventListener("change", (e) => {
    if (e.target.name !== "cancel-by") return;
    const confirm = $("cancel-confirm");
    confirm.disabled = false;
    confirm.textContent = t("confirm_cancel");
    const salon = e.target.value === "salon";
    invite.checked = salon && !unreachable;
    if (refund) { // the salon cancels: what she paid goes back unless the owner unticks it
      refund.hidden = !salon;
      refund.querySelector("input").checked = salon;
    }
    if (owedHint) owedHint.hidden = !salon;
    if (outcome) outcome.hidden = salon;
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); cancel(form); });
  return form;
}

const METHODS = ["card", "cash", "card_on_file", "gift_card", "other"];

// Only what can apply: her saved card when the booking saved one, a receipt when she has
// an email address. Products sold with the visit (a shampoo) are added row by row, and a
// discount, a percentage or euros, comes off the visit and its products together.
function checkoutForm(client) {
  const saved = !!(current.payment && current.payment.card_saved);
  const method = el("select", { id: "checkout-method" },
    ...METHODS.filter((m) => m !== "card_on_file" || saved).map((m) => el("option", { value: m, text: t(`method_${m}`) })));
  const email = !!(client && client.email);
  const add = el("button", { type: "button", id: "checkout-add-line", className: "secondary", text: t("checkout_add_product") });
  const form = el("form", { id: "checkout-form", className: "cancel-form", hidden: true, novalidate: true },
    el("label", { for: "checkout-method", text: t("checkout_method") }), method,
    el("label", { for: "checkout-price", text: t("checkout_price") }),
    // Text, not a number input: "159,00" with the language's decimal comma, "159.00" read too.
    el("input", { id: "checkout-price", type: "text", inputmode: "decimal", autocomplete: "off",
      value: amountText(current.price_cents, intl()), "aria-describedby": "checkout-due" }),
    el("div", { id: "checkout-lines" }),
    add,
    el("label", { for: "checkout-discount", text: t("checkout_discount") }),
    el("div", { className: "checkout-discount" },
      el("input", { id: "checkout-discount", type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "0" }),
      el("select", { id: "checkout-discount-unit", "aria-label": t("checkout_discount_unit") },
        el("option", { value: "percent", text: "%" }), el("option", { value: "amount", text: "€" }))),
    el("p", { id: "checkout-due", className: "muted", "aria-live": "polite" }),
    email ? el("label", { className: "check" },
      el("input", { id: "checkout-receipt", type: "checkbox", checked: true }),
      " ", el("span", { text: t("checkout_receipt") })) : null,
    el("button", { type: "submit", className: "accent", text: t("confirm_checkout") }));
  form.addEventListener("submit", (e) => { e.preventDefault(); checkout(form); });
  form.addEventListener("input", () => showDue());
  form.addEventListener("change", () => showDue());
  add.addEventListener("click", () => addLine());
  return form;
}

let lineSeq = 0;

// A product row: its name, unit price and how many (1 unless she says), and its removal.
function addLine() {
  const box = $("checkout-lines");
  const n = ++lineSeq;
  const id = `checkout-line-${n}`;
  const row = el("fieldset", { className: "checkout-line", id },
    el("legend", { text: t("checkout_product") }),
    el("label", { for: `${id}-name`, text: t("checkout_product_name") }),
    el("input", { id: `${id}-name`, type: "text", autocomplete: "off", maxlength: String(LINE_NAME_MAX), "data-f": "name" }),
    el("div", { className: "line-figures" },
      el("div", {}, el("label", { for: `${id}-amount`, text: t("checkout_product_price") }),
        el("input", { id: `${id}-amount`, type: "text", inputmode: "decimal", autocomplete: "off", "data-f": "amount" })),
      el("div", {}, el("label", { for: `${id}-quantity`, text: t("checkout_product_quantity") }),
        el("input", { id: `${id}-quantity`, type: "text", inputmode: "numeric", autocomplete: "off", value: "1", "data-f": "quantity" }))));
  const remove = el("button", { type: "button", className: "secondary", text: t("checkout_remove_product") });
  remove.addEventListener("click", () => {
    row.remove();
    $("checkout-add-line").hidden = false;
    showDue();
    $("checkout-add-line").focus();
  });
  row.appendChild(remove);
  box.appendChild(row);
  $("checkout-add-line").hidden = box.children.length >= LINES_MAX;
  $(`${id}-name`).focus();
  showDue();
}

// The product rows she filled in (a row left wholly empty is none), in order: each
// `lines.<i>` the API names is the i-th of these.
function filledLines() {
  return [...document.querySelectorAll("#checkout-lines .checkout-line")]
    .map((row) => ({ row, name: row.querySelector("[data-f=name]").value, amount: row.querySelector("[data-f=amount]").value,
      quantity: row.querySelector("[data-f=quantity]").value }))
    .filter((line) => !blankLine(line));
}

function readCheckout() {
  return checkoutRequest($("checkout-price").value, current.payment,
    { lines: filledLines(), discount: $("checkout-discount").value, unit: $("checkout-discount-unit").value });
}

// Each field the API (or the form's own check) may name, to the input that says it.
function checkoutInputs() {
  const inputs = { method: $("checkout-method"), price_cents: $("checkout-price"), discount: $("checkout-discount"),
    "discount.percent": $("checkout-discount"), "discount.amount_cents": $("checkout-discount") };
  const filled = filledLines();
  // Too much in all: said beside the last product's price.
  if (filled.length) inputs.lines = filled[filled.length - 1].row.querySelector("[data-f=amount]");
  filled.forEach(({ row }, i) => {
    for (const [f, path] of [["name", "name"], ["amount", "amount_cents"], ["quantity", "quantity"]]) {
      inputs[`lines.${i}.${path}`] = row.querySelector(`[data-f=${f}]`);
    }
  });
  return inputs;
}

// Before she records it: what the visit and its products come to after the discount, the
// deposit already paid that comes off, and what is left to pay (what she keys into the
// card terminal), as she edits them. A figure that is not an amount, or a total below
// the deposit kept, says so there (never the booked price's figures instead).
function showDue() {
  const line = $("checkout-due");
  if (!line) return;
  const read = readCheckout();
  errorsFollow(read);
  if (read.errors) { line.textContent = checkoutErrorText(Object.keys(read.errors)[0], read); return; }
  const { deposit, due, off, total, lines, discount } = read;
  const cur = currency();
  const parts = [];
  if (lines.length || discount) {
    parts.push(off ? t("checkout_total_discount", { off: money(off, cur), total: money(total, cur) }) : t("checkout_total", { total: money(total, cur) }));
  }
  if (deposit) parts.push(t("checkout_deposit_due", { deposit: money(deposit, cur), due: money(due, cur) }));
  line.textContent = parts.join(". ");
}

// An error said beside its field ("Kirjaa maksu" refused it) follows what she types: a
// field still wrong says its problem now, a valid one clears it (and what the card said).
function errorsFollow(read) {
  const form = $("checkout-form");
  const notes = [...form.querySelectorAll(".field-error")];
  if (!notes.length) return;
  const inputs = checkoutInputs();
  for (const note of notes) {
    const input = note.previousElementSibling;
    const path = Object.keys(inputs).find((k) => inputs[k] === input && read.errors && read.errors[k]);
    if (path) { note.textContent = checkoutErrorText(path, read); continue; }
    note.remove();
    if (!input) continue;
    input.removeAttribute("aria-invalid");
    if (input.id === "checkout-price") input.setAttribute("aria-describedby", "checkout-due");
    else input.removeAttribute("aria-describedby");
  }
  if (!form.querySelector(".field-error")) $("card-error").textContent = "";
}

// A checkout field's problem in words (checkoutRequest's): not an amount, a name missing
// or too long, a quantity out of 1–99, the visit and its products above the most, a discount that is no percentage or amount, more off
// than the total, or a total below the deposit kept.
function checkoutErrorText(path, read) {
  const problem = read.errors[path];
  const cur = currency();
  if (problem === "below_deposit") {
    const key = path === "discount" ? "checkout_discount_below_deposit" : "checkout_price_below_deposit";
    return t(key, { deposit: money(read.least, cur) });
  }
  if (path === "lines") return t("checkout_total_too_big", { most: money(read.most, cur) });
  if (path === "discount") {
    if (problem === "above") return t("checkout_discount_above", { total: money(read.most, cur) });
    return t($("checkout-discount-unit").value === "amount" ? "checkout_discount_amount_bad" : "checkout_discount_percent_bad");
  }
  if (/\.name$/.test(path)) return problem === "too_long" ? plural("err_too_long", LINE_NAME_MAX) : t("checkout_product_name_missing");
  if (/\.quantity$/.test(path)) return t("checkout_product_quantity_bad");
  return t("checkout_price_bad");
}

function showCheckout() {
  $("checkout-form").hidden = false;
  showDue();
  $("checkout-method").focus();
}

async function checkout(form) {
  const s = appointmentSummary(current);
  const read = readCheckout();
  const inputs = checkoutInputs();
  // Not an amount, a line or discount wrong, or below the deposit kept: said beside its field, nothing sent.
  if (read.errors) {
    const fields = Object.fromEntries(Object.keys(read.errors).map((path) => [path, checkoutErrorText(path, read)]));
    return showFieldErrors(form, { fields }, inputs, $("card-error"));
  }
  const receipt = $("checkout-receipt");
  const body = { method: $("checkout-method").value, receipt: !!(receipt && receipt.checked) };
  if (read.price_cents !== current.price_cents) body.price_cents = read.price_cents;
  if (read.lines.length) body.lines = read.lines;
  if (read.discount) body.discount = read.discount;
  const submit = form.querySelector("[type=submit]");
  submit.disabled = true;
  try {
    const done = await api("POST", `/appointments/${current.id}/checkout`, body);
    current = { ...current, checkout: { method: done.method, paid_cents: done.paid_cents, at: done.at,
      total_cents: done.total_cents, lines: done.lines, discount_cents: done.discount_cents, discount_percent: done.discount_percent },
      markers: { ...current.markers, paid: true } };
    // The deposit deducted is said only when there was one; the method as the card's paid line says it.
    const text = t(done.deposit_cents ? "checked_out_done_deposit" : "checked_out_done", {
      name: s.who, paid: money(done.paid_cents, currency()), method: t(`paid_by_${done.method}`),
      deposit: money(done.deposit_cents, currency()),
    });
    say(text);
    render(); // paid: no "Checkout" any more, the paid line instead
    $("appointment-title").focus();
    changed(); // the calendar marks it paid
  } catch (err) {
    submit.disabled = false;
    // Paid already (another device, another staff member), or marked or cancelled there
    // meanwhile (any card charge of it going back): the card as the server has it now.
    if (err.code === "checked_out" || err.code === "appointment_changed") {
      await asTheServerHasIt(errorText(err));
      return;
    }
    showFieldErrors(form, err, inputs, $("card-error"), currency());
  }
}

// The server said the visit was checked out already, or changed meanwhile — marked,
// cancelled or moved on another device, a fee refunded already: the card shows it as the
// server has it, and why below (never the stale card with its stale buttons).
async function asTheServerHasIt(text) {
  const id = current.id;
  let view = null;
  try { view = await api("GET", `/appointments/${id}`); } catch { /* the message says it */ }
  if (!current || current.id !== id) return;
  if (view) current = { ...current, ...view, markers: { ...current.markers, paid: !!view.checkout } };
  render(text);
  changed();
}

function showCancel() {
  const form = $("cancel-form");
  form.hidden = false;
  $("cancel-by-client").focus(); // who cancelled: the first thing to say

}

// A mark that moves money asks first, naming the amount, as the late fee does: the owner's
// no-show that charges its fee, an undo (or completed) of a no-show that refunds its fee.
function markOrAsk(status, button) {
  const who = appointmentSummary(current).who;
  const fee = status === "no_show" && mayMoney() ? noShowMarkFee(current) : 0;
  const back = status === "no_show" ? 0 : undoRefundCents(current);
  if (!fee && !back) return mark(status, button);
  const amount = money(fee || back, currency());
  const question = fee ? t("no_show_question", { name: who, amount })
    : t(status === "completed" ? "completed_refund_question" : "undo_refund_question", { name: who, amount });
  askFirst(question, t(fee ? "no_show_yes" : "undo_refund_yes", { amount }), button, (ok) => mark(status, ok), "mark-confirm");
}

// The visit action asked last (a mark, a cancellation) and its key (api.js postOnce).
const visitAsked = {};

async function mark(status, button) {
  button.disabled = true;
  const s = appointmentSummary(current);
  const path = `/appointments/${current.id}/status`;
  try {
    const view = await postOnce(api, visitAsked, path, { status }, current.version);
    const before = current.payment;
    current = { ...current, ...view, markers: current.markers };
    say(markedText(status, s.who, before, view, { currency: currency(), mayMoney: mayMoney() }));
    render();
    $("appointment-title").focus();
    changed();
  } catch (err) {
    button.disabled = false;
    if ($("mark-confirm")) $("mark-confirm").hidden = true; // the question answered: why not, below
    const text = status === "booked" && (err.status === 422 || routeMissing(err)) ? t("undo_not_available") : errorText(err);
    if (err.status === 409) { await asTheServerHasIt(text); return; } // marked or cancelled elsewhere
    $("card-error").textContent = text;
  }
}

async function cancel(form) {
  const s = appointmentSummary(current);
  if (!$("cancel-by-salon").checked && !$("cancel-by-client").checked) { $("cancel-by-client").focus(); return; }
  const by = $("cancel-by-salon").checked ? "salon" : "client";
  // The salon gives back what she paid: with the cancellation itself (`refund`), so that
  // its message tells her what comes back now and what came back before.
  const back = by === "salon" && $("cancel-refund") && $("cancel-refund").checked ? refundableCents(current.payment) : 0;
  const body = withoutDefaults({
    by,
    reason: $("cancel-reason").value.trim() || undefined,
    notify: $("cancel-notify").checked,
    invite: $("cancel-invite").checked,
    refund: back > 0,
  }, { by: "client", notify: true, invite: by === "salon", refund: false });
  if (body.reason === undefined) delete body.reason;
  const submit = form.querySelector("[type=submit]");
  submit.disabled = true;
  const inputs = { reason: $("cancel-reason"), notify: $("cancel-notify"), invite: $("cancel-invite") };
  let view;
  const path = `/appointments/${current.id}/cancel`;
  try {
    view = await postOnce(api, visitAsked, path, body, current.version);
  } catch (err) {
    submit.disabled = false;
    if (err.status === 409) { await asTheServerHasIt(errorText(err)); return; } // changed elsewhere
    showFieldErrors(form, err, inputs, $("card-error"));
    return;
  }
  changed();
  const text = cancelledText(s.who, view, back, currency(), body.notify !== false);
  if (!(mayMoney() && view.payment)) {
    closeDialog(dialog());
    say(text);
    return;
  }
  // A paid visit: the owner stays on it, cancelled, its money as it is now (a deposit the
  // terms gave back, the late-cancellation fee to charge); the status line, at the card's
  // top while it is open (dom.js placeStatus), says what happened.
  current = { ...current, ...view, markers: current.markers };
  render();
  $("appointment-title").focus();
  say(text);
}

// --- the visit's money --------------------------------------------------------------------

// What she paid, what went back, each fee, what was paid at the desk; for the owner the pay
// link of an open fee, and what can be done: refund, charge the late-cancellation fee, waive
// an open fee.
function moneySection(a) {
  const p = a.payment;
  const lines = moneyLines(p);
  const paid = paidLine(a);
  if (!lines.length && !paid) return null;
  const cur = currency();
  const owner = mayMoney();
  const box = el("section", { id: "card-money", className: "money", "aria-labelledby": "card-money-title" },
    el("h3", { id: "card-money-title", text: t("money_title") }));
  for (const line of lines) {
    if (line.key === "money_fee") {
      // Each round by its key (`no_show`, `no_show.r1`): its pay link, waiver and refund too.
      box.appendChild(el("p", { className: `fee ${line.state}`, "data-fee": line.fee, text: t("money_fee", {
        fee: t(`fee_kind_${line.kind}`), amount: money(line.cents, cur), state: t(`fee_state_${line.state}`) }) }));
      const url = owner && line.state === "open" && (p.pay_urls || {})[line.fee];
      if (url) box.appendChild(payLink(line.fee, url));
      if (owner && line.state === "open") box.appendChild(waiveForm(line.fee));
      // Collected: the owner gives it back whole, next to its own line (not the deposit's form).
      if (owner && feeRefundable(p, line.fee)) box.appendChild(feeRefundForm(line.fee, feeRefundable(p, line.fee)));
    } else {
      box.appendChild(el("p", { "data-money": line.key, text: t(line.key, { amount: money(line.cents || 0, cur) }) }));
    }
  }
  if (paid) box.appendChild(paid);
  const sold = soldList(a);
  if (sold) box.appendChild(sold);
  const noShowFee = noShowFeeOffer(a);
  if (!owner) {
    // Marked by staff (or an integration), the no-show's fee is the owner's to charge.
    if (noShowFee) box.appendChild(el("p", { id: "card-fee-owner", className: "muted",
      text: t("fee_owner_can_charge", { fee: t("fee_kind_no_show"), amount: money(noShowFee, cur) }) }));
    return box;
  }
  const actions = el("div", { className: "actions", role: "group", "aria-label": t("money_title") });
  const refundable = depositRefundOffer(a); // none once checked out: the deposit went into what she paid
  const fee = lateFeeOffer(a);
  if (refundable) {
    const b = el("button", { type: "button", text: t("act_refund") });
    b.addEventListener("click", () => { $("refund-form").hidden = false; $("refund-amount").focus(); });
    actions.appendChild(b);
  }
  if (fee) {
    const b = el("button", { type: "button", text: t("act_charge_late_fee") });
    b.addEventListener("click", () => askFirst(t("charge_question", { amount: money(fee, cur), name: appointmentSummary(a).who }),
      t("charge_yes", { amount: money(fee, cur) }), b, (ok) => chargeFee("late_cancel", ok)));
    actions.appendChild(b);
  }
  if (noShowFee) {
    const b = el("button", { type: "button", id: "charge-no-show-fee", text: t("act_charge_no_show_fee", { amount: money(noShowFee, cur) }) });
    b.addEventListener("click", () => askFirst(t("charge_no_show_question", { amount: money(noShowFee, cur), name: appointmentSummary(a).who }),
      t("charge_yes", { amount: money(noShowFee, cur) }), b, (ok) => chargeFee("no_show", ok)));
    actions.appendChild(b);
  }
  if (actions.childNodes.length) box.appendChild(actions);
  // The fee's own refund button is named in the hint only where there is one.
  if (refundable) box.appendChild(refundForm(refundable, !!box.querySelector("[id^=fee-refund-]")));
  box.appendChild(el("div", { id: "money-confirm", className: "cancel-form", hidden: true }));
  return box;
}

// An open fee's pay link (`fee`: its key, `no_show.r1` for a later round): to copy (or
// share, on a phone) and send to the client again.
function payLink(fee, url) {
  const id = `pay-link-${fee}`;
  const input = el("input", { id, type: "text", readonly: true, value: url, className: "pay-link" });
  return el("div", { className: "pay-link-box" },
    el("label", { for: id, text: t("money_pay_link", { fee: t(`fee_kind_${feeKind(fee)}`) }) }), input, copyActions(input));
}

function refundForm(refundable, feeButton) {
  const cur = currency();
  const form = el("form", { id: "refund-form", className: "cancel-form", hidden: true, novalidate: true },
    el("label", { for: "refund-amount", text: `${t("refund_amount")} (${cur === "EUR" ? "€" : cur})` }),
    el("input", { id: "refund-amount", type: "text", inputmode: "decimal", autocomplete: "off",
      value: amountText(refundable, intl()), "aria-describedby": "refund-amount-hint" }),
    el("p", { id: "refund-amount-hint", className: "muted",
      text: [t("refund_amount_hint", { max: money(refundable, cur) }), feeButton ? t("refund_fee_own_button") : ""].join(" ").trim() }),
    el("label", { for: "refund-reason", text: t("refund_reason") }),
    el("input", { id: "refund-reason", type: "text", maxlength: "500", required: true }),
    el("button", { type: "submit", text: t("refund_submit") }));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const asked = refundRequest($("refund-amount").value, $("refund-reason").value, refundable);
    if (asked.errors) return showFieldErrors(form, { fields: refundWords(asked.errors, refundable) }, refundInputs(), $("card-error"));
    clearFieldErrors(form);
    $("card-error").textContent = "";
    const amount = money(asked.amount_cents, cur);
    askFirst(t("refund_question", { amount, name: appointmentSummary(current).who }), t("refund_yes", { amount }),
      form.querySelector("[type=submit]"), (b) => refund(form, asked, b));
  });
  return form;
}

const refundInputs = () => ({ amount_cents: $("refund-amount"), reason: $("refund-reason") });

function refundWords(errors, refundable) {
  const words = {};
  if (errors.amount_cents) words.amount_cents = t("refund_amount_range", { min: money(1, currency()), max: money(refundable, currency()) });
  if (errors.reason) words.reason = t("money_reason_needed");
  return words;
}

// The refund asked last and its Idempotency-Key: asked again after its answer was lost, it
// is the same refund (the server answers as the first time), never a second one.
const refundAsked = {};

async function refund(form, asked, button) {
  const s = appointmentSummary(current);
  const path = `/appointments/${current.id}/refund`;
  try {
    const done = await postOnce(api, refundAsked, path, asked);
    // Stripe did not answer: the refund is owed and the sweeper makes it (state `pending`).
    const words = done.state === "pending" ? "refund_pending_done" : "refunded_done";
    await moneyChanged(t(words, { name: s.who, amount: money(done.amount_cents, currency()) }));
  } catch (err) {
    button.disabled = false;
    // Whether it was made is not known (it failed part way): the card as it is now, to look
    // at before refunding again.
    if (err.code === "outcome_unknown") { await asTheServerHasIt(errorText(err)); return; }
    moneyFailed(form, err, refundInputs(), (fields) => refundWords(fields, refundableCents(current.payment)));
  }
}

async function chargeFee(kind, button) {
  const s = appointmentSummary(current);
  try {
    const fee = await api("POST", `/appointments/${current.id}/fees`, { kind });
    await moneyChanged(chargedText(s.who, kind, fee, currency()));
  } catch (err) {
    button.disabled = false;
    $("card-error").textContent = errorText(err);
  }
}

function waiveForm(fee) {
  const kind = feeKind(fee); // its words; the request names the round (`fee`)
  const id = `waive-reason-${fee}`;
  const open = el("button", { type: "button", text: t("act_waive") });
  const form = el("form", { id: `waive-form-${fee}`, className: "cancel-form", hidden: true, novalidate: true },
    el("label", { for: id, text: t("waive_reason") }),
    el("input", { id, type: "text", maxlength: "500", required: true }),
    el("button", { type: "submit", text: t("confirm_waive") }));
  open.addEventListener("click", () => { form.hidden = false; $(id).focus(); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const reason = $(id).value.trim();
    const inputs = { reason: $(id) };
    if (!reason) return showFieldErrors(form, { fields: { reason: t("money_reason_needed") } }, inputs, $("card-error"));
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      await api("POST", `/appointments/${current.id}/fees/${fee}/waive`, { reason });
      await moneyChanged(t("waived_done", { name: appointmentSummary(current).who, fee: t(`fee_kind_${kind}`) }));
    } catch (err) {
      submit.disabled = false;
      moneyFailed(form, err, inputs, (fields) => (fields.reason ? { reason: t("money_reason_needed") } : {}));
    }
  });
  return el("div", {}, el("div", { className: "actions" }, open), form);
}

// A fee collected, given back whole on its own payment: a reason first (required, as the
// API's), then the amount confirmed; the fee's line then says it was refunded.
function feeRefundForm(fee, cents) {
  const kind = feeKind(fee); // its words; the request names the round (`fee`)
  const id = `fee-refund-reason-${fee}`;
  // Its amount on the button: not to be taken for the deposit's "refund" beside it.
  const open = el("button", { type: "button", id: `fee-refund-${fee}`, text: t("act_refund_fee", { amount: money(cents, currency()) }) });
  const form = el("form", { id: `fee-refund-form-${fee}`, className: "cancel-form", hidden: true, novalidate: true },
    el("label", { for: id, text: t("fee_refund_reason") }),
    el("input", { id, type: "text", maxlength: "500", required: true }),
    el("button", { type: "submit", text: t("refund_submit") }));
  open.addEventListener("click", () => { form.hidden = false; $(id).focus(); });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const inputs = { reason: $(id) };
    const asked = feeRefundRequest(fee, $(id).value);
    if (asked.errors) return showFieldErrors(form, { fields: { reason: t("money_reason_needed") } }, inputs, $("card-error"));
    clearFieldErrors(form);
    $("card-error").textContent = "";
    const words = { fee: t(`fee_kind_${kind}`), amount: money(cents, currency()), name: appointmentSummary(current).who };
    askFirst(t("fee_refund_question", words), t("refund_yes", words), form.querySelector("[type=submit]"),
      (b) => refundFee(form, asked, inputs, words, b));
  });
  return el("div", {}, el("div", { className: "actions" }, open), form);
}

async function refundFee(form, asked, inputs, words, button) {
  const path = `/appointments/${current.id}/refund`;
  try {
    const done = await postOnce(api, refundAsked, path, asked);
    await moneyChanged(feeRefundedText(words, done));
  } catch (err) {
    button.disabled = false;
    // Refunded already (another tab, a no-show undone), or not known whether (it failed
    // part way): this fee's own words, and the card as the API has it now.
    if (err && err.code === "outcome_unknown") { await asTheServerHasIt(errorText(err)); return; }
    if (err && err.code === "nothing_to_refund") {
      await asTheServerHasIt(t("err_fee_nothing_to_refund"));
      return;
    }
    moneyFailed(form, err, inputs, (fields) => (fields.reason ? { reason: t("money_reason_needed") } : {}));
  }
}

// Money moves only after a second yes: the question says what and how much (in the
// money section's box, or the marks' own).
function askFirst(question, yes, trigger, action, boxId = "money-confirm") {
  const box = clear($(boxId));
  const ok = el("button", { type: "button", className: "danger", text: yes });
  const back = el("button", { type: "button", text: t("confirm_back") });
  ok.addEventListener("click", () => { ok.disabled = true; back.disabled = true; action(ok); });
  back.addEventListener("click", () => { box.hidden = true; trigger.focus(); });
  const qid = boxId === "money-confirm" ? "money-question" : "mark-question";
  box.append(el("p", { id: qid, text: question }), el("div", { className: "actions" }, ok, back));
  box.setAttribute("role", "group");
  box.setAttribute("aria-labelledby", qid);
  box.hidden = false;
  ok.focus();
}

// Done: the card shows the visit's money as the API has it now, the status line says what happened.
async function moneyChanged(text) {
  const id = current.id;
  let view = null;
  try { view = await api("GET", `/appointments/${id}`); } catch { /* the calendar's reload shows it */ }
  if (current && current.id === id) {
    if (view) current = { ...current, ...view, markers: current.markers };
    render();
    $("appointment-title").focus();
  }
  say(text);
  changed();
}

// The API refused: a field it names is marked in the card's own words, the rest said below.
function moneyFailed(form, err, inputs, words) {
  const box = $("money-confirm");
  if (box) box.hidden = true;
  const fields = err && err.status === 422 ? words(err.fields || {}) : {};
  if (Object.keys(fields).length) {
    showFieldErrors(form, { fields, message: errorText(err) }, inputs, $("card-error"));
  } else {
    clearFieldErrors(form);
    $("card-error").textContent = errorText(err);
  }
}

// A button in a list (her client card's visits, the refunds to make) that opens a visit's
// card, read afresh: a cancelled visit is in no calendar. The card closes back onto that
// button, drawn anew meanwhile (a change on the card reads the list again), or onto
// `fallback()` once the list has no such button; left alone if the keyboard went elsewhere.
let opener = null; // { id, list, fallback } of the card a list opened
export function cardOpener(id, list, attrs, text, fallback = () => null) {
  const b = el("button", { type: "button", "data-opens": id, ...attrs }, text);
  b.addEventListener("click", async () => {
    b.disabled = true;
    try {
      openCard(await api("GET", `/appointments/${id}`));
      opener = { id, list, fallback };
    } catch (err) {
      say(errorText(err), true);
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

export function initCard() {
  // The second tap of a double tap on one of the card's buttons does nothing (a walk on a
  // phone: "Jatka" tapped twice showed its question, which moved the card, and the second
  // tap landed on "Siirrä" under the finger — it could as well land on a "yes").
  dialog().addEventListener("click", (e) => {
    if (e.detail > 1 && e.target instanceof Element && e.target.closest("button")) {
      e.preventDefault();
      e.stopPropagation();
    }
  }, true);
  dialog().addEventListener("close", () => {
    const was = current;
    current = null;
    const back = opener;
    opener = null;
    const focus = document.activeElement;
    if (focus && focus !== document.body && focus.isConnected && !dialog().contains(focus)) return;
    if (!back) {
      // Opened from the calendar, whose grid a mark or a move drew anew meanwhile: back to
      // the visit's block as drawn now (the browser's own return goes to the page's top).
      const block = was && document.querySelector(`#calendar .appt[data-id="${CSS.escape(String(was.id))}"]`);
      if (block) block.focus();
      return;
    }
    const again = Array.from(back.list().querySelectorAll("button[data-opens]")).find((b) => b.dataset.opens === back.id);
    const to = again || back.fallback();
    if (to) to.focus();
  });
}
