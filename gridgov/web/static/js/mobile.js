/* The grid worker's phone pages (/m, /m/report, /m/tasks, /m/events/{ref}, /m/visits).
 *
 * Report (/m/report): an item picked from the catalog (search + categories), a description, photos
 * from the camera, a location from GPS or a tap on the small map of the worker's grid (no tiles: the
 * grid and its micro-grids are drawn from #report-config), and "当场处置" for self-resolvable items.
 *
 * Offline-safe: every report gets a client_id (crypto.randomUUID) and goes into an outbox in
 * localStorage BEFORE it is sent; it leaves the outbox only when the server has answered. Unsent
 * reports are retried when the browser comes back online, when any /m page opens and every 20 s.
 * A retry after a lost answer is harmless: POST /api/v1/events is idempotent by client_id (the
 * server answers 200 with the first event). Photos are kept in the outbox as data: URLs until they
 * are uploaded to /api/v1/events/attachments; their ids then travel with the report.
 *
 * Event page: the action buttons open their form (posted by htmx to /m/events/{ref}/act).
 */
(function () {
  "use strict";

  var t = GridgovApi.t;
  var main = document.getElementById("main");
  var USER = (main && main.getAttribute("data-user")) || "";
  var OUTBOX_KEY = "gridgov.mobile.outbox";
  var RETRY_MS = 20000;

  // --- outbox -----------------------------------------------------------------------------------

  var memory = {};   // client_id -> entry with its photos (what localStorage could not hold)
  var sending = {};  // client_id -> true while the form itself is sending it

  function readOutbox() {
    try {
      var list = JSON.parse(localStorage.getItem(OUTBOX_KEY) || "[]");
      return Array.isArray(list) ? list : [];
    } catch (e) { return []; }
  }

  function writeOutbox(list) {
    try {
      localStorage.setItem(OUTBOX_KEY, JSON.stringify(list));
    } catch (e) {   // quota: keep the reports, drop the photo data from storage (memory still has it)
      try {
        localStorage.setItem(OUTBOX_KEY, JSON.stringify(list.map(function (x) {
          var copy = Object.assign({}, x);
          if ((copy.photos || []).length) { copy.photos = []; copy.photos_dropped = true; }
          return copy;
        })));
      } catch (e2) { /* storage unavailable: memory only */ }
    }
  }

  function mine(list) { return list.filter(function (x) { return x.user === USER; }); }

  function entryOf(clientId) {
    if (memory[clientId]) return memory[clientId];
    return readOutbox().filter(function (x) { return x.client_id === clientId; })[0] || null;
  }

  function putEntry(entry) {
    memory[entry.client_id] = entry;
    var list = readOutbox().filter(function (x) { return x.client_id !== entry.client_id; });
    list.push(entry);
    writeOutbox(list);
  }

  function dropEntry(clientId) {
    delete memory[clientId];
    writeOutbox(readOutbox().filter(function (x) { return x.client_id !== clientId; }));
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function dataUrlToBlob(url) {
    var parts = url.split(",");
    var type = (parts[0].match(/data:([^;]+)/) || [])[1] || "application/octet-stream";
    var bin = atob(parts[1] || "");
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Blob([bytes], {type: type});
  }

  function retryable(err) { return !err || err.status === 0 || err.status >= 500 || err.status === 429; }

  function uploadPhoto(photo) {
    var form = new FormData();
    form.append("file", dataUrlToBlob(photo.data), photo.name || "photo.jpg");
    return fetch("/api/v1/events/attachments", {
      method: "POST", body: form, credentials: "same-origin",
      headers: {"X-CSRF-Token": window.GridgovApi.csrfToken(), "Accept": "application/json"},
    }).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (res.ok && body) return body.id;
        var err = (body && body.error) || {};
        var error = new window.GridgovApi.ApiError(res.status, err.message || t("error.server", {status: res.status}),
                                                   err.code || "http_" + res.status);
        throw error;
      });
    }, function () { throw new window.GridgovApi.ApiError(0, t("error.network"), "network"); });
  }

  // Upload the entry's photos not yet uploaded, then post the report. Resolves with the event.
  function send(entry) {
    var chain = Promise.resolve();
    (entry.photos || []).forEach(function (photo) {
      chain = chain.then(function () {
        if (photo.id) return;
        return uploadPhoto(photo).then(function (id) {
          photo.id = id;
          entry.attachment_ids = (entry.attachment_ids || []).concat([id]);
          photo.data = null;
          putEntry(entry);
        });
      });
    });
    return chain.then(function () {
      var body = Object.assign({}, entry.body, {client_id: entry.client_id, attachment_ids: entry.attachment_ids || []});
      return window.GridgovApi.request("/api/v1/events", {method: "POST", body: body});
    });
  }

  var flushing = false;
  function flush() {
    if (flushing || !USER) return Promise.resolve();
    var pending = mine(readOutbox()).filter(function (x) { return !x.error && !sending[x.client_id]; });
    if (!pending.length) { renderOutbox(); return Promise.resolve(); }
    flushing = true;
    var chain = Promise.resolve();
    pending.forEach(function (stored) {
      chain = chain.then(function () {
        var entry = memory[stored.client_id] || stored;
        return send(entry).then(function (event) {
          dropEntry(entry.client_id);
          window.GridgovUi && window.GridgovUi.toast(t("mobile.outbox_sent", {code: event.code}), "success");
        }, function (err) {
          if (!retryable(err)) {
            entry.error = err.message;
            putEntry(entry);
          }
        });
      });
    });
    return chain.then(function () { flushing = false; renderOutbox(); },
                      function () { flushing = false; renderOutbox(); });
  }

  function renderOutbox() {
    var list = mine(readOutbox());
    var note = document.getElementById("outbox-note");
    if (note) {
      note.hidden = !list.length;
      document.getElementById("outbox-note-text").textContent = t("mobile.outbox_waiting", {count: list.length});
    }
    var box = document.getElementById("outbox");
    if (!box) return;
    box.hidden = !list.length;
    var ul = document.getElementById("outbox-list");
    ul.textContent = "";
    list.forEach(function (x) {
      var li = document.createElement("li");
      li.className = "m-outbox-item" + (x.error ? " has-error" : "");
      li.setAttribute("data-client-id", x.client_id);
      var title = document.createElement("strong");
      title.textContent = (x.item_name || x.body.item_code) + " · " + new Date(x.created).toLocaleString("zh-CN");
      var desc = document.createElement("span");
      desc.className = "m-meta";
      desc.textContent = x.body.description;
      li.appendChild(title);
      li.appendChild(desc);
      if (x.photos_dropped && !memory[x.client_id]) {
        var lost = document.createElement("span");
        lost.className = "m-meta";
        lost.textContent = t("mobile.outbox_photos_dropped");
        li.appendChild(lost);
      }
      if (x.error) {
        var err = document.createElement("span");
        err.className = "m-field-error";
        err.textContent = x.error;
        var del = document.createElement("button");
        del.type = "button";
        del.className = "btn btn-small btn-danger";
        del.setAttribute("data-outbox-drop", x.client_id);
        del.textContent = t("mobile.outbox_drop");
        li.appendChild(err);
        li.appendChild(del);
      }
      ul.appendChild(li);
    });
  }

  document.addEventListener("click", function (ev) {
    var drop = ev.target.closest && ev.target.closest("[data-outbox-drop]");
    if (drop) { dropEntry(drop.getAttribute("data-outbox-drop")); renderOutbox(); }
    if (ev.target.id === "outbox-retry") {
      readOutbox().forEach(function (x) { if (x.user === USER && x.error) { x.error = null; putEntry(x); } });
      flush();
    }
  });
  window.addEventListener("online", flush);
  if (USER) {
    renderOutbox();
    if (navigator.onLine !== false) flush();
    setInterval(function () { if (navigator.onLine !== false) flush(); }, RETRY_MS);
  }

  // --- geometry (the worker's grid, drawn without tiles) -----------------------------------------

  var inGeometry = GridgovApi.inGeometry;

  // --- report form --------------------------------------------------------------------------------

  function initReport() {
    var form = document.getElementById("report-form");
    if (!form) return;
    var config = JSON.parse(document.getElementById("report-config").textContent);
    var state = {point: null, photos: []};
    var byId = function (id) { return document.getElementById(id); };

    // item picker
    var search = byId("item-search");
    function filterItems() {
      var q = search.value.trim().toLowerCase();
      var any = false;
      document.querySelectorAll(".m-cat").forEach(function (cat) {
        var hits = 0;
        cat.querySelectorAll(".m-item").forEach(function (item) {
          var show = !q || item.getAttribute("data-search").indexOf(q) >= 0;
          item.hidden = !show;
          if (show) hits++;
        });
        cat.hidden = !hits;
        if (q) cat.open = hits > 0 && hits <= 12;
        if (hits) any = true;
      });
      byId("item-search-empty").hidden = any;
    }
    search.addEventListener("input", filterItems);
    search.addEventListener("keydown", function (ev) { if (ev.key === "Enter") ev.preventDefault(); });

    function selectedItem() { return form.querySelector('input[name="item_code"]:checked'); }
    form.addEventListener("change", function (ev) {
      if (ev.target.name === "item_code") {
        var input = ev.target;
        byId("item-chosen").textContent = t("mobile.item_chosen", {name: input.getAttribute("data-name"), code: input.value});
        byId("item-chosen").classList.add("is-set");
        byId("item-error").hidden = true;
        var self = input.getAttribute("data-self") === "1";
        byId("self-section").hidden = !self;
        if (!self) { byId("self-resolve").checked = false; byId("result-field").hidden = true; }
      } else if (ev.target.id === "self-resolve") {
        byId("result-field").hidden = !ev.target.checked;
      }
    });

    // photos
    var photoInput = byId("photo-input");
    function showPhotoError(msg) { var el = byId("photo-error"); el.textContent = msg || ""; el.hidden = !msg; }
    function renderPhotos() {
      var ul = byId("photo-list");
      ul.textContent = "";
      state.photos.forEach(function (p, i) {
        var li = document.createElement("li");
        var img = document.createElement("img");
        img.src = p.data;
        img.alt = p.name;
        var rm = document.createElement("button");
        rm.type = "button";
        rm.className = "m-photo-remove";
        rm.setAttribute("aria-label", t("mobile.photo_remove"));
        rm.textContent = "×";
        rm.addEventListener("click", function () { state.photos.splice(i, 1); renderPhotos(); });
        li.appendChild(img);
        li.appendChild(rm);
        ul.appendChild(li);
      });
    }
    photoInput.addEventListener("change", function () {
      showPhotoError("");
      var files = Array.prototype.slice.call(photoInput.files || []);
      var problems = [];
      files.forEach(function (file) {
        if (state.photos.length >= 9) { problems.push(t("mobile.photo_too_many")); return; }
        if (!/^image\//.test(file.type || "")) { problems.push(t("mobile.photo_type", {name: file.name})); return; }
        if (file.size > config.max_bytes) {
          problems.push(t("mobile.photo_too_big", {name: file.name, mb: Math.floor(config.max_bytes / 1048576)}));
          return;
        }
        if (!file.size) { problems.push(t("mobile.photo_empty", {name: file.name})); return; }
        var reader = new FileReader();
        reader.onload = function () { state.photos.push({name: file.name, type: file.type, data: reader.result}); renderPhotos(); };
        reader.readAsDataURL(file);
      });
      showPhotoError(problems.join("；"));
      photoInput.value = "";
    });

    // location: map of my grid + GPS
    var map = null, marker = null;
    var features = (config.layers && config.layers.features) || [];
    if (window.L && byId("pick-map")) {
      map = window.L.map("pick-map", {zoomControl: true, attributionControl: false, zoomSnap: 0.25});
      var layer = window.L.geoJSON(config.layers, {
        style: function (f) {
          return f.properties.level === "grid"
            ? {color: "#b7791f", weight: 3, fillColor: "#ffd45c", fillOpacity: 0.12}
            : {color: "#7c5cbf", weight: 1, dashArray: "4 4", fill: false};
        },
      }).addTo(map);
      if (features.length) map.fitBounds(layer.getBounds(), {padding: [8, 8]});
      else map.setView([41.2, 123.1], 12);
      map.on("click", function (ev) { setPoint(ev.latlng.lng, ev.latlng.lat, "map"); });
      document.body.setAttribute("data-map-ready", "1");
    }

    function where(lon, lat) {
      var grid = null, micro = null;
      features.forEach(function (f) {
        if (!inGeometry(lon, lat, f.geometry)) return;
        if (f.properties.level === "grid") grid = f.properties; else micro = f.properties;
      });
      return {grid: grid, micro: micro};
    }

    function setPoint(lon, lat, source, accuracy) {
      var found = where(lon, lat);
      state.point = {lon: Math.round(lon * 1e7) / 1e7, lat: Math.round(lat * 1e7) / 1e7, source: source, inside: !!found.grid};
      if (map) {
        if (marker) marker.setLatLng([lat, lon]);
        else marker = window.L.circleMarker([lat, lon], {radius: 8, color: "#fff", weight: 2, fillColor: "#c0342b", fillOpacity: 1}).addTo(map);
      }
      var status = byId("location-status");
      status.classList.toggle("is-outside", !found.grid);
      status.classList.toggle("is-set", !!found.grid);
      var coords = state.point.lon.toFixed(6) + ", " + state.point.lat.toFixed(6);
      if (found.grid) {
        status.textContent = t(source === "gps" ? "mobile.located_gps" : "mobile.located_map",
                               {grid: found.grid.name + (found.micro ? " · " + found.micro.name : ""), coords: coords,
                                accuracy: accuracy != null ? Math.round(accuracy) : "?"});
        status.setAttribute("data-grid", (found.micro || found.grid).code);
        byId("location-error").hidden = true;
      } else {
        status.textContent = t("mobile.located_outside", {coords: coords});
        status.removeAttribute("data-grid");
      }
    }

    byId("locate-gps").addEventListener("click", function () {
      var status = byId("location-status");
      if (!navigator.geolocation) { status.textContent = t("mobile.gps_unavailable"); return; }
      status.textContent = t("mobile.gps_locating");
      navigator.geolocation.getCurrentPosition(function (pos) {
        setPoint(pos.coords.longitude, pos.coords.latitude, "gps", pos.coords.accuracy);
        if (map) map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 15));
      }, function (err) {
        status.textContent = err && err.code === 1 ? t("mobile.gps_denied") : t("mobile.gps_failed");
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 30000});
    });

    // submit
    function fieldError(id, msg) { var el = byId(id); el.textContent = msg || ""; el.hidden = !msg; }
    function formError(msg) { var el = byId("report-error"); el.textContent = msg || ""; el.hidden = !msg; }
    byId("description").addEventListener("input", function (ev) {
      if (ev.target.value.trim().length >= 2) fieldError("description-error", "");
    });

    function validate() {
      var ok = true;
      var item = selectedItem();
      fieldError("item-error", item ? "" : t("mobile.err_item"));
      if (!item) ok = false;
      var desc = byId("description").value.trim();
      fieldError("description-error", desc.length >= 2 ? "" : t("mobile.err_description"));
      if (desc.length < 2) ok = false;
      if (!state.point) { fieldError("location-error", t("mobile.err_location")); ok = false; }
      else if (!state.point.inside) { fieldError("location-error", t("mobile.err_outside")); ok = false; }
      else fieldError("location-error", "");
      if (item && byId("self-resolve").checked && !byId("self-result").value.trim()) {
        formError(t("mobile.err_self_result"));
        ok = false;
      }
      return ok;
    }

    var submit = byId("report-submit");
    var idle = submit.textContent;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      formError("");
      if (!validate()) {
        if (!byId("report-error").textContent) formError(t("mobile.err_fix"));
        var first = form.querySelector(".m-field-error:not([hidden])");
        (first || byId("report-error")).scrollIntoView({block: "center"});
        return;
      }
      var item = selectedItem();
      var self = byId("self-resolve").checked && item.getAttribute("data-self") === "1";
      var body = {channel: "grid", item_code: item.value, description: byId("description").value.trim(),
                  lon: state.point.lon, lat: state.point.lat};
      var address = byId("address").value.trim();
      if (address) body.address = address;
      if (self) { body.self_resolve = true; body.result = byId("self-result").value.trim(); }
      var entry = {client_id: newClientId(), user: USER, body: body, item_name: item.getAttribute("data-name"),
                   photos: state.photos.slice(), attachment_ids: [], created: Date.now(), error: null};
      putEntry(entry);   // kept until the server has it
      sending[entry.client_id] = true;
      submit.disabled = true;
      submit.textContent = submit.getAttribute("data-busy");
      form.setAttribute("data-client-id", entry.client_id);
      send(entry).then(function (event) {
        dropEntry(entry.client_id);
        done(event, false);
      }, function (err) {
        if (retryable(err)) {
          done(null, true);
        } else {
          dropEntry(entry.client_id);
          formError(err.message);
          byId("report-error").scrollIntoView({block: "center"});
        }
      }).then(function () {
        delete sending[entry.client_id];
        submit.disabled = false;
        submit.textContent = idle;
      });
    });

    function done(event, queued) {
      form.hidden = true;
      var box = byId("report-done");
      box.hidden = false;
      box.classList.toggle("is-queued", queued);
      byId("done-title").textContent = queued ? t("mobile.done_queued") : t("mobile.done_title");
      byId("done-code").textContent = event ? event.code : "";
      byId("done-state").textContent = event ? t("mobile.done_state", {state: event.state_label})
                                             : t("mobile.done_queued_hint");
      var link = byId("done-link");
      if (event) link.href = "/m/events/" + event.code;
      link.hidden = !event;
      box.setAttribute("data-event-code", event ? event.code : "");
      box.focus();
      renderOutbox();
    }

    byId("report-again").addEventListener("click", function () {
      form.reset();
      state.photos = [];
      renderPhotos();
      state.point = null;
      if (marker && map) { map.removeLayer(marker); marker = null; }
      byId("location-status").textContent = t("mobile.location_none");
      byId("location-status").className = "m-location";
      byId("item-chosen").textContent = byId("item-chosen").getAttribute("data-empty");
      byId("item-chosen").classList.remove("is-set");
      byId("self-section").hidden = true;
      byId("result-field").hidden = true;
      filterItems();
      byId("report-done").hidden = true;
      form.hidden = false;
      window.scrollTo(0, 0);
    });
  }

  // --- event page: action forms -------------------------------------------------------------------

  document.addEventListener("click", function (ev) {
    var pick = ev.target.closest && ev.target.closest("[data-action-pick]");
    if (!pick) return;
    var name = pick.getAttribute("data-action-pick");
    var panel = pick.closest("#event-panel") || document;
    panel.querySelectorAll("[data-action-form]").forEach(function (f) {
      f.hidden = f.getAttribute("data-action-form") !== name ? true : !f.hidden;
    });
    panel.querySelectorAll("[data-action-pick]").forEach(function (b) {
      var form = panel.querySelector('[data-action-form="' + b.getAttribute("data-action-pick") + '"]');
      b.setAttribute("aria-expanded", form && !form.hidden ? "true" : "false");
    });
    var open = panel.querySelector('[data-action-form="' + name + '"]');
    if (open && !open.hidden) { var note = open.querySelector("textarea"); if (note) note.focus(); }
  });

  initReport();
})();
