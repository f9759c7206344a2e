/* The header's navigation on narrow screens (≤ 900 px): a 菜单 button opens and closes it.
 *
 * Without this script the navigation simply stays in the header (the collapse is only switched on
 * by the class this script sets). The menu closes on Escape, on a click outside it and when a link
 * is followed. Stable hooks for tests: #nav-toggle[aria-expanded], #app-nav, .app-header.nav-open.
 */
(function () {
  "use strict";
  var header = document.querySelector(".app-header");
  var toggle = document.getElementById("nav-toggle");
  var nav = document.getElementById("app-nav");
  if (!header || !toggle || !nav) return;

  header.classList.add("nav-collapsible");
  toggle.hidden = false;

  function setOpen(open) {
    header.classList.toggle("nav-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  toggle.addEventListener("click", function () {
    var open = toggle.getAttribute("aria-expanded") !== "true";
    setOpen(open);
    if (open) {
      var first = nav.querySelector("a");
      if (first) first.focus();
    }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && header.classList.contains("nav-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
  document.addEventListener("click", function (ev) {
    if (header.classList.contains("nav-open") && !nav.contains(ev.target) && !toggle.contains(ev.target)) {
      setOpen(false);
    }
  });
  nav.addEventListener("click", function (ev) {
    if (ev.target.closest("a")) setOpen(false);
  });
  // Back on a wide screen the menu is the inline navigation again: no stale open state.
  if (window.matchMedia) {
    var wide = window.matchMedia("(min-width: 901px)");
    var reset = function () { if (wide.matches) setOpen(false); };
    if (wide.addEventListener) wide.addEventListener("change", reset);
  }
})();
