// Client search in the header, everywhere: name (ignoring case and accents), phone in any
// format or email, as you type (GET /clients?q=). Each result opens the client card; one
// who waits on the waitlist but is no client comes apart ("On the waitlist: ...") and
// opens her waitlist entry; a client who also waits says so on her result.
import { $, clear, el } from "./dom.js";
import { reasonText, t } from "./i18n.js";
import { api, clientApart, serviceName } from "./state.js";
import { entryWished, openEntry } from "./lists.js";

let timer = null;
let seq = 0;

function close() {
  $("search-results").hidden = true;
}

async function find(q) {
  const mine = ++seq;
  const box = $("search-results");
  try {
    const found = await api("GET", `/clients?${new URLSearchParams({ q, limit: "8" })}`);
    if (mine !== seq) return;
    clear(box);
    for (const c of found.clients) {
      const waits = (c.waiting || []).map((w) => serviceName(w.service.id, w.service.name));
      const link = el("a", { href: `#client/${c.id}`, className: "result" },
        el("span", { className: "who", text: c.name }),
        el("span", { className: "muted", text: clientApart(c) }));
      if (waits.length) link.appendChild(el("span", { className: "muted", text: t("search_client_waiting", { services: waits.join(", ") }) }));
      link.addEventListener("click", () => { close(); $("search-input").value = ""; });
      box.appendChild(el("li", {}, link));
    }
    const waiting = found.waiting || [];
    for (const e of waiting) {
      const link = el("a", { href: "#waitlist", className: "result waiting", "data-entry": e.id },
        el("span", { className: "who", text: e.name }),
        el("span", { className: "muted", text: t("search_on_waitlist", { service: serviceName(e.service.id, e.service.name), when: entryWished(e) }) }));
      link.addEventListener("click", () => { close(); $("search-input").value = ""; openEntry(e); });
      box.appendChild(el("li", {}, link));
    }
    if (!found.clients.length && !waiting.length) box.appendChild(el("li", { className: "muted", text: t("no_clients_found") }));
    $("search-count").textContent = t("clients_found", { n: found.clients.length })
      + (waiting.length ? ` · ${t("search_waiting_found", { n: waiting.length })}` : "");
    box.hidden = false;
  } catch (err) {
    if (mine !== seq) return;
    clear(box).appendChild(el("li", { className: "error", text: reasonText(err) }));
    box.hidden = false;
  }
}

export function initSearch() {
  const input = $("search-input");
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) { seq++; close(); return; }
    timer = setTimeout(() => find(q), 250);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { close(); }
    if (e.key === "ArrowDown") {
      const first = $("search-results").querySelector("a");
      if (first) { e.preventDefault(); first.focus(); }
    }
  });
  $("search-results").addEventListener("keydown", (e) => {
    const links = [...$("search-results").querySelectorAll("a")];
    const i = links.indexOf(document.activeElement);
    if (e.key === "ArrowDown" && i < links.length - 1) { e.preventDefault(); links[i + 1].focus(); }
    if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? links[i - 1] : input).focus(); }
    if (e.key === "Escape") { close(); input.focus(); }
  });
  document.addEventListener("click", (e) => { if (!$("search").contains(e.target)) close(); });
}

// The dashboard's language changed: results open are found again in it, and their count
// (read by screen readers only) too; none open, no count is left in the former one.
export function relabelSearch() {
  const q = $("search-input").value.trim();
  if (q.length >= 2 && !$("search-results").hidden) find(q);
  else $("search-count").textContent = "";
}

export function clearSearch() {
  seq++;
  $("search-input").value = "";
  clear($("search-results"));
  close();
}
