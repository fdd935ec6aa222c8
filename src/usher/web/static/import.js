// Import page: follow a running import's progress, then show its result.
(function () {
  "use strict";
  var box = document.querySelector("[data-import-progress]");
  if (!box) return;
  var bar = box.querySelector("[data-progress-bar]");
  var text = box.querySelector("[data-progress-text]");
  var url = box.getAttribute("data-status-url");
  var fmt = new Intl.NumberFormat();

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) { window.setTimeout(poll, 2000); return; }
        if (body.status !== "queued" && body.status !== "running") {
          window.location.reload();
          return;
        }
        var p = body.progress;
        if (p.rows_total) {
          bar.max = p.rows_total;
          bar.value = p.rows_done;
          text.textContent = fmt.format(p.rows_done) + " of " + fmt.format(p.rows_total) +
            " rows" + (p.phase === "writing" ? "; writing" : "");
        }
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 500);
})();
