// The CSV import (#import, the owner's): choose a file (sent as it is, base64, so the
// server detects its encoding), check which column is what (the server's suggestion,
// each column a select), read the dry run (to create, merged, visits, the rows it cannot
// take and why), choose whether imported visits earn stamps, then run it and watch the
// progress (POST /imports/{id}/run again about every second until it is done). Nothing
// is saved before "Import". The pure parts: csvmap.js.
import { $, clear, el } from "./dom.js";
import { number, plural, t } from "./i18n.js";
import { api, say } from "./state.js";
import * as M from "./csvmap.js";
import { clock, day } from "./i18n.js";

const POLL_MS = 1000;
let imported = () => {}; // what else shows imported clients (main.js: the at-risk list)
let st = null; // {fileName, base64, view, mapping, stamps, busy, error, mappingError, running}
let seq = 0;

const FIELD_KEYS = { name: "imp_f_name", first_name: "imp_f_first_name", last_name: "imp_f_last_name", phone: "phone",
  email: "email", birthday: "birthday", notes: "imp_f_notes", visit_date: "imp_f_visit_date", service: "service",
  price: "imp_f_price", staff: "staff_member", status: "imp_f_status" };

export function onImported(fn) { imported = fn; }

export function forgetImport() { st = null; seq++; const b = $("import"); if (b) clear(b); }

export function showImport() {
  if (!st) st = { fileName: null, base64: null, view: null, mapping: null, stamps: false, busy: false, error: null, columns: null };
  renderImport();
}

export function renderImport() {
  const box = $("import");
  if (!box || !st) return;
  clear(box);
  box.appendChild(fileCard());
  if (st.columns) box.appendChild(mappingCard());
  if (st.view) box.appendChild(st.view.status === "previewed" ? dryRunCard() : runCard());
}

// --- step 1: the file ----------------------------------------------------------------
function fileCard() {
  const input = el("input", { type: "file", id: "imp-file", accept: ".csv,.txt,text/csv,text/plain", "aria-describedby": "imp-file-hint" });
  // el() leaves out a null child (append() would write it out as the text "null").
  const form = el("form", { className: "card", id: "imp-file-form", novalidate: true, "aria-labelledby": "imp-file-h" },
    el("h3", { id: "imp-file-h", text: t("imp_step_file") }),
    el("p", { className: "muted", id: "imp-file-hint", text: t("imp_file_hint") }),
    el("label", { for: "imp-file", text: t("imp_file") }), input,
    st.fileName ? el("p", { className: "muted", text: t("imp_chosen", { name: st.fileName }) }) : null,
    el("p", { className: "error", id: "imp-error", role: "alert", text: st.error || "" }),
    el("button", { type: "submit", className: "accent", id: "imp-check", disabled: st.busy || null, text: t("imp_check") }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const file = input.files && input.files[0];
    if (!file) { st.error = t("imp_choose_file"); renderImport(); return; }
    await readAndPreview(file);
  });
  return form;
}

async function readAndPreview(file) {
  st = { ...st, fileName: file.name, base64: null, view: null, columns: null, mapping: null, error: null };
  if (!M.fits(file.size)) { st.error = t("imp_too_big"); renderImport(); return; }
  const bytes = new Uint8Array(await file.arrayBuffer());
  st.base64 = M.toBase64(bytes);
  await preview(null);
}

// POST /imports: the dry run with this mapping (none: the server suggests one).
async function preview(mapping) {
  const mine = ++seq;
  st.busy = true;
  st.error = null;
  st.mappingError = null;
  renderImport();
  say(t("imp_checking"));
  try {
    const view = await api("POST", "/imports", M.body(st.base64, mapping, st.stamps));
    if (mine !== seq) return;
    st.view = view;
    st.columns = view.columns;
    st.mapping = { ...view.mapping };
    say(t("imp_checked"));
  } catch (err) {
    if (mine !== seq) return;
    st.view = null;
    if (err.code === "bad_mapping" && err.details && err.details.columns) {
      st.columns = err.details.columns;
      st.mapping = M.rows(err.details.columns, err.details.mapping || mapping).reduce((m, r) => ({ ...m, [r.column]: r.field }), {});
      st.mappingError = t(M.problem(st.mapping) || "imp_need_columns");
    } else {
      st.error = plural(M.uploadError(err), M.MAX_ROWS, err.details);
      st.columns = null;
    }
    say("");
  } finally {
    if (mine === seq) { st.busy = false; renderImport(); }
  }
}

// The dashboard's language changed: the rows it cannot take, which the server words, are
// read again in the new one (GET /imports/{id}; every request says the language). An
// answer on its way (a dry run, the run's polling) brings the new words itself.
export async function rewordImport() {
  if (!st || !st.view || !st.view.id || st.busy) return;
  const mine = seq;
  const id = st.view.id;
  const box = $("import");
  box.setAttribute("aria-busy", "true"); // its cards are drawn again when the words come
  try {
    const view = await api("GET", `/imports/${encodeURIComponent(id)}`);
    if (mine !== seq || !st || !st.view || st.view.id !== id || st.busy) return;
    st.view = view;
    renderImport();
  } catch (err) { /* the words it had stay */ } finally { box.removeAttribute("aria-busy"); }
}

// --- step 2: the columns ----------------------------------------------------------------
function mappingCard() {
  const form = el("form", { className: "card", id: "imp-map-form", novalidate: true, "aria-labelledby": "imp-map-h" });
  form.append(el("h3", { id: "imp-map-h", text: t("imp_step_columns") }), el("p", { className: "muted", text: t("imp_columns_hint") }));
  const grid = el("div", { className: "imp-columns" });
  M.rows(st.columns, st.mapping).forEach((r, i) => {
    const id = `imp-col-${i}`;
    const select = el("select", { id, "aria-describedby": st.mappingError ? "imp-map-error" : null, "aria-invalid": st.mappingError ? "true" : null });
    select.appendChild(el("option", { value: M.IGNORE, text: t("imp_f_ignore") }));
    for (const f of M.FIELDS) select.appendChild(el("option", { value: f, text: t(FIELD_KEYS[f]) }));
    select.value = r.field;
    select.addEventListener("change", () => {
      st.mapping = M.withField(st.mapping, r.column, select.value);
      renderImport();
      const again = $(`imp-col-${i}`);
      if (again) again.focus();
    });
    grid.appendChild(el("div", { className: "set-field" }, el("label", { for: id, text: r.column }), select));
  });
  form.appendChild(grid);
  form.appendChild(el("p", { className: "error", id: "imp-map-error", role: "alert", text: st.mappingError || "" }));
  const changed = !st.view || JSON.stringify(st.view.mapping) !== JSON.stringify(st.mapping) || st.view.stamps !== st.stamps;
  form.appendChild(el("button", { type: "submit", className: changed ? "accent" : "plain", id: "imp-recheck", disabled: st.busy || null,
    text: t("imp_recheck") }));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const p = M.problem(st.mapping);
    if (p) { st.mappingError = t(p); say(""); renderImport(); return; } // not "checked" above the error
    preview(st.mapping);
  });
  return form;
}

// --- step 3: the dry run, the stamps, and Import --------------------------------------------
function figuresList(f) {
  const dl = el("dl", { className: "facts", id: "imp-figures" });
  const rows = [["imp_create", f.create], ["imp_merge", f.merge], ["imp_visits", f.visits], ["imp_notes", f.notes], ["imp_rejected", f.rejectedTotal]]
    .filter(([, v]) => v != null);  // notes: not counted by a dry run before 7 Dec 2026
  if (f.contactless) rows.splice(1, 0, ["imp_contactless", f.contactless]);  // a name alone: sent nothing
  for (const [k, v] of rows) {
    dl.append(el("dt", { text: t(k) }), el("dd", { text: number(v, 0) }));
  }
  return dl;
}

// A list of the file's rows, each with its number and its words (M.rowWords), under a
// heading (and a hint), and how many more there are: the rejected rows, the visits booked
// ahead, the rows imported without a detail.
function rowList(id, headKey, hintKey, rows, more) {
  const wrap = el("div", {}, el("h4", { id: `${id}-h`, text: t(headKey) }),
    hintKey ? el("p", { className: "muted", text: t(hintKey) }) : null);
  const list = el("ul", { className: "list compact", id, "aria-labelledby": `${id}-h` });
  for (const [n, words] of rows) list.appendChild(el("li", {}, el("strong", { text: t("imp_row", { n }) }), ` ${words}`));
  wrap.appendChild(list);
  if (more) wrap.appendChild(el("p", { className: "muted", text: plural("imp_more_rejected", more) }));
  return wrap;
}

function rejectedList(f) {
  if (!f.rejectedTotal) return el("p", { className: "muted", text: t("imp_no_rejected") });
  return rowList("imp-rejected", "imp_rejected_rows", null, f.rejected.map((r) => [r.row, M.rowWords(r.name, r.reason)]),
    f.rejectedTotal - f.rejected.length);
}

// --- what the dry run tells beyond its figures (M.dryFacts) -----------------------------------
// The visits booked ahead: not imported (her row is), each with its row, day, time,
// service and staff member, for the owner to book in the calendar.
function futureList(v) {
  const { items, more } = M.dryFacts(v).future;
  if (!items.length) return null;
  const when = (a) => (a.time ? t("imp_future_when", { date: day(a.date), time: clock(a.time) }) : day(a.date));
  return rowList("imp-future", "imp_future_h", "imp_future_hint", items.map((a) => [a.row, M.rowWords(a.name, when(a), a.service, a.staff)]), more);
}

// The rows imported without a detail that is not valid (a birthday that is no date, an
// email typo beside a phone that works): apart from the rejected rows, each with the
// client's name, the detail and its value in the server's words.
function leftOutList(v) {
  const { items, more } = M.dryFacts(v).leftOut;
  if (!items.length) return null;
  return rowList("imp-left-out", "imp_left_out_h", "imp_left_out_hint", items.map((w) => [w.row, M.rowWords(w.name, w.reason)]), more);
}

// The service and staff names of the file that match nothing in the settings: each once,
// with its rows; their visits go in without a service or staff member unless she fixes them.
function unknownNames(v) {
  const { services, staff } = M.dryFacts(v);
  if (!services.items.length && !staff.items.length) return null;
  const wrap = el("div", { id: "imp-unknown" }, el("h4", { id: "imp-unknown-h", text: t("imp_unknown_h") }),
    el("p", { className: "muted", text: t("imp_unknown_hint") }));
  for (const [key, names, id] of [["imp_unknown_services", services, "imp-unknown-services"], ["imp_unknown_staff", staff, "imp-unknown-staff"]]) {
    if (!names.items.length) continue;
    wrap.appendChild(el("h5", { id: `${id}-h`, text: t(key) }));
    const list = el("ul", { className: "list compact", id, "aria-labelledby": `${id}-h` });
    for (const n of names.items) list.appendChild(el("li", { text: plural("imp_unknown_rows", n.rows, { name: n.name }) }));
    wrap.appendChild(list);
    if (names.more) wrap.appendChild(el("p", { className: "muted", text: plural("imp_more_names", names.more) }));
  }
  return wrap;
}

function dryRunCard() {
  const v = st.view;
  const f = M.figures(v);
  const card = el("section", { className: "card", "aria-labelledby": "imp-dry-h", id: "imp-dry" },
    el("h3", { id: "imp-dry-h", text: t("imp_step_dry_run") }),
    el("p", { className: "muted", text: plural("imp_dry_run_hint", v.total_rows) }),
    figuresList(f), rejectedList(f));
  card.append(...[leftOutList(v), futureList(v), unknownNames(v)].filter(Boolean));
  const stamps = el("input", { type: "checkbox", id: "imp-stamps", checked: st.stamps || null });
  stamps.addEventListener("change", () => { st.stamps = stamps.checked; preview(st.mapping); });
  card.appendChild(el("label", { className: "check", for: "imp-stamps" }, stamps, el("span", { text: t("imp_stamps") })));
  // A mapping changed since this dry run is checked again before anything is imported.
  const stale = JSON.stringify(v.mapping) !== JSON.stringify(st.mapping);
  if (stale) card.appendChild(el("p", { className: "error", id: "imp-stale", text: t("imp_recheck_first") }));
  const go = el("button", { type: "button", className: "accent wide", id: "imp-run", disabled: st.busy || stale || !(f.create + f.merge) || null,
    "aria-describedby": stale ? "imp-stale" : null, text: plural("imp_run", f.create + f.merge) });
  go.addEventListener("click", () => run());
  card.appendChild(go);
  return card;
}

function runCard() {
  const v = st.view;
  const p = M.progress(v);
  const f = M.figures(v);
  const card = el("section", { className: "card", "aria-labelledby": "imp-run-h", id: "imp-result" },
    el("h3", { id: "imp-run-h", tabindex: "-1", text: p.finished ? t("imp_done") : p.failed ? t("imp_failed_run") : t("imp_running") }));
  const bar = el("progress", { id: "imp-progress", max: String(p.total || 1), value: String(p.done), "aria-labelledby": "imp-run-h" });
  card.append(bar, el("p", { id: "imp-progress-text", text: plural("imp_progress", p.total, { done: number(p.done, 0), percent: p.percent }) }));
  if (p.finished || p.failed) {
    card.append(figuresList(f), rejectedList(f));
    // The rows that went in without a detail (to add on her card), and the visits still
    // to book at the desk after the import.
    card.append(...[leftOutList(v), futureList(v)].filter(Boolean));
    const again = el("button", { type: "button", className: "plain", text: t("imp_another") });
    again.addEventListener("click", () => { st = null; showImport(); const i = $("imp-file"); if (i) i.focus(); });
    card.appendChild(again);
  }
  return card;
}

async function run() {
  const mine = ++seq;
  const id = st.view.id;
  st.busy = true;
  say(t("imp_running"));
  try {
    for (;;) {
      const view = await api("POST", `/imports/${encodeURIComponent(id)}/run`);
      if (mine !== seq) return;
      st.view = view;
      renderImport();
      if (view.status !== "running") break;
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (mine !== seq) return;
    }
    say(plural("imp_done_status", (st.view.created || 0) + (st.view.merged || 0)));
    const h = $("imp-run-h");
    if (h) h.focus();
  } catch (err) {
    if (mine !== seq) return;
    if (err.code === "import_failed") st.view = { ...st.view, status: "failed" };
    st.error = t(err.code === "import_failed" ? "imp_failed_run" : "imp_failed");
    say(st.error, true);
  } finally {
    if (mine === seq) { st.busy = false; renderImport(); imported(); }
  }
}
