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

  function scatter(el, data, urlTemplate) {
    var labels = data.labels;
    var traces = [];
    ["C", "B", "A"].forEach(function (z) {
      var d = data.zones[z];
      if (!d || !d.x.length) { return; }
      traces.push({
        type: "scattergl", mode: "markers", name: labels.zone + " " + z,
        x: d.x, y: d.y, customdata: d.id, text: d.name,
        hovertemplate: "<b>%{text}</b><br>%{x:,.0f} · %{y:.0f}%<extra>" + z + "</extra>",
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
      xaxis: {type: "log", title: {text: labels.x}, gridcolor: "#eef1f5"},
      yaxis: {title: {text: labels.y}, range: [0, 100], gridcolor: "#eef1f5"},
      shapes: shapes, height: 360
    }), CONFIG);
    node.on("plotly_click", function (ev) {
      if (ev.points && ev.points.length) { window.location.href = accountLink(urlTemplate, ev.points[0].customdata); }
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
    Plotly.newPlot(document.getElementById(el), [
      {type: "bar", name: chart.labels.effort, x: chart.zones, y: chart.effort_share, marker: {color: "#8cb8ff"}},
      {type: "bar", name: chart.labels.revenue, x: chart.zones, y: chart.revenue_share, marker: {color: "#1e7a46"}},
      {type: "scatter", mode: "lines+markers", name: chart.labels.rph, x: chart.zones, y: chart.rph, yaxis: "y2",
        line: {color: "#b3261e"}, marker: {size: 8}}
    ], base({barmode: "group", height: 340, yaxis: {title: {text: "%"}, gridcolor: "#eef1f5"},
      yaxis2: {overlaying: "y", side: "right", showgrid: false, rangemode: "tozero", title: {text: chart.labels.rph}},
      margin: {l: 56, r: 70, t: 10, b: 48}}), CONFIG);
  }

  function yomi(el, chart) {
    // Horizontal: one bar per rep reads well for 3 reps or 30; the target is a red tick on each bar.
    var h = {orientation: "h", y: chart.reps};
    function bar(name, x, color) { return Object.assign({type: "bar", name: name, x: x, marker: {color: color}}, h); }
    Plotly.newPlot(document.getElementById(el), [
      bar(chart.labels.won, chart.won, "#1e7a46"),
      bar(chart.labels.high, chart.high, "#6fbf8e"),
      bar(chart.labels.mid, chart.mid, "#f1d39a"),
      {type: "scatter", mode: "markers", name: chart.labels.target, x: chart.target, y: chart.reps,
        marker: {symbol: "line-ns-open", size: 16, line: {width: 3, color: "#b3261e"}}}
    ], base({barmode: "stack", height: Math.max(260, 60 + 22 * chart.reps.length),
      xaxis: {gridcolor: "#eef1f5"}, yaxis: {autorange: "reversed", automargin: true},
      margin: {l: 10, r: 16, t: 10, b: 40}, legend: {orientation: "h", y: 1.02, yanchor: "bottom"}}), CONFIG);
  }

  window.KokyakuCharts = {scatter: scatter, sankey: sankey, effort: effort, yomi: yomi};
})();
