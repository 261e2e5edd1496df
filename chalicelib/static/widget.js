/* Rebook booking widget. One line on any site:
 *   <script src="https://BOOKING-HOST/widget.js" data-business="your-slug" async></script>
 * Options (attributes on the script tag):
 *   data-mode="inline"     the booking page inline instead of a "Book now" button
 *   data-lang="fi|sv|en"   language (default: the visitor's browser)
 *   data-label="…"         the button's text
 *   data-service, data-staff  pre-select a service / staff member
 * Everything lives in a shadow root (the host page's CSS cannot reach it) and the
 * booking itself runs in an iframe from the booking host (nor can its scripts). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.business) return;
  var d = script.dataset;
  var from = new URL(script.src, location.href);
  var origin = from.origin;
  var app = origin + from.pathname.replace(/\/widget\.js$/, "");
  var lang = d.lang || (navigator.language || "fi").slice(0, 2).toLowerCase();
  var labels = { fi: ["Varaa aika", "Sulje"], sv: ["Boka tid", "Stäng"], en: ["Book now", "Close"] };
  var words = labels[lang] || labels.fi;
  var query = new URLSearchParams({ embed: "1" });
  if (labels[lang]) query.set("lang", lang);
  ["service", "staff"].forEach(function (k) { if (d[k]) query.set(k, d[k]); });
  // A referral or rebook link that brought the visitor to the host page carries on.
  var here = new URLSearchParams(location.search);
  ["ref", "card", "reward"].forEach(function (k) { if (here.get(k)) query.set(k, here.get(k)); });
  var src = app + "/book/" + encodeURIComponent(d.business) + "?" + query.toString();

  var host = document.createElement("rebook-widget");
  host.setAttribute("data-business", d.business);
  var root = host.attachShadow({ mode: "open" });
  var css = ":host{all:initial;display:block;font:16px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    "button.book{font:inherit;font-weight:600;color:#fff;background:#0b6e4f;border:0;border-radius:.6rem;" +
    "padding:.8rem 1.4rem;cursor:pointer}button.book:focus-visible,button.close:focus-visible{outline:3px solid #1d2330;outline-offset:2px}" +
    "iframe{display:block;width:100%;border:0;background:#f7f8fa}" +
    ".inline iframe{height:760px;border-radius:.75rem}" +
    ".overlay{position:fixed;inset:0;z-index:2147483647;background:rgba(20,24,32,.55);display:flex;align-items:center;justify-content:center}" +
    ".dialog{display:flex;flex-direction:column;width:min(100vw,32rem);height:min(100vh,48rem);background:#f7f8fa;border-radius:.75rem;overflow:hidden}" +
    "@media (max-width:32rem){.dialog{border-radius:0}}" +
    // The close button has a bar of its own above the page: it covers nothing in it
    // (it once sat on the page's language switch).
    ".bar{display:flex;justify-content:flex-end;padding:.35rem .4rem;background:#fff;border-bottom:1px solid #d9dee6}" +
    ".dialog iframe{flex:1;min-height:0;height:auto}" +
    "button.close{font:inherit;background:#fff;color:#1d2330;border:1px solid #d9dee6;border-radius:.5rem;padding:.3rem .7rem;cursor:pointer}";
  var style = document.createElement("style");
  style.textContent = css;
  root.appendChild(style);

  function frame() {
    var f = document.createElement("iframe");
    f.src = src;
    f.title = words[0];
    f.setAttribute("allow", "clipboard-write");
    return f;
  }

  if (d.mode === "inline") {
    var box = document.createElement("div");
    box.className = "inline";
    box.appendChild(frame());
    root.appendChild(box);
  } else {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "book";
    button.textContent = d.label || words[0];
    button.setAttribute("aria-haspopup", "dialog");
    root.appendChild(button);
    var overlay = null;
    var close = function () {
      if (!overlay) return;
      overlay.remove();
      overlay = null;
      document.removeEventListener("keydown", onKey, true);
      button.focus();
    };
    var onKey = function (e) { if (e.key === "Escape") close(); };
    // Escape inside the booking frame is reported by the frame (chalicelib/static/page.js).
    window.addEventListener("message", function (e) {
      if (e.origin === origin && e.data && e.data.rebook === "close") close();
    });
    button.addEventListener("click", function () {
      overlay = document.createElement("div");
      overlay.className = "overlay";
      overlay.addEventListener("click", function (e) { if (e.target === overlay) close(); });
      var dialog = document.createElement("div");
      dialog.className = "dialog";
      dialog.setAttribute("role", "dialog");
      dialog.setAttribute("aria-modal", "true");
      dialog.setAttribute("aria-label", words[0]);
      var shut = document.createElement("button");
      shut.type = "button";
      shut.className = "close";
      shut.textContent = words[1];
      shut.addEventListener("click", close);
      var f = frame();
      var bar = document.createElement("div");
      bar.className = "bar";
      bar.appendChild(shut);
      dialog.appendChild(bar);
      dialog.appendChild(f);
      overlay.appendChild(dialog);
      root.appendChild(overlay);
      document.addEventListener("keydown", onKey, true);
      f.focus();
    });
  }
  script.parentNode.insertBefore(host, script.nextSibling);
})();
