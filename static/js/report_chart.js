// The season report's daily chart: children present against children expected.
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("daily-chart");
  var source = document.getElementById("daily-data");
  if (!canvas || !source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.expected_label, data: data.expected, borderColor: "#adb5bd", pointRadius: 0 },
        { label: data.present_label, data: data.present, borderColor: "#198754", pointRadius: 2 },
      ],
    },
    options: { animation: false, scales: { y: { beginAtZero: true } } },
  });
});
