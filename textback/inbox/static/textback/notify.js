// Desktop notifications when a caller writes, on every page of a business. The inbox list hands each
// list it shows to TextbackNotify.look(); any other page polls the inbox's live endpoint itself (every
// 5 s, and only while this browser allows notifications), answered 304 while nothing changed.
(function () {
  "use strict";
  var seen = {}; // conversation id -> the caller's last message time already known (ms)
  var since = null; // callers who wrote before the page was made were never news here (server ms)
  var skip = null; // the conversation open on this page: its own timeline shows the text

  function allowed() { return "Notification" in window && Notification.permission === "granted"; }

  function show(row) {
    var caller = row.querySelector(".caller");
    var preview = row.querySelector(".preview");
    var link = row.querySelector("a");
    var note = new Notification("New text from " + (caller ? caller.textContent : "a caller"), {
      body: preview ? preview.textContent.trim().slice(0, 140) : "",
      tag: "textback-conversation-" + row.dataset.id,
    });
    note.onclick = function () { window.focus(); if (link) window.location.href = link.href; note.close(); };
  }

  // Announce the rows whose caller wrote since this page last knew of them, and that the server marked
  // as this person's to hear about (data-alert: their line or assignment, outside their quiet time).
  function look(box) {
    if (since === null) since = parseInt(box.dataset.now, 10);
    box.querySelectorAll("li.convo[data-inbound]").forEach(function (row) {
      var at = parseInt(row.dataset.inbound, 10);
      var before = seen[row.dataset.id];
      var news = before === undefined ? at > since : at > before;
      if (news && row.dataset.alert && row.classList.contains("unread") && row.dataset.id !== skip && allowed()) {
        show(row);
      }
      if (before === undefined || at > before) seen[row.dataset.id] = at;
    });
  }

  function watch(el) {
    var etag = el.dataset.etag;
    since = parseInt(el.dataset.now, 10);
    skip = el.dataset.conversation || null;
    setInterval(function () {
      if (!allowed()) return;
      fetch(el.dataset.url, { headers: { "If-None-Match": etag }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status !== 200) return null;
          etag = response.headers.get("ETag") || etag;
          return response.text();
        })
        .then(function (html) {
          if (!html) return;
          var box = new DOMParser().parseFromString(html, "text/html").getElementById("inbox-live");
          if (box) look(box);
        })
        .catch(function () {}); // offline for a moment: the next poll tries again
    }, parseInt(el.dataset.every, 10) * 1000);
  }

  window.TextbackNotify = { look: look };
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("notify-watch");
    if (el) watch(el);
  });
})();
