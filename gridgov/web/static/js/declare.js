/* 自主申报: the public declaration form (/declare/{token}) and the poster's print button.
 *
 * Plain browser JavaScript, no build step. The form posts JSON to /api/v1/public/declare/{token}
 * through the shared helper static/js/api.js; the server is the judge of every value (a refusal,
 * e.g. 429 when sent too often, shows its message) — here only required fields and the ID's
 * length are checked, so a slip is caught before a round trip. Errors are shown in #declare-error and the
 * form keeps everything typed.
 *
 * Stable hooks for tests: #declare-form, #people-list .person-card, [data-field=...], #add-person,
 * #declare-error, #declare-submit, #declare-done, #tracking-code, #status-link.
 */
(function () {
  "use strict";

  // The poster page (and any page) may have print buttons; no inline handlers under the CSP.
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  var form = document.getElementById("declare-form");
  if (!form) return;

  var t = GridgovApi.t;
  var list = document.getElementById("people-list");
  var template = document.getElementById("person-template");
  var addButton = document.getElementById("add-person");
  var errorBox = document.getElementById("declare-error");
  var submit = document.getElementById("declare-submit");
  var done = document.getElementById("declare-done");
  var peopleHint = document.getElementById("people-hint");
  var submitLabel = submit.textContent;
  var MAX_PEOPLE = 20;
  var ID_PATTERN = /^(\d{17}[\dX]|\d{15})$/;
  var PHONE_PATTERN = /^[\d\s()+\-]{7,20}$/;

  function kind() { return form.querySelector("input[name=kind]:checked").value; }

  function cards() { return Array.prototype.slice.call(list.querySelectorAll(".person-card")); }

  function field(card, name) { return card.querySelector('[data-field="' + name + '"]'); }

  // The relation a new (or untouched) row gets: the first resident is the head of the household;
  // a landlord declares tenants.
  function defaultRelation(index) {
    if (kind() === "tenants") return "tenant";
    return index === 0 ? "head" : "other";
  }

  function renumber() {
    var all = cards();
    all.forEach(function (card, i) {
      card.dataset.index = String(i + 1);
      card.querySelector(".person-title").textContent = t("declare.person_n", {n: i + 1});
      var remove = card.querySelector(".person-remove");
      remove.hidden = all.length === 1;
      remove.setAttribute("aria-label", t("declare.remove_person_label", {n: i + 1}));
      var relation = field(card, "relation");
      if (relation.dataset.touched !== "1") relation.value = defaultRelation(i);
    });
    addButton.hidden = all.length >= MAX_PEOPLE;
  }

  function addPerson(focus) {
    var card = template.content.firstElementChild.cloneNode(true);
    list.appendChild(card);
    renumber();
    if (focus) field(card, "name").focus();
    return card;
  }

  list.addEventListener("click", function (ev) {
    var remove = ev.target.closest(".person-remove");
    if (!remove) return;
    var card = remove.closest(".person-card");
    var next = card.nextElementSibling || card.previousElementSibling;
    card.remove();
    renumber();
    if (next) field(next, "name").focus();
  });

  list.addEventListener("change", function (ev) {
    if (ev.target.dataset.field === "relation") ev.target.dataset.touched = "1";
  });

  // ID numbers: upper-case X as it is typed, and say how many characters there are so far.
  list.addEventListener("input", function (ev) {
    var input = ev.target;
    if (input.dataset.field !== "citizen_id") return;
    var upper = input.value.replace(/x/g, "X").replace(/\s/g, "");
    if (upper !== input.value) input.value = upper;
    var hint = input.parentNode.querySelector(".id-hint");
    hint.textContent = upper ? t("declare.person_id_hint") + "（" + upper.length + "/18）" : t("declare.person_id_hint");
    input.closest(".person-card").classList.remove("has-error");
  });

  form.addEventListener("input", function (ev) {
    if (ev.target.getAttribute("aria-invalid") === "true") markValid(ev.target);
  });

  form.addEventListener("change", function (ev) {
    if (ev.target.name !== "kind") return;
    peopleHint.textContent = peopleHint.dataset[kind()];
    renumber();
  });

  addButton.addEventListener("click", function () { addPerson(true); });

  // ------------------------------------------------------------------ errors in place
  // A message under the field it is about (and the same one above the submit button).
  function fieldMessage(input, message) {
    var wrap = input.closest(".field");
    var note = wrap.querySelector(".field-error");
    if (!message) {
      if (note) note.remove();
      return;
    }
    if (!note) {
      note = document.createElement("span");
      note.className = "field-error";
      wrap.appendChild(note);
    }
    note.textContent = message.replace(/^第\s*\d+\s*人：/, "");
  }

  function markValid(input) {
    input.removeAttribute("aria-invalid");
    fieldMessage(input, "");
  }

  function clearErrors() {
    errorBox.textContent = "";
    errorBox.classList.add("is-empty");
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), markValid);
    cards().forEach(function (card) { card.classList.remove("has-error"); });
  }

  function showError(message, input) {
    errorBox.textContent = message;
    errorBox.classList.remove("is-empty");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      fieldMessage(input, message);
      var card = input.closest(".person-card");
      if (card) card.classList.add("has-error");
      input.focus({preventScroll: true});
      input.scrollIntoView({block: "center", behavior: "smooth"});
    } else {
      errorBox.scrollIntoView({block: "center", behavior: "smooth"});
    }
  }

  // Which input a server error is about: "第 2 人：身份证号无效…" names the person, the code the field.
  function inputForServerError(code, message) {
    var match = /^第\s*(\d+)\s*人/.exec(message || "");
    if (match) {
      var card = cards()[Number(match[1]) - 1];
      if (!card) return null;
      if (code === "invalid_citizen_id" || code === "duplicate_person" || code === "sex_mismatch") {
        return field(card, "citizen_id");
      }
      if (code === "invalid_phone") return field(card, "phone");
      if (code === "invalid_relation") return field(card, "relation");
      return field(card, "name");
    }
    var byCode = {invalid_phone: "declarer-phone", declarer_required: "declarer-name", room_required: "room-no",
                  invalid_date: "moved-in-on"};
    return byCode[code] ? document.getElementById(byCode[code]) : null;
  }

  // ------------------------------------------------------------------ collect and check
  function value(id) { return document.getElementById(id).value.trim(); }

  function collect() {
    var body = {
      kind: kind(),
      declarer_name: value("declarer-name"),
      declarer_phone: value("declarer-phone"),
      unit_no: value("unit-no") || null,
      room_no: value("room-no"),
      moved_in_on: value("moved-in-on") || null,
      people: cards().map(function (card) {
        return {
          name: field(card, "name").value.trim(),
          citizen_id: field(card, "citizen_id").value.trim().toUpperCase(),
          phone: field(card, "phone").value.trim() || null,
          relation: field(card, "relation").value,
        };
      }),
    };
    return body;
  }

  // The first problem a person can fix without asking the server, or null.
  function check(body) {
    if (!body.declarer_name) return [t("declare.err_declarer_name"), document.getElementById("declarer-name")];
    if (!body.declarer_phone) return [t("declare.err_declarer_phone"), document.getElementById("declarer-phone")];
    if (!PHONE_PATTERN.test(body.declarer_phone)) {
      return [t("declare.err_phone_format"), document.getElementById("declarer-phone")];
    }
    if (!body.room_no) return [t("declare.err_room"), document.getElementById("room-no")];
    if (body.moved_in_on && body.moved_in_on > form.dataset.today) {
      return [t("declare.err_date"), document.getElementById("moved-in-on")];
    }
    var all = cards();
    for (var i = 0; i < body.people.length; i++) {
      var p = body.people[i], n = i + 1;
      if (!p.name) return [t("declare.err_person_name", {n: n}), field(all[i], "name")];
      if (!p.citizen_id) return [t("declare.err_person_id", {n: n}), field(all[i], "citizen_id")];
      if (!ID_PATTERN.test(p.citizen_id)) {
        return [t("declare.err_person_id_format", {n: n, len: p.citizen_id.length}), field(all[i], "citizen_id")];
      }
      if (p.phone && !PHONE_PATTERN.test(p.phone)) return [t("declare.err_person_phone", {n: n}), field(all[i], "phone")];
    }
    return null;
  }

  // ------------------------------------------------------------------ submit
  function setBusy(busy) {
    form.dataset.busy = busy ? "1" : "";
    submit.disabled = busy;
    submit.textContent = busy ? submit.dataset.busyLabel : submitLabel;
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function showDone(result) {
    document.getElementById("tracking-code").textContent = result.tracking_code;
    document.getElementById("status-link").href = "/declare/status?code=" + encodeURIComponent(result.tracking_code);
    form.hidden = true;
    done.hidden = false;
    done.dataset.code = result.tracking_code;
    window.scrollTo(0, 0);
    done.focus();
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (form.dataset.busy === "1") return;
    clearErrors();
    var body = collect();
    var problem = check(body);
    if (problem) { showError(problem[0], problem[1]); return; }
    setBusy(true);
    // public: no cookie goes with it (the shared helper, static/js/api.js, adds no CSRF token then)
    GridgovApi.request(form.dataset.endpoint, {method: "POST", credentials: "omit", body: body}).then(function (data) {
      setBusy(false);
      if (data && data.tracking_code) { showDone(data); return; }
      showError(t("error.server", {status: 200}));
    }, function (err) {
      setBusy(false);
      showError(err.message, err.status ? inputForServerError(err.code, err.message) : undefined);
    });
  });

  // Another household or room: keep who declares and the kind, clear the rest.
  document.getElementById("declare-again").addEventListener("click", function () {
    ["room-no", "moved-in-on"].forEach(function (id) { document.getElementById(id).value = ""; });
    while (list.firstChild) list.removeChild(list.firstChild);
    addPerson(false);
    clearErrors();
    done.hidden = true;
    form.hidden = false;
    window.scrollTo(0, 0);
    document.getElementById("room-no").focus();
  });

  document.getElementById("copy-code").addEventListener("click", function () {
    var button = this;
    var code = document.getElementById("tracking-code");
    var copied = function () { button.textContent = button.dataset.doneLabel; };
    var fallback = function () {
      selectText(code);
      try { if (document.execCommand("copy")) copied(); } catch (e) { /* the code stays selected */ }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(code.textContent).then(copied, fallback);
    } else {
      fallback();
    }
  });

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // Coming back with the browser's back button must not leave the form stuck in the busy state.
  window.addEventListener("pageshow", function () { setBusy(false); });

  addPerson(false);
})();
