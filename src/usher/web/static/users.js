// User Management: the search that updates the list as you type, the Action (⋮) menus, and
// the dialogs (Add new user, delete confirmation, action results). Loaded with `defer` after
// usher.js. Every part has a plain-page equivalent, so all of it works without this script;
// the server renders every piece of HTML this script puts on the page.
(function () {
  "use strict";

  var FRAGMENT = "X-Usher-Fragment";
  var LIST = "/admin/users";

  function localTimes(root) {
    if (window.Usher) window.Usher.localTimes(root);
  }

  // --- fetching server-rendered parts ---------------------------------------------------------

  // Resolves with the HTML of a fragment. Anything else (the sign-in page after a session
  // ended, an error page) is shown by going there as a whole page.
  function fetchPart(url, options, fallback) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = { "X-Usher-Fragment": "1" };
    return fetch(url, options).then(function (res) {
      if (res.headers.get(FRAGMENT) === "1") return res.text();
      window.location.assign(res.redirected ? res.url : fallback || url);
      return new Promise(function () {}); // never settles: the page is going away
    });
  }

  // --- dialogs --------------------------------------------------------------------------------

  // Links that open a dialog here (and a page without the script) act as buttons: so named
  // to assistive technology, and Space works on them as on any button.
  function buttonLinks(root) {
    root.querySelectorAll("a[data-open-dialog], a[data-confirm-delete]:not([role])").forEach(
      function (link) {
        link.setAttribute("role", "button");
        link.setAttribute("aria-haspopup", "dialog");
      }
    );
  }
  buttonLinks(document);
  document.addEventListener("keydown", function (event) {
    var link = event.key === " " && event.target.closest &&
      event.target.closest("a[role='button']");
    if (!link) return;
    event.preventDefault();
    link.click();
  });

  // The first field with something wrong, else the first field.
  function firstField(root) {
    return root.querySelector("[aria-invalid='true']") ||
      root.querySelector("input:not([type='hidden']):not([disabled]), select, textarea");
  }

  function openDialog(dialog, opener, focusTarget) {
    dialog.opener = opener || document.activeElement;
    if (!dialog.open) dialog.showModal();
    var target = focusTarget || firstField(dialog) || dialog.querySelector("button");
    if (target) target.focus();
  }

  function onClosed(dialog, callback) {
    dialog.addEventListener("close", callback);
  }

  document.querySelectorAll("dialog").forEach(function (dialog) {
    onClosed(dialog, function () {
      // Focus goes back where it came from; if that left the page, to the main heading.
      var back = dialog.opener;
      if (!back || !document.contains(back) || back.closest("[role='menu']")) {
        back = dialog.menuButton && document.contains(dialog.menuButton)
          ? dialog.menuButton
          : document.querySelector("[data-open-dialog]") || document.getElementById("main");
      }
      dialog.menuButton = null;
      if (back) back.focus();
    });
    // A click on the backdrop closes the small dialogs; the Add new user dialog stays, so a
    // stray click never hides what was typed (which is kept anyway, until the next open).
    if (!dialog.hasAttribute("data-add-user-dialog")) {
      dialog.addEventListener("click", function (event) {
        if (event.target === dialog) dialog.close();
      });
    }
  });

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    if (!closer) return;
    var dialog = closer.closest("dialog");
    if (dialog && dialog.open) {
      event.preventDefault();
      dialog.close();
    }
  });

  // --- live search ----------------------------------------------------------------------------

  var search = document.querySelector("[data-user-search]");
  var region = document.getElementById("users-results");
  var announce = document.getElementById("users-announce");
  var refreshList = function () {
    window.location.reload();
  };

  if (search && region) {
    var timer = null;
    var controller = null;
    var sequence = 0;

    var query = function () {
      var params = new URLSearchParams();
      new FormData(search).forEach(function (value, key) {
        if (value) params.append(key, value);
      });
      var text = params.toString();
      return text ? "?" + text : "";
    };

    var load = function () {
      var qs = query();
      var mine = ++sequence;
      if (controller) controller.abort();
      controller = new AbortController();
      region.setAttribute("aria-busy", "true");
      fetchPart(LIST + "/table" + qs, { signal: controller.signal }, LIST + qs)
        .then(function (html) {
          if (mine !== sequence) return;
          region.innerHTML = html;
          region.removeAttribute("aria-busy");
          localTimes(region);
          buttonLinks(region);
          // The address keeps the search, so a reload or a shared link shows this list.
          window.history.replaceState(null, "", LIST + qs);
          var results = region.querySelector("[data-results]");
          if (announce && results) announce.textContent = results.dataset.count;
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          region.removeAttribute("aria-busy");
        });
    };

    var schedule = function (delay) {
      window.clearTimeout(timer);
      timer = window.setTimeout(load, delay);
    };
    refreshList = function () {
      schedule(0);
    };

    search.addEventListener("input", function (event) {
      if (event.target.name === "q") schedule(250);
    });
    search.addEventListener("change", function (event) {
      if (event.target.name === "status") schedule(0);
    });
    search.addEventListener("submit", function (event) {
      event.preventDefault();
      schedule(0);
    });
    region.addEventListener("click", function (event) {
      var clear = event.target.closest("[data-clear-search]");
      if (!clear) return;
      event.preventDefault();
      search.elements.q.value = "";
      search.elements.status.value = "";
      schedule(0);
      search.elements.q.focus();
    });
  }

  // --- the Action (⋮) menus -------------------------------------------------------------------

  var open = null; // { menu, button }

  function menuItems(menu) {
    return Array.prototype.slice.call(menu.querySelectorAll("[role='menuitem']"));
  }

  function placeMenu(menu, button) {
    // Fixed to the viewport, so no scrolling table can clip it; below the button, or above
    // when there is no room below.
    var rect = button.getBoundingClientRect();
    var width = menu.offsetWidth;
    var height = menu.offsetHeight;
    var left = Math.max(8, Math.min(rect.right - width, window.innerWidth - width - 8));
    var top = rect.bottom + 4;
    if (top + height > window.innerHeight - 8) top = Math.max(8, rect.top - height - 4);
    menu.style.left = left + "px";
    menu.style.top = top + "px";
  }

  function closeMenu(returnFocus) {
    if (!open) return;
    var current = open;
    open = null;
    current.menu.hidden = true;
    current.button.setAttribute("aria-expanded", "false");
    if (returnFocus) current.button.focus();
  }

  function openMenu(button, focusLast) {
    closeMenu(false);
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) return;
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    placeMenu(menu, button);
    open = { menu: menu, button: button };
    var items = menuItems(menu);
    if (items.length) items[focusLast ? items.length - 1 : 0].focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-menu-button]");
    if (button) {
      if (open && open.button === button) closeMenu(true);
      else openMenu(button, false);
      return;
    }
    if (open && !open.menu.contains(event.target)) closeMenu(false);
  });

  document.addEventListener("keydown", function (event) {
    var button = event.target.closest && event.target.closest("[data-menu-button]");
    if (button && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      openMenu(button, event.key === "ArrowUp");
      return;
    }
    if (!open || !open.menu.contains(event.target)) return;
    var items = menuItems(open.menu);
    var index = items.indexOf(document.activeElement);
    var next = null;
    if (event.key === "ArrowDown") next = items[(index + 1) % items.length];
    else if (event.key === "ArrowUp") next = items[(index - 1 + items.length) % items.length];
    else if (event.key === "Home") next = items[0];
    else if (event.key === "End") next = items[items.length - 1];
    else if (event.key === "Escape") {
      event.preventDefault();
      closeMenu(true);
      return;
    } else if (event.key === "Tab") {
      closeMenu(false);
      return;
    } else if (event.key === " " && document.activeElement.tagName === "A") {
      // Space activates a menu item, links included.
      event.preventDefault();
      document.activeElement.click();
      return;
    } else if (event.key.length === 1 && /\S/.test(event.key)) {
      // Type a letter to go to the next item that starts with it.
      var letter = event.key.toLowerCase();
      var order = items.slice(index + 1).concat(items.slice(0, index + 1));
      next = order.find(function (item) {
        return item.textContent.trim().toLowerCase().indexOf(letter) === 0;
      }) || null;
    }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  window.addEventListener("resize", function () { closeMenu(false); });
  // The menu follows its button when the page scrolls, and closes once the button is gone.
  window.addEventListener("scroll", function () {
    if (!open) return;
    var rect = open.button.getBoundingClientRect();
    if (rect.bottom < 0 || rect.top > window.innerHeight) closeMenu(false);
    else placeMenu(open.menu, open.button);
  }, true);

  // --- delete, with a confirmation that names the user ---------------------------------------

  var deleteDialog = document.getElementById("delete-dialog");
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-confirm-delete]");
    if (!link || !deleteDialog) return;
    event.preventDefault();
    var menuButton = open ? open.button : null;
    closeMenu(false);
    var form = deleteDialog.querySelector("form");
    form.action = link.dataset.action;
    form.elements.next.value = window.location.pathname + window.location.search;
    deleteDialog.querySelectorAll("[data-fill]").forEach(function (el) {
      el.textContent = link.dataset[el.dataset.fill] || "";
    });
    deleteDialog.menuButton = menuButton;
    openDialog(deleteDialog, link, deleteDialog.querySelector("[data-close-dialog]"));
  });

  // --- resend invitation / new shareable link: the answer in a dialog ------------------------

  var resultDialog = document.getElementById("result-dialog");
  var resultChanged = false;
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-result-dialog]");
    if (!button || !resultDialog || !button.form) return;
    event.preventDefault();
    var menuButton = open ? open.button : null;
    closeMenu(false);
    button.disabled = true;
    fetchPart(button.formAction, { method: "POST", body: new FormData(button.form) })
      .then(function (html) {
        var body = resultDialog.querySelector("[data-dialog-body]");
        body.innerHTML = html;
        localTimes(body);
        resultChanged = true;
        resultDialog.menuButton = menuButton;
        openDialog(resultDialog, button, body.querySelector("#result-title"));
      })
      .finally(function () {
        button.disabled = false;
      });
  });
  if (resultDialog) {
    onClosed(resultDialog, function () {
      if (resultChanged) refreshList();
      resultChanged = false;
    });
  }

  // --- Add new user ---------------------------------------------------------------------------

  var addDialog = document.querySelector("[data-add-user-dialog]");
  var addChanged = false;

  function addBody() {
    return addDialog.querySelector("[data-dialog-body]");
  }

  function showAddPart(html, focusSelector) {
    var body = addBody();
    body.innerHTML = html;
    localTimes(body);
    inviteMethods(body);
    body.scrollTop = 0;
    var target = focusSelector ? body.querySelector(focusSelector) : null;
    (target || firstField(body) || body).focus();
  }

  function freshAddForm() {
    return fetchPart(LIST + "/new", {}, LIST + "/new").then(function (html) {
      showAddPart(html);
    });
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (!opener || !addDialog || opener.dataset.openDialog !== addDialog.id) return;
    event.preventDefault();
    openDialog(addDialog, opener);
    if (addBody().querySelector("[data-add-result]")) freshAddForm();
  });

  document.addEventListener("click", function (event) {
    if (!addDialog || !event.target.closest("[data-add-another]")) return;
    event.preventDefault();
    freshAddForm();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-add-user-form]");
    if (!form || !addDialog || !addDialog.contains(form)) return;
    event.preventDefault();
    var submit = form.querySelector("button[type='submit']");
    var label = submit.textContent;
    submit.disabled = true;
    submit.textContent = submit.dataset.busyText || label;
    fetchPart(form.action, { method: "POST", body: new FormData(form) }, LIST + "/new")
      .then(function (html) {
        showAddPart(html, "#result-title");
        if (addBody().querySelector("[data-add-result]")) addChanged = true;
      })
      .catch(function () {
        submit.disabled = false;
        submit.textContent = label;
      });
  });

  if (addDialog) {
    onClosed(addDialog, function () {
      if (addChanged) refreshList();
      addChanged = false;
    });
  }

  // Personal email is asked for only when the link is to be mailed.
  function inviteMethods(root) {
    (root || document).querySelectorAll("[data-add-user-form]").forEach(function (form) {
      var checked = form.querySelector("input[name='invite_method']:checked");
      form.querySelectorAll("[data-shown-for]").forEach(function (part) {
        part.hidden = !checked || part.dataset.shownFor !== checked.value;
      });
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "invite_method") inviteMethods(document);
  });
  inviteMethods(document);

  // --- team descriptions behind (i) -----------------------------------------------------------

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-tip-button]");
    if (!button) return;
    var tip = button.closest("[data-tip]");
    tip.classList.remove("tip--dismissed");
    tip.classList.toggle("tip--open");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var tip = event.target.closest && event.target.closest("[data-tip]");
    if (!tip || tip.classList.contains("tip--dismissed")) return;
    // The first Escape hides the description; the next one closes the dialog.
    event.preventDefault();
    event.stopPropagation();
    tip.classList.remove("tip--open");
    tip.classList.add("tip--dismissed");
  }, true);
  document.addEventListener("focusout", function (event) {
    var tip = event.target.closest && event.target.closest("[data-tip]");
    if (tip) tip.classList.remove("tip--open", "tip--dismissed");
  });

  // --- copy a link ----------------------------------------------------------------------------

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var input = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.copy + "-status");
    if (!input) return;
    var copied = function () {
      button.textContent = "Copied";
      if (status) status.textContent = "Copied to the clipboard.";
      window.setTimeout(function () {
        button.textContent = "Copy";
      }, 4000);
    };
    var byHand = function () {
      input.focus();
      input.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      if (ok) copied();
      else if (status) status.textContent = "Press Ctrl+C (⌘C on a Mac) to copy the selected link.";
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(copied, byHand);
    } else {
      byHand();
    }
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
  });
})();
