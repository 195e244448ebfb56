// Draws the dashboard's charts from the figures the page carries as JSON.
// The tables beside them hold the same figures for anyone who cannot see them.
"use strict";

const COLOURS = {
  phone: "#0072b2", email: "#d55e00", app: "#009e73", web: "#cc79a7",
};
const NAMES = { phone: "Phone", email: "Email", app: "App", web: "Web" };

function figures() {
  const element = document.getElementById("dashboard-data");
  return element ? JSON.parse(element.textContent) : null;
}

function quiet() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

function drawContacts(data) {
  const datasets = Object.keys(NAMES).map((channel) => ({
    type: "bar", label: NAMES[channel], data: data.channels[channel],
    backgroundColor: COLOURS[channel], stack: "contacts",
  }));
  datasets.push({
    type: "line", label: "Planned", data: data.planned, borderColor: "#0b0c0c",
    borderDash: [6, 4], pointRadius: 0, spanGaps: false, stepped: "middle",
  });
  return new Chart(document.getElementById("contacts-chart"), {
    data: { labels: data.days, datasets },
    options: {
      animation: !quiet(), maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
      interaction: { mode: "index", intersect: false },
    },
  });
}

function drawHandoffs(data) {
  return new Chart(document.getElementById("handoffs-chart"), {
    type: "bar",
    data: {
      labels: data.handoffs.departments,
      datasets: [{ label: "Hand-offs", data: data.handoffs.counts,
                   backgroundColor: COLOURS.phone }],
    },
    options: {
      indexAxis: "y", animation: !quiet(), maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true } },
    },
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const data = figures();
  if (!data || typeof Chart === "undefined") return;
  drawContacts(data);
  drawHandoffs(data);
});
