/* 随手拍 (/report): the resident's public report form.
 *
 * A category from the short list, a description, one photo (uploaded first to
 * /api/v1/public/attachments), a location from GPS or a tap on the map of the county's streets and
 * communities (/report/areas.json, no tiles), optional name and phone (or anonymous). The report goes
 * to /api/v1/public/reports without cookies (anonymous); on success the tracking code is shown with a
 * link to /track/{code}. Errors from the server (422, 413, 415, 429) are shown in place.
 */
(function () {
  "use strict";

  var form = document.getElementById("resident-form");
  if (!form) return;

  var t = GridgovApi.t;
  function byId(id) { return document.getElementById(id); }

  var config = JSON.parse(byId("resident-config").textContent);
  var state = {point: null, photo: null, areas: []};
  var clientId = newClientId();

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return "web-" + window.crypto.randomUUID();
    return "web-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  function fieldError(id, msg) { var el = byId(id); el.textContent = msg || ""; el.hidden = !msg; }
  function formError(msg) { var el = byId("r-error"); el.textContent = msg || ""; el.hidden = !msg; }

  function friendly(err) {
    if (err && err.status === 429) return t("resident.err_rate_limited", {seconds: err.retryAfter || 60});
    return (err && err.message) || t("error.network");
  }

  // --- category ---------------------------------------------------------------------------------
  form.addEventListener("change", function (ev) {
    if (ev.target.name === "item_code") fieldError("category-error", "");
    if (ev.target.id === "r-anonymous") {
      byId("r-contact").hidden = ev.target.checked;
      if (ev.target.checked) { byId("r-name").value = ""; byId("r-phone").value = ""; fieldError("phone-error", ""); }
    }
  });

  byId("r-description").addEventListener("input", function (ev) {
    if (ev.target.value.trim().length >= 2) fieldError("description-error", "");
  });

  // --- photo ------------------------------------------------------------------------------------
  var input = byId("r-photo");
  function renderPhoto() {
    var ul = byId("r-photo-list");
    ul.textContent = "";
    if (!state.photo) return;
    var li = document.createElement("li");
    var img = document.createElement("img");
    img.src = state.photo.data;
    img.alt = state.photo.file.name;
    var rm = document.createElement("button");
    rm.type = "button";
    rm.className = "m-photo-remove";
    rm.setAttribute("aria-label", t("resident.photo_remove"));
    rm.textContent = "×";
    rm.addEventListener("click", function () { state.photo = null; renderPhoto(); });
    li.appendChild(img);
    li.appendChild(rm);
    ul.appendChild(li);
  }
  input.addEventListener("change", function () {
    fieldError("photo-error", "");
    var file = input.files && input.files[0];
    input.value = "";
    if (!file) return;
    if (!/^image\//.test(file.type || "")) { fieldError("photo-error", t("resident.photo_type", {name: file.name})); return; }
    if (file.size > config.max_bytes) {
      fieldError("photo-error", t("resident.photo_too_big", {name: file.name, mb: Math.floor(config.max_bytes / 1048576)}));
      return;
    }
    if (!file.size) { fieldError("photo-error", t("resident.photo_empty", {name: file.name})); return; }
    var reader = new FileReader();
    reader.onload = function () { state.photo = {file: file, data: reader.result, id: null}; renderPhoto(); };
    reader.readAsDataURL(file);
  });

  // --- map and location -------------------------------------------------------------------------
  var inGeometry = GridgovApi.inGeometry;

  var map = null, marker = null;
  var STYLE = {
    county: {color: "#44546a", weight: 3, fill: false},
    street: {color: "#2f6db5", weight: 2, fill: false},
    community: {color: "#168a78", weight: 1, fillColor: "#168a78", fillOpacity: 0.06},
  };
  if (window.L) {
    map = window.L.map("r-map", {zoomControl: true, attributionControl: false, zoomSnap: 0.25});
    map.setView([41.25, 123.1], 10);
    map.on("click", function (ev) { setPoint(ev.latlng.lng, ev.latlng.lat, "map"); });
    window.GridgovApi.request("/report/areas.json", {credentials: "omit"}).then(function (data) {
      state.areas = (data && data.features) || [];
      var layer = window.L.geoJSON(data, {
        style: function (f) { return STYLE[f.properties.level] || STYLE.community; },
        onEachFeature: function (f, l) {
          if (f.properties.level === "community") l.bindTooltip(f.properties.name, {sticky: true});
        },
      }).addTo(map);
      if (state.areas.length) map.fitBounds(layer.getBounds(), {padding: [6, 6]});
      if (state.point) setPoint(state.point.lon, state.point.lat, state.point.source);
      document.body.setAttribute("data-map-ready", "1");
    }, function () {
      document.body.setAttribute("data-map-ready", "0");
    });
  }

  function placeOf(lon, lat) {
    var found = {};
    state.areas.forEach(function (f) {
      if (inGeometry(lon, lat, f.geometry)) found[f.properties.level] = f.properties.name;
    });
    return found;
  }

  function setPoint(lon, lat, source, accuracy) {
    state.point = {lon: Math.round(lon * 1e7) / 1e7, lat: Math.round(lat * 1e7) / 1e7, source: source};
    if (map) {
      if (marker) marker.setLatLng([lat, lon]);
      else marker = window.L.circleMarker([lat, lon], {radius: 9, color: "#fff", weight: 2, fillColor: "#c0342b", fillOpacity: 1}).addTo(map);
    }
    var el = byId("r-location");
    var coords = state.point.lon.toFixed(5) + ", " + state.point.lat.toFixed(5);
    var place = placeOf(lon, lat);
    var name = [place.street, place.community].filter(Boolean).join(" · ");
    var known = state.areas.length > 0;
    state.point.inside = !known || !!place.community || !!place.street || !!place.county;
    el.classList.toggle("is-set", state.point.inside);
    el.classList.toggle("is-outside", !state.point.inside);
    if (!state.point.inside) el.textContent = t("resident.location_outside", {coords: coords});
    else if (name) el.textContent = t("resident.location_in", {place: name, coords: coords});
    else el.textContent = t("resident.location_set", {coords: coords});
    if (state.point.inside) fieldError("location-error", "");
  }

  byId("r-locate").addEventListener("click", function () {
    var el = byId("r-location");
    if (!navigator.geolocation) { el.textContent = t("resident.gps_unavailable"); return; }
    el.textContent = t("resident.gps_locating");
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.longitude, pos.coords.latitude, "gps", pos.coords.accuracy);
      if (map) map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 15));
    }, function (err) {
      el.textContent = err && err.code === 1 ? t("resident.gps_denied") : t("resident.gps_failed");
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });

  // --- submit -----------------------------------------------------------------------------------
  function validate() {
    var ok = true;
    var item = form.querySelector('input[name="item_code"]:checked');
    fieldError("category-error", item ? "" : t("resident.err_category"));
    if (!item) ok = false;
    var desc = byId("r-description").value.trim();
    fieldError("description-error", desc.length >= 2 ? "" : t("resident.err_description"));
    if (desc.length < 2) ok = false;
    if (!state.point) { fieldError("location-error", t("resident.err_location")); ok = false; }
    else if (!state.point.inside) { fieldError("location-error", t("resident.err_outside")); ok = false; }
    var phone = byId("r-phone").value.trim();
    var badPhone = !byId("r-anonymous").checked && phone && !/^1\d{10}$/.test(phone);
    fieldError("phone-error", badPhone ? t("resident.err_phone") : "");
    if (badPhone) ok = false;
    return ok;
  }

  function upload(photo) {
    if (!photo || photo.id) return Promise.resolve(photo ? photo.id : null);
    var data = new FormData();
    data.append("file", photo.file, photo.file.name);
    return fetch("/api/v1/public/attachments", {method: "POST", body: data, credentials: "omit",
                                                 headers: {"Accept": "application/json"}})
      .then(function (res) {
        return res.text().then(function (text) {
          var body = null;
          try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
          if (res.ok && body) { photo.id = body.id; return body.id; }
          var err = (body && body.error) || {};
          var error = new window.GridgovApi.ApiError(res.status, err.message || t("error.server", {status: res.status}),
                                                     err.code || "http_" + res.status);
          var wait = parseInt(res.headers.get("Retry-After") || "", 10);
          if (!isNaN(wait)) error.retryAfter = wait;
          throw error;
        });
      }, function () { throw new window.GridgovApi.ApiError(0, t("error.network"), "network"); });
  }

  var submit = byId("r-submit");
  var idle = submit.textContent;
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    formError("");
    if (!validate()) {
      formError(t("resident.err_fix"));
      var first = form.querySelector(".m-field-error:not([hidden])");
      if (first) first.scrollIntoView({block: "center"});
      return;
    }
    var item = form.querySelector('input[name="item_code"]:checked');
    var body = {client_id: clientId, item_code: item.value, description: byId("r-description").value.trim(),
                lon: state.point.lon, lat: state.point.lat};
    var address = byId("r-address").value.trim();
    if (address) body.address = address;
    if (!byId("r-anonymous").checked) {
      var name = byId("r-name").value.trim(), phone = byId("r-phone").value.trim();
      if (name) body.name = name;
      if (phone) body.phone = phone;
    }
    submit.disabled = true;
    submit.textContent = submit.getAttribute("data-busy");
    upload(state.photo).then(function (id) {
      if (id) body.attachment_ids = [id];
      return window.GridgovApi.request("/api/v1/public/reports", {method: "POST", body: body, credentials: "omit"});
    }).then(function (data) {
      form.hidden = true;
      byId("r-tracking-code").textContent = data.tracking_code;
      byId("r-track-link").href = "/track/" + encodeURIComponent(data.tracking_code);
      var done = byId("r-done");
      done.hidden = false;
      done.focus();
      window.scrollTo(0, 0);
    }, function (err) {
      // a refusal (4xx) filed nothing: the corrected report is a new one. A lost answer or a server
      // error keeps the id, so sending the same report again cannot file it twice.
      if (err && err.status >= 400 && err.status < 500 && err.status !== 429) clientId = newClientId();
      if (err && err.code && /^attachment/.test(err.code)) fieldError("photo-error", friendly(err));
      formError(friendly(err));
      byId("r-error").scrollIntoView({block: "center"});
    }).then(function () { submit.disabled = false; submit.textContent = idle; });
  });

  byId("r-copy").addEventListener("click", function () {
    var code = byId("r-tracking-code").textContent;
    var button = byId("r-copy");
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(code).then(function () { button.textContent = button.getAttribute("data-done"); },
                                               function () { /* the code stays selectable */ });
    }
  });
})();
