// Refresh the simulated handset's screen every second, so a text-back shows up as it arrives.
(function () {
  var handset = document.querySelector(".handset[data-refresh]");
  if (!handset) return;
  var live = document.getElementById("handset-live");
  function refresh() {
    fetch(handset.getAttribute("data-refresh"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null && html !== live.innerHTML) {
          live.innerHTML = html;
          var screen = document.getElementById("screen");
          if (screen) screen.scrollTop = screen.scrollHeight;
        }
      })
      .catch(function () {});
  }
  setInterval(refresh, 1000);
})();
