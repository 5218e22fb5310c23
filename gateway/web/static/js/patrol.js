/* Patrol view: my department's incidents, nearest and oldest first, with actions that are
   queued in localStorage and retried with backoff until the gateway confirms them. */
"use strict";
(function () {
  const W = window.Whistle;
  const root = document.getElementById("patrol");
  if (!root) return;
  const canAct = document.body.dataset.canAct === "1";
  const KEY = "whistle.patrol.queue." + root.dataset.user;
  const WORK = ["accepted", "on_site", "resolved"];
  let items = [];
  let here = null;
  let busy = false;

  /* ---- the action queue (never lost silently: pending or failed items stay visible) ---- */
  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (err) { return []; }
  }
  function saveQueue(queue) {
    try { localStorage.setItem(KEY, JSON.stringify(queue)); }
    catch (err) { /* quota: keep the photo out rather than lose the action */
      queue.forEach((q) => { if (q.photo && q.photoId === null) { q.photo = null; q.error = W.t("photo_too_big"); } });
      localStorage.setItem(KEY, JSON.stringify(queue));
    }
    renderQueue(queue);
  }
  function enqueue(incident, to, note, photo) {
    const queue = loadQueue();
    queue.push({ id: Date.now().toString(36) + Math.random().toString(36).slice(2, 8), incident: incident.id,
      title: W.typeName(incident.type), to, note: note || "", photo: photo || null, photoId: null,
      attempts: 0, nextAt: 0, status: "pending", error: "" });
    saveQueue(queue);
    render();
    processQueue();
  }
  function dataUrlBlob(url) {
    const [head, b64] = url.split(",", 2);
    const bytes = atob(b64);
    const buf = new Uint8Array(bytes.length);
    for (let k = 0; k < bytes.length; k++) buf[k] = bytes.charCodeAt(k);
    return new Blob([buf], { type: (head.match(/^data:([^;]+)/) || [])[1] || "image/jpeg" });
  }
  function backoff(attempts) { return Math.min(60, Math.pow(2, attempts)) * 1000; }

  async function sendOne(q) {
    if (q.photo && q.photoId === null) {
      const blob = dataUrlBlob(q.photo);
      const form = new FormData();
      form.append("file", blob, "photo.jpg");
      const photo = await W.fetchJSON("/api/incidents/" + q.incident + "/photos", { method: "POST", body: form });
      q.photoId = photo.id;
    }
    const body = { to: q.to, note: q.note };
    if (q.photoId !== null) body.photo_id = q.photoId;
    await W.fetchJSON("/api/incidents/" + q.incident + "/transitions", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }

  async function processQueue() {
    if (busy) return;
    busy = true;
    let changed = false;
    try {
      for (;;) {
        const queue = loadQueue();
        const q = queue.find((x) => x.status === "pending" && x.nextAt <= Date.now());
        if (!q) break;
        try {
          await sendOne(q);
          queue.splice(queue.indexOf(q), 1);
          changed = true;
        } catch (err) {
          const status = err instanceof W.HttpError ? err.status : 0;
          if (status === 409 && err.body && err.body.current === q.to) {
            queue.splice(queue.indexOf(q), 1); /* it went through before the answer got lost */
            changed = true;
          } else if (status === 0 || status >= 500 || status === 408 || status === 429 || status === 401) {
            q.attempts += 1;
            q.nextAt = Date.now() + backoff(q.attempts);
            q.error = status === 401 ? W.t("login_again") : W.t("offline_retry");
          } else {
            q.status = "failed";
            q.error = (err.body && typeof err.body.detail === "string") ? err.body.detail : "HTTP " + status;
          }
        }
        saveQueue(queue);
        if (queue.some((x) => x.status === "pending" && x.nextAt > Date.now())) break;
      }
    } finally {
      busy = false;
    }
    if (changed) await load();
    else render();
  }

  function renderQueue(queue) {
    queue = queue || loadQueue();
    const box = document.getElementById("queue-box");
    box.hidden = queue.length === 0;
    document.getElementById("net-state").textContent = navigator.onLine ? "" : W.t("offline");
    document.getElementById("queue").replaceChildren(...queue.map((q) => W.el("li", { "data-queue": q.id, "data-status": q.status }, [
      W.el("span", { class: q.status === "failed" ? "failed" : "pending",
        text: "#" + q.incident + " " + q.title + " → " + W.stateName(q.to) + ": " + (q.status === "failed" ? W.t("failed") : W.t("pending_n", { n: q.attempts })) }),
      q.error ? W.el("span", { class: "muted", text: " (" + q.error + ")" }) : null,
      q.status === "failed" ? W.el("button", { type: "button", class: "secondary", text: W.t("retry"), onclick: () => { const all = loadQueue(); const x = all.find((y) => y.id === q.id); if (x) { x.status = "pending"; x.nextAt = 0; x.attempts = 0; } saveQueue(all); processQueue(); } }) : null,
      q.status === "failed" ? W.el("button", { type: "button", class: "secondary", text: W.t("discard"), onclick: () => { saveQueue(loadQueue().filter((y) => y.id !== q.id)); render(); } }) : null,
    ])));
  }

  /* ---- the worklist ---- */
  function distanceM(a, b) {
    const R = 6371000, rad = Math.PI / 180;
    const dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * R * Math.asin(Math.sqrt(h));
  }
  function sortItems() {
    for (const i of items) i._dist = here && i.place && i.place.geo ? distanceM(here, i.place.geo) : null;
    items.sort((a, b) => {
      if (a._dist !== null && b._dist !== null) {
        const da = Math.round(a._dist / 100), db = Math.round(b._dist / 100); /* 100 m steps */
        if (da !== db) return da - db;
      }
      return new Date(a.created_at) - new Date(b.created_at);
    });
  }

  function countdown(i) {
    if (!i.next_deadline) return W.el("span", { class: "muted", text: W.t("no_deadline") });
    const left = (new Date(i.next_deadline.at) - Date.now()) / 1000;
    const what = W.stateName(i.next_deadline.stage);
    return left >= 0
      ? W.el("span", { class: left < 300 ? "warn" : "ok", "data-deadline": i.next_deadline.at, text: W.t("due_in", { what: what, left: W.duration(left) }) })
      : W.el("span", { class: "overdue", "data-deadline": i.next_deadline.at, text: W.t("overdue", { what: what, left: W.duration(left) }) });
  }

  function resolveForm(i) {
    const noteId = "note-" + i.id, photoId = "photo-" + i.id;
    const preview = W.el("img", { class: "thumb", alt: "", hidden: true });
    let photo = null;
    const file = W.el("input", { type: "file", id: photoId, accept: "image/jpeg,image/png,image/webp", capture: "environment" });
    file.addEventListener("change", async () => {
      photo = file.files[0] ? await shrink(file.files[0]) : null;
      preview.hidden = !photo;
      if (photo) { preview.src = photo; preview.alt = W.t("photo_preview"); }
    });
    const note = W.el("textarea", { id: noteId, required: true, maxlength: "2000" });
    const form = W.el("form", { class: "resolve-form", "data-resolve": i.id }, [
      W.el("label", { for: noteId, text: W.t("note") }), note,
      W.el("label", { for: photoId, text: W.t("photo") }), file, preview,
      W.el("p", {}, [W.el("button", { type: "submit", text: W.t("submit_resolved") }), " ",
        W.el("button", { type: "button", class: "secondary", text: W.t("cancel"), onclick: () => form.remove() })]),
    ]);
    form.addEventListener("submit", (ev) => { ev.preventDefault(); enqueue(i, "resolved", note.value.trim(), photo); });
    return form;
  }

  function shrink(fileObj) {
    return new Promise((resolve) => {
      const reader = new FileReader();
      reader.onload = () => {
        const img = new Image();
        img.onload = () => {
          const scale = Math.min(1, 1280 / Math.max(img.width, img.height));
          const c = document.createElement("canvas");
          c.width = Math.round(img.width * scale); c.height = Math.round(img.height * scale);
          c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
          resolve(c.toDataURL("image/jpeg", 0.8));
        };
        img.onerror = () => resolve(null);
        img.src = reader.result;
      };
      reader.onerror = () => resolve(null);
      reader.readAsDataURL(fileObj);
    });
  }

  function card(i, queue) {
    const pending = queue.filter((q) => q.incident === i.id);
    const place = i.place || {};
    const placeText = [W.lang === "zh-CN" ? place.site_name : place.site_name_en, i.zone,
      W.lang === "zh-CN" ? place.device_name : place.device_name_en].filter(Boolean).join(" · ");
    const pic = i.picture
      ? W.el("img", { class: "thumb", src: i.picture, alt: W.t("picture_of", { what: W.typeName(i.type) }), loading: "lazy" })
      : W.el("div", { class: "nopic", text: W.t("no_picture") });
    const actions = W.el("div", { class: "actions" });
    if (canAct) {
      for (const to of WORK.filter((s) => i.allowed_transitions.includes(s))) {
        actions.append(W.el("button", { type: "button", "data-action": to, disabled: pending.length > 0,
          text: W.t("do." + to), onclick: (ev) => {
            if (to === "resolved") { if (!ev.target.closest("article").querySelector("form")) ev.target.closest("article").append(resolveForm(i)); }
            else enqueue(i, to, "", null);
          } }));
      }
    }
    return W.el("article", { class: "card incident", "data-incident": i.id, "data-state": i.state, "aria-labelledby": "inc-" + i.id }, [
      pic,
      W.el("div", {}, [
        W.el("h2", { id: "inc-" + i.id }, ["#" + i.id + " " + W.typeName(i.type) + " ", W.el("span", { class: "badge", text: W.stateName(i.state) })]),
        W.el("div", { class: "small", text: placeText }),
        W.el("div", { class: "small muted", text: W.t("opened_at", { t: W.fmtTime(i.created_at, null, true) }) + (i._dist !== null && i._dist !== undefined ? " · " + W.t("distance", { km: (i._dist / 1000).toFixed(1) }) : "") }),
        W.el("div", { class: "small" }, countdown(i)),
        pending.length ? W.el("div", { class: "small pending", "data-pending": "1", text: W.t("pending_action", { what: W.stateName(pending[pending.length - 1].to) }) }) : null,
      ]),
      actions,
    ]);
  }

  function render() {
    const queue = loadQueue();
    renderQueue(queue);
    const list = document.getElementById("list");
    const open = new Set([...list.querySelectorAll("form[data-resolve]")].map((f) => Number(f.dataset.resolve)));
    sortItems();
    list.replaceChildren(...items.map((i) => card(i, queue)));
    for (const id of open) {
      const art = list.querySelector('article[data-incident="' + id + '"]');
      const i = items.find((x) => x.id === id);
      if (art && i && !queue.some((q) => q.incident === id)) art.append(resolveForm(i));
    }
    document.getElementById("list-state").textContent = items.length ? W.t("n_items", { n: items.length }) : W.t("nothing_now");
  }

  async function load() {
    try {
      const data = await W.fetchJSON("/web/api/patrol");
      items = data.items;
      render();
      root.dataset.ready = "1";
    } catch (err) {
      document.getElementById("list-state").textContent = W.t("load_failed_cached");
      render();
    }
  }

  function locate() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition((pos) => { here = { lat: pos.coords.latitude, lon: pos.coords.longitude }; render(); }, () => {}, { timeout: 10000, maximumAge: 60000 });
  }

  document.getElementById("locate").addEventListener("click", locate);
  if (navigator.permissions) {
    navigator.permissions.query({ name: "geolocation" }).then((p) => { if (p.state === "granted") locate(); }).catch(() => {});
  }
  window.addEventListener("online", () => { const q = loadQueue(); q.forEach((x) => { x.nextAt = 0; }); saveQueue(q); processQueue(); });
  window.addEventListener("offline", () => renderQueue());
  setInterval(() => {
    document.querySelectorAll("[data-deadline]").forEach((node) => { /* refresh countdowns */ });
    if (loadQueue().some((x) => x.status === "pending" && x.nextAt <= Date.now())) processQueue();
  }, 1000);
  setInterval(() => { if (!document.querySelector("form[data-resolve]:focus-within")) render(); }, 30000);
  const source = new EventSource("/api/stream");
  source.addEventListener("incident", () => load());
  load().then(processQueue);
})();
