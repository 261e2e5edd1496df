// The settings screen (#settings): one page, a card per section (opening hours,
// closures, services, the cancellation terms, staff, booking rules, reminders, messages, the booking page, who counts
// as slipping away, marketing messages, the stamp card and referrals, feedback requests), each saved on its own
// with PUT /settings/{section} and If-Match: <version>. A 422's fields are marked on
// their inputs (aria-invalid and the message next to it, in the owner's language); a 409
// says someone else saved and reloads the section; nothing is half-saved (the server
// saves a section whole or not at all). A staff member sees her own hours, read-only.
// Forms <-> JSON: settingsform.js (pure).
import { $, clear, el } from "./dom.js";
import { saveHeaders } from "./api.js";
import { clock, explain, lang, localText, money, plural, readCents, t } from "./i18n.js";
import { api, copyActions, currency, say, state } from "./state.js";
import * as F from "./settingsform.js";
import { webhooksCard } from "./webhooks.js";
import { apiKeysCard } from "./apikeys.js";

let loaded = null; // {sections, version, can_edit} of GET /settings
let forms = {}; // section -> form (what the inputs edit)
let dirty = {}; // section -> edited since loaded or saved
let notes = {}; // section -> {text, bad} shown under the section after a save
let seq = 0;
const opened = new Set(); // "services:2": items open, kept open when their section is drawn again

// An item of a list section (a service, a staff member), open when it is new or was open
// before a redraw. Its editor (`fill`) is built when it first opens: a salon's closed
// items were hundreds of hidden fields built at every visit to the settings.
function itemBox(name, i, isNew, attrs, summary, fill) {
  const key = `${name}:${i}`;
  const d = el("details", { className: "item", open: isNew || opened.has(key) || null, ...attrs }, summary);
  d.fill = () => { d.fill = null; fill(d); }; // once: null when built
  d.addEventListener("toggle", () => {
    if (d.open) { opened.add(key); if (d.fill) d.fill(); } else opened.delete(key);
  });
  if (d.open) d.fill();
  return d;
}

function removeItem(name, form, i) {
  form.splice(i, 1);
  for (const k of [...opened]) if (k.startsWith(`${name}:`)) opened.delete(k);
  edited(name);
  redraw(name);
}

const decimal = () => (lang() === "en" ? "." : ",");
const DAY_KEYS = { mon: "d_mon", tue: "d_tue", wed: "d_wed", thu: "d_thu", fri: "d_fri", sat: "d_sat", sun: "d_sun" };
const idOf = (section, path) => `set-${section}-${String(path).replace(/[^a-z0-9]+/gi, "-")}`;

// Edited since loaded or saved: the section says so under its Save, and leaving the
// settings asks first (unsavedSections); a save, or loading them again, forgets it.
function edited(name) {
  if (dirty[name] && notes[name] && notes[name].unsaved) return;
  dirty[name] = true;
  setNote(name, t("set_unsaved"));
  notes[name].unsaved = true;
}

// The titles of the sections edited and not saved (none: nothing to lose by leaving).
export function unsavedSections() {
  return loaded && loaded.can_edit ? F.SECTIONS.filter((n) => dirty[n]).map((n) => t(TITLES[n])) : [];
}

export function forgetSettings() {
  loaded = null; forms = {}; dirty = {}; notes = {}; seq++; opened.clear();
  const box = $("settings");
  if (box) clear(box);
}

export async function showSettings() {
  const box = $("settings");
  const mine = ++seq;
  if (!loaded) clear(box).appendChild(el("p", { className: "muted", text: t("loading") }));
  box.setAttribute("aria-busy", "true");
  try {
    const data = await api("GET", "/settings");
    if (mine !== seq) return;
    loaded = data;
    forms = {};
    dirty = {};
    // A section this page does not know (the API has one a page opened before a deploy
    // lacks) is left alone: the rest of the settings still show.
    for (const name of Object.keys(data.sections)) if (F.SECTIONS.includes(name)) forms[name] = F.toForm(name, data.sections[name], data.sections, decimal());
    renderSettings();
  } catch (err) {
    if (mine !== seq) return;
    clear(box).appendChild(el("p", { className: "error", role: "alert", text: `${t("load_failed")} ${err.message || ""}` }));
  } finally {
    if (mine === seq) box.removeAttribute("aria-busy");
  }
}

// A service's price as she typed it, written as the rest of the dashboard writes money
// (€69.00 in English, 69,00 € in Finnish and Swedish); what cannot be read, as typed.
function priceText(typed) {
  const cents = readCents(typed);
  return cents === null ? String(typed || "") : money(cents, currency());
}

// Drawn again from the forms (a language switch keeps what she typed).
export function renderSettings() {
  const box = $("settings");
  if (!box || !loaded) return;
  clear(box);
  if (!loaded.can_edit) { box.appendChild(ownHours()); return; }
  box.appendChild(el("p", { className: "muted", text: t("set_intro") }));
  box.appendChild(bookingLinkCard());
  for (const name of F.SECTIONS) box.appendChild(sectionCard(name));
  box.appendChild(webhooksCard());
  box.appendChild(apiKeysCard());
}

// --- where clients book: the link for her Instagram bio, the line for her website -------
function bookingLinkCard() {
  const b = (state.me && state.me.business) || {};
  const note = el("p", { className: "status-line", id: "set-link-note", role: "status" });
  const tell = (words) => { note.textContent = words; };
  const link = el("input", { id: "set-link-url", type: "url", readonly: true, value: b.booking_url || "" });
  const code = el("textarea", { id: "set-link-widget", readonly: true, rows: "3", spellcheck: "false" });
  code.value = b.widget_snippet || "";
  return el("section", { className: "card settings", id: "set-link", "aria-labelledby": "set-link-h" },
    el("h3", { id: "set-link-h", text: t("set_link_title") }),
    el("p", { className: "muted", text: t("set_link_intro") }),
    el("label", { for: "set-link-url", text: t("set_link_url") }), link,
    copyActions(link, { tell }),
    el("a", { className: "button-link", href: b.booking_url || "#", target: "_blank", rel: "noopener", text: t("set_link_open") }),
    el("label", { for: "set-link-widget", text: t("set_link_widget") }), code,
    el("p", { className: "muted hint", text: t("set_link_widget_hint") }),
    copyActions(code, { copy: "set_link_copy_code", copied: "set_link_code_copied", share: false, tell }),
    note);
}

// --- the staff member's own hours, read-only -------------------------------------------
function ownHours() {
  const me = (loaded.sections.staff || [])[0];
  const card = el("section", { className: "card", "aria-labelledby": "set-own-h" }, el("h3", { id: "set-own-h", text: t("set_own_hours") }));
  if (!me) { card.appendChild(el("p", { className: "muted", text: t("set_no_own_entry") })); return card; }
  card.appendChild(el("p", { className: "who", text: me.name }));
  const list = el("dl", { className: "facts", id: "set-own-hours" });
  for (const d of F.DAYS) {
    const iv = (me.hours && me.hours[d]) || [];
    list.appendChild(el("dt", { text: t(DAY_KEYS[d]) }));
    list.appendChild(el("dd", { text: iv.length ? iv.map(([a, b]) => `${clock(a)}–${clock(b)}`).join(", ") : t("set_day_off") }));
  }
  card.appendChild(list);
  card.appendChild(el("p", { className: "muted", text: t("set_read_only") }));
  return card;
}

// --- a section's card ------------------------------------------------------------------
const TITLES = { salon: "set_salon", hours: "set_hours", closures: "set_closures", services: "set_services", staff: "set_staff",
  rules: "set_rules", reminders: "set_reminders", messages: "set_messages", shop: "set_shop",
  retention: "set_retention", marketing: "set_marketing", loyalty: "set_loyalty", feedback: "set_feedback", terms: "set_terms",
  policy: "set_policy" };

function sectionCard(name) {
  const hid = `set-${name}-h`;
  const form = el("form", { className: "settings-form", id: `set-${name}`, novalidate: true, "aria-labelledby": hid });
  const body = el("div", { className: "set-body" });
  BUILD[name](body, forms[name], name);
  const general = el("p", { className: "error", id: `set-${name}-error`, role: "alert" });
  const note = el("p", { className: notes[name] && notes[name].bad ? "status-line bad" : "status-line", id: `set-${name}-note`, role: "status",
    text: (notes[name] && notes[name].text) || "" });
  const save = el("button", { type: "submit", className: "accent", id: `set-${name}-save`, text: t("save") });
  form.append(el("h3", { id: hid, text: t(TITLES[name]) }), body, general, el("div", { className: "set-actions" }, save, note));
  form.addEventListener("submit", (e) => { e.preventDefault(); saveSection(name, form); });
  form.addEventListener("input", () => edited(name));
  form.addEventListener("change", () => edited(name));
  return el("section", { className: "card settings" }, form);
}

// The section drawn again from its form; the focus stays on the control that had it.
function redraw(name) {
  const old = $(`set-${name}`);
  if (!old) return;
  const focused = document.activeElement && old.contains(document.activeElement) ? document.activeElement.id : null;
  old.closest("section").replaceWith(sectionCard(name));
  if (focused && $(focused)) $(focused).focus();
}

// An input bound to `obj[key]`, its label, and the API path its errors come back on.
function field(section, path, labelText, obj, key, attrs = {}) {
  const id = idOf(section, path);
  const input = el("input", { id, "data-path": path, ...attrs });
  input.value = obj[key];
  input.addEventListener("input", () => { obj[key] = input.value; });
  return el("div", { className: "set-field" }, el("label", { for: id, text: labelText }), input);
}

function selectField(section, path, labelText, obj, key, options) {
  const id = idOf(section, path);
  const input = el("select", { id, "data-path": path });
  for (const [v, text] of options) input.appendChild(el("option", { value: v, text }));
  input.value = obj[key];
  input.addEventListener("change", () => { obj[key] = input.value; });
  return el("div", { className: "set-field" }, el("label", { for: id, text: labelText }), input);
}

// A span of days, in weeks or days as she chooses (settingsform.js DAY_SPANS).
function daysField(section, path, labelText, obj, key) {
  const id = idOf(section, path);
  const f = obj[key];
  const input = el("input", { id, "data-path": path, type: "number", inputmode: "numeric", min: "0" });
  input.value = f.n;
  input.addEventListener("input", () => { f.n = input.value; f.typed = true; }); // her number: the unit says what it counts
  const unit = el("select", { id: `${id}-unit`, "aria-label": `${labelText}: ${t("set_unit")}` });
  for (const [v, k] of [["weeks", "set_unit_weeks"], ["days", "set_unit_days"]]) unit.appendChild(el("option", { value: v, text: t(k) }));
  unit.value = f.unit;
  unit.addEventListener("change", () => {
    Object.assign(f, F.switchUnit(f, unit.value));
    input.value = f.n;
  });
  return el("div", { className: "set-field" }, el("label", { for: id, text: labelText }), el("div", { className: "with-unit" }, input, unit));
}

// An on/off switch bound to `obj[key]` (a boolean).
function checkField(section, path, labelText, obj, key) {
  const id = idOf(section, path);
  const box = el("input", { type: "checkbox", id, "data-path": path, checked: obj[key] || null });
  box.addEventListener("change", () => { obj[key] = box.checked; });
  return el("div", { className: "choice" }, box, el("label", { for: id, text: labelText }));
}

// A switch and the field that only counts while it is on (the nudge's lead time, the
// birthday's perk): the field is disabled while the switch is off, its value kept (an
// owner's walk: the lead time stayed editable with the nudge off).
function onlyWhenOn(choice, dependent) {
  const box = choice.querySelector("input[type=checkbox]");
  const inputs = dependent.querySelectorAll("input, select"); // a text in each language, a unit too
  const sync = () => { for (const input of inputs) input.disabled = !box.checked; };
  box.addEventListener("change", sync);
  sync();
  return [choice, dependent];
}

// A box for a percentage or an amount: text, not type=number, which drops a decimal comma
// ("12,5" became 125); what she types is read by i18n.js readNumber / readCents.
const DECIMAL_BOX = { type: "text", inputmode: "decimal" };

// The one-line explanation under a field.
const hint = (key, vars) => el("p", { className: "muted hint", text: t(key, vars) });

function button(text, onClick, attrs = {}) {
  const b = el("button", { type: "button", className: "plain", ...attrs, text });
  b.addEventListener("click", onClick);
  return b;
}

// A perk of the stamp card or referrals (config.py Perk) at `path` ("loyalty.reward"): a
// percentage off or an amount off in euros (the box takes a decimal comma), what the client
// reads of it following her typing, and her own words for it in each language, folded away
// (empty: the amount itself). Errors about the perk as a whole land on its box.
function perkFields(section, path, labelKey, perk) {
  const id = idOf(section, path);
  const kind = el("select", { id: `${id}-kind`, "aria-label": `${t(labelKey)}: ${t("set_perk_kind")}` });
  for (const k of F.PERK_KINDS) kind.appendChild(el("option", { value: k, text: t(`set_perk_${k}`) }));
  kind.value = perk.kind;
  const box = el("input", { id, "data-path": path, ...DECIMAL_BOX, maxlength: "9" });
  const unit = el("span", { className: "unit", "aria-hidden": "true" });
  const told = el("p", { className: "muted hint", id: `${id}-told` });
  const differs = el("p", { className: "hint warn", id: `${id}-differs` });
  const show = () => {
    box.value = perk.kind === "amount" ? perk.amount : perk.percent;
    unit.textContent = perk.kind === "amount" ? "€" : "%";
    const w = F.perkTold(perk, lang(), currency());
    told.textContent = t(w.key, w.vars);
    const langs = F.perkWordsDiffer(perk);
    differs.textContent = langs.length ? t("set_perk_words_differ", { langs: langs.join(", ") }) : "";
    differs.hidden = !langs.length;
  };
  box.setAttribute("aria-describedby", `${told.id} ${differs.id}`);
  box.addEventListener("input", () => { perk[perk.kind === "amount" ? "amount" : "percent"] = box.value; show(); });
  kind.addEventListener("change", () => { perk.kind = kind.value; show(); });
  const words = el("details", { className: "perk-words" }, el("summary", { text: t("set_perk_words") }),
    localizedFields(section, `${path}.description`, "set_perk_words_lang", perk.description),
    hint("set_perk_words_hint"));
  words.addEventListener("input", show);
  show();
  return el("div", { className: "set-perk" },
    el("div", { className: "set-field" }, el("label", { for: id, text: t(labelKey) }), el("div", { className: "with-unit" }, kind, box, unit)),
    told, differs, words);
}

// The week as rows of time inputs: a day's intervals, add and remove.
function weekEditor(box, section, week, prefix, redrawFn) {
  const grid = el("div", { className: "week" });
  for (const d of F.DAYS) {
    const path = prefix ? `${prefix}.${d}` : d;
    const dayName = t(DAY_KEYS[d]);
    const fs = el("fieldset", { className: "day", id: idOf(section, `${path}-day`) }, el("legend", { text: dayName }));
    const rows = week[d];
    // The salon is closed that day; a staff member is off.
    if (!rows.length) fs.appendChild(el("p", { className: "muted closed", text: t(prefix ? "set_day_off" : "set_closed") }));
    rows.forEach((r, i) => {
      const row = el("div", { className: "interval" });
      const start = el("input", { type: "time", step: "300", id: idOf(section, `${path}-${i}-start`), "data-path": i === 0 ? path : null });
      const end = el("input", { type: "time", step: "300", id: idOf(section, `${path}-${i}-end`) });
      start.value = r.start; end.value = r.end;
      start.addEventListener("input", () => { r.start = start.value; });
      end.addEventListener("input", () => { r.end = end.value; });
      row.append(
        el("label", { for: start.id, className: "vh", text: t("set_from_day", { day: dayName }) }), start,
        el("span", { "aria-hidden": "true", text: "–" }),
        el("label", { for: end.id, className: "vh", text: t("set_to_day", { day: dayName }) }), end,
        button("×", () => { rows.splice(i, 1); redrawFn(); }, { "aria-label": t("set_remove_hours", { day: dayName }), className: "plain icon" }));
      fs.appendChild(row);
    });
    // Without intervals the day's errors go on its add button.
    fs.appendChild(button(t("set_add_hours"), () => {
      const last = rows[rows.length - 1];
      rows.push(last ? { start: last.end, end: "" } : { start: "09:00", end: "17:00" });
      redrawFn();
    }, { "aria-label": t("set_add_hours_day", { day: dayName }), "data-path": rows.length ? null : path, id: idOf(section, `${path}-add`) }));
    grid.appendChild(fs);
  }
  box.appendChild(grid);
}

function localizedFields(section, path, labelKey, obj, maxlength = "120") {
  const group = el("div", { className: "langs" });
  for (const l of F.TEXT_LANGS) group.appendChild(field(section, `${path}.${l}`, `${t(labelKey)} (${l})`, obj, l, { type: "text", maxlength, lang: l }));
  return group;
}

// A staff member's Photo URL, and under it where her photo comes from when it is not this
// box (an image of the salon's set, kept on save: settingsform.js fromForm).
function photoField(name, i, m) {
  const cell = field(name, `${i}.photo_url`, t("set_photo_url"), m, "photo_url", { type: "url", inputmode: "url", placeholder: "https://" });
  const from = F.photoSource(m);
  if (from) {
    const input = cell.querySelector("input");
    const note = el("p", { className: "muted hint", id: `${input.id}-from`, text: t(from.key, from.vars) });
    input.setAttribute("aria-describedby", note.id);
    cell.appendChild(note);
  }
  return cell;
}

// What a booking of the service pays or secures: the choice, the deposit's percentage or
// amount under it, and that bookings made before keep the terms they accepted (the save
// raises payments.version: chalicelib/domain/config.py with_terms_version). The API's errors
// about the payment as a whole ("0.payment") land on the deposit box.
const PAY_WORDS = { none: "set_pay_none", deposit_percent: "set_pay_deposit_percent",
  deposit_amount: "set_pay_deposit_amount", prepay: "set_pay_prepay", card_on_file: "set_pay_card" };

// The business's own payment policy (the "policy" section, payments.policy), as saved: said
// in each service's first payment choice (F.defaultPayText); without it (a page opened
// before the API had the section) the choice keeps its plain words.
const ownPolicy = () => (loaded && loaded.sections.policy) || null;

function paymentFields(name, i, s) {
  const box = el("div", { className: "set-payment" });
  const own = F.defaultPayText(ownPolicy(), currency());
  const choice = selectField(name, `${i}.payment.kind`, t("set_payment"), s, "pay", F.PAY_CHOICES.map((v) => [v, v ? t(PAY_WORDS[v]) : own]));
  choice.querySelector("select").addEventListener("change", () => redraw(name));
  box.appendChild(choice);
  if (s.pay === "deposit_percent") {
    box.appendChild(field(name, `${i}.payment`, t("set_deposit_percent"), s, "deposit_percent", DECIMAL_BOX));
  } else if (s.pay === "deposit_amount") {
    box.appendChild(field(name, `${i}.payment`, t("set_deposit_amount"), s, "deposit", DECIMAL_BOX));
  }
  // Said under the box too: a 360 px phone's select cuts a long choice short.
  if (!s.pay && ownPolicy()) box.appendChild(el("p", { className: "muted hint", text: own }));
  else if (s.pay) box.appendChild(hint(F.PAY_HINTS[s.pay]));
  box.appendChild(hint("set_pay_terms_hint"));
  return box;
}

const BUILD = {
  hours(box, form, name) {
    weekEditor(box, name, form, "", () => { edited(name); redraw(name); });
  },
  closures(box, form, name) {
    const list = el("ul", { className: "list compact closures" });
    form.forEach((c, i) => {
      // The date box shows a bare date: her weekday beside it, in the dashboard's language.
      const cell = field(name, `${i}.date`, t("set_closed_day", { n: i + 1 }), c, "date", { type: "date" });
      const input = cell.querySelector("input");
      const weekday = el("p", { className: "muted closed-day", id: `${input.id}-day`, text: F.closedDayText(c.date) });
      input.setAttribute("aria-describedby", weekday.id);
      input.addEventListener("input", () => { weekday.textContent = F.closedDayText(input.value); });
      cell.appendChild(weekday);
      // Her own short name for the day (Juhannus), shown on the desk's calendar only.
      const named = field(name, `${i}.name`, t("set_closure_name", { n: i + 1 }), c, "name", { type: "text", maxlength: "40" });
      named.classList.add("closure-name");
      list.appendChild(el("li", { className: "row" },
        cell,
        named,
        button(t("set_remove"), () => { form.splice(i, 1); edited(name); redraw(name); }, { "aria-label": t("set_remove_closure", { n: i + 1 }) })));
    });
    if (!form.length) box.appendChild(el("p", { className: "muted", text: t("set_no_closures") }));
    box.appendChild(list);
    box.appendChild(button(t("set_add_closure"), () => { form.push(F.blank("closures")); edited(name); redraw(name); }));
  },
  services(box, form, name) {
    const staff = (loaded.sections.staff || []);
    form.forEach((s, i) => {
      const label = localText(s.name) || t("set_new_service");
      const summary = el("summary", {}, el("span", { className: "who", text: label }),
        el("span", { className: "muted", text: ` ${[s.duration_minutes && `${s.duration_minutes} min`, priceText(s.price)].filter(Boolean).join(" · ")}` }));
      // An error about the service as a whole (its duration plus buffer) lands on the item.
      box.appendChild(itemBox(name, i, s.isNew, { id: idOf(name, `${i}-item`), "data-path": String(i) }, summary, (item) => {
        item.append(
          localizedFields(name, `${i}.name`, "set_service_name", s.name),
          hint("set_langs_hint"),
          localizedFields(name, `${i}.category`, "set_category", s.category),
          hint("set_category_hint"),
          localizedFields(name, `${i}.description`, "set_description", s.description),
          el("div", { className: "two" },
            field(name, `${i}.duration_minutes`, t("set_duration"), s, "duration_minutes", { type: "number", inputmode: "numeric", min: "5", step: "5" }),
            field(name, `${i}.buffer_minutes`, t("set_buffer"), s, "buffer_minutes", { type: "number", inputmode: "numeric", min: "0", step: "5" })),
          el("div", { className: "two" },
            field(name, `${i}.price_cents`, t("set_price"), s, "price", DECIMAL_BOX),
            field(name, `${i}.return_interval_days`, t("set_return_days"), s, "return_interval_days", { type: "number", inputmode: "numeric", min: "1" })),
          hint("set_return_days_hint"),
          paymentFields(name, i, s));
        const kept = F.keptFacts(s);
        if (kept.length) {
          item.appendChild(el("ul", { className: "muted kept", id: idOf(name, `${i}-kept`) },
            kept.map(([key, v]) => el("li", { text: t(key, { ...v, amount: v.cents == null ? "" : money(v.cents, currency()) }) }))));
          item.appendChild(hint("set_kept_hint"));
        }
        const who = el("fieldset", { className: "choices" }, el("legend", { text: t("set_offered_by") }));
        staff.forEach((m, k) => {
          const id = idOf(name, `${i}-staff-${k}`);
          const box2 = el("input", { type: "checkbox", id, checked: s.staff.includes(m.id) || null });
          box2.addEventListener("change", () => {
            s.staff = box2.checked ? [...s.staff, m.id] : s.staff.filter((x) => x !== m.id);
          });
          who.appendChild(el("div", { className: "choice" }, box2, el("label", { for: id, text: m.name })));
        });
        item.appendChild(who);
        item.appendChild(button(t("set_remove_service"), () => removeItem(name, form, i),
          { className: "plain danger-text", "aria-label": `${t("set_remove_service")}: ${label}` }));
      }));
    });
    box.appendChild(button(t("set_add_service"), () => { form.push(F.blank("services")); edited(name); redraw(name); }));
  },
  staff(box, form, name) {
    const services = loaded.sections.services || [];
    form.forEach((m, i) => {
      const summary = el("summary", {}, el("span", { className: "who", text: m.name || t("set_new_staff") }));
      box.appendChild(itemBox(name, i, m.isNew, { id: idOf(name, `${i}-item`), "data-path": String(i) }, summary, (item) => {
        item.append(
          field(name, `${i}.name`, t("name"), m, "name", { type: "text", maxlength: "80" }),
          localizedFields(name, `${i}.title`, "set_title", m.title),
          photoField(name, i, m));
        const offers = el("fieldset", { className: "choices" }, el("legend", { text: t("set_services_offered") }));
        services.forEach((s, k) => {
          const id = idOf(name, `${i}-services-${k}`);
          const cb = el("input", { type: "checkbox", id, checked: m.services.includes(s.id) || null, "data-path": k === 0 ? `${i}.services` : null });
          cb.addEventListener("change", () => {
            m.services = cb.checked ? [...m.services, s.id] : m.services.filter((x) => x !== s.id);
          });
          offers.appendChild(el("div", { className: "choice" }, cb, el("label", { for: id, text: localText(s.name) })));
        });
        item.appendChild(offers);
        const hours = el("div", { className: "staff-hours" }, el("p", { className: "label", text: t("set_weekly_hours") }));
        weekEditor(hours, name, m.hours, `${i}.hours`, () => { edited(name); redraw(name); });
        item.appendChild(hours);
        item.appendChild(button(t("set_remove_staff"), () => removeItem(name, form, i),
          { className: "plain danger-text", "aria-label": `${t("set_remove_staff")}: ${m.name}` }));
      }));
    });
    box.appendChild(button(t("set_add_staff"), () => { form.push(F.blank("staff")); edited(name); redraw(name); }));
  },
  // The business's own payment policy (payments.policy): what a service whose card says
  // "the business's general policy" takes; the same choices and deposit boxes as a
  // service's, each box at the path the API keys its errors by.
  policy(box, form, name) {
    box.appendChild(hint("set_policy_intro"));
    const choice = selectField(name, "kind", t("set_payment"), form, "pay", F.POLICY_CHOICES.map((v) => [v, t(PAY_WORDS[v])]));
    choice.querySelector("select").addEventListener("change", () => redraw(name));
    box.appendChild(choice);
    box.appendChild(hint(F.PAY_HINTS[form.pay]));
    if (form.pay === "deposit_percent") {
      box.appendChild(field(name, "deposit_percent", t("set_deposit_percent"), form, "deposit_percent", DECIMAL_BOX));
    } else if (form.pay === "deposit_amount") {
      const cell = field(name, "deposit_cents", t("set_deposit_amount"), form, "deposit", DECIMAL_BOX);
      // A fixed deposit that reaches a service's price takes the whole price of it: said
      // under the box as she types (F.depositCoversPrice).
      const input = cell.querySelector("input");
      const whole = el("p", { className: "muted hint", id: `${input.id}-whole` });
      const tell = () => {
        const names = F.depositCoversPrice(input.value, loaded.sections.services).map(localText);
        whole.textContent = names.length ? t("set_deposit_whole_price", { services: names.join(", ") }) : "";
        whole.hidden = !names.length;
      };
      input.setAttribute("aria-describedby", whole.id);
      input.addEventListener("input", tell);
      tell();
      cell.appendChild(whole);
      box.appendChild(cell);
    }
    box.appendChild(hint("set_pay_terms_hint"));
  },
  // The cancellation terms (payments.terms): under each box what the client reads of it,
  // following her typing; then when a fee can be charged at all, and that bookings made
  // before keep the terms they accepted (the save raises payments.version).
  terms(box, form, name) {
    const labels = { free_until_hours: "set_terms_free_until", late_cancel_fee_percent: "set_terms_late_fee",
      no_show_fee_percent: "set_terms_no_show_fee" };
    const told = (k) => {
      const w = F.termsTold(form)[k];
      return w.counted ? plural(w.key, w.vars.n) : t(w.key, w.vars);
    };
    box.appendChild(hint("set_terms_intro"));
    // The other deadline (the booking rules' online one) under the free box, and where the
    // free one is later than it, that no late cancellation happens online (deadlinesTold).
    const never = el("p", { className: "muted hint", id: idOf(name, "never-late-online") });
    const showNever = () => {
      const w = F.deadlinesTold(form, forms.rules).hint;
      never.textContent = w ? t(w.key, w.vars) : "";
      never.hidden = !w;
    };
    for (const k of F.TERMS) {
      const hours = { type: "number", inputmode: "numeric", min: "0", max: "336", step: "1" };
      const cell = field(name, k, t(labels[k]), form, k, k === "free_until_hours" ? hours : DECIMAL_BOX);
      const input = cell.querySelector("input");
      const note = el("p", { className: "muted hint", id: `${input.id}-told`, text: told(k) });
      input.setAttribute("aria-describedby", note.id);
      input.addEventListener("input", () => { note.textContent = told(k); });
      cell.appendChild(note);
      const other = k === "free_until_hours" && F.deadlinesTold(form, forms.rules).terms;
      if (other) {
        const line = el("p", { className: "muted hint", id: `${input.id}-other`, text: t(other.key, other.vars) });
        input.setAttribute("aria-describedby", `${note.id} ${line.id}`);
        input.addEventListener("input", showNever);
        cell.appendChild(line);
      }
      box.appendChild(cell);
      if (k === "free_until_hours") { showNever(); box.appendChild(never); }
    }
    box.append(hint("set_terms_card_hint"), hint("set_pay_terms_hint"));
  },
  rules(box, form, name) {
    const labels = { min_notice_minutes: "set_min_notice", max_horizon_days: "set_horizon", slot_step_minutes: "set_step",
      cancellation_window_hours: "set_cancel_window", change_grace_minutes: "set_change_grace" };
    const grid = el("div", { className: "two" });
    for (const k of F.RULES) {
      const cell = field(name, k, t(labels[k]), form, k, { type: "number", inputmode: "numeric", min: "0" });
      // The window is the online deadline, not the fee's: the terms card's free one said here.
      const other = k === "cancellation_window_hours" && F.deadlinesTold(forms.terms, form).rules;
      if (other) {
        const input = cell.querySelector("input");
        const line = el("p", { className: "muted hint", id: `${input.id}-other`, text: t(other.key, other.vars) });
        input.setAttribute("aria-describedby", line.id);
        cell.appendChild(line);
      }
      grid.appendChild(cell);
    }
    box.appendChild(grid);
  },
  reminders(box, form, name) {
    const list = el("ul", { className: "list compact" });
    form.forEach((r, i) => {
      const li = el("li", { "data-path": String(i), id: idOf(name, `${i}-item`) });
      li.appendChild(el("p", { className: "label", text: t("set_reminder_n", { n: i + 1 }) }));
      const timing = selectField(name, `${i}.timing`, t("set_when"), r, "timing", [["hours", t("set_hours_before_opt")], ["day_before", t("set_day_before_opt")]]);
      timing.querySelector("select").addEventListener("change", () => redraw(name));
      li.append(selectField(name, `${i}.channel`, t("set_channel"), r, "channel", [["email", t("set_email")], ["sms", t("set_sms")]]), timing);
      if (r.timing === "day_before") li.appendChild(field(name, `${i}.day_before_at`, t("set_day_before_at"), r, "day_before_at", { type: "time", step: "300" }));
      else li.appendChild(field(name, `${i}.hours_before`, t("set_hours_before"), r, "hours_before", { type: "number", inputmode: "numeric", min: "1" }));
      li.appendChild(button(t("set_remove"), () => { form.splice(i, 1); edited(name); redraw(name); }, { "aria-label": t("set_remove_reminder", { n: i + 1 }) }));
      list.appendChild(li);
    });
    if (!form.length) box.appendChild(el("p", { className: "muted", text: t("set_no_reminders") }));
    box.appendChild(list);
    if (form.length < F.MAX_REMINDERS) box.appendChild(button(t("set_add_reminder"), () => { form.push(F.blank("reminders")); edited(name); redraw(name); }));
  },
  // The salon as her clients see it (the booking page, every message).
  salon(box, form, name) {
    box.append(
      field(name, "name", t("set_salon_name"), form, "name", { type: "text", maxlength: "100", autocomplete: "organization" }),
      field(name, "address", t("set_salon_address"), form, "address", { type: "text", maxlength: "200", autocomplete: "street-address" }),
      field(name, "phone", t("set_salon_phone"), form, "phone", { type: "tel", inputmode: "tel", autocomplete: "tel" }),
      hint("set_salon_phone_hint"),
      field(name, "website", t("set_salon_website"), form, "website", { type: "url", inputmode: "url", placeholder: "https://" }),
      // Each language in itself, as the booking page's own switch names them.
      selectField(name, "locale", t("set_salon_locale"), form, "locale", [["fi", "Suomi"], ["sv", "Svenska"], ["en", "English"]]),
      hint("set_salon_locale_hint"),
      field(name, "owner_email", t("set_owner_email"), form, "owner_email", { type: "email", inputmode: "email", autocomplete: "email" }),
      hint("set_owner_email_hint"),
      // Hers, which may not be her clients' (the booking page's); each language in itself.
      selectField(name, "owner_locale", t("set_owner_locale"), form, "owner_locale",
        [["", t("set_owner_locale_salon")], ["fi", "Suomi"], ["sv", "Svenska"], ["en", "English"]]));
  },
  messages(box, form, name) {
    box.append(
      field(name, "review_link", t("set_review_link"), form, "review_link", { type: "url", inputmode: "url", placeholder: "https://" }),
      field(name, "sender_name", t("set_sender_name"), form, "sender_name", { type: "text", maxlength: "60" }),
      el("p", { className: "muted hint", text: t("set_sender_name_hint") }),
      // No maxlength: a pasted "Parturi Aurora Helsinki" cut silently to "Parturi Aur" would be
      // saved as her sender; the save's refusal says the rule at the box instead.
      field(name, "sms_sender", t("set_sms_sender"), form, "sms_sender", { type: "text", autocomplete: "off" }),
      el("p", { className: "muted hint", text: t("set_sms_sender_hint") }));
  },
  shop(box, form, name) {
    box.append(
      localizedFields(name, "intro", "set_shop_intro", form.intro, "600"),
      field(name, "map_url", t("set_map_url"), form, "map_url", { type: "url", inputmode: "url", placeholder: "https://" }),
      el("p", { className: "muted hint", text: t("set_map_url_hint") }),
      selectField(name, "show_rating", t("set_show_rating"), form, "show_rating", [["yes", t("set_rating_shown")], ["no", t("set_rating_hidden")]]),
      field(name, "rating_min_count", t("set_rating_min_count"), form, "rating_min_count", { type: "number", inputmode: "numeric", min: "1" }),
      el("p", { className: "muted hint", text: t("set_rating_hint") }));
  },
  // Who counts as slipping away (docs/retention.md).
  retention(box, form, name) {
    box.append(
      daysField(name, "return_window_days", t("set_return_window"), form, "return_window_days"),
      hint("set_return_window_hint"),
      daysField(name, "default_return_days", t("set_default_return"), form, "default_return_days"),
      hint("set_default_return_hint"),
      el("div", { className: "two" },
        field(name, "at_risk_below", t("set_at_risk_below"), form, "at_risk_below", { ...DECIMAL_BOX, maxlength: "6" }),
        field(name, "lapsed_below", t("set_lapsed_below"), form, "lapsed_below", { ...DECIMAL_BOX, maxlength: "6" })),
      hint("set_limits_hint"));
  },
  // Win-back, "time for your next visit", birthdays, the cap and the quiet hours.
  marketing(box, form, name) {
    const m = form.marketing;
    const q = form.quiet_hours;
    const num = (min) => ({ type: "number", inputmode: "numeric", min });
    box.append(
      el("p", { className: "muted hint", text: t("set_marketing_intro") }),
      field(name, "marketing.winback_messages", t("set_winback_messages"), m, "winback_messages", { ...num("0"), max: "5" }),
      hint("set_winback_messages_hint"),
      daysField(name, "marketing.winback_days_between", t("set_winback_between"), m, "winback_days_between"),
      hint("set_winback_between_hint"),
      ...onlyWhenOn(
        checkField(name, "marketing.next_visit_nudge", t("set_nudge"), m, "next_visit_nudge"),
        field(name, "marketing.nudge_lead_days", t("set_nudge_lead"), m, "nudge_lead_days", { ...num("0"), max: "30" })),
      hint("set_nudge_hint"),
      ...onlyWhenOn(
        checkField(name, "marketing.birthday_greetings", t("set_birthday"), m, "birthday_greetings"),
        localizedFields(name, "marketing.birthday_perk", "set_birthday_perk", m.birthday_perk, "200")),
      hint("set_birthday_hint"),
      daysField(name, "marketing.min_days_between", t("set_marketing_cap"), m, "min_days_between"),
      hint("set_marketing_cap_hint"),
      field(name, "marketing.send_at", t("set_send_at"), m, "send_at", { type: "time", step: "300" }),
      hint("set_send_at_hint"),
      el("div", { className: "two" },
        field(name, "quiet_hours.start", t("set_quiet_start"), q, "start", { type: "time", step: "300" }),
        field(name, "quiet_hours.end", t("set_quiet_end"), q, "end", { type: "time", step: "300" })),
      hint("set_quiet_hint"));
  },
  // The stamp card and referrals (docs/retention.md): each switched on or off, its fields
  // disabled while it is off (their values kept).
  loyalty(box, form, name) {
    const l = form.loyalty;
    const r = form.referrals;
    const num = (min, max) => ({ type: "number", inputmode: "numeric", min, max });
    const card = el("div", { className: "set-group" },
      field(name, "loyalty.stamps_for_reward", t("set_stamps_for_reward"), l, "stamps_for_reward", num("2", "50")),
      hint("set_stamps_hint"),
      perkFields(name, "loyalty.reward", "set_loyalty_reward", l.reward),
      daysField(name, "loyalty.reward_valid_days", t("set_reward_valid"), l, "reward_valid_days"),
      hint("set_reward_valid_hint"),
      field(name, "loyalty.counts_from", t("set_counts_from"), l, "counts_from", { type: "date" }),
      hint("set_counts_from_hint"));
    const friends = el("div", { className: "set-group" },
      perkFields(name, "referrals.welcome_perk", "set_welcome_perk", r.welcome_perk),
      hint("set_welcome_perk_hint"),
      perkFields(name, "referrals.referrer_reward", "set_referrer_reward", r.referrer_reward),
      hint("set_referrer_reward_hint"),
      daysField(name, "referrals.reward_valid_days", t("set_referral_valid"), r, "reward_valid_days"),
      hint("set_reward_valid_hint"));
    box.append(
      hint("set_loyalty_intro"),
      el("h4", { text: t("set_stamp_card") }),
      ...onlyWhenOn(checkField(name, "loyalty.enabled", t("set_loyalty_on"), l, "enabled"), card),
      el("h4", { text: t("set_referrals") }),
      ...onlyWhenOn(checkField(name, "referrals.enabled", t("set_referrals_on"), r, "enabled"), friends));
  },
  feedback(box, form, name) {
    box.append(
      field(name, "delay_hours", t("set_feedback_delay"), form, "delay_hours", { ...DECIMAL_BOX, maxlength: "5" }),
      hint("set_feedback_delay_hint"),
      el("div", { className: "two" },
        field(name, "day_start", t("set_feedback_from"), form, "day_start", { type: "time", step: "300" }),
        field(name, "day_end", t("set_feedback_until"), form, "day_end", { type: "time", step: "300" })),
      hint("set_feedback_hours_hint"),
      field(name, "low_score", t("set_low_score"), form, "low_score", { type: "number", inputmode: "numeric", min: "1", max: "4" }),
      hint("set_low_score_hint"),
      field(name, "min_days_between", t("set_feedback_between"), form, "min_days_between", { type: "number", inputmode: "numeric", min: "0" }),
      hint("set_feedback_between_hint"));
  },
};

// --- saving ------------------------------------------------------------------------------
function setNote(name, text, bad) {
  notes[name] = text ? { text, bad: !!bad } : null;
  const n = $(`set-${name}-note`);
  if (n) { n.textContent = text || ""; n.className = bad ? "status-line bad" : "status-line"; }
}

function clearMarks(form) {
  for (const n of form.querySelectorAll(".field-error")) n.remove();
  for (const n of form.querySelectorAll("[aria-invalid]")) { n.removeAttribute("aria-invalid"); n.removeAttribute("aria-describedby"); }
  const g = form.querySelector(`#${form.id}-error`);
  if (g) g.textContent = "";
}

function words(message, name, path) {
  const { key, vars } = F.explainAt(name, path, message, forms[name]);
  if (vars.cents !== undefined) return t(key, { amount: money(vars.cents, currency()) });
  return vars.n === undefined ? t(key, vars) : plural(key, Number(vars.n)); // "At most 1 character."
}

// A day's hours that end before they start: the API names the day, the owner mends the end
// she typed, so the end of the first such row is marked, not the day's first start.
function endBeforeStart(node, message) {
  const day = node.closest && node.closest("fieldset.day");
  if (!day || explain(message).key !== "err_interval_order") return null;
  const row = [...day.querySelectorAll(".interval")].find((r) => {
    const [start, end] = r.querySelectorAll("input");
    return start.value && end.value && end.value <= start.value;
  });
  return row ? row.querySelectorAll("input")[1] : null;
}

// Each error next to its input (the nearest place the form has for its path); what has
// no place goes under the section. The first one gets the focus.
function markErrors(name, form, fields) {
  clearMarks(form);
  for (const d of form.querySelectorAll("details.item")) if (d.fill) d.fill(); // every field, to mark
  const places = new Map();
  for (const n of form.querySelectorAll("[data-path]")) places.set(n.getAttribute("data-path"), n);
  const general = [];
  let first = null;
  for (const [path, message] of Object.entries(fields || {})) {
    let at = F.targetFor(path, new Set(places.keys()));
    if (at === F.WHOLE) at = F.namedField(message, places.keys()) || at;
    if (at === F.WHOLE) { general.push(words(message, name, path)); continue; }
    let node = places.get(at);
    for (let d = node.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) d.open = true;
    if (node.tagName === "DETAILS" || node.tagName === "LI") {
      // The item as a whole: the message under its first input.
      node = node.querySelector("input, select") || node;
    }
    node = endBeforeStart(node, message) || node;
    const id = `${node.id}-error`;
    if ($(id)) { $(id).textContent += ` ${words(message, name, path)}`; continue; }
    const note = el("p", { className: "field-error", id, text: words(message, name, path) });
    // Inside the input's own box (a grid cell), or after its row of times.
    const wrap = node.closest(".set-field");
    if (wrap) wrap.appendChild(note);
    else (node.closest(".interval") || node).insertAdjacentElement("afterend", note);
    node.setAttribute("aria-invalid", "true");
    node.setAttribute("aria-describedby", id);
    first = first || node;
  }
  const g = $(`set-${name}-error`);
  g.textContent = [general.length || !first ? t("set_fix_errors") : t("set_fix_marked"), ...general].join(" ");
  if (first) first.focus();
}

// A 422 naming a field this page does not have (a deploy added it since the page was
// loaded): she cannot fix that here, so she is told the page is out of date, with a
// button that reloads it; the body's other errors are marked as usual.
function outOfDate(name, form, fields, unknown) {
  const rest = Object.fromEntries(Object.entries(fields).filter(([path]) => !unknown.includes(path)));
  if (Object.keys(rest).length) markErrors(name, form, rest);
  else clearMarks(form);
  const g = $(`set-${name}-error`);
  const again = el("button", { type: "button", id: `set-${name}-reload`, text: t("set_reload_page") });
  again.addEventListener("click", () => location.reload());
  const marked = Object.keys(rest).length ? g.textContent : "";
  clear(g).append(`${t("set_page_outdated")} ${marked}`.trim(), " ", again);
  sayOutcome(name, "outdated");
  if (!Object.keys(rest).length) again.focus();
}

// The page's status line after a save of the section (F.saveLine): a save that did not go
// through replaces the "Saved" a save before it left there.
function sayOutcome(name, outcome) {
  const { key, vars, bad } = F.saveLine(outcome, t(TITLES[name]));
  say(t(key, vars), bad);
}

async function saveSection(name, form) {
  const submit = $(`set-${name}-save`);
  setNote(name, "");
  clearMarks(form);
  const { value, errors } = F.fromForm(name, forms[name]);
  if (Object.keys(errors).length) { markErrors(name, form, errors); sayOutcome(name, "invalid"); return; }
  submit.disabled = true;
  try {
    let saved;
    if (name === "services" && F.offersChanged(loaded.sections.staff, F.withIds(name, forms[name]))) {
      saved = await saveServicesWithStaff(value);
    } else {
      saved = await api("PUT", `/settings/${name}`, value, saveHeaders(loaded.version));
    }
    loaded.version = saved.version;
    const sections = Object.entries(saved.sections || { [name]: saved.value });
    // All of them first: a service's form reads who offers it from the staff saved with it
    // (drawn from the staff before, a service just added showed nobody ticked, and the next
    // save was refused for it: an owner's walk).
    for (const [k, v] of sections) loaded.sections[k] = v;
    for (const [k, v] of sections) {
      if (k === name || !dirty[k]) { forms[k] = F.toForm(k, v, loaded.sections, decimal()); dirty[k] = false; }
    }
    const unchanged = saved.changed && !saved.changed.length;
    notes[name] = { text: unchanged ? t("set_nothing_changed") : t("set_saved") };
    redraw(name);
    if (saved.sections) for (const k of Object.keys(saved.sections)) if (k !== name) redraw(k);
    // Each of the two deadlines' cards says the other's value (F.deadlinesTold).
    if (name === "rules" || name === "terms") redraw(name === "rules" ? "terms" : "rules");
    // The services' first payment choice names the business's policy (ownPolicy).
    if (name === "policy") redraw("services");
    if (name === "staff" && !dirty.services) { forms.services = F.toForm("services", loaded.sections.services, loaded.sections, decimal()); redraw("services"); }
    // The status line says what the section says: saved, or nothing to save.
    sayOutcome(name, unchanged ? "unchanged" : "saved");
  } catch (err) {
    const f = $(`set-${name}`) || form;
    if (err.status === 422) {
      const fields = name === "services" && err.fromConfig ? F.servicesErrorsFromConfig(err.fields) : err.fields;
      const unknown = F.unknownRequired(fields, value);
      if (unknown.length) outOfDate(name, f, fields, unknown);
      else { markErrors(name, f, fields); sayOutcome(name, "invalid"); }
    } else if (err.status === 409 && err.code === "settings_changed") {
      await reload(name);
      setNote(name, t("set_changed_elsewhere"), true);
      sayOutcome(name, "changed_elsewhere");
    } else {
      const g = $(`set-${name}-error`);
      if (g) g.textContent = err.status === 403 ? t("set_owner_only") : `${t("set_save_failed")} ${err.status ? "" : t("set_offline")}`.trim();
      sayOutcome(name, "failed");
    }
  } finally {
    const s = $(`set-${name}-save`);
    if (s) s.disabled = false;
  }
}

// A new or removed service changes who offers what: services and the staff's lists go
// in one request (the whole configuration, the same validation), as the sections alone
// cannot (a service must be offered by somebody, a member offer only known services).
async function saveServicesWithStaff(services) {
  const fresh = await api("GET", "/settings");
  if (fresh.version !== loaded.version) throw { status: 409, code: "settings_changed", message: "", fields: {} };
  const withIds = F.withIds("services", forms.services);
  const staff = F.staffWithOffers(fresh.sections.staff, withIds);
  const { config } = await api("GET", "/business");
  try {
    await api("PUT", "/business", { config: { ...config, services, staff } }, saveHeaders(fresh.version));
  } catch (err) {
    err.fromConfig = true;
    throw err;
  }
  const after = await api("GET", "/settings");
  return { version: after.version, sections: { services: after.sections.services, staff: after.sections.staff }, changed: null };
}

async function reload(name) {
  const data = await api("GET", "/settings");
  loaded.version = data.version;
  for (const [k, v] of Object.entries(data.sections)) {
    loaded.sections[k] = v;
    if (!F.SECTIONS.includes(k)) continue;
    if (k === name || !dirty[k]) { forms[k] = F.toForm(k, v, data.sections, decimal()); dirty[k] = false; redraw(k); }
  }
}
