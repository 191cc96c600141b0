// The inbox list: its live poller's ETag, the ticking SLA clocks, the unread count in the tab title,
// and the button that turns on browser notifications (notify.js shows them). The server renders
// everything; this only keeps it fresh.
(function () {
  "use strict";
  var etag = null;
  var clockOffset = 0; // server time minus this browser's time, in ms
  var baseTitle = document.title.replace(/^\(\d+\+?\) /, "");

  function live() { return document.getElementById("inbox-live"); }

  function describeWait(ms) {
    var minutes = Math.max(Math.floor(ms / 60000), 0);
    if (minutes < 60) return minutes + "m";
    if (minutes < 1440) return Math.floor(minutes / 60) + "h " + String(minutes % 60).padStart(2, "0") + "m";
    return Math.floor(minutes / 1440) + "d " + (Math.floor(minutes / 60) % 24) + "h";
  }

  function tick() {
    var box = live();
    if (!box) return;
    var amber = parseInt(box.dataset.amber, 10) * 60000;
    var red = parseInt(box.dataset.red, 10) * 60000;
    var now = Date.now() + clockOffset;
    box.querySelectorAll(".sla[data-since]").forEach(function (clock) {
      var waited = now - parseInt(clock.dataset.since, 10);
      clock.textContent = describeWait(waited);
      clock.classList.toggle("red", waited >= red);
      clock.classList.toggle("amber", waited >= amber && waited < red);
      clock.classList.toggle("ok", waited < amber);
    });
  }

  function showTitle(box) {
    var unread = parseInt(box.dataset.unread || "0", 10);
    var cap = parseInt(box.dataset.unreadCap || "99", 10);
    document.title = unread > 0 ? "(" + (unread > cap ? cap + "+" : unread) + ") " + baseTitle : baseTitle;
  }

  function arrived(box) {
    etag = box.dataset.etag || null;
    clockOffset = parseInt(box.dataset.now, 10) - Date.now();
    showTitle(box);
    window.TextbackNotify.look(box); // notify.js: a desktop notification for each caller who just wrote
    tick();
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id === "inbox-live" && etag) event.detail.headers["If-None-Match"] = etag;
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.elt.id !== "inbox-live") return;
    var xhr = event.detail.xhr;
    if (xhr.status === 304) { event.detail.shouldSwap = false; return; }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var box = live();
    if (box && (event.detail.elt === box || event.detail.target.id === "inbox-live")) arrived(box);
  });

  function setUpAlertsButton() {
    var button = document.getElementById("alerts-button");
    var note = document.getElementById("alerts-note");
    if (!button || !("Notification" in window)) return;
    function show() {
      button.hidden = Notification.permission !== "default";
      if (note) {
        note.hidden = Notification.permission === "default";
        note.textContent = Notification.permission === "granted"
          ? "Desktop alerts on while this tab is open"
          : "Desktop alerts are blocked in this browser's site settings";
      }
    }
    button.addEventListener("click", function () {
      Notification.requestPermission().then(show, show);
    });
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = live();
    if (box) arrived(box);
    setUpAlertsButton();
    setInterval(tick, 1000);
  });
})();
