// Draws every chart on the page (and in content htmx swaps in) with the
// bundled Apache ECharts; each chart's options come from the server as JSON.
(function () {
  "use strict";
  function draw(root) {
    root.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var old = echarts.getInstanceByDom(el);
      if (old) { old.dispose(); }
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(JSON.parse(el.dataset.chart));
      el.dataset.drawn = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.detail.target); });
  window.addEventListener("resize", function () {
    document.querySelectorAll(".chart[data-drawn]").forEach(function (el) {
      var chart = echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  });
})();
