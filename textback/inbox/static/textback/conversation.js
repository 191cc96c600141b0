// The conversation page: the reply box's live counter, canned replies, the 2-second refresh of the
// timeline (304 when nothing changed), earlier entries put above in place, and the presence heartbeat
// ("Mary is typing…").
(function () {
  "use strict";
  var MAX = 1600;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- the counter -------------------------------------------------------------------------------
  function describe(ch) {
    var code = ch.codePointAt(0);
    if (/\s/.test(ch) || code < 0x20 || (code >= 0x7f && code < 0xa0)) {
      return "U+" + code.toString(16).toUpperCase().padStart(4, "0");
    }
    return "\u201c" + ch + "\u201d";
  }

  function updateCounter(textarea, counter) {
    var gsm = window.textbackGsm7;
    var typed = textarea.value;
    var length = Array.from(typed.trim()).length;
    var shape = gsm.shapeOfReply(typed);
    var parts = [length + " character" + (length === 1 ? "" : "s")];
    if (shape.encoding === "UCS-2") {
      parts.push("UCS-2 because of " + describe(shape.nonGsm[0]));
    } else {
      parts.push("GSM-7");
    }
    parts.push(shape.segments + " segment" + (shape.segments === 1 ? "" : "s"));
    var over = length > MAX;
    counter.textContent = parts.join(" \u00b7 ") + (over ? " \u2014 " + (length - MAX) + " too many; a text can be at most " + MAX : "");
    counter.classList.toggle("over", over);
    counter.classList.toggle("ucs2", shape.encoding === "UCS-2");
    counter.dataset.chars = String(length);
    counter.dataset.encoding = shape.encoding;
    counter.dataset.units = String(shape.units);
    counter.dataset.segments = String(shape.segments);
    counter.dataset.first = shape.nonGsm.length ? shape.nonGsm[0] : "";
  }

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart || 0, end = textarea.selectionEnd || 0;
    var before = textarea.value.slice(0, start), after = textarea.value.slice(end);
    var gap = before && !/\s$/.test(before) ? " " : "";
    textarea.value = before + gap + text + after;
    var caret = (before + gap + text).length;
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

  // --- presence ----------------------------------------------------------------------------------
  var lastTyped = 0, lastBeat = 0;

  function beat(url, extra) {
    var body = new URLSearchParams();
    body.set("typing", Date.now() - lastTyped < 4000 ? "1" : "0");
    Object.keys(extra || {}).forEach(function (k) { body.set(k, extra[k]); });
    lastBeat = Date.now();
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": csrfToken() },
    }).catch(function () {});
  }

  // --- the live part -----------------------------------------------------------------------------
  // The timeline scrolls in its own box on a wide screen, with the page on a phone.
  function scroller(box) {
    if (box && window.getComputedStyle(box).overflowY !== "visible" && box.scrollHeight > box.clientHeight) return box;
    return null;
  }

  function setUpLive(live) {
    var box = function () { return live.querySelector("#timeline-box"); };
    var openHistories = [], scroll = null;

    function scrollToLatest() {
      var inner = scroller(box());
      if (inner) inner.scrollTop = inner.scrollHeight;
    }
    scrollToLatest();

    document.body.addEventListener("htmx:configRequest", function (event) {
      if (event.detail.elt !== live) return;
      if (document.hidden) { event.preventDefault(); return; }  // a background tab costs nothing
      event.detail.headers["If-None-Match"] = live.dataset.etag || "";
    });
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail.elt !== live) return;
      var xhr = event.detail.xhr;
      if (xhr.status === 304 || xhr.status >= 400) { event.detail.shouldSwap = false; return; }
      var etag = xhr.getResponseHeader("ETag");
      if (etag) live.dataset.etag = etag;
      openHistories = Array.from(live.querySelectorAll("details[open]")).map(function (d) { return d.id; });
      var inner = box();
      scroll = inner ? { top: inner.scrollTop, atEnd: inner.scrollTop + inner.clientHeight >= inner.scrollHeight - 8 } : null;
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.elt !== live) return;
      openHistories.forEach(function (id) { var d = document.getElementById(id); if (d) d.open = true; });
      var inner = box();
      if (inner && scroll) inner.scrollTop = scroll.atEnd ? inner.scrollHeight : scroll.top;
    });
  }

  // --- earlier entries ---------------------------------------------------------------------------
  // "Earlier entries" swaps itself for the page before (and a new control): what was on screen stays
  // where it was, and the new control takes the focus, so Enter loads more.
  function setUpEarlier() {
    var held = null;
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var control = event.detail.elt.closest && event.detail.elt.closest(".earlier-control");
      if (!control) return;
      if (event.detail.xhr.status === 400) { event.detail.shouldSwap = true; event.detail.isError = false; }
      if (!event.detail.shouldSwap) return;  // a failed request: the control stays, to be tried again
      var ref = control.nextElementSibling || document.getElementById("timeline");
      held = ref ? { ref: ref, top: ref.getBoundingClientRect().top } : null;
    });
    document.body.addEventListener("htmx:afterSwap", function () {
      if (!held) return;
      var moved = held.ref.getBoundingClientRect().top - held.top;
      var inner = scroller(document.getElementById("timeline-box"));
      if (inner) inner.scrollTop += moved; else window.scrollBy(0, moved);
      held = null;
      var next = document.querySelector(".earlier-link");
      if (next) next.focus({ preventScroll: true });
    });
  }

  function start() {
    var convo = document.getElementById("convo");
    if (!convo) return;
    var live = document.getElementById("live");
    if (live) setUpLive(live);
    setUpEarlier();

    var textarea = document.getElementById("reply-body");
    var counter = document.getElementById("reply-counter");
    if (textarea && counter) {
      updateCounter(textarea, counter);
      textarea.addEventListener("input", function () {
        updateCounter(textarea, counter);
        var first = Date.now() - lastTyped > 4000;
        lastTyped = Date.now();
        if (first && Date.now() - lastBeat > 1000) beat(convo.dataset.presence);
      });
    }

    var form = document.getElementById("reply-form");
    if (form) {
      form.addEventListener("submit", function () {
        var button = document.getElementById("send");
        window.setTimeout(function () { button.disabled = true; button.textContent = "Sending\u2026"; }, 0);
      });
    }

    var canned = document.getElementById("canned-form");
    if (canned && textarea) {
      canned.addEventListener("submit", function (event) {
        var option = canned.querySelector("select").selectedOptions[0];
        if (!option) return;
        event.preventDefault();
        insertAtCursor(textarea, option.dataset.text || "");
      });
    }

    var every = parseInt(convo.dataset.heartbeat || "5", 10) * 1000;
    window.setInterval(function () { if (!document.hidden) beat(convo.dataset.presence); }, every);
    window.addEventListener("pagehide", function () {
      var data = new FormData();
      data.set("left", "1");
      data.set("csrfmiddlewaretoken", csrfToken());
      if (navigator.sendBeacon) navigator.sendBeacon(convo.dataset.presence, data);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
