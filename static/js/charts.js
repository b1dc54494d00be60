// Dashboard charts (Chart.js, shipped in static/vendor). Data comes from a json_script block; clicking a
// bar opens the texts behind it. The refresh partial (dashboard:home_refresh) swaps the block in again when a
// job starts or ends: the charts are drawn again from each new block, and only then (htmx settles every second
// while a job's box polls).
"use strict";

let drawnFrom = null;

function drawCharts(animate) {
  const source = document.getElementById("chart-data");
  if (!source || source === drawnFrom || typeof Chart === "undefined") return;
  drawnFrom = source;
  for (const chart of Object.values(Chart.instances)) {  // drawn on canvases the swap removed
    if (!chart.canvas.isConnected) chart.destroy();
  }
  const data = JSON.parse(source.textContent);
  const params = new URLSearchParams(window.location.search);
  const textsUrl = (extra) => {
    const query = new URLSearchParams();
    for (const key of ["date_from", "date_to", "source", "language", "product", "rating"]) {
      if (params.get(key)) query.set(key, params.get(key));
    }
    for (const [k, v] of Object.entries(extra)) query.set(k, v);
    return "/texts/?" + query.toString();
  };

  const sentimentCanvas = document.getElementById("sentiment-chart");
  if (sentimentCanvas) {
    const colours = { positive: "#12805c", neutral: "#98a2b3", mixed: "#d9a400", negative: "#c0362c" };
    new Chart(sentimentCanvas, {
      type: "bar",
      data: {
        labels: data.weeks,
        datasets: ["negative", "mixed", "neutral", "positive"].map((s) => ({ label: s, data: data.sentiment[s], backgroundColor: colours[s] })),
      },
      options: {
        animation: animate ? {} : false, responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
        onClick: (event, elements, chart) => {
          if (!elements.length) return;
          const el = elements[0];
          window.location = textsUrl({ week: data.weeks[el.index], sentiment: chart.data.datasets[el.datasetIndex].label });
        },
      },
    });
  }

  const themesCanvas = document.getElementById("themes-chart");
  if (themesCanvas) {
    new Chart(themesCanvas, {
      type: "bar",
      data: {
        labels: data.themes.map((t) => t.label),
        datasets: [
          { label: "texts", data: data.themes.map((t) => t.count), backgroundColor: "#4f46e5", xAxisID: "x" },
          { label: "net sentiment", data: data.themes.map((t) => t.net), backgroundColor: data.themes.map((t) => (t.net >= 0 ? "#12805c" : "#c0362c")), xAxisID: "x2" },
        ],
      },
      options: {
        animation: animate ? {} : false, indexAxis: "y", responsive: true,
        scales: { x: { position: "top", beginAtZero: true }, x2: { position: "bottom", min: -100, max: 100 } },
        onClick: (event, elements) => {
          if (!elements.length) return;
          window.location = textsUrl({ theme: data.themes[elements[0].index].id });
        },
      },
    });
  }
}

document.addEventListener("DOMContentLoaded", () => drawCharts(true));
document.addEventListener("htmx:afterSettle", () => drawCharts(false));
