/* Centre figures as charts: time to resolve by department, grid misses, complaints trend. */
"use strict";
(function () {
  const W = window.Whistle;
  const root = document.getElementById("figures");
  if (!root) return;
  const since = encodeURIComponent(root.dataset.since);
  const opts = { animation: false, maintainAspectRatio: false, plugins: { legend: { labels: { boxWidth: 12 } } } };

  async function rows(name) {
    try { return (await W.fetchJSON("/api/figures/" + name + "?since=" + since)).rows; } catch (err) { return []; }
  }

  function note(canvas, n) { canvas.dataset.rows = String(n); if (!n) canvas.parentElement.after(W.el("p", { class: "muted small", text: W.t("no_data") })); }

  async function times() {
    const data = await rows("times");
    const byDept = {};
    for (const r of data) {
      const d = byDept[r.department] || (byDept[r.department] = { n: 0, sum: 0 });
      if (r.resolved_median_s !== null) { d.n += r.resolved_n; d.sum += r.resolved_median_s * r.resolved_n; }
    }
    const depts = Object.keys(byDept);
    const canvas = document.getElementById("chart-times");
    new Chart(canvas, { type: "bar", options: Object.assign({ indexAxis: "y" }, opts, { scales: { x: { title: { display: true, text: W.t("minutes") } } } }),
      data: { labels: depts.map((d) => W.t("dept." + d)), datasets: [{ label: W.t("median_resolve"), backgroundColor: "#0b4f8a",
        data: depts.map((d) => byDept[d].n ? Math.round(byDept[d].sum / byDept[d].n / 6) / 10 : null) }] } });
    note(canvas, data.length);
  }

  async function misses() {
    const data = await rows("misses");
    const byGrid = {};
    for (const r of data) { const k = r.site + (r.zone ? " · " + r.zone : ""); byGrid[k] = (byGrid[k] || 0) + r.misses; }
    const canvas = document.getElementById("chart-misses");
    new Chart(canvas, { type: "bar", options: opts,
      data: { labels: Object.keys(byGrid), datasets: [{ label: W.t("misses"), backgroundColor: "#b3261e", data: Object.values(byGrid) }] } });
    note(canvas, data.length);
  }

  async function complaints() {
    const data = await rows("complaints");
    const canvas = document.getElementById("chart-complaints");
    new Chart(canvas, { type: "line", options: opts,
      data: { labels: data.map((r) => r.day), datasets: [
        { label: W.t("complaints"), data: data.map((r) => r.complaints), borderColor: "#0b4f8a" },
        { label: W.t("matched"), data: data.map((r) => r.matched), borderColor: "#17692f" },
        { label: W.t("misses"), data: data.map((r) => r.grid_misses), borderColor: "#b3261e" }] } });
    note(canvas, data.length);
  }

  Promise.all([times(), misses(), complaints()]).then(() => { root.dataset.ready = "1"; });
})();
