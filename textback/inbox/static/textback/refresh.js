// Re-fetch the page every few seconds and swap <main>, so new calls and statuses appear
// without a reload; pauses while the user is typing in a form.
(function () {
  var script = document.currentScript;
  var every = parseInt(script.getAttribute("data-every") || "3000", 10);
  function busy() {
    var el = document.activeElement;
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");
  }
  function refresh() {
    if (busy() || document.hidden) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "refresh" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var next = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        var main = document.querySelector("main");
        if (next && main && next.innerHTML !== main.innerHTML) main.innerHTML = next.innerHTML;
      })
      .catch(function () {});
  }
  setInterval(refresh, every);
})();
