/* 一张图: the event layers and colours over the region map (loaded before map.js, which creates it).
 *
 * - events: open events in the view (GET /api/v1/map/events): a dot per event coloured by severity,
 *   ringed when overdue, with a popup (number, item, state, link to /events/{code}); H3 clusters
 *   with their count when there are many;
 * - heat: events per H3 cell in the view (GET /api/v1/map/heat), hexagons on a colour ramp with a
 *   legend; the resolution follows the zoom, the period is chosen beside the toggle;
 * - metric colours: the finest region level drawn is filled by a chosen metric
 *   (GET /api/v1/map/metrics, quantile classes, legend);
 * - facts: the info panel's figures for the selected region (GET /api/v1/map/regions/{code}/facts).
 *
 * Test hooks: #map[data-event-markers], #map[data-heat-cells], #map[data-metric-regions],
 * #map-legend, #info-facts[data-code], body[data-render-ms] / [data-paint-ms] (map.js), body[data-events-ms],
 * body[data-heat-ms], body[data-metric-ms]. Hexagons are painted on a canvas (no element per cell).
 */
(function () {
  "use strict";

  // Colour ramps (5 classes, light → dark). Zero has no class and keeps the level's pale fill.
  var METRIC_RAMP = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"];
  var HEAT_RAMP = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
  var SEVERITY_COLOR = {low: "#3b82f6", normal: "#eab308", high: "#f97316", urgent: "#dc2626"};

  function classOf(value, breaks) {
    if (!(value > 0) || !breaks.length) return -1;
    for (var i = 0; i < breaks.length; i++) if (value <= breaks[i]) return i;
    return breaks.length - 1;
  }

  // Spread up to 5 classes over the ramp so that 2 classes still use a light and a dark colour.
  function rampIndex(cls, classes) {
    return classes <= 1 ? 4 : Math.round(cls * 4 / (classes - 1));
  }

  function rampColor(ramp, cls, classes) {
    return cls < 0 ? null : ramp[rampIndex(cls, classes)];
  }

  function create(ctx) {
    var map = ctx.map, api = ctx.api, t = ctx.t, el = ctx.el, clear = ctx.clear, isAbort = ctx.isAbort;
    var mapEl = document.getElementById("map");
    var legendEl = document.getElementById("map-legend");
    var metricSelect = document.getElementById("metric-select");
    var periodSelect = document.getElementById("heat-period");

    map.createPane("pane-heat").style.zIndex = "440";
    map.getPane("pane-heat").style.pointerEvents = "none";
    map.createPane("pane-events").style.zIndex = "490";
    // Hexagons are painted on a canvas (hundreds to thousands per view); events too when many.
    var heatRenderer = L.canvas({pane: "pane-heat", padding: 0.3});
    var eventsCanvas = null;
    var EVENTS_CANVAS_FROM = 300;

    var layers = {
      events: {enabled: false, group: null, controller: null, data: null, seq: 0},
      heat: {enabled: false, group: null, controller: null, data: null, seq: 0},
    };
    var metric = {name: metricSelect ? metricSelect.value : "", level: null, values: null, breaks: [], key: null,
                  controller: null, seq: 0};

    function bboxOf(bounds) {
      var c = function (v, lo, hi) { return Math.max(lo, Math.min(hi, v)).toFixed(6); };
      return [c(bounds.getWest(), -180, 180), c(bounds.getSouth(), -90, 90),
              c(bounds.getEast(), -180, 180), c(bounds.getNorth(), -90, 90)].join(",");
    }

    function stamp(name, started) {
      document.body.dataset[name] = String(Math.round(performance.now() - started));
    }

    // ------------------------------------------------------------ events
    function popupFor(ev) {
      var rows = [
        [t("map.event_item"), ev.title],
        [t("map.event_state"), ev.state_label],
        [t("map.event_severity"), ev.severity_label + (ev.overdue ? " · " + t("map.event_overdue") : "")],
      ];
      if (ev.address) rows.push([t("map.event_address"), ev.address]);
      var list = el("dl", {class: "event-popup-list"});
      rows.forEach(function (r) {
        list.appendChild(el("dt", {text: r[0]}));
        list.appendChild(el("dd", {text: r[1]}));
      });
      return el("div", {class: "event-popup", dataset: {code: ev.code}}, [
        el("div", {class: "event-popup-code", text: ev.code}),
        list,
        el("a", {class: "event-popup-link", href: "/events/" + encodeURIComponent(ev.code), text: t("map.event_open")}),
      ]);
    }

    function drawEvents(data) {
      var group = L.layerGroup();
      var count = 0;
      if (data.mode === "points") {
        var renderer;
        if (data.events.length > EVENTS_CANVAS_FROM) {
          renderer = eventsCanvas || (eventsCanvas = L.canvas({pane: "pane-events", padding: 0.3, tolerance: 3}));
        }
        data.events.forEach(function (ev) {
          var m = L.circleMarker([ev.lat, ev.lon], {
            pane: "pane-events", renderer: renderer, radius: ev.overdue ? 7 : 6, weight: ev.overdue ? 3 : 1.5,
            color: ev.overdue ? "#7f1d1d" : "#ffffff", fillColor: SEVERITY_COLOR[ev.severity] || "#64748b",
            fillOpacity: 0.95, className: "event-marker" + (ev.overdue ? " is-overdue" : ""),
          });
          m.bindPopup(function () { return popupFor(ev); }, {className: "event-popup-wrap", maxWidth: 280});
          m.bindTooltip(ev.title, {direction: "top", offset: [0, -6], className: "hover-tip"});
          group.addLayer(m);
          count++;
        });
      } else {
        data.clusters.forEach(function (c) {
          var size = Math.round(26 + Math.min(22, Math.sqrt(c.count) * 2));
          var icon = L.divIcon({
            className: "event-cluster cluster-" + (c.severity || "normal") + (c.overdue ? " has-overdue" : ""),
            html: "<span>" + String(Number(c.count)) + "</span>", iconSize: [size, size],
          });
          var m = L.marker([c.lat, c.lon], {icon: icon, pane: "pane-events", keyboard: false,
            title: t("map.cluster_title", {count: c.count, overdue: c.overdue})});
          m.on("click", function () { map.setView([c.lat, c.lon], Math.min(map.getZoom() + 2, 18)); });
          group.addLayer(m);
          count++;
        });
      }
      if (layers.events.group) map.removeLayer(layers.events.group);
      layers.events.group = group.addTo(map);
      mapEl.dataset.eventMarkers = String(count);
      mapEl.dataset.eventMode = data.mode;
      setNote("events", data.mode === "clusters" ? t("map.events_clustered", {count: data.total})
                                                  : t("map.events_count", {count: data.total}));
    }

    function loadEvents(bounds, zoom, started) {
      var layer = layers.events;
      if (layer.controller) layer.controller.abort();
      if (!layer.enabled) return;
      var controller = layer.controller = new AbortController();
      var seq = ++layer.seq;
      api("/api/v1/map/events?bbox=" + bboxOf(bounds) + "&zoom=" + zoom, {signal: controller.signal}).then(function (data) {
        if (seq !== layer.seq || !layer.enabled) return;
        layer.controller = null;
        layer.data = data;
        drawEvents(data);
        stamp("eventsMs", started);
      }, function (err) {
        if (isAbort(err) || seq !== layer.seq) return;
        layer.controller = null;
        ctx.setStatus("error", err.message);
      });
    }

    function removeEvents() {
      if (layers.events.controller) layers.events.controller.abort();
      if (layers.events.group) map.removeLayer(layers.events.group);
      layers.events.group = layers.events.data = null;
      mapEl.dataset.eventMarkers = "0";
      setNote("events", "");
    }

    // ------------------------------------------------------------ heat
    function drawHeat(data) {
      var group = L.layerGroup();
      var classes = data.breaks.length;
      data.cells.forEach(function (cell) {
        var color = rampColor(HEAT_RAMP, classOf(cell.count, data.breaks), classes);
        group.addLayer(L.polygon(cell.boundary, {
          pane: "pane-heat", renderer: heatRenderer, interactive: false, stroke: true, color: "#ffffff", weight: 0.6, opacity: 0.8,
          fillColor: color, fillOpacity: 0.62, className: "heat-cell",
        }));
      });
      if (layers.heat.group) map.removeLayer(layers.heat.group);
      layers.heat.group = group.addTo(map);
      mapEl.dataset.heatCells = String(data.cells.length);
      setNote("heat", t("map.heat_count", {count: data.total}));
      renderLegend();
    }

    function loadHeat(bounds, zoom, started) {
      var layer = layers.heat;
      if (layer.controller) layer.controller.abort();
      if (!layer.enabled) return;
      var controller = layer.controller = new AbortController();
      var seq = ++layer.seq;
      var period = periodSelect ? periodSelect.value : "30d";
      api("/api/v1/map/heat?bbox=" + bboxOf(bounds) + "&zoom=" + zoom + "&period=" + encodeURIComponent(period),
          {signal: controller.signal}).then(function (data) {
        if (seq !== layer.seq || !layer.enabled) return;
        layer.controller = null;
        layer.data = data;
        drawHeat(data);
        stamp("heatMs", started);
      }, function (err) {
        if (isAbort(err) || seq !== layer.seq) return;
        layer.controller = null;
        ctx.setStatus("error", err.message);
      });
    }

    function removeHeat() {
      if (layers.heat.controller) layers.heat.controller.abort();
      if (layers.heat.group) map.removeLayer(layers.heat.group);
      layers.heat.group = layers.heat.data = null;
      mapEl.dataset.heatCells = "0";
      setNote("heat", "");
      renderLegend();
    }

    // ------------------------------------------------------------ metric colours
    var METRIC_LEVELS = {street: 1, community: 1, grid: 1, micro_grid: 1};

    // The fill for a region of the coloured level, or null (the level's own style).
    function fillFor(level, code) {
      if (!metric.name || !metric.values || level !== metric.level) return null;
      var value = metric.values[code];
      if (value === undefined) return null;
      var color = rampColor(METRIC_RAMP, classOf(value, metric.breaks), metric.breaks.length);
      return color || "#f2f4f7";
    }

    function loadMetric(level, bounds, started) {
      if (metric.controller) metric.controller.abort();
      if (!metric.name || !METRIC_LEVELS[level]) {
        var had = metric.level;
        metric.level = null;
        metric.values = null;
        metric.key = null;
        mapEl.dataset.metricRegions = "0";
        if (had) ctx.restyle(had);
        renderLegend();
        return;
      }
      var bbox = bboxOf(bounds);
      var key = metric.name + "|" + level + "|" + bbox;
      if (metric.key === key && metric.values) return;
      var controller = metric.controller = new AbortController();
      var seq = ++metric.seq;
      api("/api/v1/map/metrics?bbox=" + bbox + "&level=" + level + "&metric=" + encodeURIComponent(metric.name),
          {signal: controller.signal}).then(function (data) {
        if (seq !== metric.seq) return;
        metric.controller = null;
        var previous = metric.level;
        metric.level = level;
        metric.values = data.values;
        metric.breaks = data.breaks;
        metric.label = data.label;
        metric.key = key;
        mapEl.dataset.metricRegions = String(Object.keys(data.values).length);
        if (previous && previous !== level) ctx.restyle(previous);
        ctx.restyle(level);
        renderLegend();
        stamp("metricMs", started);
      }, function (err) {
        if (isAbort(err) || seq !== metric.seq) return;
        metric.controller = null;
        ctx.setStatus("error", err.message);
      });
    }

    // ------------------------------------------------------------ legend
    function legendRows(ramp, breaks, fmt) {
      var rows = [];
      var lower = 1;
      breaks.forEach(function (b, i) {
        var upper = Math.floor(b);
        var label = lower >= upper ? fmt(upper) : fmt(lower) + "–" + fmt(upper);
        rows.push(el("li", {}, [
          el("span", {class: "legend-swatch legend-" + ramp.name + "-" + rampIndex(i, breaks.length)}),
          el("span", {class: "legend-label", text: label}),
        ]));
        lower = upper + 1;
      });
      return rows;
    }

    function number(v) { return Number(v).toLocaleString("zh-CN"); }

    function renderLegend() {
      clear(legendEl);
      var parts = 0;
      if (metric.name && metric.level && metric.values) {
        var list = el("ul", {class: "legend-list"});
        if (!metric.breaks.length) list.appendChild(el("li", {class: "legend-empty", text: t("map.legend_all_zero")}));
        else {
          list.appendChild(el("li", {}, [el("span", {class: "legend-swatch legend-zero"}),
                                         el("span", {class: "legend-label", text: "0"})]));
          legendRows({name: "metric"}, metric.breaks, number).forEach(function (r) { list.appendChild(r); });
        }
        legendEl.appendChild(el("section", {class: "legend-block", id: "legend-metric"}, [
          el("h3", {class: "legend-title", text: t("map.legend_metric", {metric: metric.label,
                                                                       level: t("level." + metric.level)})}),
          list,
        ]));
        parts++;
      }
      var heatData = layers.heat.enabled && layers.heat.data;
      if (heatData) {
        var hl = el("ul", {class: "legend-list"});
        if (!heatData.breaks.length) hl.appendChild(el("li", {class: "legend-empty", text: t("map.legend_no_events")}));
        legendRows({name: "heat"}, heatData.breaks, number).forEach(function (r) { hl.appendChild(r); });
        legendEl.appendChild(el("section", {class: "legend-block", id: "legend-heat"}, [
          el("h3", {class: "legend-title", text: t("map.legend_heat", {period: t("map.period_" + heatData.period)})}),
          hl,
          el("p", {class: "legend-note", text: t("map.legend_heat_note", {res: heatData.resolution})}),
        ]));
        parts++;
      }
      legendEl.hidden = parts === 0;
    }

    // ------------------------------------------------------------ facts in the info panel
    var factsSeq = 0;

    function fact(key, value, modifier) {
      return el("div", {class: "fact" + (modifier ? " " + modifier : ""), dataset: {fact: key}}, [
        el("span", {class: "fact-value", text: value === null || value === undefined ? "—" : number(value)}),
        el("span", {class: "fact-label", text: t("map.fact_" + key)}),
      ]);
    }

    function renderFacts(detail, container) {
      var seq = ++factsSeq;
      var box = el("section", {class: "info-facts", id: "info-facts", dataset: {state: "loading"}}, [
        el("p", {class: "info-loading", text: t("map.facts_loading")}),
      ]);
      container.appendChild(box);
      api("/api/v1/map/regions/" + encodeURIComponent(detail.code) + "/facts").then(function (f) {
        if (seq !== factsSeq) return;
        clear(box);
        box.dataset.state = "ready";
        box.dataset.code = f.code;
        box.appendChild(el("h3", {class: "info-facts-title", text: t("map.facts_title")}));
        var grid = el("div", {class: "facts-grid"}, [
          fact("events_week", f.events_week),
          fact("open", f.open),
          fact("overdue", f.overdue, f.overdue > 0 ? "is-alert" : ""),
        ]);
        if (f.population !== null) {
          grid.appendChild(fact("population", f.population));
          grid.appendChild(fact("houses", f.houses));
          grid.appendChild(fact("special_groups", f.special_groups));
        }
        box.appendChild(grid);
        var links = el("div", {class: "facts-links"}, [
          el("a", {class: "btn btn-small", id: "facts-events-link",
                   href: "/events?region=" + encodeURIComponent(f.code), text: t("map.facts_events_link")}),
          f.population !== null ? el("a", {class: "btn btn-small", id: "facts-people-link",
                                           href: "/register/persons", text: t("map.facts_people_link")}) : null,
        ]);
        box.appendChild(links);
      }, function (err) {
        if (seq !== factsSeq) return;
        clear(box);
        box.dataset.state = "error";
        box.appendChild(el("p", {class: "info-error", role: "alert", text: err.message}));
      });
    }

    // ------------------------------------------------------------ wiring
    function setNote(name, text) {
      var note = document.querySelector('[data-note-for="' + name + '"]');
      if (note) note.textContent = text;
    }

    function paddedView() { return map.getBounds().pad(0.3); }

    // Called by map.js after every redraw of the region layers (finest level drawn across the view).
    function afterRegions(finestLevel, started) {
      var bounds = paddedView();
      var zoom = Math.round(map.getZoom());
      loadMetric(finestLevel, ctx.loadedBounds(finestLevel) || bounds, started);
      var key = bboxOf(bounds) + "|" + zoom;
      if (layers.events.enabled && layers.events.key !== key) { layers.events.key = key; loadEvents(bounds, zoom, started); }
      if (layers.heat.enabled && layers.heat.key !== key) { layers.heat.key = key; loadHeat(bounds, zoom, started); }
    }

    document.querySelectorAll('input[name="overlay"]').forEach(function (input) {
      var name = input.value;
      layers[name].enabled = input.checked;
      input.addEventListener("change", function () {
        layers[name].enabled = input.checked;
        layers[name].key = null;
        if (!input.checked) { if (name === "events") removeEvents(); else removeHeat(); return; }
        var started = performance.now();
        if (name === "events") loadEvents(paddedView(), Math.round(map.getZoom()), started);
        else loadHeat(paddedView(), Math.round(map.getZoom()), started);
      });
    });
    if (periodSelect) periodSelect.addEventListener("change", function () {
      if (layers.heat.enabled) loadHeat(paddedView(), Math.round(map.getZoom()), performance.now());
    });
    if (metricSelect) metricSelect.addEventListener("change", function () {
      metric.name = metricSelect.value;
      metric.key = null;
      loadMetric(ctx.finestLevel(), ctx.loadedBounds(ctx.finestLevel()) || paddedView(), performance.now());
    });

    return {
      afterRegions: afterRegions, fillFor: fillFor, renderFacts: renderFacts,
      state: {layers: layers, metric: metric},
    };
  }

  window.GridgovMapLayers = {create: create, classOf: classOf};
})();
