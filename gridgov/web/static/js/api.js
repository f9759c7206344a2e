/* The one fetch() helper of every page: JSON in and out, the session's CSRF token on writes, and
 * errors as GridgovApi.ApiError carrying the server's Chinese message.
 *
 * Plain browser JavaScript, no build step; load it before the page's own script:
 *
 *   var api = GridgovApi.client({onUnauthorized: sessionExpired});   // staff pages
 *   api("/api/v1/declarations", {method: "POST", body: {...}, signal: controller.signal})
 *     .then(function (data) { ... }, function (err) { err.status, err.code, err.message });
 *
 *   GridgovApi.request(url, {method: "POST", body: {...}, credentials: "omit"});   // public pages
 *
 * It also holds the small helpers every page script shares: GridgovApi.t(key, params) (the UI text
 * from the page's #i18n-catalogue, "{name}" placeholders filled), GridgovApi.el(tag, attrs,
 * children) (DOM without innerHTML), GridgovApi.clear(node) and GridgovApi.inGeometry(lon, lat,
 * geometry) (a point inside a GeoJSON polygon, for pages that check a tapped or GPS point).
 *
 * The server's errors are {"error": {"code", "message", "details"}}; a refusal keeps its code and
 * message, a reply that is not JSON becomes error.server ("服务器暂时无法响应（n）…"), a failed
 * connection code "network" (error.network). 429 carries the Retry-After seconds (err.retryAfter). An aborted request
 * rejects with the browser's AbortError unchanged. Texts come from the page's #i18n-catalogue
 * (keys error.server, error.network) when it has them.
 */
(function (root) {
  "use strict";

  var FALLBACK = {"error.server": "服务器暂时无法响应（{status}），请稍后重试",
                  "error.network": "网络连接失败，请检查网络后重试"};
  var messages = null;

  function t(key, params) {
    if (messages === null) {
      var node = document.getElementById("i18n-catalogue");
      try { messages = JSON.parse((node && node.textContent) || "{}"); } catch (e) { messages = {}; }
    }
    var text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : FALLBACK[key] || key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return params && Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
    });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return (meta && meta.content) || "";
  }

  function ApiError(status, message, code, details) {
    this.name = "ApiError";
    this.status = status;
    this.message = message;
    this.code = code;
    this.details = details;
    this.retryAfter = null;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  // options: method ("GET"), body (sent as JSON), signal, credentials ("same-origin"; "omit" on
  // public pages), onUnauthorized (called on 401 before the promise rejects).
  function request(path, options) {
    options = options || {};
    var method = (options.method || "GET").toUpperCase();
    var headers = {"Accept": "application/json"};
    if (method !== "GET" && method !== "HEAD" && options.credentials !== "omit") {
      headers["X-CSRF-Token"] = csrfToken();
    }
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method: method, headers: headers, credentials: options.credentials || "same-origin", signal: options.signal,
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    }).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (res.ok) return body;
        var err = (body && body.error) || {};
        var error = new ApiError(res.status, err.message || t("error.server", {status: res.status}),
                                 err.code || "http_" + res.status, err.details);
        var wait = parseInt(res.headers.get("Retry-After") || "", 10);
        if (!isNaN(wait)) error.retryAfter = wait;
        if (res.status === 401 && options.onUnauthorized) options.onUnauthorized(error);
        throw error;
      });
    }, function (err) {
      if (err && err.name === "AbortError") throw err;
      throw new ApiError(0, t("error.network"), "network");
    });
  }

  // A request function with fixed defaults (e.g. the page's reaction to an expired session).
  function client(defaults) {
    return function (path, options) {
      var merged = {};
      Object.keys(defaults || {}).forEach(function (k) { merged[k] = defaults[k]; });
      Object.keys(options || {}).forEach(function (k) { merged[k] = options[k]; });
      return request(path, merged);
    };
  }

  function isAbort(err) { return !!err && err.name === "AbortError"; }

  // Build DOM without innerHTML: el("li", {class: "x", dataset: {code: "1"}}, [child, "text"]).
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "dataset") Object.keys(value).forEach(function (k) { node.dataset[k] = value[k]; });
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // Is the point inside a GeoJSON Polygon/MultiPolygon (holes respected)? Ray casting, lon/lat.
  function inRing(lon, lat, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if (((yi > lat) !== (yj > lat)) && (lon < (xj - xi) * (lat - yi) / (yj - yi) + xi)) inside = !inside;
    }
    return inside;
  }

  function inGeometry(lon, lat, g) {
    var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    return polys.some(function (rings) {
      return rings.length && inRing(lon, lat, rings[0]) &&
        !rings.slice(1).some(function (hole) { return inRing(lon, lat, hole); });
    });
  }

  root.GridgovApi = {request: request, client: client, ApiError: ApiError, isAbort: isAbort, csrfToken: csrfToken,
                     t: t, el: el, clear: clear, inGeometry: inGeometry};
})(window);
