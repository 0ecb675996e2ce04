/* Kokyaku retention charts: the curves side by side and the cohort heatmaps, with the locally served plotly.min.js.
   Data arrives through Django's json_script; nothing is fetched from another host. */
(function () {
  "use strict";
  var FONT = {family: getComputedStyle(document.body).fontFamily, size: 12, color: "#1b2430"};
  var CONFIG = {displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"]};

  function layout(extra) {
    var out = {font: FONT, margin: {l: 56, r: 16, t: 10, b: 48}, paper_bgcolor: "#fff", plot_bgcolor: "#fff",
      legend: {orientation: "h", y: -0.22}, hoverlabel: {font: FONT}};
    for (var k in extra) { out[k] = extra[k]; }
    return out;
  }
  function pct(values) { return values.map(function (v) { return v === null ? null : v * 100; }); }

  function curves(el, c) {
    var hover = "%{x:.2f}: %{y:.1f}%<extra>%{fullData.name}</extra>";
    var traces = [
      // the measured curve's 95% band: the upper edge, then the lower one filled up to it
      {type: "scatter", mode: "lines", x: c.years, y: pct(c.measured_high), line: {width: 0}, hoverinfo: "skip", showlegend: false},
      {type: "scatter", mode: "lines", name: c.labels.band, x: c.years, y: pct(c.measured_low), line: {width: 0},
        fill: "tonexty", fillcolor: "rgba(30,122,70,0.15)", hoverinfo: "skip"},
      {type: "scatter", mode: "lines", name: c.labels.classic, x: c.years, y: pct(c.classic),
        line: {color: "#8a94a3", dash: "dash", width: 2}, hovertemplate: hover},
      {type: "scatter", mode: "lines", name: c.labels.measured, x: c.years, y: pct(c.measured),
        line: {color: "#1e7a46", shape: "hv", width: 3}, hovertemplate: hover}
    ];
    if (c.model.length) {
      traces.push({type: "scatter", mode: "lines", name: c.labels.model, x: c.years, y: pct(c.model),
        line: {color: "#2f6fdf", width: 2}, hovertemplate: hover});
    }
    Plotly.newPlot(document.getElementById(el), traces, layout({height: 380,
      xaxis: {title: {text: c.labels.x}, dtick: 0.5, range: [0, 3], gridcolor: "#eef1f5"},
      yaxis: {title: {text: c.labels.y}, ticksuffix: "%", range: [0, 102], gridcolor: "#eef1f5"}}), CONFIG);
  }

  // The cell labels fit the cell: "100%" needs about 38 px at 11 px; narrower cells (a quarterly table of
  // several years) show the number alone at 10 px (the colour bar says %); cells under 20 px show none.
  function cellText(div, h) {
    var cell = Math.max(0, div.clientWidth - 190) / Math.max(1, h.x.length);
    var suffix = cell >= 38 ? "%" : "";
    var text = h.z.map(function (row) {
      return row.map(function (v) { return v === null || cell < 20 ? "" : Math.round(v) + suffix; });
    });
    return {text: text, font: {size: cell >= 38 ? 11 : 10}};
  }

  function cohorts(el, h) {
    var div = document.getElementById(el), fit = cellText(div, h);
    Plotly.newPlot(div, [{
      type: "heatmap", x: h.x, y: h.y, z: h.z, text: fit.text, texttemplate: "%{text}", textfont: fit.font, zmin: 0, zmax: 100,
      colorscale: [[0, "#f7fbf8"], [0.5, "#8fcca6"], [1, "#1e7a46"]], hoverongaps: false, xgap: 2, ygap: 2,
      colorbar: {ticksuffix: "%", thickness: 10},
      hovertemplate: "%{y} %{x}: %{z:.1f}%<extra>" + h.labels.share + "</extra>"
    }], layout({height: Math.max(220, 90 + 26 * h.y.length), xaxis: {title: {text: h.labels.x}, side: "top"},
      yaxis: {autorange: "reversed", automargin: true}, margin: {l: 10, r: 10, t: 56, b: 10}}), CONFIG);
  }

  window.KokyakuRetention = {curves: curves, cohorts: cohorts};
})();
