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
  var labels = {
    fi: ["Varaa aika", "Sulje", "Suljetaanko varaus? Kirjoittamasi tiedot katoavat."],
    sv: ["Boka tid", "Stäng", "Stänga bokningen? Det du har skrivit försvinner."],
    en: ["Book now", "Close", "Close the booking? What you typed will be lost."]
  };
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
    // The pop-up is a modal <dialog>: in the browser's top layer, above every stacking
    // context and clip of the host page (a sticky header with a z-index, an ancestor with a
    // transform and overflow:hidden covered or cut it), and the page behind it inert.
    "dialog.overlay{padding:0;border:0;margin:auto;flex-direction:column;width:min(100vw,32rem);max-width:100vw;" +
    "height:min(100vh,48rem);height:min(100dvh,48rem);max-height:100vh;max-height:100dvh;background:#f7f8fa;" +
    "border-radius:.75rem;overflow:hidden;color:#1d2330}" +
    "dialog.overlay[open]{display:flex}dialog.overlay::backdrop{background:rgba(20,24,32,.55)}" +
    "@media (max-width:32rem){dialog.overlay{border-radius:0}}" +
    // The close button has a bar of its own above the page: it covers nothing in it
    // (it once sat on the page's language switch).
    ".bar{display:flex;justify-content:flex-end;padding:.35rem .4rem;background:#fff;border-bottom:1px solid #d9dee6}" +
    "dialog.overlay iframe{flex:1;min-height:0;height:auto}" +
    "button.close{font:inherit;background:#fff;color:#1d2330;border:1px solid #d9dee6;border-radius:.5rem;padding:.3rem .7rem;cursor:pointer}";
  var style = document.createElement("style");
  style.textContent = css;
  root.appendChild(style);

  function frame() {
    var f = document.createElement("iframe");
    f.src = src;
    f.title = words[0];
    f.setAttribute("allow", "clipboard-write; payment"); // wallets in the pay page's card form
    return f;
  }

  if (d.mode === "inline") {
    var box = document.createElement("div");
    box.className = "inline";
    var inline = frame();
    box.appendChild(inline);
    root.appendChild(box);
    // Each new page of the booking starts at the frame's top: scrolled past it (the form's
    // button was far down on a phone), she would not see "Booking confirmed!" come.
    var pages = 0;
    window.addEventListener("message", function (e) {
      if (e.origin !== origin || !e.data || e.data.rebook !== "page" || e.source !== inline.contentWindow) return;
      if (pages++ && inline.getBoundingClientRect().top < 0) inline.scrollIntoView({ block: "start" });
    });
  } else {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "book";
    button.textContent = d.label || words[0];
    button.setAttribute("aria-haspopup", "dialog");
    root.appendChild(button);
    var overlay = null;
    var scrolled = "";
    var typed = false; // her details typed on the frame's page (page.js tells): closing asks first
    // The tab's history: the pop-up has an entry of its own (Back on a phone closes it, as
    // it would any full-screen sheet), and the frame's pages add theirs after it, which the
    // browser keeps after the frame is gone: closing steps back over them all, so that
    // the next Back leaves the page as she came to it (it did nothing visible that many
    // times). `at` is the frame's page in its own history (page.js tells, 0 = the first).
    var MARK = "rebook-widget";
    var at = 0;
    var opened = 0; // the pop-up's entry: at most the entries after it are stepped back over
    var mark = function () {
      var state = {};
      state[MARK] = true;
      return state;
    };
    var ours = function () { return !!history.state && history.state[MARK] === true; };
    var hide = function (was) {
      if (was.open && typeof was.close === "function") was.close();
      document.documentElement.style.overflow = scrolled; // the host page scrolls again
      button.focus();
    };
    var close = function () {
      if (!overlay) return;
      if (typed && !window.confirm(words[2])) return;
      typed = false;
      var was = overlay;
      overlay = null;
      hide(was);
      if (!ours()) return was.remove();
      // Out of sight at once; the frame goes when the history is back before the pop-up.
      var gone = function () { window.removeEventListener("popstate", gone); was.remove(); };
      window.addEventListener("popstate", gone);
      setTimeout(gone, 2000);
      history.go(-(Math.min(at, history.length - 1 - opened) + 1));
    };
    // Back past the pop-up's own entry, once Back has walked the frame's pages to its first
    // (where nothing is typed): closed.
    window.addEventListener("popstate", function () {
      if (!overlay || ours()) return;
      typed = false;
      var was = overlay;
      overlay = null;
      hide(was);
      was.remove();
    });
    // Escape inside the booking frame is reported by the frame (chalicelib/static/page.js).
    window.addEventListener("message", function (e) {
      if (e.origin !== origin || !e.data) return;
      var inside = overlay && overlay.querySelector("iframe");
      if (e.data.rebook === "close") close();
      else if (e.data.rebook === "page") {
        typed = false;
        if (inside && e.source === inside.contentWindow && typeof e.data.at === "number") at = Math.max(0, e.data.at);
      } else if (e.data.rebook === "typed") typed = true;
    });
    // A phone on a site with no viewport meta tag lays the page out 980 px wide and zooms
    // it out: a pop-up in it would be a third of its size. There the booking page opens
    // itself, as the salon's Instagram link does (the back button returns to the site).
    var zoomedOut = function () {
      return !!window.screen && screen.width > 0 && window.innerWidth > screen.width * 1.5;
    };
    button.addEventListener("click", function () {
      if (zoomedOut()) {
        var whole = new URLSearchParams(query);
        whole.delete("embed");
        location.assign(app + "/book/" + encodeURIComponent(d.business) + "?" + whole.toString());
        return;
      }
      if (overlay) return; // one at a time
      at = 0;
      history.pushState(mark(), "");
      opened = history.length - 1; // a new entry drops those ahead of it: it is the last
      overlay = document.createElement("dialog");
      overlay.className = "overlay";
      overlay.setAttribute("aria-label", words[0]);
      // Escape with the focus on the host page's side, and a tap on the backdrop.
      overlay.addEventListener("cancel", function (e) { e.preventDefault(); close(); });
      overlay.addEventListener("click", function (e) { if (e.target === overlay) close(); });
      var shut = document.createElement("button");
      shut.type = "button";
      shut.className = "close";
      shut.textContent = words[1];
      shut.addEventListener("click", close);
      var f = frame();
      var bar = document.createElement("div");
      bar.className = "bar";
      bar.appendChild(shut);
      overlay.appendChild(bar);
      overlay.appendChild(f);
      root.appendChild(overlay);
      if (typeof overlay.showModal === "function") overlay.showModal();
      else overlay.setAttribute("open", ""); // no top layer: at least on top of the page's own
      // The booking scrolls, not the host page behind it (it ran 2 000 px down meanwhile).
      scrolled = document.documentElement.style.overflow;
      document.documentElement.style.overflow = "hidden";
      f.focus();
    });
  }
  script.parentNode.insertBefore(host, script.nextSibling);
})();
