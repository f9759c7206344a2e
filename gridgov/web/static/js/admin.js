/* Admin pages: a create form (form[data-reset-on-success]) is cleared after the server accepted it,
 * and kept as typed when the server answered an error fragment (4xx), so the admin can correct it. */
(function () {
  "use strict";
  document.addEventListener("htmx:afterRequest", function (ev) {
    var form = ev.detail.elt;
    if (!form || form.tagName !== "FORM" || !form.hasAttribute("data-reset-on-success")) return;
    if (ev.detail.successful) form.reset();
  });
})();
