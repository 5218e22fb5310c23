/* One tap from an alert to its evidence: annotated snapshot, level trace, spectrum. */
"use strict";
(function () {
  const W = window.Whistle;
  let charts = [];

  function chartBox(label) {
    const canvas = W.el("canvas", { role: "img", "aria-label": label });
    return [W.el("div", { class: "chart-box tall" }, canvas), canvas];
  }

  function traceChart(canvas, doc, tz) {
    const seconds = doc.seconds || [];
    const labels = seconds.map((s) => W.fmtTime(s.t, tz) + ":" + String(new Date(s.t).getUTCSeconds()).padStart(2, "0"));
    const datasets = [
      { label: "LAeq,1s", data: seconds.map((s) => s.laeq), borderColor: "#0b4f8a", pointRadius: 0, borderWidth: 1.5 },
      { label: "LAFmax", data: seconds.map((s) => s.lafmax), borderColor: "#8a5a00", pointRadius: 0, borderWidth: 1 },
    ];
    if (doc.limit_db !== null && doc.limit_db !== undefined) {
      datasets.push({ label: W.t("limit"), data: seconds.map(() => doc.limit_db), borderColor: "#b3261e", borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 });
    }
    return new Chart(canvas, {
      type: "line", data: { labels, datasets },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { title: { display: true, text: "dB(A)" } }, x: { ticks: { maxTicksLimit: 6 } } } },
    });
  }

  function spectrumChart(canvas, doc) {
    const bands = doc.bands || [];
    return new Chart(canvas, {
      type: "bar",
      data: { labels: bands.map((b) => b.f_hz >= 1000 ? (b.f_hz / 1000) + "k" : String(b.f_hz)),
        datasets: [{ label: W.t("spectrum") + " (" + (doc.unit || "dB") + ")", data: bands.map((b) => b.level_db), backgroundColor: "#0b4f8a" }] },
      options: { animation: false, maintainAspectRatio: false, scales: { x: { title: { display: true, text: "Hz" } }, y: { title: { display: true, text: "dB" } } } },
    });
  }

  async function openEvidence(alertId, tz) {
    const dialog = document.getElementById("evidence");
    const body = document.getElementById("ev-body");
    charts.forEach((c) => c.destroy());
    charts = [];
    body.replaceChildren(W.el("p", { class: "muted", text: W.t("loading") }));
    if (!dialog.open) dialog.showModal();
    let alert;
    try {
      alert = await W.fetchJSON("/api/alerts/" + encodeURIComponent(alertId));
    } catch (err) {
      body.replaceChildren(W.el("p", { class: "error", text: W.t("load_failed") }));
      return;
    }
    const measured = Object.entries(alert.measured || {}).map(([k, v]) => k + " " + v).join(" · ");
    body.replaceChildren(
      W.el("p", {}, [W.el("strong", { text: W.typeName(alert.type) }), " · " + alert.device + (alert.zone ? " · " + alert.zone : "") + " · " + W.fmtTime(alert.started_at, tz, true)]),
      W.el("p", { class: "small", text: W.summary(alert) }),
      measured ? W.el("p", { class: "small muted", text: measured + (alert.threshold !== null ? " · " + W.t("threshold") + " " + alert.threshold + " " + alert.unit : "") }) : null,
    );
    const links = (alert.evidence || []).filter((e) => e.available);
    if (!links.length) body.append(W.el("p", { class: "muted", text: W.t("no_evidence") }));
    for (const link of links) {
      const section = W.el("section", { class: "ev-item", "data-kind": link.kind }, W.el("h3", { text: W.t("ev." + link.kind) }));
      body.append(section);
      if (link.content_type.startsWith("image/")) {
        section.append(W.el("img", { src: link.url, alt: W.t("ev." + link.kind) + " " + alert.device }));
      } else if (link.content_type === "application/json") {
        try {
          const doc = await W.fetchJSON(link.url);
          const [box, canvas] = chartBox(W.t("ev." + link.kind));
          section.append(box);
          if (link.kind === "level_trace") charts.push(traceChart(canvas, doc, tz));
          else if (link.kind === "spectrum") charts.push(spectrumChart(canvas, doc));
          else section.append(W.el("pre", { class: "small", text: JSON.stringify(doc).slice(0, 400) }));
        } catch (err) {
          section.append(W.el("p", { class: "error", text: W.t("load_failed") }));
        }
      } else if (link.content_type.startsWith("audio/")) {
        section.append(W.el("audio", { controls: true, src: link.url, preload: "none" }));
      } else {
        section.append(W.el("a", { href: link.url, text: W.t("download") }));
      }
    }
  }

  window.Whistle.openEvidence = openEvidence;
})();
