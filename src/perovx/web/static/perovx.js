// perovx pages: shared helpers (API calls with the access token, SVG plots, uploads, jobs).
"use strict";

const PX = {};

// The access token: from ?token= in the address (kept for this tab), else none.
PX.token = (() => {
  const q = new URLSearchParams(location.search).get("token");
  if (q) sessionStorage.setItem("perovx-token", q);
  return sessionStorage.getItem("perovx-token");
})();

PX.headers = (extra) => Object.assign(PX.token ? { Authorization: "Bearer " + PX.token } : {},
  extra || {});

// Call the API; resolve to the JSON body, reject with the server's one-line error.
PX.api = async (path, opts) => {
  opts = opts || {};
  opts.headers = PX.headers(opts.headers);
  const resp = await fetch(path, opts);
  let body = null;
  try { body = await resp.json(); } catch (e) { body = null; }
  if (!resp.ok) throw new Error((body && body.error) || `HTTP ${resp.status}`);
  return body;
};
PX.postJSON = (path, data) => PX.api(path, { method: "POST", body: JSON.stringify(data),
  headers: { "Content-Type": "application/json" } });

// Download an API file (with the token) under a name.
PX.download = async (path, name) => {
  const resp = await fetch(path, { headers: PX.headers() });
  if (!resp.ok) { alert("download failed: HTTP " + resp.status); return; }
  const url = URL.createObjectURL(await resp.blob());
  const a = document.createElement("a"); a.href = url; a.download = name; a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
};
// An API image into an <img> (fetched with the token).
PX.image = async (img, path) => {
  const resp = await fetch(path, { headers: PX.headers() });
  if (resp.ok) img.src = URL.createObjectURL(await resp.blob());
};

PX.el = (tag, attrs, text) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};
PX.fmt = (v, digits) => {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  if (typeof v !== "number") return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  return (a >= 1e5 || a < 1e-3) ? v.toExponential((digits || 4) - 1) : Number(v.toPrecision(digits || 4)).toString();
};
PX.esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// Navigation bar.
PX.nav = (here) => {
  const pages = [["materials", "Materials"], ["evaluate", "Evaluate"], ["lab", "Lab"],
    ["device", "Device"], ["imaging", "Imaging"], ["compare", "Compare"], ["design", "Design"], ["records", "Records"]];
  const h = document.createElement("header");
  h.innerHTML = `<strong><a href="./" class="${here === "" ? "here" : ""}">perovx</a></strong>` +
    pages.map(([p, t]) => `<a href="${p}" class="${p === here ? "here" : ""}">${t}</a>`).join("");
  document.body.prepend(h);
};

// ---- axes with proper ticks -------------------------------------------------------------
// A tick label: plain decimals in 1e-3…1e5, else m×10ⁿ (10ⁿ alone when m is 1).
PX.tickLabel = (t) => {
  if (t === 0) return "0";
  const a = Math.abs(t);
  if (a >= 1e-3 && a < 1e5) return Number(t.toPrecision(3)).toString();
  const e = Math.floor(Math.log10(a) + 1e-9), m = Number((t / Math.pow(10, e)).toPrecision(3));
  const sup = String(e).replace(/[-0-9]/g, (c) => "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"["-0123456789".indexOf(c)]);
  return (m === 1 ? "" : m === -1 ? "−" : m + "×") + "10" + sup;
};

PX.niceTicks = (lo, hi, n) => {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / (n || 5), mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
};
PX.logTicks = (lo, hi) => {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) { const t = m * Math.pow(10, e); if (t >= lo * 0.999 && t <= hi * 1.001) out.push(t); }
  return out;
};

// Draw series [{x:[...], y:[...], color, label, points:bool, dash}] into an <svg>.
// opts: {xlabel, ylabel, xlog, ylog, ymin, ymax, markers:[{x, label}], hlines:[{y,label}]}
PX.plot = (svg, series, opts) => {
  opts = opts || {};
  const W = 900, H = 360, L = 96, R = 20, T = 18, B = 52;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`); svg.classList.add("plot");
  const fx = opts.xlog ? Math.log10 : (v) => v, fy = opts.ylog ? Math.log10 : (v) => v;
  const ok = (v, log) => Number.isFinite(v) && (!log || v > 0);
  let xs = [], ys = [];
  for (const s of series) s.x.forEach((x, i) => { if (ok(x, opts.xlog) && ok(s.y[i], opts.ylog)) { xs.push(x); ys.push(s.y[i]); } });
  if (!xs.length) { svg.innerHTML = `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text>`; return; }
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  let y0 = opts.ymin !== undefined ? opts.ymin : Math.min(...ys), y1 = opts.ymax !== undefined ? opts.ymax : Math.max(...ys);
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  else if (!opts.xlog && series.some((s) => s.points)) { const pad = (x1 - x0) * 0.04; x0 -= pad; x1 += pad; }
  if (y0 === y1) { y0 = y0 - (Math.abs(y0) || 1) * 0.1; y1 = y1 + (Math.abs(y1) || 1) * 0.1; }
  if (!opts.ylog && opts.ymin === undefined) { const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad; }
  const X0 = fx(x0), X1 = fx(x1), Y0 = fy(y0), Y1 = fy(y1);
  const px = (x) => L + (fx(x) - X0) / (X1 - X0) * (W - L - R);
  const py = (y) => H - B - (fy(y) - Y0) / (Y1 - Y0) * (H - B - T);
  let xt = opts.xlog ? PX.logTicks(x0, x1) : PX.niceTicks(x0, x1, 8);
  if (opts.xlog && xt.length < 2) xt = PX.niceTicks(x0, x1, 5).filter((t) => t > 0);
  let yt = opts.ylog ? PX.logTicks(y0, y1) : PX.niceTicks(y0, y1, 6);
  if (opts.ylog && yt.length < 2) yt = PX.niceTicks(y0, y1, 4).filter((t) => t > 0);
  let g = "";
  for (const t of xt) g += `<line x1="${px(t)}" y1="${T}" x2="${px(t)}" y2="${H - B}" stroke="#eee"/>
    <line x1="${px(t)}" y1="${H - B}" x2="${px(t)}" y2="${H - B + 5}" stroke="#444"/>
    <text x="${px(t)}" y="${H - B + 19}" text-anchor="middle" font-size="13">${PX.tickLabel(t)}</text>`;
  for (const t of yt) g += `<line x1="${L}" y1="${py(t)}" x2="${W - R}" y2="${py(t)}" stroke="#eee"/>
    <line x1="${L - 5}" y1="${py(t)}" x2="${L}" y2="${py(t)}" stroke="#444"/>
    <text x="${L - 8}" y="${py(t) + 4}" text-anchor="end" font-size="13">${PX.tickLabel(t)}</text>`;
  g += `<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - B - T}" fill="none" stroke="#444"/>`;
  const clip = "clip" + Math.random().toString(36).slice(2, 9);
  g += `<clipPath id="${clip}"><rect x="${L}" y="${T}" width="${W - L - R}" height="${H - B - T}"/></clipPath><g clip-path="url(#${clip})">`;
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
  series.forEach((s, k) => {
    const c = s.color || colors[k % colors.length];
    const pts = s.x.map((x, i) => [x, s.y[i]]).filter(([x, y]) => ok(x, opts.xlog) && ok(y, opts.ylog));
    if (s.points) g += pts.map(([x, y]) => `<circle cx="${px(x)}" cy="${py(y)}" r="3.5" fill="${c}"/>`).join("");
    else g += `<polyline fill="none" stroke="${c}" stroke-width="2" ${s.dash ? 'stroke-dasharray="6 4"' : ""} points="${pts.map(([x, y]) => `${px(x)},${py(y)}`).join(" ")}"/>`;
  });
  g += "</g>";
  for (const m of opts.markers || []) if (m.x >= x0 && m.x <= x1) {
    g += `<line x1="${px(m.x)}" y1="${T}" x2="${px(m.x)}" y2="${H - B}" stroke="#d62728" stroke-dasharray="4 3"/>`;
    if (m.y !== undefined) g += `<circle class="marker" cx="${px(m.x)}" cy="${py(m.y)}" r="6" fill="#d62728"/>`;
    const right = px(m.x) > W - R - 80;
    g += `<text x="${px(m.x) + (right ? -6 : 6)}" y="${T + 14}" font-size="13" fill="#d62728" text-anchor="${right ? "end" : "start"}">${PX.esc(m.label || "")}</text>`;
  }
  const legend = series.filter((s) => s.label).map((s, k) => `<tspan fill="${s.color || colors[series.indexOf(s) % colors.length]}">■ </tspan><tspan>${PX.esc(s.label)}   </tspan>`).join("");
  g += `<text x="${L + 8}" y="${T + 16}" font-size="13">${legend}</text>`;
  g += `<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle" font-size="14">${PX.esc(opts.xlabel || "")}</text>
    <text x="18" y="${(T + H - B) / 2}" transform="rotate(-90 18 ${(T + H - B) / 2})" text-anchor="middle" font-size="14">${PX.esc(opts.ylabel || "")}</text>`;
  svg.innerHTML = g; svg.removeAttribute("hidden");
};

// ---- uploads and jobs --------------------------------------------------------------------
PX.upload = async (file) => {
  const data = await file.arrayBuffer();
  return PX.api("api/uploads?name=" + encodeURIComponent(file.name), { method: "POST", body: data });
};

// A drop zone over an <input type=file multiple>; onFiles(list of File).
PX.dropZone = (zone, input, onFiles) => {
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); onFiles([...e.dataTransfer.files]); });
  input.addEventListener("change", () => onFiles([...input.files]));
};

// Run a background job with a progress bar and a cancel button inside `box`.
// Resolves to the finished job; rejects with its error.
PX.runJob = async (kind, params, uploads, box) => {
  box.innerHTML = "";
  const bar = PX.el("progress", { max: "1", value: "0" });
  const msg = PX.el("span", { class: "muted" }, " queued");
  const cancel = PX.el("button", { type: "button", class: "secondary" }, "cancel");
  box.append(bar, " ", cancel, msg);
  let job = await PX.postJSON("api/jobs/" + kind, { params, uploads });
  let cancelled = false;
  cancel.onclick = async () => { cancelled = true; await PX.api(`api/jobs/${job.id}/cancel`, { method: "POST" }); };
  while (job.state === "queued" || job.state === "running") {
    await new Promise((r) => setTimeout(r, 300));
    job = await PX.api("api/jobs/" + job.id);
    if (job.progress) { bar.value = job.progress.fraction; msg.textContent = ` ${job.progress.message} · ${job.elapsed_s} s`; }
  }
  box.innerHTML = "";
  if (job.state !== "done") throw new Error(cancelled ? "cancelled" : (job.error || job.state));
  return job;
};

// A "save to records" form for a finished job.
PX.saveForm = (box, job, defaults) => {
  box.innerHTML = "";
  const f = PX.el("form", { class: "grid" });
  f.innerHTML = `<label>device label <input name="device" value="${PX.esc((defaults && defaults.device) || "")}" placeholder="e.g. pellet-3"></label>
    <label>measured on <input name="measured_at" type="date"></label>
    <label>title <input name="title" value="${PX.esc((defaults && defaults.title) || "")}"></label>
    <button type="submit">save to records</button><span class="saved muted"></span>`;
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const d = Object.fromEntries(new FormData(f));
    try { const r = await PX.postJSON("api/records", Object.assign({ job: job.id }, d)); f.querySelector(".saved").textContent = `saved as record ${r.id}`; }
    catch (err) { f.querySelector(".saved").textContent = err.message; }
  });
  box.append(f);
};
