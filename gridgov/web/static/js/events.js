/* The event centre's pages: the list (bulk selection), the detail (small map, action results),
 * the centre's entry form (item picker, point on a map) and the inbox.
 *
 * Everything else is htmx driven by the server's fragments; this file only adds what HTML cannot:
 * - list: "select all", the selected count, the department field only for "dispatch", and a table
 *   refresh after a bulk action (the server sends HX-Trigger: events-changed);
 * - detail: a Leaflet map without tiles (the event's point and its grid from /api/v1/regions),
 *   a toast after an action (the panel comes back out of band), [data-reload] links;
 * - new: category → item filter, a point picked on the map, a retry-safe client_id;
 * - inbox: clear the notice form after it was sent.
 */
(function () {
  "use strict";

  var api = window.GridgovApi ? window.GridgovApi.client({}) : null;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function toast(msg, kind) { if (window.GridgovUi) window.GridgovUi.toast(msg, kind); }

  // --- list ---------------------------------------------------------------------------------
  function updateBulk() {
    var count = $("#bulk-count");
    if (!count) return;
    var n = $all(".row-select:checked").length;
    count.textContent = count.getAttribute("data-template").replace("{n}", String(n));
    var all = $("#select-all");
    var boxes = $all(".row-select");
    if (all) all.checked = boxes.length > 0 && n === boxes.length;
  }

  function updateBulkFields() {
    var action = $("#bulk-action");
    var dept = $(".bulk-dept");
    if (!action || !dept) return;
    dept.hidden = action.value !== "dispatch";
    var note = $("#bulk-note");
    if (note) note.required = action.value === "urge";
  }

  document.addEventListener("change", function (ev) {
    var target = ev.target;
    if (target.id === "select-all") {
      $all(".row-select").forEach(function (box) { box.checked = target.checked; });
      updateBulk();
    } else if (target.classList && target.classList.contains("row-select")) {
      updateBulk();
    } else if (target.id === "bulk-action") {
      updateBulkFields();
    } else if (target.id === "f-category" || target.id === "new-category") {
      filterItems(target.value, target.id === "f-category" ? "#f-item" : "#new-item");
    } else if (target.id === "new-item") {
      var opt = target.selectedOptions && target.selectedOptions[0];
      var cat = $("#new-category");
      var group = opt && opt.parentElement && opt.parentElement.getAttribute("data-category");
      if (cat && group && cat.value !== group) cat.value = group;
    }
  });

  function filterItems(category, selector) {
    var select = $(selector);
    if (!select) return;
    $all("optgroup", select).forEach(function (group) {
      var show = !category || group.getAttribute("data-category") === category;
      group.hidden = !show;
      group.disabled = !show;
    });
    var chosen = select.selectedOptions && select.selectedOptions[0];
    if (chosen && chosen.parentElement.disabled) select.value = "";
  }

  document.body.addEventListener("events-changed", function () {
    var form = $("#event-filters");
    if (form && window.htmx) window.htmx.trigger(form, "submit");
  });

  document.addEventListener("htmx:afterSwap", function (ev) {
    if (ev.detail.target && ev.detail.target.id === "event-results") updateBulk();
  });

  // --- detail -------------------------------------------------------------------------------
  document.addEventListener("htmx:afterRequest", function () {
    // the action panel came back out of band (swapped by now): say what was done, once
    var done = $("#event-actions #action-done[data-toast-text]");
    if (!done) return;
    toast(done.getAttribute("data-toast-text"), "success");
    done.removeAttribute("data-toast-text");
  });

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("[data-reload]");
    if (link) {
      ev.preventDefault();
      window.location.reload();
    }
  });

  function baseMap(el) {
    var map = L.map(el, {attributionControl: false, zoomControl: true, scrollWheelZoom: false});
    L.control.scale({imperial: false, position: "bottomleft"}).addTo(map);
    return map;
  }

  function eventMap() {
    var el = $("#event-map");
    var data = $("#event-map-data");
    if (!el || !data || !window.L) return;
    var info = JSON.parse(data.textContent || "{}");
    if (info.lon === null || info.lat === null || info.lon === undefined) return;
    var map = baseMap(el);
    var point = L.circleMarker([info.lat, info.lon], {radius: 8, color: "#b42318", weight: 2, fillColor: "#ff6b5b",
                                                      fillOpacity: 0.9});
    point.addTo(map);
    map.setView([info.lat, info.lon], 16);
    el.setAttribute("data-ready", "1");
    if (!info.grid_code || !api) return;
    api("/api/v1/regions/" + encodeURIComponent(info.grid_code) + "?geometry=true").then(function (grid) {
      if (!grid.geometry) return;
      var layer = L.geoJSON(grid.geometry, {style: {color: "#b7791f", weight: 2, fillColor: "#f6e05e", fillOpacity: 0.15},
                                            interactive: false}).addTo(map);
      point.bringToFront();
      map.fitBounds(layer.getBounds().extend(point.getLatLng()), {padding: [16, 16]});
      el.setAttribute("data-grid", "1");
    }, function () { /* no permission to read regions: the point alone */ });
  }

  // --- new event ----------------------------------------------------------------------------
  function randomId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return "web-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function pickMap() {
    var el = $("#pick-map");
    if (!el || !window.L) return;
    var client = $("#new-client-id");
    if (client && !client.value) client.value = randomId();
    var map = baseMap(el);
    var marker = null;
    var lon = $("#new-lon"), lat = $("#new-lat"), text = $("#pick-text");
    map.setView([41.27, 123.04], 11);
    function set(latlng) {
      if (marker) marker.remove();
      marker = null;
      if (!latlng) {
        lon.value = lat.value = "";
        text.textContent = text.getAttribute("data-none");
        return;
      }
      marker = L.circleMarker(latlng, {radius: 8, color: "#b42318", weight: 2, fillColor: "#ff6b5b", fillOpacity: 0.9})
        .addTo(map);
      lon.value = latlng.lng.toFixed(7);
      lat.value = latlng.lat.toFixed(7);
      text.textContent = lon.value + ", " + lat.value;
    }
    map.on("click", function (e) { set(e.latlng); });
    $("#pick-clear").addEventListener("click", function () { set(null); });
    if (!api) return;
    api("/api/v1/regions").then(function (roots) {
      var root = roots && roots[0];
      if (!root || !root.bbox) return;
      var b = root.bbox;
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
      var url = "/api/v1/grids?level=community&zoom=12&bbox=" + b.map(function (v) { return v.toFixed(6); }).join(",");
      return api(url).then(function (fc) {
        L.geoJSON(fc, {style: {color: "#168a78", weight: 1, fillOpacity: 0.04}, interactive: false}).addTo(map);
        el.setAttribute("data-ready", "1");
      });
    }).catch(function () { el.setAttribute("data-ready", "1"); });
  }

  // --- inbox --------------------------------------------------------------------------------
  document.body.addEventListener("notice-sent", function () {
    var form = $("#notice-form");
    if (!form) return;
    $("#notice-title", form).value = "";
    $("#notice-body", form).value = "";
    $("#notice-send-error").textContent = "";
  });

  var category = $("#f-category");
  if (category && category.value) filterItems(category.value, "#f-item");
  updateBulk();
  updateBulkFields();
  eventMap();
  pickMap();
})();
