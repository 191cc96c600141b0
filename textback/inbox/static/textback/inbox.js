// The inbox list: its live poller's ETag, the ticking SLA clocks, the unread count in the tab title,
// and browser notifications when a caller writes. The server renders everything; this only keeps it fresh.
(function () {
  "use strict";
  var etag = null;
  var clockOffset = 0; // server time minus this browser's time, in ms
  var seen = {}; // conversation id -> the caller's last message time already known (ms)
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

  function notify(row) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    var caller = row.querySelector(".caller");
    var preview = row.querySelector(".preview");
    var link = row.querySelector("a");
    var note = new Notification("New text from " + (caller ? caller.textContent : "a caller"), {
      body: preview ? preview.textContent.trim().slice(0, 140) : "",
      tag: "textback-conversation-" + row.dataset.id,
    });
    note.onclick = function () { window.focus(); if (link) window.location.href = link.href; note.close(); };
  }

  // Notify about rows whose caller wrote since we last looked (never on the first look).
  function watch(box, first) {
    box.querySelectorAll("li.convo[data-inbound]").forEach(function (row) {
      var at = parseInt(row.dataset.inbound, 10);
      var before = seen[row.dataset.id];
      if (!first && (before === undefined || at > before) && row.dataset.alert && row.classList.contains("unread")) {
        notify(row);
      }
      if (before === undefined || at > before) seen[row.dataset.id] = at;
    });
  }

  function arrived(box, first) {
    etag = box.dataset.etag || null;
    clockOffset = parseInt(box.dataset.now, 10) - Date.now();
    showTitle(box);
    watch(box, first);
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
    if (box && (event.detail.elt === box || event.detail.target.id === "inbox-live")) arrived(box, false);
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
    if (box) arrived(box, true);
    setUpAlertsButton();
    setInterval(tick, 1000);
  });
})();
