/* Register pages: the "查看完整信息" dialog (open, close, close after a successful reveal).
 *
 * The dialog's form posts the purpose through htmx; the server answers a 4xx error fragment into
 * #reveal-error (the dialog stays open), or the unmasked facts with HX-Retarget: #record-facts,
 * which replace the masked card in place. No inline script (strict CSP).
 */
(function () {
  "use strict";

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.closest) return;
    var opener = t.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog && dialog.showModal) {
        var error = dialog.querySelector("#reveal-error");
        if (error) error.textContent = "";
        dialog.showModal();
        var input = dialog.querySelector("input[name=purpose]");
        if (input) input.focus();
      }
      return;
    }
    var closer = t.closest("[data-close-dialog]");
    if (closer) {
      var box = closer.closest("dialog");
      if (box) box.close();
    }
  });

  document.addEventListener("htmx:afterRequest", function (ev) {
    var form = ev.detail.elt;
    if (!form || form.id !== "reveal-form" || !ev.detail.successful) return;
    var dialog = form.closest("dialog");
    form.reset();
    if (dialog) dialog.close();
  });
})();
