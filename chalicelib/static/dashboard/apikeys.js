// API keys for integrations (Settings → API keys, the owner's only): each key's name,
// scopes and when it was last used; a new key is shown once, right after it is made
// (the server keeps only its hash); revoking stops it at once. docs/api.md.
import { clear, el, showFieldErrors } from "./dom.js";
import { dateTime, t } from "./i18n.js";
import { newKeyBody, SCOPES } from "./settingsform.js";
import { api, say, tz } from "./state.js";

function when(iso) {
  return dateTime(iso, tz(), "medium");
}

export function apiKeysCard() {
  const card = el("section", { className: "card", id: "set-keys", "aria-labelledby": "set-keys-h" },
    el("h3", { id: "set-keys-h", text: t("keys_title") }),
    el("p", { className: "muted", text: t("keys_intro") }));
  // Busy and saying so until the keys are read: the form below does not jump when they land.
  const list = el("div", { id: "set-keys-list", "aria-live": "polite", "aria-busy": "true" },
    el("p", { className: "muted", text: t("loading") }));
  const shown = el("div", { role: "status" });
  const general = el("p", { className: "error", role: "alert" });
  const name = el("input", { id: "set-keys-name", type: "text", maxlength: "80", required: true });
  const boxes = SCOPES.map(([scope, label]) => {
    const id = `set-keys-${scope.replace(/[^a-z]/g, "-")}`;
    const input = el("input", { id, type: "checkbox", value: scope, checked: scope === "read" });
    return { scope, input, label: el("label", { className: "check", for: id }, input, ` ${t(label)}`) };
  });
  const form = el("form", { className: "keys-new", novalidate: true },
    el("label", { for: "set-keys-name", text: t("keys_name") }), name,
    el("fieldset", {}, el("legend", { text: t("keys_scopes") }), ...boxes.map((b) => b.label)),
    el("button", { type: "submit", text: t("keys_create") }), general);

  async function load() {
    try {
      const data = await api("GET", "/api-keys");
      clear(list).removeAttribute("aria-busy");
      if (!data.keys.length) { list.appendChild(el("p", { className: "muted", text: t("keys_none") })); return; }
      // One box a key, its facts one under another: a table's four columns do not fit a phone.
      const items = data.keys.map((k) => el("li", { className: "key-item" },
        el("p", { className: "who", text: k.name }),
        el("p", { text: `${t("keys_scopes")}: ${k.scopes.map((s) => t((SCOPES.find(([x]) => x === s) || [s, s])[1])).join(", ")}` }),
        el("p", { className: "muted", text: k.revoked_at ? t("keys_revoked_on", { when: when(k.revoked_at) })
          : k.last_used_at ? `${t("keys_last_used")}: ${when(k.last_used_at)}` : t("keys_never_used") }),
        k.revoked_at ? null : el("button", { type: "button", className: "secondary", text: t("keys_revoke"),
          "aria-label": `${t("keys_revoke")}: ${k.name}`, onclick: () => revoke(k) })));
      list.appendChild(el("ul", { className: "list" }, items));
    } catch (err) {
      clear(list).removeAttribute("aria-busy");
      list.appendChild(el("p", { className: "error", role: "alert", text: `${t("load_failed")} ${err.message || ""}` }));
    }
  }

  async function revoke(k) {
    if (!window.confirm(t("keys_revoke_confirm", { name: k.name }))) return;
    try { await api("DELETE", `/api-keys/${encodeURIComponent(k.id)}`); } catch (err) { general.textContent = err.message || ""; }
    clear(shown);
    load();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    general.textContent = "";
    say(""); // another section's "saved" is not about this
    const body = newKeyBody(name.value, boxes.filter((b) => b.input.checked).map((b) => b.scope));
    try {
      const made = await api("POST", "/api-keys", body);
      const key = el("input", { id: "set-keys-new", type: "text", readonly: true, value: made.key, size: "60" });
      clear(shown).appendChild(el("div", { className: "card notice" },
        el("label", { for: "set-keys-new", text: t("keys_shown_once", { name: made.name }) }), key));
      key.focus();
      key.select();
      name.value = "";
      load();
    } catch (err) {
      showFieldErrors(form, err, { name, scopes: boxes[0].input }, general);
    }
  });
  card.append(list, shown, form);
  load();
  return card;
}
