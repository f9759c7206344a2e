/* 大屏 (/screen): the centre's wall, 1920×1080, dark, refreshing itself without reloading the page.
 *
 * Every `refresh` seconds (30 by default, from #screen-init) it asks the JSON API for the live
 * figures (/api/v1/stats/live: today's reports by hour, open and overdue events per grid), the
 * last 30 days' rates, categories, department ranking and disputes, and the latest events (masked
 * by the server: item, place, state — no names, phones or addresses), then redraws in place and
 * shows “更新于 hh:mm:ss”. The grid polygons (/api/v1/grids, our own layer, no tiles) are fetched
 * once and only recoloured. A failed update keeps the last figures and says since when.
 *
 * Hooks for tests: body[data-screen-updates] (completed updates), #screen-updated,
 * #screen-map[data-grids], .screen-kpi[data-kpi] [data-value], window.gridgovScreen.
 */
(function () {
  "use strict";

  var INIT = JSON.parse(document.getElementById("screen-init").textContent || "{}");

  var t = GridgovApi.t;
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function clock(d) { return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()); }
  function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
  function num(v) { return Number(v || 0).toLocaleString("zh-CN"); }
  function esc(text) { return echarts.format.encodeHTML(String(text)); }
  var clear = GridgovApi.clear;
  function span(cls, text) {
    var s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }

  var api = GridgovApi.client({onUnauthorized: function () {
    window.location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
  }});
  var region = INIT.region || null;
  var REFRESH = Math.max(5, Number(INIT.refresh) || 30) * 1000;
  var TEXT = "#cfe3ff", DIM = "#7f9cc0", LINE = "rgba(127, 156, 192, 0.18)";
  var COLORS = ["#3aa0ff", "#36d1a0", "#f2c94c", "#f2994a", "#eb5757", "#9b7bff", "#2dd4e6", "#7fb800",
                "#ff7eb6", "#8aa1c1", "#4f7cff", "#d0a060", "#60708a"];

  // ---------------------------------------------------------------- clock
  var clockEl = document.getElementById("screen-clock");
  function tick() {
    var d = new Date();
    clockEl.textContent = d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " + clock(d);
  }
  tick();
  setInterval(tick, 1000);

  // ---------------------------------------------------------------- charts
  var charts = {};
  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), null, {renderer: "canvas"});
    return charts[id];
  }
  function base(extra) {
    var o = {
      color: COLORS, backgroundColor: "transparent", textStyle: {color: TEXT, fontFamily: "inherit"},
      grid: {left: 8, right: 16, top: 16, bottom: 8, containLabel: true},
      tooltip: {trigger: "axis", confine: true, backgroundColor: "rgba(8, 22, 44, 0.92)", borderColor: "#2b5a8c",
                textStyle: {color: TEXT}},
      animationDuration: 600,
    };
    Object.keys(extra).forEach(function (k) { o[k] = extra[k]; });
    return o;
  }
  function axis(extra) {
    var a = {axisLine: {lineStyle: {color: LINE}}, axisLabel: {color: DIM}, splitLine: {lineStyle: {color: LINE}}};
    Object.keys(extra).forEach(function (k) { a[k] = extra[k]; });
    return a;
  }
  function none(isEmpty) {
    return isEmpty ? {text: t("screen.no_events"), left: "center", top: "middle",
                      textStyle: {color: DIM, fontSize: 14, fontWeight: "normal"}} : null;
  }

  function drawHours(live) {
    var now = new Date().getHours();
    chart("screen-hours").setOption(base({
      xAxis: axis({type: "category", data: live.hours.map(function (h) { return two(h.hour); }), splitLine: {show: false}}),
      yAxis: axis({type: "value", minInterval: 1}),
      series: [{name: t("screen.today"), type: "bar", barMaxWidth: 14,
                data: live.hours.map(function (h) {
                  return {value: h.count, itemStyle: {color: h.hour === now ? "#f2c94c" : "#3aa0ff"}};
                })}],
    }), {notMerge: true});
  }

  function drawCategories(c) {
    chart("screen-categories").setOption(base({
      title: none(!c.rows.length),
      tooltip: {trigger: "item", confine: true, backgroundColor: "rgba(8, 22, 44, 0.92)", borderColor: "#2b5a8c",
                textStyle: {color: TEXT}, formatter: function (p) {
                  return p.marker + esc(p.name) + "：" + num(p.value) + "（" + p.percent + "%）";
                }},
      legend: {type: "scroll", orient: "vertical", right: 0, top: "middle", textStyle: {color: DIM}, itemWidth: 10,
               itemHeight: 10, pageTextStyle: {color: DIM}},
      series: [{type: "pie", radius: ["40%", "68%"], center: ["34%", "50%"], label: {show: false},
                itemStyle: {borderColor: "#06142b", borderWidth: 2},
                data: c.rows.map(function (r) { return {name: r.name, value: r.count}; })}],
    }), {notMerge: true});
  }

  function drawDepartments(d) {
    var rows = d.rows.filter(function (r) { return r.on_time_closing_rate !== null; }).slice(0, 8).reverse();
    var names = rows.map(function (r) { return r.name.replace(/^.+?[县区市](?=..)/, ""); });
    chart("screen-departments").setOption(base({
      title: none(!rows.length),
      grid: {left: 8, right: 48, top: 12, bottom: 8, containLabel: true},
      tooltip: {trigger: "axis", confine: true, axisPointer: {type: "shadow"}, backgroundColor: "rgba(8, 22, 44, 0.92)",
                borderColor: "#2b5a8c", textStyle: {color: TEXT}, formatter: function (ps) {
                  var r = rows[ps[0].dataIndex];
                  return r.rank + ". " + esc(r.name) + "<br>" + t("screen.on_time") + "：" + pct(r.on_time_closing_rate) +
                    "<br>" + t("screen.satisfaction") + "：" + pct(r.satisfaction_rate);
                }},
      xAxis: axis({type: "value", max: 100, axisLabel: {color: DIM, formatter: "{value}%"}}),
      yAxis: axis({type: "category", data: names, axisLabel: {color: TEXT, width: 120, overflow: "truncate"}}),
      series: [{type: "bar", barMaxWidth: 12, label: {show: true, position: "right", color: TEXT, formatter: "{c}%"},
                itemStyle: {borderRadius: [0, 6, 6, 0],
                            color: new echarts.graphic.LinearGradient(0, 0, 1, 0, [{offset: 0, color: "#1c6fd1"},
                                                                                   {offset: 1, color: "#36d1a0"}])},
                data: rows.map(function (r) { return Math.round(r.on_time_closing_rate * 1000) / 10; })}],
    }), {notMerge: true});
  }

  var COLOUR = {red: "#eb5757", yellow: "#f2c94c", green: "#36d1a0"};
  function drawDisputes(d) {
    var total = d.colours.reduce(function (s, c) { return s + c.count; }, 0);
    chart("screen-disputes").setOption(base({
      title: total ? {text: t("screen.disputes_rate", {rate: pct(d.total.resolution_rate)}), left: "68%", top: "middle",
                      textAlign: "center", textStyle: {color: TEXT, fontSize: 16}}
        : {text: d.unregistered ? t("screen.disputes_unregistered", {n: num(d.unregistered)}) : t("screen.no_events"),
           left: "center", top: "middle", textStyle: {color: DIM, fontSize: 14, fontWeight: "normal"}},
      tooltip: {trigger: "item", confine: true, backgroundColor: "rgba(8, 22, 44, 0.92)", borderColor: "#2b5a8c",
                textStyle: {color: TEXT}},
      series: total ? [{type: "pie", radius: ["45%", "70%"], center: ["30%", "50%"],
                        label: {color: TEXT, formatter: "{b}\n{c}"}, itemStyle: {borderColor: "#06142b", borderWidth: 2},
                        data: d.colours.map(function (c) {
                          return {name: c.name, value: c.count, itemStyle: {color: COLOUR[c.colour]}};
                        })}] : [],
    }), {notMerge: true});
  }

  // ---------------------------------------------------------------- map
  var mapEl = document.getElementById("screen-map");
  var map = L.map(mapEl, {zoomControl: false, attributionControl: false, zoomSnap: 0.25, preferCanvas: false,
                          scrollWheelZoom: false, doubleClickZoom: false, boxZoom: false, keyboard: false});
  var layer = null;
  var bounds = null;
  var STEPS = [{min: 0, color: "#12325a"}, {min: 1, color: "#1c6fd1"}, {min: 3, color: "#36d1a0"},
               {min: 6, color: "#f2c94c"}, {min: 11, color: "#f2994a"}, {min: 21, color: "#eb5757"}];
  function colourOf(n) {
    var c = STEPS[0].color;
    STEPS.forEach(function (s) { if (n >= s.min) c = s.color; });
    return c;
  }
  function legend() {
    var box = document.getElementById("screen-legend");
    clear(box);
    box.appendChild(span("screen-legend-title", t("screen.map_legend")));
    STEPS.forEach(function (s, i) {
      var next = STEPS[i + 1];
      var item = span("screen-legend-item", "");
      var sw = span("screen-swatch screen-swatch-" + i, "");
      item.appendChild(sw);
      item.appendChild(document.createTextNode(
        s.min === 0 ? t("screen.map_none") : next ? s.min + "–" + (next.min - 1) : "≥" + s.min));
      box.appendChild(item);
    });
  }
  legend();

  function loadGrids() {
    if (!region) return Promise.resolve(null);
    return api("/api/v1/regions/" + region).then(function (r) {
      var b = r.bbox;
      if (!b) return null;
      bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
      map.fitBounds(bounds, {padding: [12, 12], animate: false});
      var level = region.length >= 15 ? "micro_grid" : "grid";
      return api("/api/v1/grids?" + new URLSearchParams({bbox: b.join(","), level: level, zoom: "13", parent: region}));
    }).then(function (fc) {
      if (!fc) return;
      layer = L.geoJSON(fc, {style: function () {
        return {color: "#3f7fc4", weight: 0.8, opacity: 0.9, fillColor: STEPS[0].color, fillOpacity: 0.85};
      }}).addTo(map);
      mapEl.dataset.grids = String(fc.features.length);
    });
  }

  function colourGrids(live) {
    if (!layer) return;
    layer.eachLayer(function (l) {
      var p = l.feature.properties;
      var g = live.grids[p.code.slice(0, 15)] || {open: 0, overdue: 0};
      l.setStyle({fillColor: colourOf(g.open), color: g.overdue ? "#ff8a80" : "#3f7fc4", weight: g.overdue ? 1.6 : 0.8});
      l.unbindTooltip();
      l.bindTooltip(t("screen.grid_tip", {name: p.name, open: g.open, overdue: g.overdue}),
                    {sticky: true, className: "screen-tip"});
    });
  }

  // ---------------------------------------------------------------- ticker and KPIs
  function drawTicker(latest) {
    var track = document.getElementById("screen-ticker");
    clear(track);
    if (!latest.rows.length) { track.appendChild(span("screen-tick", t("screen.no_events"))); return; }
    for (var copy = 0; copy < 2; copy++) {  // twice, so the loop is seamless
      latest.rows.forEach(function (r) {
        var d = new Date(r.created_at);
        var item = span("screen-tick", "");
        item.appendChild(span("screen-tick-time", two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
                                                  two(d.getHours()) + ":" + two(d.getMinutes())));
        item.appendChild(span("screen-tick-place", r.place));
        item.appendChild(span("screen-tick-item", r.item));
        item.appendChild(span("screen-tick-state screen-state-" + r.state, r.state_label));
        track.appendChild(item);
      });
    }
    track.style.animationDuration = Math.max(30, latest.rows.length * 6) + "s";
  }

  function kpi(key, value) {
    document.querySelector('.screen-kpi[data-kpi="' + key + '"] [data-value]').textContent = value;
  }

  // ---------------------------------------------------------------- update loop
  var updates = 0;
  var lastOk = null;
  var statusEl = document.getElementById("screen-updated");
  var q = "period=30d" + (region ? "&region=" + region : "");
  var qr = region ? "?region=" + region : "";

  function update() {
    return Promise.all([
      api("/api/v1/stats/live" + qr),
      api("/api/v1/stats/summary?" + q),
      api("/api/v1/stats/categories?top=8&" + q),
      api("/api/v1/stats/departments?" + q),
      api("/api/v1/stats/disputes?" + q),
      api("/api/v1/stats/latest?limit=20" + (region ? "&region=" + region : "")),
    ]).then(function (r) {
      var live = r[0], summary = r[1];
      kpi("today", num(live.today));
      kpi("open", num(live.open));
      kpi("overdue", num(live.overdue));
      kpi("on_time", pct(summary.kpis.on_time_closing_rate));
      kpi("satisfaction", pct(summary.kpis.satisfaction_rate));
      document.querySelector('.screen-kpi[data-kpi="overdue"]').classList.toggle("screen-alarm", live.overdue > 0);
      drawHours(live);
      drawCategories(r[2]);
      drawDepartments(r[3]);
      drawDisputes(r[4]);
      colourGrids(live);
      drawTicker(r[5]);
      lastOk = new Date();
      updates += 1;
      document.body.dataset.screenUpdates = String(updates);
      statusEl.dataset.state = "ok";
      statusEl.textContent = t("screen.updated", {time: clock(lastOk)});
    }, function (err) {
      statusEl.dataset.state = "stale";
      statusEl.textContent = lastOk ? t("screen.stale", {time: clock(lastOk)}) : (err.message || String(err));
    });
  }

  function loop() {
    update().then(function () { setTimeout(loop, REFRESH); });
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
      map.invalidateSize();
      if (bounds) map.fitBounds(bounds, {padding: [12, 12], animate: false});
    }, 150);
  });

  window.gridgovScreen = {charts: charts, map: map, update: update};
  loadGrids().then(loop, function (err) {
    statusEl.dataset.state = "stale";
    statusEl.textContent = err.message || String(err);
    loop();
  });
})();
