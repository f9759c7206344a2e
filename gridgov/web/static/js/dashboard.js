/* 统计分析 (/dashboard): KPI tiles, ECharts panels, region drill-down, PNG and Excel export.
 *
 * Plain browser JavaScript over ECharts (vendored, global `echarts`), no build step. Every figure
 * comes from the JSON API (/api/v1/stats/<panel>?period=&since=&until=&region=) through the shared
 * helper static/js/api.js, with the session cookie; the server keeps each figure inside the
 * user's scope. The page's state (period, dates, region) lives in the address bar, so a drilled-in
 * view can be bookmarked and the browser's back button climbs back up.
 *
 * Hooks for tests: body[data-dash-ready="1"] and body[data-dash-loads] (completed loads),
 * body[data-dash-region], #chart-<panel> (echarts.getInstanceByDom), button[data-png=<panel>],
 * #dash-regions tbody tr[data-code], #dash-crumbs a[data-code], #dash-xlsx, window.gridgovDashboard.
 */
(function () {
  "use strict";

  var INIT = JSON.parse(document.getElementById("dash-init").textContent || "{}");

  var t = GridgovApi.t;
  var el = GridgovApi.el;
  var clear = GridgovApi.clear;

  function esc(text) { return echarts.format.encodeHTML(String(text)); }
  function pct(v) { return v === null || v === undefined ? t("dashboard.no_rate") : (v * 100).toFixed(1) + "%"; }
  function pctNum(v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; }
  function num(v) { return Number(v || 0).toLocaleString("zh-CN"); }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function clock(d) { return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()); }

  // Long department names share the county's prefix (辽阳县…): drop what every name starts with.
  function commonPrefix(names) {
    if (names.length < 2) return "";
    var p = names[0];
    names.forEach(function (n) { while (p && n.indexOf(p) !== 0) p = p.slice(0, -1); });
    return p.length >= 2 ? p : "";
  }

  // ---------------------------------------------------------------- state and address bar
  var state = {period: INIT.period, since: INIT.since, until: INIT.until, region: INIT.region || null};
  var DEFAULT_PERIOD = "30d";

  function query(includeRegion) {
    var q = new URLSearchParams();
    q.set("period", state.period);
    if (state.period === "custom") { q.set("since", state.since); q.set("until", state.until); }
    if (includeRegion !== false && state.region) q.set("region", state.region);
    return q.toString();
  }

  function pushState() {
    var q = new URLSearchParams(query());
    if (q.get("period") === DEFAULT_PERIOD) q.delete("period");
    var qs = q.toString();
    history.pushState(null, "", location.pathname + (qs ? "?" + qs : ""));
  }

  function readLocation() {
    var q = new URLSearchParams(location.search);
    state.period = q.get("period") || DEFAULT_PERIOD;
    state.since = q.get("since") || state.since;
    state.until = q.get("until") || state.until;
    state.region = q.get("region") || INIT.home || null;
  }

  // ---------------------------------------------------------------- charts
  var COLORS = ["#1f5fa8", "#2fa37a", "#e0a030", "#c0342b", "#7a5fc0", "#2aa0b8", "#d9730d", "#5a6b7d",
                "#9bb63a", "#c0569a", "#3a7bd5", "#8a6d00", "#7a8796"];
  var charts = {};
  var data = {};

  function chartFor(key) {
    if (!charts[key]) {
      var node = document.getElementById("chart-" + key);
      charts[key] = echarts.init(node, null, {renderer: "canvas"});
    }
    return charts[key];
  }

  function base(extra) {
    var option = {
      color: COLORS,
      textStyle: {fontFamily: "inherit"},
      tooltip: {trigger: "axis", confine: true},
      grid: {left: 12, right: 24, top: 36, bottom: 12, containLabel: true},
      animationDuration: 400,
    };
    Object.keys(extra).forEach(function (k) { option[k] = extra[k]; });
    return option;
  }

  function empty(key, isEmpty) {
    if (!isEmpty) return null;
    return {text: t("dashboard.no_data"), left: "center", top: "middle",
            textStyle: {color: "#7a8796", fontSize: 14, fontWeight: "normal"}};
  }

  // An empty panel shows only its “暂无数据” (no bare axes).
  function render(key, option) {
    var c = chartFor(key);
    var blank = option.title && !(option.series || []).some(function (x) { return x.data && x.data.length; });
    c.setOption(blank ? {title: option.title} : option, {notMerge: true});
  }

  function drawDaily(d) {
    var days = d.days;
    var counts = days.map(function (x) { return x.count; });
    var avg = counts.map(function (_, i) {
      if (i < 6) return null;
      var s = 0;
      for (var j = i - 6; j <= i; j++) s += counts[j];
      return Math.round(s / 7 * 10) / 10;
    });
    var weekends = [];  // shaded while a weekend is wide enough to see; a year shows the 7-day mean
    if (days.length <= 92) days.forEach(function (x, i) {
      if (x.weekday === "周六") weekends.push([{xAxis: x.date}, {xAxis: (days[i + 1] || x).date}]);
      else if (x.weekday === "周日" && i === 0) weekends.push([{xAxis: x.date}, {xAxis: x.date}]);
    });
    render("daily", base({
      title: empty("daily", !days.length),
      legend: {top: 0, right: 8},
      xAxis: {type: "category", data: days.map(function (x) { return x.date; }), boundaryGap: false,
              axisLabel: {formatter: function (v) { return v.slice(5); }}},
      yAxis: {type: "value", minInterval: 1},
      tooltip: {trigger: "axis", confine: true, formatter: function (ps) {
        var i = ps[0].dataIndex;
        return days[i].date + " " + days[i].weekday + "<br>" + ps.map(function (p) {
          return p.marker + p.seriesName + "：" + (p.value === null ? "—" : p.value);
        }).join("<br>");
      }},
      dataZoom: days.length > 62 ? [{type: "inside"}, {type: "slider", height: 18, bottom: 4}] : [],
      grid: {left: 12, right: 24, top: 36, bottom: days.length > 62 ? 36 : 12, containLabel: true},
      series: [
        {name: t("dashboard.series_events"), type: "line", data: counts, symbolSize: 5, areaStyle: {opacity: 0.08},
         markArea: {silent: true, itemStyle: {color: "rgba(224, 160, 48, 0.10)"}, data: weekends}},
        {name: "7日均值", type: "line", data: avg, smooth: true, symbol: "none",
         lineStyle: {width: 2, type: "dashed"}},
      ],
    }));
  }

  function drawCategories(d) {
    var rows = d.rows.slice().reverse();
    render("categories", base({
      title: empty("categories", !rows.length),
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", data: rows.map(function (r) { return r.name; })},
      series: [{name: t("dashboard.series_events"), type: "bar", data: rows.map(function (r) { return r.count; }),
                barMaxWidth: 18, label: {show: true, position: "right"}}],
    }));
  }

  function drawChannels(d) {
    var narrow = chartFor("channels").getWidth() < 520;  // a phone: the legend goes under the ring
    render("channels", base({
      title: empty("channels", !d.rows.length),
      tooltip: {trigger: "item", confine: true, formatter: function (p) {
        return p.marker + esc(p.name) + "：" + num(p.value) + "（" + p.percent + "%）";
      }},
      legend: narrow ? {type: "scroll", bottom: 0, left: "center"}
        : {type: "scroll", orient: "vertical", right: 8, top: "middle"},
      series: [{name: t("dashboard.chart_channels"), type: "pie", radius: narrow ? ["30%", "52%"] : ["42%", "70%"],
                center: narrow ? ["50%", "45%"] : ["40%", "52%"],
                data: d.rows.map(function (r) { return {name: r.name, value: r.count}; }),
                label: {formatter: "{b}\n{d}%"}}],
    }));
  }

  function drawFunnel(d) {
    var stages = d.funnel;
    render("funnel", base({
      title: empty("funnel", !d.kpis.events),
      tooltip: {trigger: "item", confine: true, formatter: function (p) {
        var s = stages[p.dataIndex];
        return s.label + "：" + num(s.count) + "（" + pct(s.share) + "）";
      }},
      series: [{name: t("dashboard.chart_funnel"), type: "funnel", sort: "none", left: "8%", width: "84%",
                top: 16, bottom: 8, minSize: "18%", gap: 2,
                label: {position: "inside", formatter: function (p) {
                  var s = stages[p.dataIndex];
                  return s.label + " " + num(s.count) + "  " + pct(s.share);
                }},
                data: stages.map(function (s) { return {name: s.label, value: s.count}; })}],
    }));
  }

  function drawDepartments(d) {
    var rows = d.rows.filter(function (r) { return r.on_time_closing_rate !== null || r.satisfaction_rate !== null; })
      .slice(0, 12).reverse();
    var prefix = commonPrefix(d.rows.map(function (r) { return r.name; }));
    render("departments", base({
      title: empty("departments", !rows.length),
      legend: {top: 0, right: 8},
      tooltip: {trigger: "axis", confine: true, axisPointer: {type: "shadow"}, formatter: function (ps) {
        var r = rows[ps[0].dataIndex];
        return r.rank + ". " + esc(r.name) + "<br>" + t("dashboard.col_events") + "：" + num(r.events) + "<br>" +
          ps.map(function (p) { return p.marker + p.seriesName + "：" + (p.value === null ? "—" : p.value + "%"); })
            .join("<br>");
      }},
      xAxis: {type: "value", max: 100, axisLabel: {formatter: "{value}%"}},
      yAxis: {type: "category", data: rows.map(function (r) { return r.name.slice(prefix.length) || r.name; }),
              axisLabel: {width: 150, overflow: "truncate"}},
      series: [
        {name: t("dashboard.series_on_time"), type: "bar", barMaxWidth: 10,
         data: rows.map(function (r) { return pctNum(r.on_time_closing_rate); })},
        {name: t("dashboard.series_satisfaction"), type: "bar", barMaxWidth: 10,
         data: rows.map(function (r) { return pctNum(r.satisfaction_rate); })},
      ],
    }));
  }

  function drawRegions(d) {
    var rows = d.rows;
    var c = chartFor("regions");
    render("regions", base({
      title: empty("regions", !rows.length),
      legend: {top: 0, right: 8},
      tooltip: {trigger: "axis", confine: true, axisPointer: {type: "shadow"}},
      xAxis: {type: "category", data: rows.map(function (r) { return r.name; }),
              axisLabel: {interval: 0, rotate: rows.length > 8 ? 30 : 0, width: 110, overflow: "truncate"}},
      yAxis: [{type: "value", minInterval: 1}, {type: "value", max: 100, axisLabel: {formatter: "{value}%"}}],
      series: [
        {name: t("dashboard.series_events"), type: "bar", barMaxWidth: 28, cursor: "pointer",
         data: rows.map(function (r) { return r.events; })},
        {name: t("dashboard.col_open"), type: "bar", barMaxWidth: 28, cursor: "pointer",
         data: rows.map(function (r) { return r.open; })},
        {name: t("dashboard.series_on_time"), type: "line", yAxisIndex: 1,
         data: rows.map(function (r) { return pctNum(r.on_time_closing_rate); })},
      ],
    }));
    c.off("click");
    c.on("click", function (p) {
      var r = rows[p.dataIndex];
      if (r && r.drillable) drill(r.code);
    });
    var body = document.querySelector("#dash-regions tbody");
    clear(body);
    rows.forEach(function (r, i) {
      var name = r.drillable
        ? el("a", {href: "?" + new URLSearchParams({period: state.period, region: r.code}).toString(),
                   class: "dash-drill", text: r.name, title: t("dashboard.drill", {name: r.name}),
                   dataset: {code: r.code}})
        : el("span", {text: r.name, title: t("dashboard.leaf")});
      var tr = el("tr", {dataset: {code: r.code}, class: r.drillable ? "dash-row-drill" : null}, [
        el("td", {class: "num", text: String(i + 1)}),
        el("td", {}, [name]),
        el("td", {class: "num", text: num(r.events)}),
        el("td", {class: "num", text: num(r.open)}),
        el("td", {class: "num" + (r.overdue ? " dash-bad" : ""), text: num(r.overdue)}),
        el("td", {class: "num", text: pct(r.on_time_closing_rate)}),
        el("td", {class: "num", text: pct(r.satisfaction_rate)}),
      ]);
      body.appendChild(tr);
    });
    if (!rows.length) {
      body.appendChild(el("tr", {}, [el("td", {colspan: "7", class: "empty muted", text: t("dashboard.no_data")})]));
    }
  }

  function drawDisputes(d) {
    var rows = d.rows;
    var title = empty("disputes", !rows.length);
    if (title && d.unregistered) title.text = t("dashboard.disputes_unregistered", {n: num(d.unregistered)});
    render("disputes", base({
      title: title,
      graphic: rows.length && d.unregistered ? [{type: "text", left: 12, bottom: 0, style: {
        text: t("dashboard.disputes_unregistered_note", {n: num(d.unregistered)}), fill: "#7a8796", fontSize: 12}}] : [],
      legend: {top: 0, right: 8},
      tooltip: {trigger: "axis", confine: true, axisPointer: {type: "shadow"}},
      xAxis: {type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: {interval: 0}},
      yAxis: [{type: "value", minInterval: 1}, {type: "value", max: 100, axisLabel: {formatter: "{value}%"}}],
      series: [
        {name: t("dashboard.series_registered"), type: "bar", barMaxWidth: 22, data: rows.map(function (r) { return r.registered; })},
        {name: t("dashboard.series_resolved"), type: "bar", barMaxWidth: 22, data: rows.map(function (r) { return r.resolved; })},
        {name: t("dashboard.series_resolution"), type: "line", yAxisIndex: 1,
         data: rows.map(function (r) { return pctNum(r.resolution_rate); })},
      ],
    }));
  }

  function drawVisits(d) {
    var rows = d.available ? d.rows : [];
    render("visits", base({
      title: d.available ? empty("visits", !rows.length)
        : {text: t("dashboard.kpi_coverage_na"), left: "center", top: "middle",
           textStyle: {color: "#7a8796", fontSize: 14, fontWeight: "normal"}},
      legend: {top: 0, right: 8},
      tooltip: {trigger: "axis", confine: true, axisPointer: {type: "shadow"}, formatter: function (ps) {
        var r = rows[ps[0].dataIndex];
        return esc(r.name) + "（每 " + r.interval_days + " 天）<br>" + t("dashboard.series_members") + "：" + r.members +
          "<br>" + t("dashboard.series_coverage") + "：" + pct(r.coverage) + "（" + r.covered + "）";
      }},
      xAxis: {type: "category", data: rows.map(function (r) { return r.name; }),
              axisLabel: {interval: 0, rotate: rows.length > 5 ? 25 : 0}},
      yAxis: [{type: "value", max: 100, axisLabel: {formatter: "{value}%"}}, {type: "value", minInterval: 1}],
      series: [
        {name: t("dashboard.series_coverage"), type: "bar", barMaxWidth: 26,
         data: rows.map(function (r) { return pctNum(r.coverage); }),
         label: {show: true, position: "top", formatter: "{c}%"}},
        {name: t("dashboard.series_members"), type: "line", yAxisIndex: 1, data: rows.map(function (r) { return r.members; })},
      ],
    }));
  }

  // ---------------------------------------------------------------- KPIs and breadcrumb
  function kpi(key, value, note, tone) {
    var box = document.querySelector('.dash-kpi[data-kpi="' + key + '"]');
    box.querySelector("[data-value]").textContent = value;
    box.querySelector("[data-note]").textContent = note || "\u00a0";
    box.classList.remove("kpi-warn", "kpi-danger", "kpi-ok");
    if (tone) box.classList.add(tone);
  }

  function rateTone(v, good, bad) {
    if (v === null || v === undefined) return null;
    return v >= good ? "kpi-ok" : v < bad ? "kpi-danger" : "kpi-warn";
  }

  function drawKpis(s, dis, vis) {
    var k = s.kpis;
    kpi("events", num(k.events), t("dashboard.kpi_events_note"));
    kpi("open", num(k.open), t("dashboard.kpi_open_note"));
    kpi("overdue", num(k.overdue), t("dashboard.kpi_overdue_note"), k.overdue ? "kpi-danger" : "kpi-ok");
    kpi("on_time", pct(k.on_time_closing_rate),
        t("dashboard.kpi_on_time_note", {num: num(k.closed_on_time), den: num(k.due - k.deferred)}),
        rateTone(k.on_time_closing_rate, 0.9, 0.75));
    kpi("satisfaction", pct(k.satisfaction_rate),
        t("dashboard.kpi_satisfaction_note", {num: num(k.satisfied), den: num(k.rated)}),
        rateTone(k.satisfaction_rate, 0.9, 0.8));
    kpi("resolution", pct(dis.total.resolution_rate),
        t("dashboard.kpi_resolution_note", {num: num(dis.total.resolved), den: num(dis.total.accepted)}),
        rateTone(dis.total.resolution_rate, 0.9, 0.75));
    if (vis.available) {
      kpi("coverage", pct(vis.total.coverage),
          t("dashboard.kpi_coverage_note", {num: num(vis.total.covered), den: num(vis.total.members)}),
          rateTone(vis.total.coverage, 0.9, 0.7));
    } else {
      kpi("coverage", t("dashboard.no_rate"), t("dashboard.kpi_coverage_na"));
    }
  }

  function drawCrumbs(s) {
    var box = document.getElementById("dash-crumbs");
    clear(box);
    var path = s.path.length ? s.path : [{code: "", name: t("dashboard.all")}];
    path.forEach(function (p, i) {
      if (i) box.appendChild(el("span", {class: "dash-sep", "aria-hidden": "true", text: " › "}));
      if (i === path.length - 1) {
        box.appendChild(el("span", {class: "dash-here", "aria-current": "page", text: p.name, dataset: {code: p.code}}));
      } else {
        box.appendChild(el("a", {href: "?" + new URLSearchParams({period: state.period, region: p.code}).toString(),
                                 text: p.name, dataset: {code: p.code}}));
      }
    });
    document.getElementById("dash-title").textContent = t("dashboard.title") + " · " + s.region_name;
    document.body.dataset.dashRegion = s.region || "";
  }

  // ---------------------------------------------------------------- loading
  var api = GridgovApi.client({onUnauthorized: function () {
    window.location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
  }});
  var PANELS = ["summary", "daily", "categories", "channels", "departments", "regions", "disputes", "visits"];
  var controller = null;
  var loads = 0;
  var statusEl = document.getElementById("dash-status");

  function setStatus(kind, text, retry) {
    statusEl.dataset.state = kind;
    clear(statusEl);
    statusEl.appendChild(document.createTextNode(text));
    if (retry) {
      statusEl.appendChild(document.createTextNode(" "));
      statusEl.appendChild(el("button", {type: "button", class: "link-btn", text: t("dashboard.retry"), onclick: load}));
    }
  }

  function load() {
    if (controller) controller.abort();
    controller = new AbortController();
    var signal = controller.signal;
    var qs = query();
    document.body.dataset.dashReady = "0";
    setStatus("loading", t("dashboard.loading"));
    document.getElementById("dash-xlsx").href = "/api/v1/stats/dashboard.xlsx?" + qs;
    return Promise.all(PANELS.map(function (p) {
      return api("/api/v1/stats/" + p + "?" + qs, {signal: signal});
    })).then(function (results) {
      PANELS.forEach(function (p, i) { data[p] = results[i]; });
      var s = data.summary;
      state.region = s.region;
      state.since = s.first_day;
      state.until = s.last_day;
      document.getElementById("dash-since").value = s.first_day;
      document.getElementById("dash-until").value = s.last_day;
      drawCrumbs(s);
      drawKpis(s, data.disputes, data.visits);
      drawDaily(data.daily);
      drawCategories(data.categories);
      drawChannels(data.channels);
      drawFunnel(s);
      drawDepartments(data.departments);
      drawRegions(data.regions);
      drawDisputes(data.disputes);
      drawVisits(data.visits);
      loads += 1;
      document.body.dataset.dashLoads = String(loads);
      document.body.dataset.dashReady = "1";
      setStatus("ok", t("dashboard.range", {first: s.first_day, last: s.last_day}) + " · " +
                t("dashboard.updated", {time: clock(new Date())}));
    }, function (err) {
      if (GridgovApi.isAbort(err)) return;
      setStatus("error", t("dashboard.failed", {message: err.message}), !err.status || err.status >= 500);
      document.body.dataset.dashReady = "error";
    });
  }

  function drill(code) {
    state.region = code;
    pushState();
    load();
  }

  // ---------------------------------------------------------------- controls
  var periodSel = document.getElementById("dash-period");
  var custom = document.getElementById("dash-custom");
  periodSel.addEventListener("change", function () {
    custom.hidden = periodSel.value !== "custom";
    if (periodSel.value === "custom") return;  // wait for the dates and 查询
    state.period = periodSel.value;
    pushState();
    load();
  });
  document.getElementById("dash-filters").addEventListener("submit", function (ev) {
    ev.preventDefault();
    state.period = periodSel.value;
    state.since = document.getElementById("dash-since").value;
    state.until = document.getElementById("dash-until").value;
    pushState();
    load();
  });
  document.getElementById("dash-crumbs").addEventListener("click", function (ev) {
    var a = ev.target.closest("a[data-code]");
    if (!a) return;
    ev.preventDefault();
    drill(a.dataset.code);
  });
  document.getElementById("dash-regions").addEventListener("click", function (ev) {
    if (ev.target.closest("a") && (ev.ctrlKey || ev.metaKey || ev.shiftKey)) return;  // open in a new tab
    var tr = ev.target.closest("tr.dash-row-drill");
    if (!tr) return;
    ev.preventDefault();
    drill(tr.dataset.code);
  });
  window.addEventListener("popstate", function () {
    readLocation();
    periodSel.value = state.period;
    custom.hidden = state.period !== "custom";
    load();
  });

  // PNG of one chart: ECharts renders it (white background, twice the pixels), the browser saves it.
  document.querySelectorAll("button[data-png]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var key = btn.dataset.png;
      var c = charts[key];
      if (!c) return;
      var url = c.getDataURL({type: "png", pixelRatio: 2, backgroundColor: "#ffffff"});
      var s = data.summary || {};
      var a = el("a", {href: url, download: t("dashboard.png_name", {
        chart: t("dashboard.chart_" + key).replace(/[（）\s]/g, ""), region: s.region_name || "",
        first: (s.first_day || "").replace(/-/g, ""), last: (s.last_day || "").replace(/-/g, "")})});
      document.body.appendChild(a);
      a.click();
      a.remove();
    });
  });

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    }, 120);
  });

  window.gridgovDashboard = {charts: charts, data: data, state: state, load: load, drill: drill};
  load();
})();
