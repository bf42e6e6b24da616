// The dashboard's script, served from /dashboard/static (the page allows scripts from its
// own origin only): the figures refresh every 30 s without a reload, and the trend charts are
// drawn from the trend JSON (GET /dashboard/trend.json or /dashboard/trend/<key>.json) that
// the section #trend names in data-src, and redrawn with fresh figures on every refresh.
(function () {
  "use strict";

  function percent(share) {  // 0.6667 -> 66.67 (%); null: nothing to measure that month
    return share === null ? null : Math.round(share * 10000) / 100;
  }

  function hours(seconds) {  // 5400 -> 1.5 (hours), to the hundredth
    return seconds === null ? null : Math.round(seconds / 36) / 100;
  }

  function count(n) {
    return n;
  }

  var PLUM = "#4a154b", GREEN = "#007a5a", BLUE = "#1264a3", ORANGE = "#e8912d";
  var CHARTS = [
    {id: "chart-volume", type: "bar", unit: "incidents", sets: [
      {label: "Opened", key: "opened", to: count, color: PLUM},
      {label: "Resolved", key: "resolved", to: count, color: GREEN}]},
    {id: "chart-sla", type: "line", unit: "% met", max: 100, sets: [
      {label: "Response SLA", key: "response_sla", to: percent, color: BLUE},
      {label: "Resolution SLA", key: "resolution_sla", to: percent, color: GREEN}]},
    {id: "chart-times", type: "line", unit: "hours", sets: [
      {label: "MTTA", key: "mtta_s", to: hours, color: ORANGE},
      {label: "MTTR", key: "mttr_s", to: hours, color: PLUM}]}
  ];

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                "Dec"];

  function monthTick(value, index) {  // "2026-01" -> "Jan 2026" at a year's first tick, else "Jan"
    var period = this.getLabelForValue(value), name = MONTHS[Number(period.slice(5)) - 1];
    return index === 0 || name === "Jan" ? name + " " + period.slice(0, 4) : name;
  }

  function options(spec) {
    return {
      responsive: true,
      maintainAspectRatio: false,  // the box's height (CSS) decides, at any width
      animation: false,
      interaction: {mode: "index", intersect: false},
      plugins: {legend: {position: "bottom", labels: {boxWidth: 12}}},
      scales: {
        x: {offset: true, ticks: {autoSkip: true, maxRotation: 0, callback: monthTick}},
        y: {beginAtZero: true, max: spec.max, title: {display: true, text: spec.unit},
            ticks: {precision: spec.type === "bar" ? 0 : undefined}}
      }
    };
  }

  function draw(spec, rows) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) return;
    var data = {
      labels: rows.map(function (row) { return row.period; }),
      datasets: spec.sets.map(function (set) {
        return {
          label: set.label,
          data: rows.map(function (row) { return set.to(row[set.key]); }),
          backgroundColor: set.color,
          borderColor: set.color,
          pointRadius: 3,
          spanGaps: false  // a month with nothing to measure stays a gap, not a zero
        };
      })
    };
    var chart = window.Chart.getChart(canvas);
    if (chart) {
      chart.data = data;
      chart.update();
    } else {
      new window.Chart(canvas, {type: spec.type, data: data, options: options(spec)});
    }
  }

  function drawTrend() {
    var box = document.getElementById("trend");
    if (!box || !window.Chart) return Promise.resolve();
    var status = document.getElementById("trend-status");
    return fetch(box.dataset.src, {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (trend) {
      if (!trend) {
        if (status) status.textContent = "The trend could not be read; the next refresh tries again.";
        return;
      }
      CHARTS.forEach(function (spec) { draw(spec, trend.rows); });
      box.dataset.asOf = trend.as_of;
      if (status) status.textContent = "";
    });
  }

  // Live figures without a reload: fetch this page again and swap the main part in. The
  // trend section already drawn is kept (its charts are updated in place, not rebuilt).
  function refresh() {
    return fetch(location.href, {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) return;
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
      if (!fresh) return;
      var kept = document.getElementById("trend");
      document.getElementById("live").innerHTML = fresh.innerHTML;
      var placed = document.getElementById("trend");
      if (kept && placed && kept.dataset.src === placed.dataset.src) placed.replaceWith(kept);
      return drawTrend();
    });
  }

  window.supportbotRefresh = refresh;  // the browser tests call it instead of waiting 30 s
  setInterval(refresh, 30000);
  drawTrend();
})();
