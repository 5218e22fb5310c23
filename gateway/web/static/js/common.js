/* Shared helpers of the Whistle pages: messages, DOM building, JSON fetch, time formats. */
"use strict";
(function () {
  const messages = JSON.parse(document.getElementById("i18n-data").textContent || "{}");
  const lang = document.body.dataset.lang || "zh-CN";

  function t(key, fields) {
    let text = messages[key] || key;
    if (fields) {
      for (const [k, v] of Object.entries(fields)) text = text.split("{" + k + "}").join(String(v));
    }
    return text;
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  class HttpError extends Error {
    constructor(status, body) {
      super("HTTP " + status);
      this.status = status;
      this.body = body;
    }
  }

  async function fetchJSON(url, options) {
    const response = await fetch(url, Object.assign({ credentials: "same-origin" }, options || {}));
    let body = null;
    const type = response.headers.get("content-type") || "";
    if (type.includes("json")) body = await response.json();
    if (!response.ok) throw new HttpError(response.status, body);
    return body;
  }

  function fmtTime(iso, tz, withDate) {
    if (!iso) return "";
    const d = new Date(iso);
    const opts = { timeZone: tz || "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false };
    if (withDate) { opts.month = "2-digit"; opts.day = "2-digit"; }
    return new Intl.DateTimeFormat(lang, opts).format(d);
  }

  function typeName(type) {
    const key = "type." + type;
    return messages[key] || type;
  }

  function stateName(state) {
    return messages["state." + state] || state;
  }

  // an alert's summary in the page's language (the gateway's zh/en lines), else the edge's words
  function summary(alert) {
    const lines = alert.summaries || {};
    return lines[lang === "zh-CN" ? "zh" : "en"] || alert.summary || "";
  }

  function duration(seconds) {
    const s = Math.abs(Math.round(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return h ? t("time.hm", { h: h, m: m }) : t("time.m", { m: m });
  }

  window.Whistle = { t, el, fetchJSON, HttpError, fmtTime, typeName, stateName, duration, summary, lang };
})();
