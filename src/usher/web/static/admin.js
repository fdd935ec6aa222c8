// Administrator pages (organization units, audit log, settings): the viewer's time zone for
// the audit log's time filters, confirmations, and the move form's picker. Loaded with `defer`
// by those pages only; each works without it.
(function () {
  "use strict";

  // input[data-time-zone]: the browser's zone, so the server reads "From"/"To" as typed here.
  function timeZone() {
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return;
    }
    document.querySelectorAll("input[data-time-zone]").forEach(function (input) {
      if (zone) input.value = zone;
    });
  }

  // form[data-confirm="question"]: ask before it is sent.
  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  // The move form: a unit cannot go under itself or its own sub-units, so those places are
  // greyed out once it is chosen (option[data-path] lists each place and its ancestors).
  function moveForms() {
    document.querySelectorAll("form[data-move-form]").forEach(function (form) {
      var unit = form.querySelector("select[name=unit_id]");
      var place = form.querySelector("select[name=parent_id]");
      if (!unit || !place) return;

      function update() {
        var chosen = unit.value;
        Array.prototype.forEach.call(place.options, function (option) {
          var path = (option.getAttribute("data-path") || "").split(" ");
          option.disabled = Boolean(chosen) && path.indexOf(chosen) !== -1;
        });
        var selected = place.options[place.selectedIndex];
        if (selected && selected.disabled) place.value = "";
      }
      unit.addEventListener("change", update);
      update();

      // "Move…" on a unit lands here with that unit chosen: go straight to where it goes.
      if (window.location.hash === "#move-title" && unit.value && !form.querySelector("[autofocus]")) {
        place.focus();
      }
    });
  }

  timeZone();
  confirmations();
  moveForms();
})();
