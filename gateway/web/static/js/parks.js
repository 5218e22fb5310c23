/* Parks: occupancy against capacity, car park free spaces, today's curve. */
"use strict";
(function () {
  const W = window.Whistle;
  const root = document.getElementById("parks");
  if (!root) return;
  const nm = (x) => (W.lang === "zh-CN" ? x.name : x.name_en);

  function area(park, a) {
    const ratio = a.ratio !== null && a.ratio !== undefined ? a.ratio : (a.capacity && a.occupancy !== null ? a.occupancy / a.capacity : null);
    const level = ratio === null ? "" : ratio >= 1 ? "bad" : ratio >= 0.8 ? "warn" : "ok";
    const canvas = W.el("canvas", { role: "img", "aria-label": W.t("today_curve", { name: nm(a) }) });
    const box = W.el("div", { class: "card", "data-area": a.id }, [
      W.el("h3", { text: nm(a) }),
      W.el("p", {}, [W.el("span", { class: "big " + level, text: a.occupancy === null ? "—" : String(Math.round(a.occupancy)) }),
        " / " + (a.capacity || "—") + " " + W.t("people") + (ratio !== null ? " (" + Math.round(ratio * 100) + "%)" : "")]),
      W.el("progress", { max: "100", value: ratio === null ? "0" : String(Math.min(100, Math.round(ratio * 100))), "aria-label": W.t("occupancy") }),
      W.el("div", { class: "chart-box" }, canvas),
    ]);
    setTimeout(() => new Chart(canvas, { type: "line", options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
      data: { labels: a.curve.map((p) => W.fmtTime(p.t, park.timezone)), datasets: [
        { label: W.t("occupancy"), data: a.curve.map((p) => p.v), borderColor: "#0b4f8a", pointRadius: 0 },
        { label: W.t("capacity"), data: a.curve.map(() => a.capacity), borderColor: "#b3261e", borderDash: [6, 4], pointRadius: 0 }] } }), 0);
    return box;
  }

  function carpark(c) {
    return W.el("div", { class: "card", "data-carpark": c.id }, [
      W.el("h3", { text: nm(c) }),
      W.el("p", {}, [W.el("span", { class: "big " + (c.free === 0 ? "bad" : "ok"), text: c.free === null ? "—" : String(Math.round(c.free)) }), " " + W.t("free_of", { total: c.total === null ? "—" : Math.round(c.total) })]),
    ]);
  }

  async function load() {
    let data;
    try { data = await W.fetchJSON("/web/api/parks"); } catch (err) { document.getElementById("parks-state").textContent = W.t("load_failed"); return; }
    root.replaceChildren(...data.parks.map((p) => W.el("section", { class: "card", "data-park": p.id, "aria-labelledby": "park-" + p.id }, [
      W.el("h2", { id: "park-" + p.id, text: nm(p) + (p.capacity ? " · " + W.t("capacity_n", { n: p.capacity }) : "") }),
      p.areas.length ? W.el("div", { class: "grid three" }, p.areas.map((a) => area(p, a))) : W.el("p", { class: "muted", text: W.t("no_areas") }),
      p.carparks.length ? W.el("div", { class: "grid three" }, p.carparks.map(carpark)) : null,
    ])));
    document.getElementById("parks-state").textContent = data.parks.length ? "" : W.t("no_parks");
    root.dataset.ready = "1";
  }
  load();
  setInterval(load, 60000);
})();
