// Login page: stop double submits and show the busy state (the form works without this file).
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  var button = document.getElementById("login-submit");
  if (!form || !button) return;
  var label = button.textContent;
  form.addEventListener("submit", function (ev) {
    if (form.dataset.busy === "1") { ev.preventDefault(); return; }
    form.dataset.busy = "1";
    button.disabled = true;
    button.textContent = button.dataset.busyLabel;
  });
  // Coming back with the browser's back button must not leave the form stuck in the busy state.
  window.addEventListener("pageshow", function () {
    form.dataset.busy = "";
    button.disabled = false;
    button.textContent = label;
  });
})();
