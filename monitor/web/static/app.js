/* Crimea Monitor: draws the stacked bar chart and the map from JSON embedded in the page.
 * Written for this project (no library, no network). Text from the data is only ever set with textContent or
 * setAttribute on SVG presentation attributes, never parsed as HTML. */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var COLORS = {
    search: "#1f77b4", detention: "#d62728", custody: "#9467bd", charge: "#8c564b", sentence: "#e377c2",
    fine: "#7f7f7f", deportation: "#bcbd22", transfer: "#17becf", disappearance: "#393b79", torture: "#ad494a",
    assault: "#ff7f0e", death: "#222222", conscription: "#2ca02c", ban: "#843c39", property_seizure: "#637939",
    displacement: "#e7969c", articles: "#1f77b4", incidents: "#d62728"
  };
  var FALLBACK = ["#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#9c9ede", "#fd8d3c", "#74c476"];

  /* Rough coastline of the Crimean peninsula, [lon, lat], clockwise from the Perekop isthmus (written by hand from
   * the positions of capes and towns; good enough to place settlements, not for navigation). */
  var COAST = [
    [33.62, 46.17], [33.78, 46.15], [33.92, 46.06], [34.08, 46.08], [34.22, 45.97], [34.42, 45.98],
    [34.56, 45.84], [34.72, 45.78], [34.86, 45.62], [35.04, 45.49], [35.20, 45.37], [35.38, 45.32],
    [35.55, 45.32], [35.70, 45.38], [35.85, 45.47], [36.02, 45.44], [36.22, 45.46], [36.40, 45.44],
    [36.60, 45.41], [36.64, 45.36], [36.52, 45.33], [36.55, 45.24], [36.46, 45.14], [36.42, 45.08],
    [36.25, 45.04], [36.12, 45.02], [35.95, 45.05], [35.83, 45.00], [35.62, 45.08], [35.45, 45.08],
    [35.39, 45.02], [35.24, 44.95], [35.08, 44.88], [34.97, 44.83], [34.82, 44.81], [34.62, 44.77],
    [34.41, 44.67], [34.28, 44.55], [34.17, 44.49], [34.04, 44.42], [33.86, 44.39], [33.74, 44.38],
    [33.60, 44.48], [33.49, 44.50], [33.38, 44.57], [33.52, 44.62], [33.53, 44.72], [33.55, 44.82],
    [33.60, 44.96], [33.60, 45.08], [33.50, 45.15], [33.37, 45.18], [33.18, 45.24], [32.98, 45.33],
    [32.78, 45.38], [32.58, 45.32], [32.48, 45.36], [32.55, 45.46], [32.70, 45.53], [32.92, 45.62],
    [33.16, 45.74], [33.30, 45.86], [33.48, 45.95], [33.60, 46.05]
  ];

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, String(attrs[key])); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function text(parent, x, y, value, attrs) {
    var node = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    node.textContent = value;
    return node;
  }

  function tooltip(node, value) {
    el("title", {}, node).textContent = value;
  }

  function color(name, i) {
    return COLORS[name] || FALLBACK[i % FALLBACK.length];
  }

  function readJSON(id) {
    var node = document.getElementById(id);
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function niceMax(value) {
    if (value <= 5) { return 5; }
    var step = Math.pow(10, Math.floor(Math.log10(value)));
    var m = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map(function (f) { return f * step; }).find(function (v) { return v >= value; });
    return m || value;
  }

  function periodQuery(period) {
    if (/^\d{4}-\d{2}$/.test(period)) { return "date:" + period; }
    var start = new Date(period + "T00:00:00Z");
    if (isNaN(start.getTime())) { return ""; }
    var end = new Date(start.getTime() + 6 * 86400000);
    return "date:" + period + ".." + end.toISOString().slice(0, 10);
  }

  /* data: {periods: [...], series: [{type, counts: [...]}, ...]} -> stacked bars, a y axis and a legend. */
  function drawChart(container, data) {
    var periods = data.periods || [], series = data.series || [];
    container.textContent = "";
    if (!periods.length || !series.length) {
      var empty = document.createElement("p");
      empty.className = "muted";
      empty.textContent = "Nothing to chart yet.";
      container.appendChild(empty);
      return;
    }
    var link = container.getAttribute("data-link-type") === "1";
    var W = 720, left = 44, right = 12, top = 12, plotH = 220, bottom = 46;
    var perRow = 4, legendRows = Math.ceil(series.length / perRow), legendH = legendRows * 18 + 8;
    var H = top + plotH + bottom + legendH;
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, class: "chart-svg", width: "100%" }, container);
    var totals = periods.map(function (_, i) {
      return series.reduce(function (sum, s) { return sum + (s.counts[i] || 0); }, 0);
    });
    var max = niceMax(Math.max.apply(null, totals.concat([1])));
    var plotW = W - left - right, slot = plotW / periods.length, barW = Math.max(2, Math.min(48, slot * 0.7));
    var y = function (v) { return top + plotH - (v / max) * plotH; };
    for (var t = 0; t <= 4; t++) {
      var v = (max / 4) * t;
      el("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), class: "grid" }, svg);
      text(svg, left - 6, y(v) + 4, String(Math.round(v * 10) / 10), { "text-anchor": "end", class: "axis" });
    }
    var every = Math.max(1, Math.ceil(periods.length / 12));
    periods.forEach(function (period, i) {
      var x = left + slot * i + (slot - barW) / 2, base = 0;
      var group = el("g", { class: "bar", "data-period": period }, svg);
      series.forEach(function (s, k) {
        var n = s.counts[i] || 0;
        if (!n) { return; }
        var parent = group;
        if (link) {
          var query = "type:" + s.type + " " + periodQuery(period);
          parent = el("a", { href: "/search?q=" + encodeURIComponent(query.trim()) }, group);
        }
        var rect = el("rect", { x: x, y: y(base + n), width: barW, height: Math.max(1, y(base) - y(base + n)),
                                fill: color(s.type, k), class: "segment" }, parent);
        tooltip(rect, period + " · " + s.type + ": " + n);
        base += n;
      });
      if (i % every === 0) {
        text(svg, x + barW / 2, top + plotH + 16, period, { "text-anchor": "middle", class: "axis" });
      }
    });
    el("line", { x1: left, x2: W - right, y1: top + plotH, y2: top + plotH, class: "baseline" }, svg);
    series.forEach(function (s, k) {
      var col = k % perRow, row = Math.floor(k / perRow);
      var lx = left + col * (plotW / perRow), ly = top + plotH + bottom + row * 18;
      el("rect", { x: lx, y: ly - 10, width: 12, height: 12, fill: color(s.type, k) }, svg);
      var total = s.total !== undefined ? s.total : s.counts.reduce(function (a, b) { return a + b; }, 0);
      text(svg, lx + 17, ly, s.type + " (" + total + ")", { class: "legend" });
    });
    container.setAttribute("data-drawn", "1");
  }

  /* data: {bounds, points: [{id, name, lat, lon, articles, events, incidents?}]} -> outline + circles. */
  function drawMap(container, data) {
    var b = data.bounds || { lat_min: 44.3, lat_max: 46.3, lon_min: 32.4, lon_max: 36.7 };
    container.textContent = "";
    var kx = Math.cos(((b.lat_min + b.lat_max) / 2) * Math.PI / 180);
    var W = 720, scale = W / ((b.lon_max - b.lon_min) * kx), H = Math.round((b.lat_max - b.lat_min) * scale);
    var project = function (lon, lat) {
      return [(lon - b.lon_min) * kx * scale, (b.lat_max - lat) * scale];
    };
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, class: "map-svg", width: "100%" }, container);
    el("rect", { x: 0, y: 0, width: W, height: H, class: "sea" }, svg);
    var d = COAST.map(function (p, i) {
      var xy = project(p[0], p[1]);
      return (i ? "L" : "M") + xy[0].toFixed(1) + "," + xy[1].toFixed(1);
    }).join("") + "Z";
    el("path", { d: d, class: "land" }, svg);
    var measure = data.measure || (data.points.some(function (p) { return p.incidents; }) ? "incidents" : "events");
    var points = (data.points || []).slice().sort(function (p, q) {
      return (q[measure] || 0) - (p[measure] || 0) || q.articles - p.articles;
    });
    var labelled = 0;
    points.slice().reverse().forEach(function (p) {
      var xy = project(p.lon, p.lat), value = p[measure] || 0;
      var a = el("a", { href: p.href || ("/entities/" + encodeURIComponent(p.id)), class: "place" }, svg);
      var r = value ? 4 + 3 * Math.sqrt(value) : 3;
      var circle = el("circle", { cx: xy[0].toFixed(1), cy: xy[1].toFixed(1), r: r.toFixed(1),
                                  class: value ? "point hot" : "point", "data-id": p.id }, a);
      tooltip(circle, p.name + ": " + value + " " + measure + ", " + p.articles + " articles");
    });
    points.forEach(function (p) {
      if (labelled >= 14 || !(p[measure] || p.articles > 1)) { return; }
      var xy = project(p.lon, p.lat);
      text(svg, xy[0] + 7, xy[1] - 5, p.name, { class: "place-label" });
      labelled++;
    });
    text(svg, 10, H - 10, "circle area ~ " + measure + "; grey: mentioned only", { class: "legend" });
    container.setAttribute("data-drawn", "1");
  }

  // The review queue from the keyboard: j/k move between incidents, c confirms, r rejects with the chosen reason,
  // o opens the incident. Keys typed into a form field are left alone.
  function reviewKeys(queue) {
    var items = queue.querySelectorAll(".review-item");
    if (!items.length) { return; }
    var current = 0;
    function focus(i) {
      current = Math.max(0, Math.min(items.length - 1, i));
      items[current].focus();
    }
    document.addEventListener("keydown", function (event) {
      var tag = (event.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "select" || tag === "textarea" || event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      var item = items[current];
      if (event.key === "j") { focus(current + 1); }
      else if (event.key === "k") { focus(current - 1); }
      else if (event.key === "c") { item.querySelector("button.confirm").click(); }
      else if (event.key === "r") { item.querySelector("button.reject").click(); }
      else if (event.key === "o") { item.querySelector("a.open").click(); }
      else { return; }
      event.preventDefault();
    });
    Array.prototype.forEach.call(items, function (node, i) {
      node.addEventListener("focus", function () { current = i; });
    });
    focus(0);
  }

  function init() {
    var queue = document.getElementById("review-queue");
    if (queue) { reviewKeys(queue); }
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (node) {
      var data = readJSON(node.getAttribute("data-chart"));
      if (data) { drawChart(node, data); }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-map]"), function (node) {
      var data = readJSON(node.getAttribute("data-map"));
      if (data) { drawMap(node, data); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
