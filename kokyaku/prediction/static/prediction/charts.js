/* Kokyaku model page: the reliability diagrams and the back-test chart (locally served plotly.min.js). */
(function () {
  "use strict";
  var FONT = {family: getComputedStyle(document.body).fontFamily, size: 12, color: "#1b2430"};
  var CONFIG = {displaylogo: false, responsive: true};
  var COLORS = ["#1e7a46", "#8a94a3", "#c58a00", "#3b6ea8", "#a33a2b", "#6b4fa3"];

  function reliability(id, data) {
    var el = document.getElementById(id);
    if (!el || !data || !data.series.length) { return; }
    var traces = [{x: [0, 1], y: [0, 1], mode: "lines", name: data.ideal, line: {dash: "dot", color: "#b8c0cc"}, hoverinfo: "skip"}];
    data.series.forEach(function (s, i) {
      traces.push({x: s.predicted, y: s.actual, text: s.n, mode: "lines+markers", name: s.name,
        line: {color: COLORS[i % COLORS.length]}, hovertemplate: "%{x:.2f} → %{y:.2f} (n=%{text})<extra>" + s.name + "</extra>"});
    });
    Plotly.newPlot(el, traces, {font: FONT, margin: {l: 56, r: 16, t: 10, b: 48}, legend: {orientation: "h", y: -0.25},
      xaxis: {title: {text: data.x_title}, range: [0, 1]}, yaxis: {title: {text: data.y_title}, range: [0, 1]}}, CONFIG);
  }

  function backtest(id, data) {
    var el = document.getElementById(id);
    if (!el || !data) { return; }
    var traces = data.series.map(function (s, i) {
      return {type: "bar", x: data.zones, y: s.values, name: s.name, marker: {color: COLORS[i === 0 ? 0 : 1]}};
    });
    Plotly.newPlot(el, traces, {font: FONT, barmode: "group", margin: {l: 72, r: 16, t: 10, b: 48},
      legend: {orientation: "h", y: -0.2}, yaxis: {title: {text: data.y_title}}}, CONFIG);
  }

  window.KokyakuPrediction = {
    draw: function (charts) {
      reliability("deal-reliability", charts.deal);
      reliability("repeat-reliability", charts.repeat);
      backtest("backtest-chart", charts.backtest);
    }
  };
})();
