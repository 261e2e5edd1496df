/* Client pages: times are the business's; say so when the visitor's device differs. */
(function () {
  "use strict";
  var note = document.getElementById("tz-note");
  if (!note) return;
  var mine;
  try { mine = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (mine && mine !== note.getAttribute("data-business-tz")) {
    note.querySelector("[data-visitor-tz]").textContent = mine;
    note.hidden = false;
  }
})();

/* Inside the widget's dialog: Escape closes it (the key never reaches the host page). */
(function () {
  "use strict";
  if (window.parent === window) return;
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") window.parent.postMessage({ rebook: "close" }, "*");
  });
})();
