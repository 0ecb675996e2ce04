/* Kokyaku portfolio charts: small wrappers around the locally served plotly.min.js.
   Data arrives through Django's json_script; nothing is fetched from another host. */
(function () {
  "use strict";
  var ZONE_COLORS = {A: "#1e7a46", B: "#c58a00", C: "#8a94a3", "": "#b8c0cc"};
  var FONT = {family: getComputedStyle(document.body).fontFamily, size: 12, color: "#1b2430"};
  var CONFIG = {displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"]};

  function base(extra) {
    var layout = {font: FONT, margin: {l: 56, r: 16, t: 10, b: 48}, paper_bgcolor: "#fff", plot_bgcolor: "#fff",
      legend: {orientation: "h", y: -0.2}, hoverlabel: {font: FONT}};
    for (var k in extra) { layout[k] = extra[k]; }
    return layout;
  }

  function accountLink(template, id) { return template.replace(/\/0\/$/, "/" + id + "/"); }

  // -- money on axes and in hovers: Intl.NumberFormat in the page's language, from the same CLDR data that
  // Babel formats the server's pages with: 万 / 億 in Japanese, K / M / B in English, each currency's own
  // symbol and decimals. `currency` is an ISO 4217 code ("JPY").
  function moneyFormat(currency, lang) {
    lang = String(lang || document.documentElement.lang || "en");
    var style = {style: "currency", currency: String(currency || "JPY").toUpperCase()};
    var ja = lang.toLowerCase().indexOf("ja") === 0;
    var axis = new Intl.NumberFormat(lang, extend({notation: "compact", maximumSignificantDigits: 3}, style));
    var compact = new Intl.NumberFormat(lang, extend({notation: "compact", maximumSignificantDigits: 4}, style));
    var whole = new Intl.NumberFormat(lang, extend({minimumFractionDigits: 0, maximumFractionDigits: 0}, style));
    var exact = new Intl.NumberFormat(lang, style);
    function guarded(format) {
      return function (v) { return v === null || v === undefined || !isFinite(v) ? "—" : format(v); };
    }
    return {
      axis: guarded(function (v) { return axis.format(v); }),
      // hovers: more digits; in English the whole amount (cents only below 100)
      hover: guarded(function (v) { return ja ? compact.format(v) : (Math.abs(v) >= 100 ? whole : exact).format(v); })
    };
  }
  function linearTicks(max, fmt) {  // about five round steps from 0 to max
    if (!(max > 0)) { return {}; }
    var raw = max / 5, mag = Math.pow(10, Math.floor(Math.log10(raw))), step = mag;
    [1, 2, 2.5, 5, 10].some(function (m) { step = m * mag; return step >= raw; });
    var vals = [];
    for (var v = 0; v <= max + step * 0.999; v += step) { vals.push(Math.round(v * 1e6) / 1e6); }
    return {tickmode: "array", tickvals: vals, ticktext: vals.map(fmt)};
  }
  function logTicks(min, max, fmt) {  // 1, 2, 5 × 10^k across the data; 1, 3 × 10^k or 10^k over wider ranges
    if (!(min > 0 && max > 0)) { return {}; }
    var lo = Math.floor(Math.log10(min)), hi = Math.ceil(Math.log10(max));
    var steps = hi - lo > 5 ? [1] : (hi - lo > 2 ? [1, 3] : [1, 2, 5]), vals = [];
    for (var k = lo; k <= hi; k++) {
      steps.forEach(function (m) { var v = m * Math.pow(10, k); if (v >= min / 2 && v <= max * 2) { vals.push(v); } });
    }
    return {tickmode: "array", tickvals: vals, ticktext: vals.map(fmt)};
  }
  // User text (account and rep names) as Plotly shows it: Plotly reads <a href>, <b>, <br> ... in labels and
  // hovers as markup, and turns entities back into characters, so a name is shown as typed (issue 15).
  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function extend(target, extra) { for (var k in extra) { target[k] = extra[k]; } return target; }

  function scatter(el, data, urlTemplate) {
    var labels = data.labels, money = moneyFormat(data.currency);
    var traces = [], xs = [];
    // Drawn C first so that A sits on top; the legend lists them A, B, C (traceorder reversed).
    ["C", "B", "A"].forEach(function (z) {
      var d = data.zones[z];
      if (!d || !d.x.length) { return; }
      xs = xs.concat(d.x);
      traces.push({
        // SVG, not "scattergl": WebGL compiles its shaders with new Function, which the Content-Security-Policy
        // (no unsafe-eval) refuses, and at most SCATTER_POINTS (2,000) points SVG draws as fast.
        type: "scatter", mode: "markers", name: labels.zone + " " + z,
        x: d.x, y: d.y, text: d.name.map(esc),
        customdata: d.id.map(function (id, i) { return [id, money.hover(d.x[i]), money.hover(d.ev[i])]; }),
        hovertemplate: "<b>%{text}</b><br>" + labels.price + ": %{customdata[1]}<br>" + labels.probability +
          ": %{y:.0f}%<br>" + labels.ev + ": %{customdata[2]}<extra>" + labels.zone + " " + z + "</extra>",
        marker: {color: ZONE_COLORS[z], size: 6, opacity: 0.72, line: {width: 0}}
      });
    });
    var shapes = [];
    var t = data.thresholds || {};
    [t.price_low, t.price_high].forEach(function (v) {
      if (v > 0) { shapes.push({type: "line", x0: v, x1: v, y0: 0, y1: 100, line: {color: "#9aa4b2", dash: "dot", width: 1}}); }
    });
    [t.probability_low, t.probability_high].forEach(function (v) {
      if (v !== null && v !== undefined) { shapes.push({type: "line", xref: "paper", x0: 0, x1: 1, y0: v * 100, y1: v * 100, line: {color: "#9aa4b2", dash: "dot", width: 1}}); }
    });
    var node = document.getElementById(el);
    Plotly.newPlot(node, traces, base({
      xaxis: extend({type: "log", title: {text: labels.x}, gridcolor: "#eef1f5"},
        logTicks(Math.min.apply(null, xs), Math.max.apply(null, xs), money.axis)),
      yaxis: {title: {text: labels.y}, range: [0, 100], gridcolor: "#eef1f5", ticksuffix: "%"},
      // The legend above the plot: below it, it ran into the x-axis title on a phone (390 px).
      legend: {orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom", traceorder: "reversed"},
      margin: {l: 56, r: 16, t: 36, b: 48},
      shapes: shapes, height: 380
    }), CONFIG);
    node.on("plotly_click", function (ev) {
      if (ev.points && ev.points.length) { window.location.href = accountLink(urlTemplate, ev.points[0].customdata[0]); }
    });
  }

  function sankey(el, flows, labels) {
    var names = ["A", "B", "C", ""];
    var nodeLabels = names.map(function (z) { return (z || labels.unzoned) + " · " + labels.before; })
      .concat(names.map(function (z) { return (z || labels.unzoned) + " · " + labels.after; }));
    var colors = names.map(function (z) { return ZONE_COLORS[z]; });
    var link = {source: [], target: [], value: [], color: []};
    flows.forEach(function (f) {
      link.source.push(names.indexOf(f.from));
      link.target.push(4 + names.indexOf(f.to));
      link.value.push(f.accounts);
      link.color.push(f.from === f.to ? "rgba(154,164,178,0.25)" : "rgba(29,95,191,0.35)");
    });
    Plotly.newPlot(document.getElementById(el), [{
      type: "sankey", arrangement: "fixed",
      node: {label: nodeLabels, color: colors.concat(colors), pad: 18, thickness: 16},
      link: link
    }], base({height: 340, margin: {l: 10, r: 10, t: 10, b: 10}}), CONFIG);
  }

  function effort(el, chart) {
    var money = moneyFormat(chart.currency);
    var rph = chart.rph.filter(function (v) { return v !== null; });
    var pctHover = "%{x}: %{y:.1f}%<extra>%{fullData.name}</extra>";
    Plotly.newPlot(document.getElementById(el), [
      {type: "bar", name: chart.labels.effort, x: chart.zones, y: chart.effort_share, marker: {color: "#8cb8ff"}, hovertemplate: pctHover},
      {type: "bar", name: chart.labels.revenue, x: chart.zones, y: chart.revenue_share, marker: {color: "#1e7a46"}, hovertemplate: pctHover},
      {type: "scatter", mode: "lines+markers", name: chart.labels.rph, x: chart.zones, y: chart.rph, yaxis: "y2",
        customdata: chart.rph.map(function (v) { return money.hover(v); }),
        hovertemplate: "%{x}: %{customdata}<extra>%{fullData.name}</extra>",
        line: {color: "#b3261e"}, marker: {size: 8}}
    ], base({barmode: "group", height: 340, yaxis: {title: {text: chart.labels.share}, gridcolor: "#eef1f5", ticksuffix: "%", rangemode: "tozero"},
      yaxis2: extend({overlaying: "y", side: "right", showgrid: false, rangemode: "tozero", automargin: true,
        title: {text: chart.labels.rph, standoff: 12}},
        linearTicks(rph.length ? Math.max.apply(null, rph) : 0, money.axis)),
      margin: {l: 56, r: 78, t: 10, b: 48}}), CONFIG);
  }

  function yomi(el, chart) {
    // Horizontal: one bar per rep reads well for 3 reps or 30; the target is a red tick on each bar.
    var money = moneyFormat(chart.currency);
    var reps = chart.reps.map(esc);
    var h = {orientation: "h", y: reps};
    function hover(values) { return values.map(function (v) { return money.hover(v); }); }
    function bar(name, x, color) {
      return extend({type: "bar", name: name, x: x, marker: {color: color}, customdata: hover(x),
        hovertemplate: "<b>%{y}</b><br>" + name + ": %{customdata}<extra></extra>"}, h);
    }
    var ends = chart.reps.map(function (_, i) {
      return Math.max(chart.target[i] || 0, (chart.won[i] || 0) + (chart.high[i] || 0) + (chart.mid[i] || 0));
    });
    Plotly.newPlot(document.getElementById(el), [
      bar(chart.labels.won, chart.won, "#1e7a46"),
      bar(chart.labels.high, chart.high, "#6fbf8e"),
      bar(chart.labels.mid, chart.mid, "#f1d39a"),
      {type: "scatter", mode: "markers", name: chart.labels.target, x: chart.target, y: reps, customdata: hover(chart.target),
        hovertemplate: "<b>%{y}</b><br>" + chart.labels.target + ": %{customdata}<extra></extra>",
        marker: {symbol: "line-ns-open", size: 16, line: {width: 3, color: "#b3261e"}}}
    ], base({barmode: "stack", height: Math.max(260, 60 + 22 * chart.reps.length),
      xaxis: extend({gridcolor: "#eef1f5"}, linearTicks(ends.length ? Math.max.apply(null, ends) : 0, money.axis)),
      yaxis: {autorange: "reversed", automargin: true},
      margin: {l: 10, r: 16, t: 10, b: 40}, legend: {orientation: "h", y: 1.02, yanchor: "bottom", traceorder: "normal"}}), CONFIG);
  }

  window.KokyakuCharts = {scatter: scatter, sankey: sankey, effort: effort, yomi: yomi, moneyFormat: moneyFormat, esc: esc};
})();
