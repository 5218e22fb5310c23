/* Market live view: plan coloured by state, live alert feed (SSE), noise charts, camera. */
"use strict";
(function () {
  const W = window.Whistle;
  const root = document.getElementById("market");
  if (!root) return;
  const site = root.dataset.site;
  const tz = root.dataset.tz;
  const SVG = "http://www.w3.org/2000/svg";
  const H = 40; /* plan height in viewBox units (the street is 100 wide) */
  const ZONE_COLOURS = { no_stall: "#d93025", walkway: "#f2a600", restricted: "#8e24aa", vehicle_free: "#0b4f8a", cleanliness: "#17692f" };
  let plan = null;
  const feedIds = new Map();
  const noiseCharts = {};

  function svg(tag, attrs, children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of [].concat(children || [])) node.append(c);
    return node;
  }

  function name(dev) { return W.lang === "zh-CN" ? dev.name : dev.name_en; }

  function stateClass(dev) {
    if (dev.open_alerts && dev.open_alerts.length) return "s-alert";
    if (dev.state === "online") return "s-ok";
    if (dev.state === "stale") return "s-stale";
    return "s-off";
  }

  function stateText(dev) {
    if (dev.open_alerts && dev.open_alerts.length) return W.t("dev.alert", { n: dev.open_alerts.length });
    return W.stateName(dev.state);
  }

  function drawPlan() {
    const holder = document.getElementById("plan");
    const g = svg("svg", { viewBox: "0 0 100 " + H, class: "plan", role: "presentation" });
    g.append(svg("rect", { x: 2, y: 6, width: 96, height: 28, class: "street" }));
    g.append(svg("line", { x1: 4, y1: 11, x2: 96, y2: 11, class: "shelf" }));
    g.append(svg("line", { x1: 4, y1: 29, x2: 96, y2: 29, class: "shelf" }));
    if (plan.entrance) {
      const ex = plan.entrance.x * 100;
      const mark = svg("g", { "data-entrance": "1" }, [
        svg("rect", { x: 0.3, y: 16, width: 1.8, height: 8, fill: "#0b4f8a" }),
        svg("text", { x: Math.max(0.3, ex - 4.5), y: 38 }, W.t("entrance") + " →"),
      ]);
      mark.append(svg("title", {}, W.t("entrance")));
      g.append(mark);
    }
    for (const dev of plan.devices) {
      if (!dev.position) continue;
      const x = dev.position.x * 100, y = 6 + dev.position.y * 28;
      const label = name(dev) + ": " + stateText(dev);
      const shape = dev.kind === "camera"
        ? svg("rect", { x: x - 1.6, y: y - 1.6, width: 3.2, height: 3.2, rx: 0.5, class: "dev " + stateClass(dev) })
        : svg("circle", { cx: x, cy: y, r: 1.9, class: "dev " + stateClass(dev) });
      const node = svg("g", { tabindex: "0", role: "button", "aria-label": label, "data-device": dev.id, "data-state": stateClass(dev) }, [shape, svg("title", {}, label)]);
      node.addEventListener("click", () => select(dev));
      node.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); select(dev); } });
      g.append(node);
      if (dev.kind === "microphone") g.append(svg("text", { x: x + 2.4, y: y + 0.9 }, dev.id.replace("noise-", "N")));
    }
    holder.replaceChildren(g);
  }

  function select(dev) {
    if (dev.kind === "camera") showCamera(dev);
    else if (dev.kind === "microphone") {
      const box = document.getElementById("noise-" + dev.id);
      if (box) { box.scrollIntoView({ block: "nearest" }); box.focus(); }
    }
  }

  function showCamera(dev) {
    document.getElementById("cam-name").textContent = name(dev);
    const holder = document.getElementById("cam-snap");
    if (!dev.snapshot) {
      holder.replaceChildren(W.el("p", { class: "muted", text: W.t("no_snapshot") }));
      return;
    }
    const img = W.el("img", { src: dev.snapshot.url, alt: W.t("snapshot_of", { name: name(dev) }), id: "cam-img" });
    const canvas = W.el("canvas", { class: "zones", "aria-hidden": "true" });
    const list = W.el("ul", { class: "small" }, (dev.zones || []).map((z) => W.el("li", { text: z.id + " — " + W.t("zone." + z.kind) })));
    img.addEventListener("load", () => {
      canvas.width = img.clientWidth; canvas.height = img.clientHeight;
      const ctx = canvas.getContext("2d");
      ctx.lineWidth = 2; ctx.font = "12px system-ui, sans-serif";
      for (const z of dev.zones || []) {
        const colour = ZONE_COLOURS[z.kind] || "#000";
        ctx.strokeStyle = colour; ctx.fillStyle = colour;
        ctx.beginPath();
        z.polygon.forEach(([px, py], i) => { const X = px * canvas.width, Y = py * canvas.height; if (i) ctx.lineTo(X, Y); else ctx.moveTo(X, Y); });
        ctx.closePath(); ctx.stroke();
        const [lx, ly] = z.polygon[0];
        ctx.fillText(z.id, Math.min(lx * canvas.width + 3, canvas.width - 60), Math.max(ly * canvas.height - 4, 12));
      }
      canvas.dataset.zones = String((dev.zones || []).length);
    });
    holder.replaceChildren(W.el("div", { class: "snap" }, [img, canvas]), W.el("p", { class: "small muted", text: W.t("snapshot_at", { t: W.fmtTime(dev.snapshot.at, tz, true) }) }), list);
  }

  async function loadPlan() {
    plan = await W.fetchJSON("/web/api/market/" + encodeURIComponent(site));
    drawPlan();
    const mics = plan.devices.filter((d) => d.kind === "microphone");
    if (mics.length && mics[0].limit) {
      const l = mics[0].limit;
      document.getElementById("limit-now").textContent = W.t("limit_now", { db: l.laeq_db, period: W.t("period." + l.period), cls: l.zone_class });
    }
    const cams = plan.devices.filter((d) => d.kind === "camera");
    const withSnap = cams.find((d) => d.snapshot) || cams[0];
    if (withSnap && document.getElementById("cam-name").textContent === "—") showCamera(withSnap);
    return mics;
  }

  async function noiseChart(dev) {
    const since = new Date(Date.now() - 3600 * 1000).toISOString();
    const url = "/api/telemetry/" + encodeURIComponent(dev.id) + "/noise_1min?site=" + encodeURIComponent(site) + "&field=laeq&step=1&since=" + encodeURIComponent(since);
    let data;
    try { data = await W.fetchJSON(url); } catch (err) { data = { series: [] }; }
    const points = (data.series.find((s) => s.field === "laeq") || { points: [] }).points;
    const labels = points.map((p) => W.fmtTime(p.t, tz));
    const values = points.map((p) => Math.round(p.mean * 10) / 10);
    const limit = dev.limit ? dev.limit.laeq_db : null;
    const over = values.filter((v) => limit !== null && v > limit).length;
    let box = document.getElementById("noise-" + dev.id);
    if (!box) {
      const canvas = W.el("canvas", { role: "img", "aria-label": W.t("noise_chart", { name: name(dev) }) });
      box = W.el("figure", { id: "noise-" + dev.id, tabindex: "-1", class: "card", "data-points": "0" }, [
        W.el("figcaption", { class: "small" }, [W.el("strong", { text: name(dev) }), W.el("span", { class: "summary" })]),
        W.el("div", { class: "chart-box" }, canvas)]);
      document.getElementById("noise-charts").append(box);
      noiseCharts[dev.id] = new Chart(canvas, {
        type: "line",
        data: { labels: [], datasets: [
          { label: "LAeq 1 min", data: [], borderColor: "#0b4f8a", pointRadius: 0, borderWidth: 1.5 },
          { label: W.t("limit"), data: [], borderColor: "#b3261e", borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 }] },
        options: { animation: false, maintainAspectRatio: false, plugins: { legend: { labels: { boxWidth: 12 } } },
          scales: { y: { suggestedMin: 40, suggestedMax: 75, title: { display: true, text: "dB(A)" } }, x: { ticks: { maxTicksLimit: 5 } } } },
      });
    }
    const chart = noiseCharts[dev.id];
    chart.data.labels = labels;
    chart.data.datasets[0].data = values;
    chart.data.datasets[1].data = values.map(() => limit);
    chart.update();
    box.dataset.points = String(values.length);
    box.dataset.limit = String(limit);
    box.querySelector(".summary").textContent = " · " + (values.length ? W.t("noise_summary", { last: values[values.length - 1], over: over }) : W.t("no_data"));
  }

  function alertItem(a, fresh) {
    const closed = a.state === "closed";
    const li = W.el("li", { class: fresh ? "new" : "", "data-alert": a.alert_id, "data-type": a.type }, [
      W.el("div", {}, [W.el("strong", { text: W.typeName(a.type) }), " ", W.el("span", { class: "badge " + (closed ? "ok" : "bad"), text: W.stateName(a.state) })]),
      W.el("div", { class: "small muted", text: W.fmtTime(a.started_at || a.ts, tz, true) + " · " + a.device + (a.zone ? " · " + a.zone : "") }),
      W.summary(a) ? W.el("div", { class: "small summary-line", text: W.summary(a) }) : null,
      W.el("button", { type: "button", class: "secondary", "data-evidence": a.alert_id, text: W.t("open_evidence"), onclick: () => W.openEvidence(a.alert_id, tz) }),
    ]);
    return li;
  }

  function upsertAlert(a, fresh) {
    const feed = document.getElementById("feed");
    const old = feedIds.get(a.alert_id);
    const li = alertItem(a, fresh);
    if (old) old.replaceWith(li); else if (fresh) feed.prepend(li); else feed.append(li);
    feedIds.set(a.alert_id, li);
    document.getElementById("feed-empty").hidden = feedIds.size > 0;
  }

  async function loadFeed() {
    const page = await W.fetchJSON("/api/alerts?site=" + encodeURIComponent(site) + "&limit=20");
    page.items.forEach((a) => upsertAlert(a, false));
    document.getElementById("feed-empty").hidden = feedIds.size > 0;
  }

  async function loadIncidents() {
    const list = document.getElementById("incidents");
    let page;
    try { page = await W.fetchJSON("/api/incidents?site=" + encodeURIComponent(site) + "&limit=15"); } catch (err) { return; }
    list.replaceChildren(...page.items.map((i) => W.el("li", { "data-incident": i.id, "data-state": i.state }, [
      W.el("div", {}, [W.el("strong", { text: "#" + i.id + " " + W.typeName(i.type) }), " ", W.el("span", { class: "badge", text: W.stateName(i.state) })]),
      W.el("div", { class: "small muted", text: W.t("dept." + i.department) + (i.zone ? " · " + i.zone : "") + " · " + W.fmtTime(i.created_at, tz, true) }),
    ])));
    document.getElementById("incidents-empty").hidden = page.items.length > 0;
  }

  function setLive(text, ok) {
    const badge = document.getElementById("live-state");
    badge.textContent = text;
    badge.className = "badge " + (ok ? "ok" : "warn");
  }

  function connect() {
    const source = new EventSource("/api/stream");
    source.addEventListener("open", () => setLive(W.t("live"), true));
    source.addEventListener("error", () => setLive(W.t("reconnecting"), false));
    source.addEventListener("alert", (ev) => {
      const msg = JSON.parse(ev.data);
      const a = msg.data;
      if (a.site !== site) return;
      upsertAlert({ alert_id: a.alert_id, type: a.type, state: a.state, device: a.device, zone: a.zone, summary: a.summary, summaries: a.summaries, ts: a.ts, started_at: null }, true);
      const dev = plan && plan.devices.find((d) => d.id === a.device);
      if (dev) {
        dev.open_alerts = (dev.open_alerts || []).filter((x) => x !== a.type);
        if (a.state !== "closed") dev.open_alerts.push(a.type);
        drawPlan();
      }
      if (a.is_new_state) setTimeout(() => loadPlan().catch(() => {}), 1500);
    });
    source.addEventListener("incident", (ev) => {
      const msg = JSON.parse(ev.data);
      if (!msg.data.site || msg.data.site === site) loadIncidents();
    });
    source.addEventListener("device", (ev) => {
      const msg = JSON.parse(ev.data);
      const dev = plan && plan.devices.find((d) => d.id === msg.data.device);
      if (dev && msg.data.site === site) { dev.state = msg.data.state; drawPlan(); }
    });
  }

  async function start() {
    const mics = await loadPlan();
    await Promise.all([loadFeed(), loadIncidents()]);
    connect();
    await Promise.all(mics.map(noiseChart));
    root.dataset.ready = "1";
    setInterval(() => mics.forEach((m) => noiseChart(m)), 60000);
  }
  start().catch((err) => { setLive(W.t("load_failed"), false); root.dataset.ready = "error"; });
})();
