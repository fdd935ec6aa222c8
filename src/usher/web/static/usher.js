// Usher pages: times in the viewer's own time zone, the header's menu, and password hints.
// Loaded with `defer` from /static (the Content-Security-Policy allows no inline script).
// Every page works without it; this only adds comfort.
(function () {
  "use strict";

  // Styles may tell a page with the script from one without (menus that need it, say).
  document.documentElement.classList.add("js");

  // <time datetime="ISO"> is rendered in UTC by the server; show it in local time.
  // data-format="date" shows the day alone. Runs again on parts of a page swapped in later.
  // data-format="relative" says how long ago ("3 hours ago"), the exact time as its tooltip.
  var formats = {
    datetime: new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }),
    date: new Intl.DateTimeFormat(undefined, { dateStyle: "medium" })
  };
  var relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  var UNITS = [[60, "second", 1], [3600, "minute", 60], [86400, "hour", 3600], [2592000, "day", 86400]];

  function ago(date) {
    var seconds = (date.getTime() - Date.now()) / 1000;
    if (Math.abs(seconds) < 45) return "just now";
    for (var i = 1; i < UNITS.length; i++) {
      if (Math.abs(seconds) < UNITS[i][0]) {
        return relativeFormat.format(Math.round(seconds / UNITS[i][2]), UNITS[i][1]);
      }
    }
    return formats.date.format(date);
  }

  function localTimes(root) {
    (root || document).querySelectorAll("time[datetime]:not([data-local])").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date.getTime())) return;
      if (el.dataset.format === "relative") {
        el.title = formats.datetime.format(date);
        el.textContent = ago(date);
      } else {
        el.title = el.textContent.trim();
        el.textContent = (formats[el.dataset.format] || formats.datetime).format(date);
      }
      el.dataset.local = "";
    });
  }

  // The header's Administrator menu is a <details>: it opens and closes without the script;
  // this closes it with Escape, on a click elsewhere and when focus leaves it.
  function navMenus() {
    document.querySelectorAll("details[data-nav-menu]").forEach(function (menu) {
      var summary = menu.querySelector("summary");
      menu.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && menu.open) {
          menu.open = false;
          summary.focus();
          event.preventDefault();
        }
      });
      menu.addEventListener("focusout", function (event) {
        if (menu.open && event.relatedTarget && !menu.contains(event.relatedTarget)) {
          menu.open = false;
        }
      });
      document.addEventListener("click", function (event) {
        if (menu.open && !menu.contains(event.target)) menu.open = false;
      });
    });
  }

  function length(value) {
    return Array.from(value).length; // code points, as the server counts them
  }

  // The length counter under a new-password field: input[data-min-length][data-hint=id].
  function passwordMeters() {
    document.querySelectorAll("input[data-min-length][data-hint]").forEach(function (input) {
      var meter = document.getElementById(input.dataset.hint);
      var live = document.getElementById(input.dataset.hint + "-live");
      if (!meter) return;
      var fill = meter.querySelector(".meter__fill");
      var text = meter.querySelector(".meter__text");
      var min = parseInt(input.dataset.minLength, 10);
      var lastState = null;
      meter.hidden = false;

      function update() {
        var n = length(input.value);
        var state = n === 0 ? "empty" : n < min ? "short" : n < min + 8 ? "ok" : "long";
        if (state === "empty") {
          text.textContent = "At least " + min + " characters.";
        } else if (state === "short") {
          var left = min - n;
          text.textContent = n + " of " + min + " characters: " + left + " more to go.";
        } else {
          text.textContent = n + " characters: long enough. " +
            (state === "long" ? "Great length." : "Longer is stronger.") +
            " The server also checks it is not common or built from your name.";
        }
        fill.style.width = Math.min(100, (n / (min + 8)) * 100) + "%";
        meter.dataset.state = state;
        // Announce only when the state changes, not on every key.
        if (live && state !== lastState && state !== "empty") {
          live.textContent = state === "short" ? "Password too short." : "Password long enough.";
        }
        lastState = state;
      }
      input.addEventListener("input", update);
      update();
    });
  }

  // input[data-match=id]: say so while the two passwords differ.
  function matchHints() {
    document.querySelectorAll("input[data-match]").forEach(function (input) {
      var other = document.getElementById(input.dataset.match);
      if (!other) return;
      var note = document.createElement("p");
      note.className = "field__hint";
      note.id = input.id + "-match";
      note.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", note);
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);

      function update() {
        if (!input.value) note.textContent = "";
        else if (input.value === other.value) note.textContent = "✓ The passwords match.";
        else note.textContent = "The passwords are not the same yet.";
      }
      input.addEventListener("input", update);
      other.addEventListener("input", update);
    });
  }

  // button[data-reveal="id id"]: show or hide the password fields it names.
  function revealButtons() {
    document.querySelectorAll("button[data-reveal]").forEach(function (button) {
      var inputs = button.dataset.reveal.split(" ").map(function (id) {
        return document.getElementById(id);
      }).filter(Boolean);
      if (button.parentElement) button.parentElement.hidden = false;
      button.addEventListener("click", function () {
        var show = button.getAttribute("aria-pressed") !== "true";
        inputs.forEach(function (input) { input.type = show ? "text" : "password"; });
        button.setAttribute("aria-pressed", String(show));
        button.textContent = show ? "Hide passwords" : "Show passwords";
      });
      // Never submit a password as plain text on the page that follows.
      var form = button.closest("form");
      if (form) {
        form.addEventListener("submit", function () {
          inputs.forEach(function (input) { input.type = "password"; });
        });
      }
    });
  }

  localTimes();
  navMenus();
  passwordMeters();
  matchHints();
  revealButtons();
  window.Usher = { localTimes: localTimes };
})();
