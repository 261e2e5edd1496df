/* The browser's storage of that name if this page may use it, else null: a widget in
 * another site's page may be denied it (third-party storage blocked), where even asking
 * for it throws; then what needs it does nothing, and the rest of this file still runs. */
function usable(name) {
  try {
    var storage = window[name];
    storage.getItem("rebook:probe");
    return storage;
  } catch (e) {
    return null;
  }
}

/* "Remember my details": the details kept for a business on this device (its key), and
 * filling them into a form's empty fields (what she typed stays). */
var REMEMBERED = ["name", "phone", "email"];
function rememberedKey(slug) { return "rebook:" + slug + ":details"; }
function remembered(storage, slug) {
  try { return JSON.parse(storage.getItem(rememberedKey(slug)) || "null"); } catch (e) { return null; }
}
function fillRemembered(form, saved) {
  REMEMBERED.forEach(function (f) {
    var input = form.elements[f];
    if (input && !input.value && saved[f]) input.value = saved[f];
  });
}

/* The waitlist form fills in the details she asked the booking page to remember. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-remembered]");
  var localStorage = usable("localStorage");
  if (!form || !localStorage) return;
  var saved = remembered(localStorage, form.getAttribute("data-remembered"));
  if (saved) fillRemembered(form, saved);
})();

/* A page that answers a form's POST (an error to mend, another language) names its GET
 * address: the history keeps that, so back to it after the booking (or a reload) opens the
 * page again instead of the browser's "Confirm form resubmission", a dead end on a phone. */
(function () {
  "use strict";
  var here = document.querySelector('meta[name="rebook-here"]');
  if (here && window.history && history.replaceState) {
    try { history.replaceState(null, "", here.getAttribute("content")); } catch (e) { /* another origin: leave it */ }
  }
})();

/* Client pages: times are the business's; say so when the visitor's device differs. */
(function () {
  "use strict";
  var note = document.getElementById("tz-note");
  if (!note) return;
  var mine;
  try { mine = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (mine && mine !== note.getAttribute("data-business-tz")) {
    // A name people read ("Eastern Standard Time (New York)"), not the zone's id.
    var label = mine.split("/").pop().replace(/_/g, " ");
    try {
      new Intl.DateTimeFormat(document.documentElement.lang || undefined, { timeZone: mine, timeZoneName: "long" })
        .formatToParts(new Date()).forEach(function (p) {
          if (p.type === "timeZoneName") label = p.value + " (" + label + ")";
        });
    } catch (e) { /* the city alone */ }
    note.querySelector("[data-visitor-tz]").textContent = label;
    note.hidden = false;
  }
})();

/* The time step's strip of days is wider than a phone: the chosen day is scrolled into
 * it. A link to a day lands on its anchor without this; the manage page opened from a
 * message, and the times reached by a button of her form, have none. Only the strip
 * scrolls (its own scrollLeft), never the page. */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("nav.days"), function (strip) {
    // More days to either side fade out at that edge (a client's walk: three days fitted
    // exactly, nothing said the row scrolls, and "later days" skipped the rest).
    var edges = function () {
      strip.toggleAttribute("data-more-right", strip.scrollLeft + strip.clientWidth < strip.scrollWidth - 1);
      strip.toggleAttribute("data-more-left", strip.scrollLeft > 1);
    };
    strip.addEventListener("scroll", edges, { passive: true });
    window.addEventListener("resize", edges);
    setTimeout(edges, 0); // after the chosen day is scrolled into view, below
    var day = strip.querySelector("[aria-current=date]");
    if (!day) return;
    var left = day.offsetLeft - strip.clientLeft, right = left + day.offsetWidth;
    if (left >= strip.scrollLeft && right <= strip.scrollLeft + strip.clientWidth) return;
    strip.scrollLeft = left - (strip.clientWidth - day.offsetWidth) / 2; // centred, as far as it goes
  });
})();

/* Inside the widget's dialog: Escape closes it (the key never reaches the host page), and
 * the widget hears whether this page has her typing in it, so that closing asks first. */
(function () {
  "use strict";
  if (window.parent === window) return;
  // A new page: nothing typed in it yet. `at`: where it stands in the frame's own history
  // (the Navigation API's; without it the widget steps back over none of the frame's pages).
  var entry = window.navigation && window.navigation.currentEntry;
  var at = entry && entry.index >= 0 ? entry.index : 0;
  window.parent.postMessage({ rebook: "page", at: at }, "*");
  var typed = false;
  document.addEventListener("input", function () {
    if (typed) return;
    typed = true;
    window.parent.postMessage({ rebook: "typed" }, "*");
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") window.parent.postMessage({ rebook: "close" }, "*");
  });
})();

/* A form sent once: the button is disabled while the request is on its way, so a double
 * tap sends one booking (the form's idempotency key covers a resend anyway). */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-once]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (e) {
      if (form.getAttribute("data-sending")) { e.preventDefault(); return; }
      form.setAttribute("data-sending", "1");
      var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
      Array.prototype.forEach.call(buttons, function (b) {
        // Disabled after this event, so the button's own name/value is still sent.
        setTimeout(function () { b.disabled = true; b.setAttribute("aria-busy", "true"); }, 0);
      });
    });
  });
  // Back from the next page (bfcache): the form may be used again.
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(forms, function (form) {
      form.removeAttribute("data-sending");
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) {
        b.disabled = false;
        b.removeAttribute("aria-busy");
      });
    });
  });
})();

/* "Remember my details on this device": kept in this browser's localStorage only when she
 * ticks the box (and sends the form), filled in next time, forgotten (and emptied from
 * the form) with one button. */
(function () {
  "use strict";
  var box = document.getElementById("remember");
  var localStorage = usable("localStorage");
  if (!box || !localStorage) return; // the box stays hidden: nothing could be kept
  box.parentNode.hidden = false;
  var slug = box.getAttribute("data-remember"), key = rememberedKey(slug);
  var form = box.form, fields = REMEMBERED;
  var saved = remembered(localStorage, slug);
  var forgetRow = document.getElementById("forget-row");
  if (saved) {
    fillRemembered(form, saved);
    box.checked = true;
    forgetRow.hidden = false;
  }
  document.getElementById("forget").addEventListener("click", function () {
    localStorage.removeItem(key);
    // Off this form too: the next person at this device does not book in her name.
    fields.forEach(function (f) { if (form.elements[f]) form.elements[f].value = ""; });
    box.checked = false;
    forgetRow.hidden = true;
    document.getElementById("forgotten").textContent = document.getElementById("forgotten").getAttribute("data-text");
  });
  form.addEventListener("submit", function () {
    if (!box.checked) { localStorage.removeItem(key); return; }
    var details = {};
    fields.forEach(function (f) { if (form.elements[f]) details[f] = form.elements[f].value.trim(); });
    localStorage.setItem(key, JSON.stringify(details));
  });
})();

/* What this device just did, noted in this tab's sessionStorage (never a secret: an
 * address and when or what), so a page opened again (back, a reload while a form was being
 * sent) says so and links it, instead of offering to do it twice. The page that did it has
 * `markId` (`note(kept, mark)` gives what is kept then); the page that asks has `hereId`
 * (`find(kept, here)` gives the link, or nothing). True when `here` was shown. */
function deviceNote(kind, markId, hereId, note, find) {
  "use strict";
  var store = usable("sessionStorage");
  if (!store) return false;
  var mark = document.getElementById(markId), here = document.getElementById(hereId);
  var key = function (el) { return "rebook:" + el.getAttribute("data-slug") + ":" + kind; };
  var read = function (el) {
    try { return JSON.parse(store.getItem(key(el)) || "null"); } catch (e) { return null; }
  };
  if (mark) store.setItem(key(mark), JSON.stringify(note(read(mark), mark)));
  var href = here ? find(read(here), here) : null;
  if (!href) return false;
  here.querySelector("a").href = href;
  here.hidden = false;
  // Back restores where she had scrolled (the times, the form below): the note is what
  // she needs to see, so it is brought into view, after the browser's own restoring too.
  var show = function () { here.scrollIntoView({ block: "center" }); };
  show();
  window.addEventListener("load", function () { setTimeout(show, 0); });
  return true;
}

/* A booking this device just made (its confirmation page notes its time and address): the
 * booking page, opened again on that time, says she booked it and links her booking,
 * instead of only "the time in the link cannot be booked". One held while she pays (its
 * pay page notes until when) is said held, not booked, and leads back to paying (a
 * client's walk: back from the pay page, "you just booked this time" of a booking never
 * paid); once its hold has run out the time is free again, and nothing is said. */
(function () {
  "use strict";
  var when = function (el) { return Date.parse(el.getAttribute("data-start")); };
  var shown = deviceNote("booked", "booked-mark", "booked-here", function (kept, mark) {
    var at = when(mark), made = { at: at, href: location.href };
    if (mark.getAttribute("data-held-until")) {
      made.held = mark.getAttribute("data-held-until");
      made.heldTime = mark.getAttribute("data-held-time");
    }
    return (kept || []).filter(function (b) { return b.at !== at; }).slice(-4).concat([made]);
  }, function (kept, here) {
    var mine = (kept || []).filter(function (b) { return b.at === when(here); })[0];
    if (!mine) return null;
    if (mine.held) {
      if (Date.parse(mine.held) <= Date.now()) return null;
      here.querySelector("span").textContent = here.getAttribute("data-held").replace("{time}", mine.heldTime);
      here.querySelector("a").textContent = here.getAttribute("data-held-link");
    }
    return mine.href;
  });
  // Her own booking took the time: not "the time cannot be booked" beside it.
  var lost = document.getElementById("form-error");
  if (shown && lost && lost.getAttribute("data-lost") !== null) lost.hidden = true;
})();

/* An entry this device put on a waitlist (its page notes the service and its address; gone
 * once she leaves the list): the waitlist form of that service, opened again (back after
 * joining), says so and links her entry, instead of an empty form to join twice. */
deviceNote("waitlisted", "waitlist-mark", "waitlisted-here", function (kept, mark) {
  "use strict";
  var entries = kept || {}, service = mark.getAttribute("data-service");
  if (mark.getAttribute("data-open") === "1") entries[service] = location.href; else delete entries[service];
  return entries;
}, function (kept, here) {
  "use strict";
  return (kept || {})[here.getAttribute("data-service")];
});

/* The stamp card's referral link: copied with one tap (and handed to the phone's own
 * share sheet where it has one), instead of a long press on a read-only field. Without
 * script the field stays, to select by hand. */
(function () {
  "use strict";
  var box = document.getElementById("referral-link"), done = document.getElementById("referral-copied");
  if (!box || !done) return;
  var copy = document.getElementById("referral-copy"), share = document.getElementById("referral-share");
  // Said at the button itself (the line under it may be below a phone's screen), and to a
  // screen reader by the status line.
  var label = copy.textContent;
  var said = function () {
    done.textContent = done.getAttribute("data-text");
    copy.textContent = copy.getAttribute("data-done");
    setTimeout(function () { copy.textContent = label; }, 4000);
  };
  var byHand = function () { // an older browser, or the clipboard refused: select and copy
    box.focus();
    box.select();
    try { if (document.execCommand("copy")) said(); } catch (e) { /* selected: she copies it */ }
  };
  copy.hidden = false;
  copy.addEventListener("click", function () {
    done.textContent = "";
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(box.value).then(said, byHand);
    else byHand();
  });
  if (navigator.share) {
    share.hidden = false;
    share.addEventListener("click", function () {
      navigator.share({ title: share.getAttribute("data-title"), url: box.value }).catch(function () { /* closed */ });
    });
  }
})();
