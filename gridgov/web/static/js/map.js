/* 一张图: the county map, the region tree, search and the info panel.
 *
 * Plain browser JavaScript over Leaflet (vendored), no build step. Everything it shows comes from
 * the JSON API (/api/v1/...), same-origin with the session cookie, through the shared helper
 * static/js/api.js (CSRF token on writes, the server's error messages). UI text comes from the catalogue the page
 * embeds (#i18n-catalogue), through t().
 *
 * Stable hooks for tests: #map[data-loaded-features], body[data-map-ready="1"], #region-tree
 * .tree-node[data-code], #search-input, #search-results .search-result[data-code],
 * #info-panel[data-state][data-code], input[name=layer][value=LEVEL], and window.gridgov.
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------- text and small helpers
  var t = GridgovApi.t;
  function levelLabel(level) { return t("level." + level); }

  var el = GridgovApi.el;

  var clear = GridgovApi.clear;

  function levelTag(level, label) {
    return el("span", {class: "level-tag level-" + level, text: label || levelLabel(level)});
  }

  function debounce(fn, ms) {
    var timer = null;
    var debounced = function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
    debounced.cancel = function () { clearTimeout(timer); };
    return debounced;
  }

  function cssVar(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }

  function formatNumber(value, digits) {
    return Number(value).toLocaleString("zh-CN", {minimumFractionDigits: digits, maximumFractionDigits: digits});
  }

  // Region names seen so far, by code: children often repeat their parent's name
  // ("某某社区第1网格" under "某某社区"), and the tree and the map labels show only the rest.
  var NAMES = {};

  function remember(code, name) { if (code && name) NAMES[code] = name; }

  function shortName(name, parentCode) {
    var parent = parentCode && NAMES[parentCode];
    if (parent && name.length > parent.length && name.indexOf(parent) === 0) return name.slice(parent.length);
    return name;
  }

  // ---------------------------------------------------------------- API
  var redirecting = false;

  function sessionExpired() {
    if (redirecting) return;
    redirecting = true;
    setStatus("error", t("error.session_expired"));
    setTimeout(function () {
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.hash));
    }, 1200);
  }

  // JSON in and out through the shared helper (static/js/api.js); errors carry the server's message.
  var api = GridgovApi.client({onUnauthorized: sessionExpired});
  var isAbort = GridgovApi.isAbort;

  // Worth retrying: the network or the server failed (not a refusal such as 403 or 404).
  function retryButton(err, action) {
    if (err.status && err.status < 500) return null;
    return el("button", {type: "button", class: "link-btn", text: t("error.retry"), onclick: action});
  }

  // ---------------------------------------------------------------- levels and styles
  var MAP_LEVELS = ["street", "community", "grid", "exclusive_grid", "micro_grid"]; // bottom → top
  var DEPTH = {province: -2, city: -1, county: 0, street: 1, community: 2, grid: 3, exclusive_grid: 3, micro_grid: 4};
  // Below these zooms a level is not requested (unless it is within one level of the user's scope;
  // see minZoom).
  var MIN_ZOOM = {street: 0, community: 11, grid: 13, exclusive_grid: 13, micro_grid: 16};
  var CHILD_LEVEL = {province: "city", city: "county", county: "street", street: "community", community: "grid",
                     grid: "micro_grid"};
  var WEIGHT = {street: 2.6, community: 1.8, grid: 1.2, exclusive_grid: 1.6, micro_grid: 0.9};
  var LABEL_LIMIT = 400;  // labels are also dropped where a name does not fit its region
  var COLOR = {};
  MAP_LEVELS.forEach(function (level) { COLOR[level] = cssVar("--level-" + level, "#555"); });
  var SELECTED = cssVar("--selected", "#10243e");
  var SELECTED_FILL = cssVar("--selected-fill", "#ffd45c");

  // ---------------------------------------------------------------- state
  var state = {
    me: null,
    roots: [],
    rootDepth: 0,
    homeBounds: null,
    homeZoom: null,
    enabled: {},          // level → checkbox state
    layers: {},           // level → {group, outline, fc, loaded: {bounds, zoom, parent}, truncated, count, waiting}
    selectedCode: null,
    selected: null,       // the detail of the selected region
    selectSeq: 0,
    drillCode: null,      // the selected region whose children are drawn below their usual zoom
    inflight: null,       // the layer load under way: {controller, bounds, zoom, planKey}
    finestLevel: null,    // the finest basic level drawn across the view (coloured by a metric)
    moveStartedAt: null,  // performance.now() at the start of the pan/zoom being drawn
    ready: false,
  };
  MAP_LEVELS.forEach(function (level) {
    state.enabled[level] = true;
    state.layers[level] = {group: null, outline: null, fc: null, loaded: null, truncated: false, count: 0,
                           waiting: false};
  });

  // ---------------------------------------------------------------- DOM
  var mapEl = document.getElementById("map");
  var statusEl = document.getElementById("map-status");
  var treeEl = document.getElementById("region-tree");
  var searchInput = document.getElementById("search-input");
  var searchResults = document.getElementById("search-results");
  var infoPanel = document.getElementById("info-panel");
  var infoBody = document.getElementById("info-body");
  var infoClose = document.getElementById("info-close");
  var treeToggle = document.getElementById("tree-toggle");
  var phoneQuery = window.matchMedia("(max-width: 640px)");

  function setStatus(kind, text) {
    statusEl.dataset.state = kind;
    statusEl.textContent = text;
  }

  // ---------------------------------------------------------------- map
  var map = L.map(mapEl, {
    zoomControl: true, attributionControl: true, minZoom: 3, maxZoom: 19, zoomSnap: 0.25, zoomDelta: 0.5,
    wheelPxPerZoomLevel: 100, worldCopyJump: false, boxZoom: true,
  });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com" target="_blank" rel="noopener">Leaflet</a>');
  L.control.scale({imperial: false, position: "bottomleft"}).addTo(map);

  // Fills stack finest on top (it takes the clicks); boundaries stack coarsest on top.
  MAP_LEVELS.forEach(function (level, i) {
    map.createPane("pane-" + level).style.zIndex = String(410 + i * 5);
    var outline = map.createPane("outline-" + level);
    outline.style.zIndex = String(470 - i * 5);
    outline.style.pointerEvents = "none";
  });
  var selectionPane = map.createPane("pane-selected");
  selectionPane.style.zIndex = "480";
  selectionPane.style.pointerEvents = "none";

  var HomeControl = L.Control.extend({
    options: {position: "topleft"},
    onAdd: function () {
      var wrap = L.DomUtil.create("div", "leaflet-bar");
      var button = L.DomUtil.create("button", "map-home", wrap);
      button.type = "button";
      button.title = t("map.fit_all");
      button.setAttribute("aria-label", t("map.fit_all"));
      button.innerHTML = '<svg viewBox="0 0 20 20" aria-hidden="true"><path d="M3 9.5 10 3l7 6.5V17h-4.5v-4.5h-5V17H3z"/></svg>';
      L.DomEvent.disableClickPropagation(wrap);
      L.DomEvent.on(button, "click", function () { fitHome(); });
      return wrap;
    },
  });
  new HomeControl().addTo(map);

  var hoverTip = L.tooltip({className: "hover-tip", direction: "top", offset: [0, -8], opacity: 1});
  var selectionLayer = L.layerGroup().addTo(map);

  // Events, heat, metric colours and the region facts (static/js/map-layers.js).
  var extra = GridgovMapLayers.create({
    map: map, api: api, t: t, el: el, clear: clear, isAbort: isAbort, setStatus: setStatus, restyle: restyle,
    finestLevel: function () { return state.finestLevel; },
    loadedBounds: function (level) {
      var layer = level && state.layers[level];
      return layer && layer.loaded ? layer.loaded.bounds : null;
    },
  });

  function rightPadding() {
    if (phoneQuery.matches) return 16;
    return infoPanel.offsetWidth + 28;
  }

  function fitBbox(bbox, options) {
    if (!bbox) return;
    var bounds = L.latLngBounds([bbox[1], bbox[0]], [bbox[3], bbox[2]]);
    map.fitBounds(bounds, {
      paddingTopLeft: [56, 24], paddingBottomRight: [rightPadding(), 40],  // clear of the zoom buttons
      maxZoom: (options && options.maxZoom) || 18, animate: !(options && options.instant),
    });
  }

  function fitHome(instant) {
    if (state.homeBounds) fitBbox(state.homeBounds, {instant: instant});
  }

  function unionBbox(items) {
    var out = null;
    items.forEach(function (item) {
      var b = item.bbox;
      if (!b) return;
      out = out ? [Math.min(out[0], b[0]), Math.min(out[1], b[1]), Math.max(out[2], b[2]), Math.max(out[3], b[3])]
                : b.slice();
    });
    return out;
  }

  // The zoom from which a level is drawn: the usual county thresholds, but never before the user
  // has zoomed in from their home view (a small county fits at a higher zoom than a big one, and
  // its home view should still show just the streets).
  function minZoom(level) {
    var steps = DEPTH[level] - Math.max(state.rootDepth, 0) - 2;
    var relative = state.homeZoom === null ? 0 : state.homeZoom + 0.75 + 1.5 * steps;
    return Math.max(MIN_ZOOM[level], relative);
  }

  // Which levels to draw now, and how: "view" (everything of that level in the view), "parent"
  // (only the children of the selected region: drill-down below the level's usual zoom), "zoom"
  // (too far out: not drawn) or "off" (switched off, or above the user's scope).
  function plan() {
    var zoom = map.getZoom();
    var drillLevel = state.selected ? CHILD_LEVEL[state.selected.level] : null;
    var drillParent = state.selected ? state.selected.code : null;
    return MAP_LEVELS.map(function (level) {
      var depth = DEPTH[level];
      if (!state.enabled[level] || depth < state.rootDepth) return {level: level, mode: "off"};
      // One level below the user's scope is always drawn (streets for a county or anything above).
      var always = depth <= Math.max(state.rootDepth, 0) + 1;
      if (always || zoom >= minZoom(level)) return {level: level, mode: "view"};
      var drill = (level === drillLevel) || (level === "exclusive_grid" && drillLevel === "grid");
      if (drill && drillParent) return {level: level, mode: "parent", parent: drillParent};
      return {level: level, mode: "zoom"};
    });
  }

  function viewBbox(bounds) {
    var clamp = function (v, lo, hi) { return Math.max(lo, Math.min(hi, v)); };
    return [
      clamp(bounds.getWest(), -180, 180), clamp(bounds.getSouth(), -90, 90),
      clamp(bounds.getEast(), -180, 180), clamp(bounds.getNorth(), -90, 90),
    ].map(function (v) { return v.toFixed(6); }).join(",");
  }

  // A loaded layer can be kept when it already covers the view at the same zoom and parent.
  function stillValid(layer, item, zoom, view) {
    var loaded = layer.loaded;
    return loaded && !layer.truncated && loaded.zoom === zoom && loaded.parent === (item.parent || null) &&
      loaded.bounds.contains(view);
  }

  function loadLayers() {
    if (!state.ready) return;
    if (state.moveStartedAt === null) state.moveStartedAt = performance.now();
    var view = map.getBounds();
    var zoom = Math.round(map.getZoom());
    var items = plan();
    var planKey = items.map(function (i) { return i.level + ":" + i.mode + ":" + (i.parent || ""); }).join("|");
    var inflight = state.inflight;
    if (inflight && inflight.zoom === zoom && inflight.planKey === planKey && inflight.bounds.contains(view)) return;
    if (inflight) inflight.controller.abort();
    var controller = new AbortController();
    var padded = view.pad(0.3);
    var bbox = viewBbox(padded);
    // Never more regions of a level than about one per 36×36 px of the loaded area: a denser level
    // is too small to read at this zoom (the server answers "truncated" and the page asks to zoom in).
    var size = map.getSize();
    var limit = Math.max(300, Math.min(5000, Math.round(size.x * size.y * 1.6 * 1.6 / (36 * 36))));
    state.inflight = {controller: controller, bounds: padded, zoom: zoom, planKey: planKey};
    var jobs = items.map(function (item) {
      if (item.mode !== "view" && item.mode !== "parent") return Promise.resolve(null);
      var layer = state.layers[item.level];
      if (stillValid(layer, item, zoom, view)) return Promise.resolve({keep: true});
      var url = "/api/v1/grids?bbox=" + bbox + "&zoom=" + zoom + "&level=" + item.level +
        (item.parent ? "&parent=" + encodeURIComponent(item.parent) : "") + "&limit=" + limit;
      return api(url, {signal: controller.signal}).then(function (fc) {
        return {fc: fc, loaded: {bounds: padded, zoom: zoom, parent: item.parent || null}};
      });
    });
    setStatus("loading", t("map.loading_layers"));
    Promise.all(jobs).then(function (results) {
      if (!state.inflight || state.inflight.controller !== controller) return;
      state.inflight = null;
      // Only the finest level drawn across the view is filled (and labelled), plus the drill-down
      // children of the selected region; coarser levels are boundaries, and the finer regions take
      // the clicks: clicking always picks the most detailed region shown.
      var finestDepth = -1;
      items.forEach(function (item, i) {
        var r = results[i];
        if (!r || item.mode !== "view") return;
        var drawn = r.keep ? state.layers[item.level].count > 0 : !r.fc.truncated && r.fc.features.length > 0;
        if (drawn) finestDepth = Math.max(finestDepth, DEPTH[item.level]);
      });
      var drill = items.filter(function (item) { return item.mode === "parent"; })[0];
      state.drillCode = drill ? drill.parent : null;
      state.finestLevel = null;
      items.forEach(function (item) {  // the finest basic level drawn across the view (metric colours)
        if (item.mode === "view" && DEPTH[item.level] === finestDepth && item.level !== "exclusive_grid") {
          state.finestLevel = item.level;
        }
      });
      items.forEach(function (item, i) {
        applyLayer(item, results[i], item.mode === "parent" || DEPTH[item.level] >= finestDepth);
      });
      afterRender();
    }).catch(function (err) {
      if (isAbort(err) || !state.inflight || state.inflight.controller !== controller) return;
      state.inflight = null;
      setStatus("error", err.message);
      markReady();
    });
  }

  var scheduleLoad = debounce(loadLayers, 120);

  function removeGroup(layer) {
    if (layer.group) map.removeLayer(layer.group);
    if (layer.outline) map.removeLayer(layer.outline);
    layer.group = layer.outline = layer.fc = layer.loaded = null;
    layer.count = 0;
  }

  function strokeWeight(level) {
    // The user's own scope level (a grid worker's grid) is drawn a little heavier.
    return WEIGHT[level] + (DEPTH[level] === state.rootDepth ? 1.2 : 0);
  }

  // The finest level drawn is filled and takes the clicks. A coarser level is an invisible,
  // clickable fill underneath (for places the finer level does not cover) plus its boundary drawn
  // above the finer ones — a street's edge stays visible over the community lines along it.
  function featureStyle(level, finest, code) {
    // The finest level may be coloured by a metric (map-layers.js): its class colour, more opaque.
    var metricFill = finest ? extra.fillFor(level, code) : null;
    return {
      color: COLOR[level], opacity: 0.95, weight: strokeWeight(level), stroke: finest,
      dashArray: level === "exclusive_grid" ? "5 4" : null, lineJoin: "round",
      fill: true, fillColor: metricFill || COLOR[level], fillOpacity: finest ? (metricFill ? 0.62 : 0.13) : 0,
    };
  }

  // Re-apply the style of one level's drawn regions (after the metric colours changed).
  function restyle(level) {
    var layer = state.layers[level];
    if (layer && layer.group) layer.group.eachLayer(function (l) { layer.group.resetStyle(l); });
  }

  function outlineStyle(level) {
    return {color: COLOR[level], opacity: 0.95, weight: strokeWeight(level) + 0.4, fill: false, lineJoin: "round",
            dashArray: level === "exclusive_grid" ? "5 4" : null};
  }

  // Big layers (a city centre's micro-grids) are painted on a canvas, one per pane: thousands of
  // SVG paths make every pan and zoom slow. Small layers stay SVG (crisp, one element per region).
  var CANVAS_FROM = 300;
  var canvasRenderers = {};

  function rendererFor(pane, count) {
    if (count <= CANVAS_FROM) return undefined;
    if (!canvasRenderers[pane]) canvasRenderers[pane] = L.canvas({pane: pane, padding: 0.3, tolerance: 2});
    return canvasRenderers[pane];
  }

  function setOutline(layer, level, on) {
    if (!on && layer.outline) {
      map.removeLayer(layer.outline);
      layer.outline = null;
    } else if (on && !layer.outline && layer.fc) {
      layer.outline = L.geoJSON(layer.fc, {pane: "outline-" + level, interactive: false,
                                           renderer: rendererFor("outline-" + level, layer.fc.features.length),
                                           style: function () { return outlineStyle(level); }}).addTo(map);
    }
  }

  function applyLayer(item, result, finest) {
    var layer = state.layers[item.level];
    layer.waiting = item.mode === "zoom";
    if (item.mode === "off" || item.mode === "zoom") {
      removeGroup(layer);
      layer.truncated = false;
      return;
    }
    var style = function (f) { return featureStyle(f.properties.level, finest, f.properties.code); };
    if (result && result.keep) {
      if (layer.group) {
        layer.group.options.style = style;
        layer.group.eachLayer(function (l) {
          layer.group.resetStyle(l);
          setLabel(l, finest && layer.count <= LABEL_LIMIT);
        });
        setOutline(layer, item.level, !finest);
      }
      return;
    }
    removeGroup(layer);
    layer.truncated = !!result.fc.truncated;
    if (layer.truncated) return;
    layer.loaded = result.loaded;
    layer.fc = result.fc;
    var features = result.fc.features || [];
    layer.count = features.length;
    var labelled = finest && features.length <= LABEL_LIMIT;
    layer.group = L.geoJSON(result.fc, {
      pane: "pane-" + item.level,
      renderer: rendererFor("pane-" + item.level, features.length),
      style: style,
      onEachFeature: function (feature, l) {
        remember(feature.properties.code, feature.properties.name);
        setLabel(l, labelled);
        l.on("mouseover", onFeatureOver);
        l.on("mousemove", onFeatureMove);
        l.on("mouseout", onFeatureOut);
        l.on("click", onFeatureClick);
      },
    }).addTo(map);
    setOutline(layer, item.level, !finest);
  }

  function setLabel(l, on) {
    var p = l.feature.properties;
    if (p.code === state.drillCode) on = false;  // its children are drawn and labelled inside it
    var label = shortName(p.name, p.parent_code);
    if (on) {  // only where the name fits inside the region's box at this zoom
      var b = l.getBounds();
      var nw = map.latLngToContainerPoint(b.getNorthWest()), se = map.latLngToContainerPoint(b.getSouthEast());
      on = (se.x - nw.x) >= label.length * 14 + 24 && (se.y - nw.y) >= 28;
    }
    if (on && !l.getTooltip()) {
      l.bindTooltip(label, {permanent: true, direction: "center", interactive: false,
                            className: "region-label label-" + p.level});
    } else if (!on && l.getTooltip()) {
      l.unbindTooltip();
    }
  }

  function onFeatureOver(e) {
    var p = e.target.feature.properties;
    e.target.setStyle({stroke: true, weight: strokeWeight(p.level) + 1.4,
                       fillOpacity: Math.max(e.target.options.fillOpacity, 0.06) + 0.1});
    hoverTip.setContent('<span class="tip-name"></span><span class="tip-code"></span>');
    hoverTip.setLatLng(e.latlng);
    map.openTooltip(hoverTip);
    var node = hoverTip.getElement();
    if (node) {
      node.querySelector(".tip-name").textContent = p.name + " · " + levelLabel(p.level);
      node.querySelector(".tip-code").textContent = p.code;
    }
  }

  function onFeatureMove(e) { hoverTip.setLatLng(e.latlng); }

  function onFeatureOut(e) {
    var layer = state.layers[e.target.feature.properties.level];
    if (layer.group) layer.group.resetStyle(e.target);
    map.closeTooltip(hoverTip);
  }

  function onFeatureClick(e) {
    L.DomEvent.stopPropagation(e);
    map.closeTooltip(hoverTip);
    selectRegion(e.target.feature.properties.code, {source: "map"});
  }

  function loadedFeatures() {
    var out = [];
    MAP_LEVELS.forEach(function (level) {
      var layer = state.layers[level];
      if (!layer.group) return;
      layer.group.eachLayer(function (l) { out.push(l.feature.properties); });
    });
    return out;
  }

  function afterRender() {
    var total = 0, truncated = [];
    MAP_LEVELS.forEach(function (level) {
      var layer = state.layers[level];
      total += layer.count;
      if (layer.truncated) truncated.push(levelLabel(level));
      var item = document.querySelector('.layer-item[data-level="' + level + '"]');
      var note = document.querySelector('[data-note-for="' + level + '"]');
      item.classList.toggle("is-truncated", layer.truncated);
      item.classList.toggle("is-waiting", layer.waiting);
      note.textContent = layer.truncated ? t("map.zoom_in_hint") : (layer.waiting ? t("map.zoom_in_for") : "");
    });
    mapEl.dataset.loadedFeatures = String(total);
    if (truncated.length) setStatus("warn", t("map.layer_truncated", {level: truncated.join("、")}));
    else if (!state.roots.length) setStatus("idle", t("map.tree_empty"));
    else setStatus("idle", total ? t("map.features", {count: total}) : t("map.no_features"));
    markReady();
    // From the start of a pan/zoom (or a toggle) to the region layers drawn: test and benchmark figure.
    var started = state.moveStartedAt === null ? performance.now() : state.moveStartedAt;
    state.moveStartedAt = null;
    document.body.dataset.renderMs = String(Math.round(performance.now() - started));
    document.body.dataset.renderSeq = String(Number(document.body.dataset.renderSeq || 0) + 1);
    // ... and to the first frame painted with them (the browser has laid out and drawn the layers).
    requestAnimationFrame(function () {
      setTimeout(function () {
        document.body.dataset.paintMs = String(Math.round(performance.now() - started));
        document.body.dataset.paintSeq = String(Number(document.body.dataset.paintSeq || 0) + 1);
      }, 0);
    });
    extra.afterRegions(state.finestLevel, started);
  }

  function markReady() {
    if (document.body.dataset.mapReady === "1") return;
    document.body.dataset.mapReady = "1";
    document.body.dataset.mapReadyMs = String(Math.round(performance.now()));
  }

  map.on("moveend", function () { scheduleLoad(); });
  map.on("zoomstart movestart", function () {
    map.closeTooltip(hoverTip);
    if (state.moveStartedAt === null) state.moveStartedAt = performance.now();
  });

  document.querySelectorAll('input[name="layer"]').forEach(function (input) {
    state.enabled[input.value] = input.checked;
    input.addEventListener("change", function () {
      state.enabled[input.value] = input.checked;
      loadLayers();
    });
  });

  // ---------------------------------------------------------------- selection
  function drawSelection(detail) {
    selectionLayer.clearLayers();
    if (!detail || MAP_LEVELS.indexOf(detail.level) < 0 || !detail.bbox) return;
    var code = detail.code;
    var url = "/api/v1/grids?bbox=" + detail.bbox.map(function (v) { return v.toFixed(6); }).join(",") +
      "&zoom=" + Math.max(Math.round(map.getZoom()), 12) + "&level=" + detail.level + "&parent=" + encodeURIComponent(code);
    api(url).then(function (fc) {
      if (state.selectedCode !== code || !fc || !fc.features) return;
      var own = fc.features.filter(function (f) { return f.properties.code === code; });
      if (!own.length) return;
      selectionLayer.clearLayers();
      var data = {type: "FeatureCollection", features: own};
      selectionLayer.addLayer(L.geoJSON(data, {pane: "pane-selected", interactive: false,
        style: {color: "#ffffff", weight: 7, opacity: 0.9, fill: false, lineJoin: "round"}}));
      selectionLayer.addLayer(L.geoJSON(data, {pane: "pane-selected", interactive: false,
        style: {color: SELECTED, weight: 3, opacity: 1, fill: true, fillColor: SELECTED_FILL, fillOpacity: 0.1,
                lineJoin: "round"}}));
    }).catch(function () { /* the highlight is a nicety; the info panel reports real errors */ });
  }

  function selectRegion(code, options) {
    options = options || {};
    var seq = ++state.selectSeq;
    state.selectedCode = code;
    markTreeSelected(code);
    renderInfoLoading(code);
    return api("/api/v1/regions/" + encodeURIComponent(code)).then(function (detail) {
      if (seq !== state.selectSeq) return detail;
      state.selected = detail;
      remember(detail.code, detail.name);
      (detail.ancestors || []).forEach(function (a) { remember(a.code, a.name); });
      renderInfo(detail);
      drawSelection(detail);
      if (window.history && window.history.replaceState) window.history.replaceState(null, "", "#r=" + code);
      if (options.fit !== false && detail.bbox) fitBbox(detail.bbox);
      else scheduleLoad();
      if (options.tree !== false) revealInTree(detail);
      return detail;
    }, function (err) {
      if (seq !== state.selectSeq) throw err;
      state.selected = null;
      selectionLayer.clearLayers();
      renderInfoError(code, err.message);
      throw err;
    });
  }

  function clearSelection() {
    state.selectSeq++;
    state.selectedCode = null;
    state.selected = null;
    selectionLayer.clearLayers();
    markTreeSelected(null);
    renderInfoEmpty();
    if (window.history && window.history.replaceState) window.history.replaceState(null, "", window.location.pathname);
    scheduleLoad();
  }

  // ---------------------------------------------------------------- info panel
  function renderInfoEmpty() {
    infoPanel.dataset.state = "empty";
    delete infoPanel.dataset.code;
    infoClose.hidden = true;
    clear(infoBody);
    infoBody.appendChild(el("p", {class: "info-empty", text: t("info.empty")}));
  }

  function renderInfoLoading(code) {
    infoPanel.dataset.state = "loading";
    infoPanel.dataset.code = code;
    infoClose.hidden = false;
    clear(infoBody);
    infoBody.appendChild(el("p", {class: "info-loading", text: t("info.loading")}));
  }

  function renderInfoError(code, message) {
    infoPanel.dataset.state = "error";
    infoPanel.dataset.code = code;
    infoClose.hidden = false;
    clear(infoBody);
    infoBody.appendChild(el("p", {class: "info-error", id: "info-error", role: "alert", text: message}));
  }

  function regionLink(ref) {
    return el("a", {href: "#r=" + ref.code, dataset: {code: ref.code}, title: ref.code, text: ref.name,
      onclick: function (ev) { ev.preventDefault(); selectRegion(ref.code).catch(function () {}); }});
  }

  function renderInfo(d) {
    infoPanel.dataset.state = "ready";
    infoPanel.dataset.code = d.code;
    infoClose.hidden = false;
    clear(infoBody);
    var childLevel = CHILD_LEVEL[d.level];
    var rows = [
      [t("info.code"), el("code", {id: "info-code", text: d.code})],
      [t("info.level"), document.createTextNode(d.level_label || levelLabel(d.level))],
      [t("info.area"), document.createTextNode(d.area_m2 != null
        ? t("info.area_value", {value: formatNumber(d.area_m2 / 1e6, d.area_m2 < 1e6 ? 3 : 2)}) : t("info.unknown"))],
      [t("info.children"), el("span", {id: "info-children", text: d.child_count
        ? t("info.children_value", {count: d.child_count, label: childLevel ? levelLabel(childLevel) : ""})
        : t("info.children_none")})],
    ];
    if (d.exclusive_type) {
      var typeLabel = t("exclusive." + d.exclusive_type);
      if (typeLabel === "exclusive." + d.exclusive_type) typeLabel = d.exclusive_type;
      rows.push([t("info.exclusive_type"), document.createTextNode(typeLabel)]);
    }
    var ancestors = d.ancestors || [];
    var path = el("span", {class: "info-path", id: "info-path"});
    if (!ancestors.length) path.textContent = t("info.parents_none");
    ancestors.forEach(function (a, i) {
      if (i) path.appendChild(el("span", {class: "sep", text: "/"}));
      path.appendChild(regionLink(a));
    });
    rows.push([t("info.parents"), path]);
    if (d.version != null) {
      var date = d.valid_from ? String(d.valid_from).slice(0, 10) : t("info.unknown");
      rows.push([t("info.version"), document.createTextNode(t("info.version_value", {version: d.version, date: date}))]);
    }
    var list = el("dl", {class: "info-list"});
    rows.forEach(function (row) {
      list.appendChild(el("dt", {text: row[0]}));
      list.appendChild(el("dd", {}, [row[1]]));
    });
    infoBody.appendChild(el("div", {class: "info-name-row"}, [
      el("h3", {class: "info-name", id: "info-name", text: d.name}),
      levelTag(d.level, d.level_label),
    ]));
    infoBody.appendChild(list);
    var copy = el("button", {type: "button", class: "btn btn-small", text: t("info.copy"), onclick: function () {
      if (navigator.clipboard) navigator.clipboard.writeText(d.code).then(function () { copy.textContent = t("info.copied"); });
    }});
    infoBody.appendChild(el("div", {class: "info-actions"}, [
      el("button", {type: "button", class: "btn btn-small", text: t("info.fit"), onclick: function () { fitBbox(d.bbox); }}),
      navigator.clipboard ? copy : null,
    ]));
    extra.renderFacts(d, infoBody);
  }

  infoClose.addEventListener("click", clearSelection);

  // ---------------------------------------------------------------- region tree
  var treeNodes = {}; // code → <li>

  function treeNode(item) {
    remember(item.code, item.name);
    var hasChildren = item.child_count > 0;
    var li = el("li", {class: "tree-node", role: "treeitem", dataset: {code: item.code, level: item.level},
                       "aria-expanded": hasChildren ? "false" : null, "aria-selected": "false"});
    var row = el("div", {class: "tree-row"});
    if (hasChildren) {
      row.appendChild(el("button", {type: "button", class: "tree-twisty", tabindex: "-1", title: t("map.tree_expand"),
        "aria-label": t("map.tree_expand"), onclick: function () { toggleNode(li); }}));
    } else {
      row.appendChild(el("span", {class: "tree-spacer"}));
    }
    row.appendChild(el("button", {type: "button", class: "tree-label", title: item.name + " · " + item.code,
      onclick: function () {
        selectRegion(item.code, {tree: false}).catch(function () {});
        if (hasChildren && li.getAttribute("aria-expanded") !== "true") expandNode(li);
        showMapOnPhone();
      }}, [
      el("span", {class: "tree-name", text: shortName(item.name, item.parent_code)}),
      levelTag(item.level, item.level_label),
      hasChildren ? el("span", {class: "tree-count", text: String(item.child_count)}) : null,
    ]));
    li.appendChild(row);
    if (hasChildren) li.appendChild(el("ul", {class: "tree-children", role: "group", hidden: true}));
    treeNodes[item.code] = li;
    if (item.code === state.selectedCode) li.classList.add("is-selected");
    return li;
  }

  function toggleNode(li) {
    if (li.getAttribute("aria-expanded") === "true") collapseNode(li);
    else expandNode(li);
  }

  function setTwisty(li, open) {
    var twisty = li.querySelector(":scope > .tree-row > .tree-twisty");
    var label = t(open ? "map.tree_collapse" : "map.tree_expand");
    twisty.title = label;
    twisty.setAttribute("aria-label", label);
  }

  function collapseNode(li) {
    li.setAttribute("aria-expanded", "false");
    li.querySelector(":scope > .tree-children").hidden = true;
    setTwisty(li, false);
  }

  // Expands a node, loading its children the first time; resolves when they are shown.
  function expandNode(li) {
    var ul = li.querySelector(":scope > .tree-children");
    if (!ul) return Promise.resolve();
    li.setAttribute("aria-expanded", "true");
    ul.hidden = false;
    setTwisty(li, true);
    if (li.dataset.loaded === "1") return Promise.resolve();
    if (li._loading) return li._loading;
    clear(ul);
    ul.appendChild(el("li", {class: "tree-state", text: t("map.tree_loading")}));
    li._loading = api("/api/v1/regions?parent=" + encodeURIComponent(li.dataset.code)).then(function (items) {
      clear(ul);
      if (!items.length) ul.appendChild(el("li", {class: "tree-state", text: t("map.tree_no_children")}));
      items.forEach(function (item) { ul.appendChild(treeNode(item)); });
      li.dataset.loaded = "1";
      li._loading = null;
    }, function (err) {
      li._loading = null;
      clear(ul);
      ul.appendChild(el("li", {class: "tree-state is-error", role: "alert"}, [
        err.message, retryButton(err, function () { expandNode(li); }),
      ]));
    });
    return li._loading;
  }

  function markTreeSelected(code) {
    treeEl.querySelectorAll(".tree-node.is-selected").forEach(function (n) {
      n.classList.remove("is-selected");
      n.setAttribute("aria-selected", "false");
    });
    var li = code && treeNodes[code];
    if (li && li.isConnected) {
      li.classList.add("is-selected");
      li.setAttribute("aria-selected", "true");
    }
  }

  // Drill-down: open the tree along the region's ancestors (from the first one shown in the tree).
  function revealInTree(detail) {
    var chain = (detail.ancestors || []).map(function (a) { return a.code; }).concat([detail.code]);
    var start = -1;
    for (var i = 0; i < chain.length; i++) {
      if (treeNodes[chain[i]] && treeNodes[chain[i]].isConnected) { start = i; break; }
    }
    if (start < 0) return Promise.resolve();
    var step = function (i) {
      var li = treeNodes[chain[i]];
      if (!li || !li.isConnected) return Promise.resolve();
      if (i === chain.length - 1) {
        if (state.selectedCode !== detail.code) return Promise.resolve();
        markTreeSelected(detail.code);
        if (!treeEl.hidden) li.scrollIntoView({block: "nearest"});
        return expandNode(li);  // drill-down: show what lies inside the selected region
      }
      return expandNode(li).then(function () { return step(i + 1); });
    };
    return step(start);
  }

  function loadRoots() {
    return api("/api/v1/regions").then(function (items) {
      state.roots = items;
      clear(treeEl);
      treeEl.removeAttribute("aria-busy");
      if (!items.length) {
        treeEl.appendChild(el("li", {class: "tree-state", text: t("map.tree_empty")}));
        return items;
      }
      items.forEach(function (item) { treeEl.appendChild(treeNode(item)); });
      // A single root opens by itself: the county shows its streets, a grid its micro-grids.
      if (items.length === 1 && items[0].child_count > 0) expandNode(treeNodes[items[0].code]);
      return items;
    }, function (err) {
      clear(treeEl);
      treeEl.removeAttribute("aria-busy");
      treeEl.appendChild(el("li", {class: "tree-state is-error", role: "alert"}, [
        err.message, retryButton(err, function () { start(); }),
      ]));
      throw err;
    });
  }

  treeToggle.addEventListener("click", function () {
    if (!phoneQuery.matches) return;
    var open = treeToggle.getAttribute("aria-expanded") !== "true";
    treeToggle.setAttribute("aria-expanded", open ? "true" : "false");
    treeEl.hidden = !open;
  });

  // On a phone, choosing a region folds the tree and brings the map into view.
  function showMapOnPhone() {
    if (!phoneQuery.matches) return;
    treeToggle.setAttribute("aria-expanded", "false");
    treeEl.hidden = true;
    mapEl.scrollIntoView({block: "start"});
  }

  function applyPhoneLayout() {
    // On a phone the tree starts folded so the map stays in view; on wider screens it is always open.
    if (phoneQuery.matches) {
      treeToggle.setAttribute("aria-expanded", "false");
      treeEl.hidden = true;
    } else {
      treeToggle.setAttribute("aria-expanded", "true");
      treeEl.hidden = false;
    }
    map.invalidateSize();
  }
  if (phoneQuery.addEventListener) phoneQuery.addEventListener("change", applyPhoneLayout);

  // ---------------------------------------------------------------- search
  var searchSeq = 0;
  var searchController = null;
  var activeIndex = -1;

  function closeSearch() {
    searchResults.hidden = true;
    searchInput.setAttribute("aria-expanded", "false");
    activeIndex = -1;
  }

  function openSearch() {
    searchResults.hidden = false;
    searchInput.setAttribute("aria-expanded", "true");
  }

  function highlight(name, q) {
    var span = el("span", {class: "search-result-name"});
    var at = q && !/^\d+$/.test(q) ? name.indexOf(q) : -1;
    if (at < 0) { span.textContent = name; return span; }
    span.appendChild(document.createTextNode(name.slice(0, at)));
    span.appendChild(el("mark", {text: name.slice(at, at + q.length)}));
    span.appendChild(document.createTextNode(name.slice(at + q.length)));
    return span;
  }

  function showSearchMessage(text, isError) {
    clear(searchResults);
    searchResults.appendChild(el("div", {class: "search-meta" + (isError ? " is-error" : ""),
                                         role: isError ? "alert" : "status", text: text}));
    openSearch();
  }

  function runSearch() {
    var q = searchInput.value.trim();
    var seq = ++searchSeq;
    if (searchController) searchController.abort();
    if (!q) { clear(searchResults); closeSearch(); return; }
    searchController = new AbortController();
    showSearchMessage(t("map.searching"));
    api("/api/v1/regions/search?q=" + encodeURIComponent(q) + "&limit=20", {signal: searchController.signal})
      .then(function (items) {
        if (seq !== searchSeq) return;
        clear(searchResults);
        activeIndex = -1;
        if (!items.length) { showSearchMessage(t("map.search_empty")); return; }
        searchResults.appendChild(el("div", {class: "search-meta", role: "status",
                                             text: t("map.search_count", {count: items.length})}));
        items.forEach(function (item) {
          searchResults.appendChild(el("button", {type: "button", class: "search-result", role: "option",
            dataset: {code: item.code}, onclick: function () { chooseResult(item); }}, [
            el("span", {class: "search-result-top"}, [
              highlight(item.name, q), levelTag(item.level, item.level_label),
              el("span", {class: "search-result-code", text: item.code}),
            ]),
            item.path ? el("span", {class: "search-result-path", text: item.path}) : null,
          ]));
        });
        openSearch();
      }, function (err) {
        if (isAbort(err) || seq !== searchSeq) return;
        showSearchMessage(err.message, true);
      });
  }

  function chooseResult(item) {
    searchLater.cancel();
    searchSeq++;
    closeSearch();
    searchInput.blur();
    selectRegion(item.code).catch(function () {});
    showMapOnPhone();
  }

  function moveActive(delta) {
    var buttons = searchResults.querySelectorAll(".search-result");
    if (!buttons.length) return;
    activeIndex = (activeIndex + delta + buttons.length) % buttons.length;
    buttons.forEach(function (b, i) { b.classList.toggle("is-active", i === activeIndex); });
    buttons[activeIndex].scrollIntoView({block: "nearest"});
  }

  var searchLater = debounce(runSearch, 220);
  searchInput.addEventListener("input", function () {
    // Old results go at once (they no longer match what is typed); the query waits for a pause.
    searchSeq++;
    if (searchController) searchController.abort();
    if (!searchInput.value.trim()) {
      searchLater.cancel();
      clear(searchResults);
      closeSearch();
      return;
    }
    showSearchMessage(t("map.searching"));
    searchLater();
  });
  searchInput.addEventListener("focus", function () { if (searchResults.childNodes.length && searchInput.value.trim()) openSearch(); });
  searchInput.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowDown") { ev.preventDefault(); moveActive(1); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); moveActive(-1); }
    else if (ev.key === "Escape") { closeSearch(); }
    else if (ev.key === "Enter") {
      ev.preventDefault();
      var buttons = searchResults.querySelectorAll(".search-result");
      if (buttons.length && !searchResults.hidden) buttons[Math.max(activeIndex, 0)].click();
      else { searchLater.cancel(); runSearch(); }
    }
  });
  document.addEventListener("click", function (ev) {
    if (!ev.target.closest || !ev.target.closest("#search-box")) closeSearch();
  });

  // ---------------------------------------------------------------- start
  function codeFromHash() {
    var m = /^#r=(\d{2,17})$/.exec(window.location.hash);
    return m ? m[1] : null;
  }

  function start() {
    setStatus("loading", t("map.loading"));
    return Promise.all([api("/api/v1/auth/me"), loadRoots()]).then(function (results) {
      state.me = results[0];
      var roots = results[1];
      state.rootDepth = roots.length ? Math.min.apply(null, roots.map(function (r) { return DEPTH[r.level] || 0; })) : 0;
      state.homeBounds = unionBbox(roots);
      // Levels above the user's scope hold nothing they may see: no toggle for them.
      MAP_LEVELS.forEach(function (level) {
        var item = document.querySelector('.layer-item[data-level="' + level + '"]');
        if (item) item.hidden = DEPTH[level] < state.rootDepth;
      });
      state.ready = true;
      if (state.homeBounds) fitHome(true);
      else map.setView([35.0, 105.0], 4);
      state.homeZoom = map.getZoom();
      var hashCode = codeFromHash();
      if (hashCode) selectRegion(hashCode).catch(function () {});
      loadLayers();
    }).catch(function (err) {
      if (!map._loaded) map.setView([35.0, 105.0], 4);
      setStatus("error", err.message);
      markReady();
    });
  }

  window.addEventListener("hashchange", function () {
    var code = codeFromHash();
    if (code && code !== state.selectedCode) selectRegion(code).catch(function () {});
  });

  applyPhoneLayout();
  start();

  // A small handle for tests and for the console.
  window.gridgov = {
    map: map, state: state, api: api, t: t,
    selectRegion: selectRegion, clearSelection: clearSelection, expandNode: function (code) {
      return treeNodes[code] ? expandNode(treeNodes[code]) : Promise.resolve();
    },
    loadedFeatures: loadedFeatures, reload: loadLayers, layers: extra.state,
  };
})();
