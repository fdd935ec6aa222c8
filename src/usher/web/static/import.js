// Import page: follow a running import's progress, then reload to show where it ended.
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
      .then(function (r) {
        // Signed out, refused or gone: the page itself says why.
        if (r.status === 401 || r.status === 403 || r.status === 404) {
          window.location.reload();
          return undefined;
        }
        return r.ok ? r.json() : null;
      })
      .then(function (body) {
        if (body === undefined) return;
        if (!body) { window.setTimeout(poll, 2000); return; }
        if (body.status !== "queued" && body.status !== "running") {
          window.location.reload();
          return;
        }
        var p = body.progress || {};
        if (p.rows_total) {
          bar.max = p.rows_total;
          bar.value = p.rows_done;
          var said = fmt.format(p.rows_done) + " of " + fmt.format(p.rows_total) +
            " rows" + (p.phase === "writing" ? "; writing" : "");
          if (text.textContent !== said) text.textContent = said;
        }
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 500);
})();
