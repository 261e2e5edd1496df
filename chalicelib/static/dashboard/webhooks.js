// Settings → Webhooks (#set-webhooks): the business's endpoints (docs/webhooks.md). Add
// one (URL and the events wanted; its secret is shown once, right after), switch it on or
// off, rotate its secret (the old one keeps signing for a day), read its delivery log and
// replay a delivery, remove it. The owner's only, like the other settings.
import { $, clear, el, showFieldErrors } from "./dom.js";
import { dateTime, errorText, has, t } from "./i18n.js";
import { api, copyActions, say, tz } from "./state.js";
import { deliveryAnswer } from "./webhookwords.js";

let endpoints = [];
let types = [];
let shown = null; // {id, secret}: the secret she just got, shown until the next redraw
const logs = {}; // endpoint id -> deliveries, when its log is open

export function webhooksCard() {
  const card = el("section", { className: "card settings", id: "settings-webhooks", "aria-labelledby": "set-webhooks-h" },
    el("h3", { id: "set-webhooks-h", text: t("wh_title") }),
    el("p", { className: "muted", text: t("wh_intro") }),
    el("div", { id: "set-webhooks", "aria-live": "polite" }, el("p", { className: "muted", text: t("loading") })));
  load();
  return card;
}

async function load() {
  try {
    const data = await api("GET", "/webhooks");
    endpoints = data.webhooks;
    types = data.event_types;
    draw();
  } catch (err) {
    const box = $("set-webhooks");
    if (box) clear(box).appendChild(el("p", { className: "error", role: "alert", text: `${t("load_failed")} ${err.message || ""}` }));
  }
}

function draw() {
  const box = $("set-webhooks");
  if (!box) return;
  clear(box);
  if (!endpoints.length) box.appendChild(el("p", { className: "muted", text: t("wh_none") }));
  for (const e of endpoints) box.appendChild(endpointBox(e));
  box.appendChild(addForm());
}

// An event type in the owner's words; the code beside it is what her receiver reads.
function eventName(type) {
  const key = `wh_ev_${type.replace(".", "_")}`;
  return has(key) ? t(key) : type;
}

function answerWords(d) {
  const said = deliveryAnswer(d);
  return said.key ? t(said.key, said.vars) : said.text;
}

function state(e) {
  if (e.enabled) return t("wh_on");
  return t({ gone: "wh_off_gone", failing: "wh_off_failing" }[e.disabled_reason] || "wh_off");
}

function endpointBox(e) {
  const item = el("div", { className: "item webhook", id: `wh-${e.id}` },
    el("p", { className: "who", text: e.url }),
    el("p", { className: e.enabled ? "status-line" : "status-line bad", text: state(e) }),
    el("p", { className: "muted", text: e.events.map(eventName).join(", ") }));
  if (shown && shown.id === e.id) {
    // In a field that fits the screen, selected, with a button that copies it.
    const id = `wh-${e.id}-secret`;
    const secret = el("input", { id, type: "text", readonly: true, value: shown.secret, spellcheck: "false" });
    const note = el("p", { className: "status-line", role: "status" });
    item.append(el("label", { for: id, text: t("wh_secret") }), secret,
      copyActions(secret, { copy: "wh_copy_secret", copied: "wh_secret_copied", share: false, tell: (w) => { note.textContent = w; } }), note);
  }
  const act = (key, fn) => el("button", { type: "button", id: `wh-${e.id}-${key}`, text: t(`wh_${key}`), onclick: fn });
  item.appendChild(el("div", { className: "set-actions" },
    act(e.enabled ? "disable" : "enable", () => change(e, () => api("PATCH", `/webhooks/${e.id}`, { enabled: !e.enabled }))),
    act("rotate", () => change(e, () => api("POST", `/webhooks/${e.id}/rotate-secret`), true)),
    act("log", () => toggleLog(e)),
    act("delete", () => remove(e))));
  if (logs[e.id]) item.appendChild(logList(e));
  return item;
}

async function change(e, call, reveal) {
  say(""); // another section's "saved" is not about this
  try {
    const saved = await call();
    endpoints = endpoints.map((x) => (x.id === e.id ? saved : x));
    shown = reveal ? { id: e.id, secret: saved.secret } : null;
    draw();
  } catch (err) {
    alertIn(e, err);
  }
}

async function remove(e) {
  if (!window.confirm(t("wh_delete_confirm", { url: e.url }))) return;
  try {
    await api("DELETE", `/webhooks/${e.id}`);
    endpoints = endpoints.filter((x) => x.id !== e.id);
    draw();
  } catch (err) {
    alertIn(e, err);
  }
}

async function toggleLog(e) {
  if (logs[e.id]) { delete logs[e.id]; draw(); return; }
  try {
    logs[e.id] = (await api("GET", `/webhooks/${e.id}/deliveries?limit=20`)).deliveries;
    draw();
  } catch (err) {
    alertIn(e, err);
  }
}

function logList(e) {
  const list = el("ul", { className: "list", id: `wh-${e.id}-log` });
  if (!logs[e.id].length) list.appendChild(el("li", { className: "muted", text: t("wh_log_empty") }));
  for (const d of logs[e.id]) {
    const when = dateTime(d.delivered_at || d.created_at, tz()); // on the salon's clock, as the calendar
    list.appendChild(el("li", {},
      `${eventName(d.event_type)} · ${t(`wh_status_${d.status}`)} · ${when} · ${answerWords(d)} `,
      el("button", { type: "button", text: t("wh_replay"), onclick: async () => {
        try {
          await api("POST", `/webhooks/${e.id}/deliveries/${d.id}/replay`);
          logs[e.id] = (await api("GET", `/webhooks/${e.id}/deliveries?limit=20`)).deliveries;
          draw();
        } catch (err) { alertIn(e, err); }
      } })));
  }
  return list;
}

function alertIn(e, err) {
  const box = $(`wh-${e.id}`);
  if (box) box.appendChild(el("p", { className: "error", role: "alert", text: errorText(err) }));
}

function addForm() {
  const url = el("input", { type: "url", id: "wh-new-url", required: true, placeholder: "https://", autocomplete: "off" });
  const checks = types.map((type) => el("label", { className: "check" },
    el("input", { type: "checkbox", name: "wh-event", value: type, checked: type.startsWith("booking.") || null }),
    el("span", {}, eventName(type), el("code", { className: "muted event-type", text: type }))));
  const general = el("p", { className: "error", id: "wh-new-error", role: "alert" });
  const form = el("form", { className: "settings-form", id: "wh-new", novalidate: true },
    el("label", { for: "wh-new-url", text: t("wh_url") }), url,
    el("fieldset", {}, el("legend", { text: t("wh_events") }), checks),
    general,
    el("div", { className: "set-actions" }, el("button", { type: "submit", className: "accent", id: "wh-add", text: t("wh_add") })));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    say("");
    const events = [...form.querySelectorAll("input[name=wh-event]:checked")].map((c) => c.value);
    try {
      const saved = await api("POST", "/webhooks", { url: url.value.trim(), events });
      endpoints = [...endpoints, saved];
      shown = { id: saved.id, secret: saved.secret };
      draw();
    } catch (err) {
      showFieldErrors(form, err, { url }, general);
    }
  });
  return form;
}
