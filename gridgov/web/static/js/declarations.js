/* 自主申报审核: the grid worker's review queue (/declarations).
 *
 * Plain browser JavaScript, no build step. Lists come from GET /api/v1/declarations?status=...
 * (people masked by the server); 通过 / 不通过 POST to /api/v1/declarations/{id}/approve|reject
 * through the shared helper static/js/api.js (session cookie, CSRF token). Results and errors are shown on
 * the card itself.
 *
 * Stable hooks for tests: .queue-tab[data-status], #queue-list[data-status][data-loaded],
 * .decl-card[data-id][data-code][data-status], .decl-approve, .decl-reject, .decl-reason,
 * .decl-reject-confirm, .decl-error, .decl-result.
 */
(function () {
  "use strict";

  var t = GridgovApi.t;
  var el = GridgovApi.el;
  var clear = GridgovApi.clear;

  function formatTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
           pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  // ---------------------------------------------------------------- API
  var redirecting = false;

  function sessionExpired() {
    if (redirecting) return;
    redirecting = true;
    setStatus("error", t("error.session_expired"));
    setTimeout(function () {
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
    }, 1200);
  }

  // JSON in and out through the shared helper (static/js/api.js); errors carry the server's message.
  var api = GridgovApi.client({onUnauthorized: sessionExpired});

  // ---------------------------------------------------------------- state and DOM
  var listEl = document.getElementById("queue-list");
  var statusEl = document.getElementById("queue-status");
  var tabs = Array.prototype.slice.call(document.querySelectorAll(".queue-tab"));
  var current = listEl.dataset.status || "pending";
  var inflight = null;
  var buildings = {};  // id → promise of the building (name, address), or null if it cannot be read

  function setStatus(kind, text, retry) {
    statusEl.dataset.state = kind;
    clear(statusEl);
    statusEl.appendChild(document.createTextNode(text));
    if (retry) {
      statusEl.appendChild(el("button", {type: "button", class: "link-btn", text: t("error.retry"), onclick: retry}));
    }
  }

  function setCount(status, count) {
    var badge = document.querySelector('[data-count-for="' + status + '"]');
    if (badge) badge.textContent = count ? String(count) : "";
  }

  function building(id) {
    if (!(id in buildings)) {
      buildings[id] = api("/api/v1/buildings/" + encodeURIComponent(id)).catch(function () { return null; });
    }
    return buildings[id];
  }

  // ---------------------------------------------------------------- cards
  function houseText(d) {
    var unit = d.unit_no ? t("declarations.unit_value", {unit: d.unit_no}) : "";
    return t("declarations.house_value", {unit: unit, room: d.room_no});
  }

  function meta(label, value, cls) {
    return el("div", {class: cls || null}, [el("dt", {text: label}), el("dd", {text: value})]);
  }

  function personRow(p) {
    return el("li", {class: "decl-person"}, [
      el("span", {class: "decl-person-name", text: p.name}),
      el("span", {class: "decl-person-relation", text: t("relation." + p.relation)}),
      el("span", {class: "decl-person-id", title: t("declarations.col_id"), text: p.citizen_id}),
      p.phone ? el("span", {class: "decl-person-phone", title: t("declarations.col_phone"), text: p.phone}) : null,
    ]);
  }

  function card(d) {
    var buildingName = el("strong", {class: "decl-building", text: t("declarations.building") + " #" + d.building_id});
    var buildingAddress = el("span", {class: "decl-address"});
    building(d.building_id).then(function (b) {
      if (!b) return;
      buildingName.textContent = b.name;
      if (b.address && b.address !== b.name) buildingAddress.textContent = b.address;
    });

    var details = [
      meta(t("declarations.declarer"), d.declarer_name + (d.declarer_phone ? " · " + d.declarer_phone : "")),
      meta(t("declarations.moved_in"), d.moved_in_on || ""),
      meta(t("declarations.created"), formatTime(d.created_at)),
      d.reviewed_at ? meta(t("declarations.reviewed"), formatTime(d.reviewed_at)) : null,
      d.reason ? meta(t("declarations.reason"), d.reason, "decl-reason-text") : null,
    ];

    var node = el("article", {class: "decl-card", dataset: {id: String(d.id), code: d.tracking_code, status: d.status},
                              "aria-label": t("declarations.code") + " " + d.tracking_code}, [
      el("header", {class: "decl-head"}, [
        el("span", {class: "decl-kind kind-" + d.kind, text: t("declare.kind_" + d.kind)}),
        el("span", {class: "decl-status status-" + d.status, text: d.status_label}),
        el("span", {class: "decl-code"}, [t("declarations.code") + " ", el("code", {text: d.tracking_code})]),
      ]),
      el("div", {class: "decl-place"}, [buildingName, el("span", {class: "decl-house", text: houseText(d)}),
                                        buildingAddress]),
      el("dl", {class: "decl-meta"}, details),
      el("h3", {class: "decl-people-title", text: t("declarations.people", {count: d.people.length})}),
      el("ul", {class: "decl-people"}, d.people.map(personRow)),
      el("div", {class: "decl-error form-error is-empty", role: "alert"}),
      el("div", {class: "decl-result", role: "status", hidden: true}),
      actions(d),
    ]);
    return node;
  }

  function actions(d) {
    var qr = el("a", {class: "decl-qr link-btn", href: "/buildings/" + encodeURIComponent(d.building_id) + "/qr",
                      text: t("declarations.qr")});
    if (d.status !== "pending") return el("div", {class: "decl-actions"}, [qr]);
    var reason = el("textarea", {class: "decl-reason", rows: "2", maxlength: "500",
                                 placeholder: t("declarations.reject_placeholder")});
    var reasonId = "reason-" + d.id;
    reason.id = reasonId;
    var rejectForm = el("div", {class: "decl-reject-form", hidden: true}, [
      el("label", {class: "decl-reason-label", for: reasonId, text: t("declarations.reject_reason")}),
      reason,
      el("div", {class: "decl-reject-buttons"}, [
        el("button", {type: "button", class: "btn btn-danger decl-reject-confirm", text: t("declarations.reject_confirm"),
                      dataset: {busyLabel: t("declarations.rejecting")}}),
        el("button", {type: "button", class: "btn decl-reject-cancel", text: t("declarations.cancel")}),
      ]),
    ]);
    return el("div", {class: "decl-actions"}, [
      el("div", {class: "decl-buttons"}, [
        el("button", {type: "button", class: "btn btn-primary decl-approve", text: t("declarations.approve"),
                      dataset: {busyLabel: t("declarations.approving")}}),
        el("button", {type: "button", class: "btn btn-danger-outline decl-reject", text: t("declarations.reject"),
                      "aria-expanded": "false"}),
        qr,
      ]),
      rejectForm,
    ]);
  }

  function cardError(node, message) {
    var box = node.querySelector(".decl-error");
    box.textContent = message || "";
    box.classList.toggle("is-empty", !message);
  }

  function busy(button, on) {
    if (on) { button.dataset.label = button.textContent; button.textContent = button.dataset.busyLabel; }
    else if (button.dataset.label) button.textContent = button.dataset.label;
    button.disabled = on;
  }

  // The card after a review: new status, the outcome in words, no more buttons.
  function reviewed(node, d, message) {
    node.dataset.status = d.status;
    var tag = node.querySelector(".decl-status");
    tag.className = "decl-status status-" + d.status;
    tag.textContent = d.status_label;
    var result = node.querySelector(".decl-result");
    result.textContent = message;
    result.className = "decl-result result-" + d.status;
    result.hidden = false;
    var buttons = node.querySelector(".decl-buttons");
    if (buttons) {
      Array.prototype.forEach.call(buttons.querySelectorAll("button"), function (b) { b.remove(); });
    }
    var rejectForm = node.querySelector(".decl-reject-form");
    if (rejectForm) rejectForm.remove();
    var pending = node.parentNode ? listEl.querySelectorAll('.decl-card[data-status="pending"]').length : 0;
    if (current === "pending") setCount("pending", pending);
  }

  listEl.addEventListener("click", function (ev) {
    var button = ev.target.closest("button");
    if (!button || button.disabled) return;
    var node = button.closest(".decl-card");
    if (!node) return;
    var id = node.dataset.id;
    var rejectForm = node.querySelector(".decl-reject-form");

    if (button.classList.contains("decl-approve")) {
      cardError(node, "");
      busy(button, true);
      api("/api/v1/declarations/" + encodeURIComponent(id) + "/approve", {method: "POST"}).then(function (d) {
        reviewed(node, d, t("declarations.approved_result", {created: d.created, moved: d.moved}));
      }, function (err) {
        busy(button, false);
        cardError(node, err.message);
      });
    } else if (button.classList.contains("decl-reject")) {
      var open = rejectForm.hidden;
      rejectForm.hidden = !open;
      button.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) rejectForm.querySelector(".decl-reason").focus();
    } else if (button.classList.contains("decl-reject-cancel")) {
      rejectForm.hidden = true;
      node.querySelector(".decl-reject").setAttribute("aria-expanded", "false");
      cardError(node, "");
    } else if (button.classList.contains("decl-reject-confirm")) {
      var reasonInput = rejectForm.querySelector(".decl-reason");
      var reason = reasonInput.value.trim();
      if (reason.length < 2) {
        cardError(node, t("declarations.reason_required"));
        reasonInput.setAttribute("aria-invalid", "true");
        reasonInput.focus();
        return;
      }
      reasonInput.removeAttribute("aria-invalid");
      cardError(node, "");
      busy(button, true);
      api("/api/v1/declarations/" + encodeURIComponent(id) + "/reject", {method: "POST", body: {reason: reason}})
        .then(function (d) {
          reviewed(node, d, t("declarations.rejected_result"));
          node.querySelector(".decl-meta").appendChild(meta(t("declarations.reason"), d.reason, "decl-reason-text"));
        }, function (err) {
          busy(button, false);
          cardError(node, err.message);
        });
    }
  });

  // ---------------------------------------------------------------- lists and tabs
  function load(status) {
    current = status;
    listEl.dataset.status = status;
    listEl.dataset.loaded = "";
    listEl.setAttribute("aria-busy", "true");
    tabs.forEach(function (tab) {
      var on = tab.dataset.status === status;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
    });
    if (inflight) inflight.abort();
    var controller = inflight = new AbortController();
    setStatus("loading", t("declarations.loading"));
    api("/api/v1/declarations?status=" + encodeURIComponent(status), {signal: controller.signal}).then(function (rows) {
      if (controller !== inflight) return;
      inflight = null;
      clear(listEl);
      rows.forEach(function (d) { listEl.appendChild(card(d)); });
      setCount(status, status === "pending" ? rows.length : 0);
      setStatus(rows.length ? "ok" : "empty",
                rows.length ? t("declarations.count", {count: rows.length}) : t("declarations.empty_" + status));
      listEl.setAttribute("aria-busy", "false");
      listEl.dataset.loaded = "1";
    }, function (err) {
      if (err && err.name === "AbortError") return;
      inflight = null;
      clear(listEl);
      listEl.setAttribute("aria-busy", "false");
      listEl.dataset.loaded = "error";
      setStatus("error", err.message, err.status && err.status < 500 ? null : function () { load(status); });
    });
  }

  function select(status) {
    var url = new URL(window.location.href);
    url.searchParams.set("status", status);
    window.history.replaceState(null, "", url.pathname + url.search);
    load(status);
  }

  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function () { select(tab.dataset.status); });
    tab.addEventListener("keydown", function (ev) {
      var step = ev.key === "ArrowRight" ? 1 : ev.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      ev.preventDefault();
      var next = tabs[(i + step + tabs.length) % tabs.length];
      next.focus();
      select(next.dataset.status);
    });
  });

  load(current);
  // The pending count is worth seeing from the other tabs too.
  if (current !== "pending") {
    api("/api/v1/declarations?status=pending").then(function (rows) { setCount("pending", rows.length); },
                                                     function () { /* the badge stays empty */ });
  }
})();
