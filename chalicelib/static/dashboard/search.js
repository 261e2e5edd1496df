// Client search in the header, everywhere: name (ignoring case and accents), phone in any
// format or email, as you type (GET /clients?q=). Each result opens the client card.
import { $, clear, el } from "./dom.js";
import { errorText, t } from "./i18n.js";
import { api, clientApart } from "./state.js";

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
      const link = el("a", { href: `#client/${c.id}`, className: "result" },
        el("span", { className: "who", text: c.name }),
        el("span", { className: "muted", text: clientApart(c) }));
      link.addEventListener("click", () => { close(); $("search-input").value = ""; });
      box.appendChild(el("li", {}, link));
    }
    if (!found.clients.length) box.appendChild(el("li", { className: "muted", text: t("no_clients_found") }));
    $("search-count").textContent = t("clients_found", { n: found.clients.length });
    box.hidden = false;
  } catch (err) {
    if (mine !== seq) return;
    clear(box).appendChild(el("li", { className: "error", text: errorText(err) }));
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

export function clearSearch() {
  seq++;
  $("search-input").value = "";
  clear($("search-results"));
  close();
}
