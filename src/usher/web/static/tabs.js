// Tabs made of links ([data-tabs] with role="tab" links to ?tab=...): each works as a link
// without this script. With it, the tab list is one stop for Tab, and the arrow keys, Home
// and End move between the tabs (Enter opens the one focused), as a tab list does.
(function () {
  "use strict";

  document.querySelectorAll("[data-tabs]").forEach(function (list) {
    var tabs = Array.prototype.slice.call(list.querySelectorAll("[role='tab']"));
    if (!tabs.length) return;
    var selected = tabs.filter(function (tab) {
      return tab.getAttribute("aria-selected") === "true";
    })[0] || tabs[0];
    tabs.forEach(function (tab) {
      tab.tabIndex = tab === selected ? 0 : -1;
    });

    list.addEventListener("keydown", function (event) {
      var index = tabs.indexOf(document.activeElement);
      if (index === -1) return;
      var next = null;
      if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
      else if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
      else if (event.key === "Home") next = tabs[0];
      else if (event.key === "End") next = tabs[tabs.length - 1];
      else if (event.key === " ") {
        event.preventDefault();
        document.activeElement.click();
        return;
      }
      if (!next) return;
      event.preventDefault();
      tabs.forEach(function (tab) { tab.tabIndex = tab === next ? 0 : -1; });
      next.focus();
    });
  });
})();
