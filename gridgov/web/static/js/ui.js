/* Shared page behaviour for every staff page (loaded after htmx on each page).
 *
 * - htmx is configured by the <meta name="htmx-config"> in base.html: no eval, same-origin only,
 *   4xx answers are swapped in (the server sends a small error fragment), 5xx and network failures
 *   are not swapped and show a toast here instead.
 * - <form data-autosubmit> submits itself (through htmx when it has hx-get) when a field changes;
 *   text inputs wait 300 ms after the last keystroke.
 * - [data-toast] elements that htmx swaps in are shown as a toast and removed.
 * - Buttons with data-print print the page; [data-dismiss] removes its closest [data-dismissable].
 * - Any element with data-href navigates there on click (table rows); links inside still work.
 */
(function () {
  "use strict";

  function toast(message, kind) {
    var box = document.getElementById("toasts");
    if (!box) {
      box = document.createElement("div");
      box.id = "toasts";
      box.className = "toasts";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      document.body.appendChild(box);
    }
    var item = document.createElement("div");
    item.className = "toast toast-" + (kind || "info");
    item.textContent = message;
    box.appendChild(item);
    setTimeout(function () { item.classList.add("toast-out"); }, 3600);
    setTimeout(function () { item.remove(); }, 4200);
  }

  document.addEventListener("htmx:responseError", function (ev) {
    var xhr = ev.detail.xhr;
    if (xhr && xhr.status >= 500) toast("服务器暂时无法响应（" + xhr.status + "），请稍后重试", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("网络连接失败，请检查网络后重试", "error");
  });
  document.addEventListener("htmx:afterSwap", function (ev) {
    var root = ev.detail.target || document;
    root.querySelectorAll("[data-toast]").forEach(function (node) {
      toast(node.getAttribute("data-toast"), node.getAttribute("data-toast-kind") || "success");
      node.removeAttribute("data-toast");
    });
  });

  var timers = new WeakMap();
  function submit(form) {
    if (window.htmx && (form.hasAttribute("hx-get") || form.hasAttribute("hx-post"))) {
      window.htmx.trigger(form, "submit");
    } else if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }
  document.addEventListener("input", function (ev) {
    var form = ev.target.closest && ev.target.closest("form[data-autosubmit]");
    if (!form || !/^(search|text|number)$/.test(ev.target.type || "")) return;
    clearTimeout(timers.get(form));
    timers.set(form, setTimeout(function () { submit(form); }, 300));
  });
  document.addEventListener("change", function (ev) {
    var form = ev.target.closest && ev.target.closest("form[data-autosubmit]");
    if (!form || /^(search|text|number)$/.test(ev.target.type || "")) return;
    submit(form);
  });

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.closest) return;
    if (t.closest("[data-print]")) { window.print(); return; }
    var dismiss = t.closest("[data-dismiss]");
    if (dismiss) {
      var box = dismiss.closest("[data-dismissable]");
      if (box) box.remove();
      return;
    }
    var row = t.closest("[data-href]");
    if (row && !t.closest("a, button, input, label, select, textarea")) {
      if (ev.ctrlKey || ev.metaKey) window.open(row.getAttribute("data-href"), "_blank");
      else window.location.assign(row.getAttribute("data-href"));
    }
  });

  window.GridgovUi = {toast: toast};
})();
