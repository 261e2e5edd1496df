// Small DOM helpers: every piece of data goes in as a text node, never as HTML.
import { errorText, fieldText } from "./i18n.js";

export function $(id) { return document.getElementById(id); }

export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k === "className") e.className = v;
    else if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return e;
}

// An email address in the pieces it may wrap between: after its "@" and before each dot.
// A long address on a phone's card broke mid-word ("maija.meikalai|nen@…"); with these
// breaks `overflow-wrap:anywhere` cuts a piece only when the piece alone is too wide.
export function emailParts(address) {
  return String(address).split(/(?<=@)|(?=\.)/);
}

export function emailText(address) {
  const text = document.createDocumentFragment();
  emailParts(address).forEach((part, i) => {
    if (i) text.appendChild(document.createElement("wbr"));
    text.appendChild(document.createTextNode(part));
  });
  return text;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function openDialog(d, focus) {
  if (!d.open) {
    // Anything she types or picks in it from now on marks it (the back gesture asks first: main.js).
    d.dataset.typed = "";
    if (!d.dataset.watched) {
      d.dataset.watched = "1";
      d.addEventListener("input", () => { d.dataset.typed = "1"; });
    }
    if (typeof d.showModal !== "function") d.setAttribute("open", "");
    else {
      d.showModal();
      modals.push(d);
      d.addEventListener("close", () => {
        const i = modals.indexOf(d);
        if (i >= 0) modals.splice(i, 1);
        placeStatus();
      }, { once: true });
      placeStatus();
    }
  }
  if (focus) focus.focus();
}

// The page's status line (#status, written by state.js say) is where she sees it and a
// screen reader hears it. A modal dialog is in the top layer and the page under its
// backdrop is dimmed, covered and inert (not read out): while one is open the line is
// the topmost one's first child, in its flow (it covers none of its buttons), and it goes
// back to its place in the page when the last one closes, with what it said last. Moved
// there as the dialog opens, so that it is in the dialog's accessibility tree before
// anything is said in it, and emptied then: what it said was about the page.
const modals = []; // the open modal dialogs, the topmost last
let statusHome = null;
export function placeStatus() {
  const s = $("status");
  if (!s) return null;
  if (!statusHome) statusHome = { parent: s.parentNode, next: s.nextSibling };
  const top = modals.filter((d) => d.open).pop();
  if (top && s.parentNode !== top) {
    if (s.parentNode === statusHome.parent) { s.textContent = ""; s.className = "status"; }
    top.prepend(s);
  } else if (!top && s.parentNode !== statusHome.parent) {
    statusHome.parent.insertBefore(s, statusHome.next);
  }
  return s;
}

// The topmost open dialog, or null.
export function topDialog() {
  return modals.filter((d) => d.open).pop() || document.querySelector("dialog[open]");
}

// Every open dialog closed: the view under them changed.
export function closeDialogs() {
  for (const d of document.querySelectorAll("dialog[open]")) closeDialog(d);
}

export function closeDialog(d) {
  if (typeof d.close === "function") d.close(); else d.removeAttribute("open");
  placeStatus(); // at once: what is said next is said where she sees it (its close event comes later)
}

// An error shown next to the inputs it names (error.fields): `inputs` maps a field path
// ("client.phone") to an input; what names no input, or an input not shown (a walk-in's
// hidden time), goes to `general`, where it is seen. An error of the API (it has a
// status) is put in the dashboard's own words, by its code and by field; the form's own
// checks ({fields} without a status) come already in words. `currency`: a price's limit
// in money.
export function showFieldErrors(form, err, inputs, general, currency) {
  clearFieldErrors(form);
  const fromApi = !!err && err.status !== undefined;
  const rest = [];
  const fields = (err && err.fields) || {};
  let first = null;
  for (const [path, reason] of Object.entries(fields)) {
    const message = fromApi ? fieldText(path, reason, currency) : String(reason);
    const input = inputs[path] || inputs[path.split(".").pop()];
    if (!input || !shown(input)) { rest.push(message); continue; }
    const id = input.id + "-error";
    if (document.getElementById(id)) continue; // two fields of one input: one note
    const note = el("p", { className: "field-error", id, text: message });
    input.insertAdjacentElement("afterend", note);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
    first = first || input;
  }
  if (general) {
    // "Check the marked fields" only when one is marked; else the fields' own words say it.
    const lead = fromApi ? (first || !rest.length || err.code !== "validation_failed" ? errorText(err) : "") : err && err.message;
    general.textContent = [lead, ...rest].filter(Boolean).join(" ");
  }
  if (first) first.focus();
  return first;
}

// On the screen: neither it nor a box it is in is hidden (display: none has no boxes).
function shown(node) { return node.getClientRects().length > 0; }

export function clearFieldErrors(form) {
  for (const n of form.querySelectorAll(".field-error")) n.remove();
  for (const n of form.querySelectorAll("[aria-invalid]")) {
    n.removeAttribute("aria-invalid");
    n.removeAttribute("aria-describedby");
  }
}
