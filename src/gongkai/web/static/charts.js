// Charts drawn from the data-chart attribute of an element (JSON: kind, labels, series): no inline
// script on any page, so the Content-Security-Policy can forbid it.
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var COLORS = ["#9e1b1b", "#d98b2b", "#2b6cb0", "#3a8a5c", "#7a5ab8"];

  function option(spec) {
    var base = {animation: false, color: COLORS, tooltip: {trigger: "axis"},
      grid: {left: 48, right: 16, top: 36, bottom: 40, containLabel: true}};
    if (spec.title) base.title = {text: spec.title, textStyle: {fontSize: 13}};
    var many = (spec.series || []).length > 1;
    if (many) base.legend = {top: 0, right: 0};
    if (spec.kind === "hbars") {
      base.xAxis = {type: "value", axisLabel: {formatter: spec.percent ? "{value}%" : "{value}"}};
      base.yAxis = {type: "category", data: spec.labels, inverse: true};
    } else {
      base.xAxis = {type: "category", data: spec.labels, axisLabel: {interval: 0, rotate: spec.labels.length > 8 ? 30 : 0}};
      base.yAxis = {type: "value", axisLabel: {formatter: spec.percent ? "{value}%" : "{value}"}};
    }
    base.series = (spec.series || []).map(function (s) {
      return {name: s.name, type: spec.kind === "line" ? "line" : "bar", data: s.data,
        connectNulls: false, barMaxWidth: 36};
    });
    return base;
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var spec;
    try { spec = JSON.parse(el.dataset.chart); } catch (e) { return; }
    if (!spec.labels || !spec.labels.length) { el.hidden = true; return; }
    echarts.init(el, null, {renderer: "svg"}).setOption(option(spec));
  });
})();
