// perovx pages: interactive SVG charts drawn in the browser from the API's JSON.
// Line charts read out every visible series at the hovered sample (crosshair, keyboard
// arrows too); scatter charts show a point's details on hover and select it on click;
// legend buttons toggle series, in one chart or in a group of linked charts. No
// dependencies beyond perovx.js (PX.el, PX.esc, PX.fmt, PX.niceTicks, PX.tickLabel).
"use strict";

PX.COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
const SVGNS = "http://www.w3.org/2000/svg";

// Axis label with its unit: "spatial frequency (cycles/mm)"; a unit of "1" is shown as (1).
PX.axisLabel = (ax) => ax.unit ? `${ax.label} (${ax.unit})` : ax.label;

// Linked charts share which series are hidden (legend toggles act on all of them).
PX.chartGroup = () => ({ hidden: new Set(), charts: [] });

// Draw an interactive chart into `host` (a <div>); returns {redraw, select, svg}.
// spec = {
//   kind: "line" | "scatter",
//   series: line: [{label, x:[], y:[], color?, dash?}]
//           scatter: [{label, color?, line?, points:[{x, y, shape: "best"|"ok"|"bad", data}]}]
//           (line: join the points in order),
//   x: {label, unit, log?, min?, max?}, y: {label, unit, log?, min?, max?},
//   width?, height?, group? (PX.chartGroup()), id? (prefix of element ids),
//   lines?: [{axis: "x"|"y", value, label}]   (dashed reference lines, e.g. a target),
//   tip?: (point) → [[name, text], ...]        (scatter hover details),
//   onSelect?: (point) → void                  (scatter click),
//   digits?: significant digits of the readout (4) }
PX.chart = (host, spec) => {
  const W = spec.width || 640, H = spec.height || 380, L = 96, R = 16, T = 14, B = 50;
  const group = spec.group || PX.chartGroup();
  group.charts.push(null);
  const slot = group.charts.length - 1;
  const digits = spec.digits || 4;
  spec.series.forEach((s, k) => { s.color = s.color || PX.COLORS[k % PX.COLORS.length]; });
  host.innerHTML = "";
  host.classList.add("chart");
  const legend = PX.el("div", { class: "chart-legend", role: "group", "aria-label": "series shown" });
  const svg = document.createElementNS(SVGNS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "plot");
  svg.setAttribute("tabindex", "0");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${spec.y.label} against ${spec.x.label}`);
  const readout = PX.el("div", { class: "chart-readout", "aria-live": "polite" });
  const tip = PX.el("div", { class: "chart-tip", role: "tooltip" });
  tip.hidden = true;
  host.append(legend, svg, readout, tip);
  let scale = null, cursor = -1, selected = null;

  const visible = () => spec.series.filter((s) => !group.hidden.has(s.label));
  const okv = (v, log) => Number.isFinite(v) && (!log || v > 0);

  // ---- legend: one toggle button per series -------------------------------------------
  for (const s of spec.series) {
    const b = PX.el("button", { type: "button", class: "legend-item", "data-series": s.label,
      "aria-pressed": "true", title: `show or hide ${s.label}` });
    b.append(PX.el("span", { class: "swatch", style: `background:${s.color}` }), s.label);
    b.onclick = () => {
      if (group.hidden.has(s.label)) group.hidden.delete(s.label); else group.hidden.add(s.label);
      for (const c of group.charts) if (c) c.redraw();
    };
    legend.append(b);
  }

  // ---- scales and axes -----------------------------------------------------------------
  const extent = (vals, ax, pad) => {
    let lo = ax.min !== undefined ? ax.min : Math.min(...vals);
    let hi = ax.max !== undefined ? ax.max : Math.max(...vals);
    if (!vals.length) { lo = ax.log ? 1 : 0; hi = ax.log ? 10 : 1; }
    if (lo === hi) { lo = ax.log ? lo / 2 : lo - (Math.abs(lo) || 1) * 0.1; hi = ax.log ? hi * 2 : hi + (Math.abs(hi) || 1) * 0.1; }
    if (pad && !ax.log) {
      const p = (hi - lo) * pad;
      if (ax.min === undefined) lo -= p;
      if (ax.max === undefined) hi += p;
    } else if (pad && ax.log) {
      const p = Math.pow(hi / lo, pad);
      if (ax.min === undefined) lo /= p;
      if (ax.max === undefined) hi *= p;
    }
    return [lo, hi];
  };
  const makeScale = () => {
    const xs = [], ys = [];
    for (const s of visible()) {
      if (spec.kind === "scatter") {
        for (const p of s.points) if (okv(p.x, spec.x.log) && okv(p.y, spec.y.log)) { xs.push(p.x); ys.push(p.y); }
      } else {
        s.x.forEach((x, i) => { if (okv(x, spec.x.log) && okv(s.y[i], spec.y.log)) { xs.push(x); ys.push(s.y[i]); } });
      }
    }
    for (const ln of spec.lines || []) if (okv(ln.value, spec[ln.axis].log)) (ln.axis === "x" ? xs : ys).push(ln.value);
    const scatter = spec.kind === "scatter";
    const [x0, x1] = extent(xs, spec.x, scatter ? 0.06 : 0);
    const [y0, y1] = extent(ys, spec.y, scatter ? 0.08 : 0.05);
    const f = (log) => (log ? Math.log10 : (v) => v);
    const fx = f(spec.x.log), fy = f(spec.y.log);
    const X0 = fx(x0), X1 = fx(x1), Y0 = fy(y0), Y1 = fy(y1);
    return {
      x0, x1, y0, y1, n: xs.length,
      px: (x) => L + (fx(x) - X0) / (X1 - X0) * (W - L - R),
      py: (y) => H - B - (fy(y) - Y0) / (Y1 - Y0) * (H - B - T),
    };
  };
  // Log ticks: plain steps over less than ×3, every mantissa 1–9 within one decade, 1-2-5
  // over more (with only the powers of ten labelled when they crowd, see labelled()).
  const ticks = (lo, hi, log, n) => {
    if (!log) return PX.niceTicks(lo, hi, n);
    if (Math.log10(hi / lo) < 0.5) return PX.niceTicks(lo, hi, 5).filter((v) => v > 0);  // under ×3: plain steps
    const ms = Math.log10(hi / lo) < 1 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : [1, 2, 5], t = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
      for (const m of ms) { const v = m * Math.pow(10, e); if (v >= lo * 0.999 && v <= hi * 1.001) t.push(v); }
    return t.length >= 2 ? t : PX.niceTicks(lo, hi, 4).filter((v) => v > 0);
  };
  // On a log axis with many ticks only powers of ten carry a label.
  const labelled = (t, log, all) => !log || all.length <= 9 || Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9;

  const axes = (s) => {
    let g = "";
    const xt = ticks(s.x0, s.x1, spec.x.log, 8), yt = ticks(s.y0, s.y1, spec.y.log, 6);
    for (const t of xt) {
      const x = s.px(t);
      g += `<line class="grid" x1="${x}" y1="${T}" x2="${x}" y2="${H - B}"/><line class="tick" x1="${x}" y1="${H - B}" x2="${x}" y2="${H - B + 5}"/>`;
      if (labelled(t, spec.x.log, xt)) g += `<text class="tick-label" x="${x}" y="${H - B + 19}" text-anchor="middle">${PX.tickLabel(t)}</text>`;
    }
    for (const t of yt) {
      const y = s.py(t);
      g += `<line class="grid" x1="${L}" y1="${y}" x2="${W - R}" y2="${y}"/><line class="tick" x1="${L - 5}" y1="${y}" x2="${L}" y2="${y}"/>`;
      if (labelled(t, spec.y.log, yt)) g += `<text class="tick-label" x="${L - 8}" y="${y + 4}" text-anchor="end">${PX.tickLabel(t)}</text>`;
    }
    g += `<rect class="frame" x="${L}" y="${T}" width="${W - L - R}" height="${H - B - T}"/>`;
    g += `<text class="axis-label" x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">${PX.esc(PX.axisLabel(spec.x))}</text>`;
    g += `<text class="axis-label" x="16" y="${(T + H - B) / 2}" transform="rotate(-90 16 ${(T + H - B) / 2})" text-anchor="middle">${PX.esc(PX.axisLabel(spec.y))}</text>`;
    return g;
  };

  // ---- drawing -------------------------------------------------------------------------
  const clipId = `${spec.id || "chart"}-clip-${Math.random().toString(36).slice(2, 8)}`;
  // A point's marker: "best" a large disc, "ok" a small disc, "bad" a cross (violates).
  const marker = (p, x, y, color, attrs) => {
    if (p.shape === "bad") return `<path class="pt bad" ${attrs} d="M${x - 4},${y - 4}L${x + 4},${y + 4}M${x - 4},${y + 4}L${x + 4},${y - 4}" stroke="${color}"/>`;
    if (p.shape === "best") return `<circle class="pt best" ${attrs} cx="${x}" cy="${y}" r="6.5" fill="${color}"/>`;
    return `<circle class="pt ok" ${attrs} cx="${x}" cy="${y}" r="4" fill="${color}"/>`;
  };
  const redraw = () => {
    scale = makeScale();
    const s = scale;
    let g = axes(s);
    g += `<clipPath id="${clipId}"><rect x="${L}" y="${T}" width="${W - L - R}" height="${H - B - T}"/></clipPath><g clip-path="url(#${clipId})">`;
    for (const ln of spec.lines || []) {
      if (!okv(ln.value, spec[ln.axis].log)) continue;
      if (ln.axis === "y") g += `<line class="ref" x1="${L}" x2="${W - R}" y1="${s.py(ln.value)}" y2="${s.py(ln.value)}"/><text class="ref-label" x="${W - R - 6}" y="${s.py(ln.value) - 5}" text-anchor="end">${PX.esc(ln.label || "")}</text>`;
      else {
        const X = s.px(ln.value), right = X > W - R - 120;  // near the right edge: label on the left
        g += `<line class="ref" y1="${T}" y2="${H - B}" x1="${X}" x2="${X}"/><text class="ref-label" x="${right ? X - 5 : X + 5}" y="${T + 14}" text-anchor="${right ? "end" : "start"}">${PX.esc(ln.label || "")}</text>`;
      }
    }
    for (const ser of visible()) {
      g += `<g class="series" data-series="${PX.esc(ser.label)}">`;
      if (spec.kind === "scatter") {
        if (ser.line) {  // join the points in their order (a time series)
          const pts = ser.points.filter((p) => okv(p.x, spec.x.log) && okv(p.y, spec.y.log));
          g += `<polyline class="join" fill="none" stroke="${ser.color}" stroke-opacity="0.45" stroke-width="1.5" points="${pts.map((p) => `${s.px(p.x).toFixed(2)},${s.py(p.y).toFixed(2)}`).join(" ")}"/>`;
        }
        ser.points.forEach((p, i) => {
          if (okv(p.x, spec.x.log) && okv(p.y, spec.y.log)) g += marker(p, s.px(p.x), s.py(p.y), ser.color, `data-series="${PX.esc(ser.label)}" data-i="${i}"`);
        });
      } else {
        const pts = ser.x.map((x, i) => [x, ser.y[i]]).filter(([x, y]) => okv(x, spec.x.log) && okv(y, spec.y.log));
        g += `<polyline fill="none" stroke="${ser.color}" stroke-width="2" ${ser.dash ? 'stroke-dasharray="6 4"' : ""} points="${pts.map(([x, y]) => `${s.px(x).toFixed(2)},${s.py(y).toFixed(2)}`).join(" ")}"/>`;
      }
      g += "</g>";
    }
    g += `</g><g class="cursor"></g>`;
    if (!s.n) g += `<text x="${(L + W - R) / 2}" y="${(T + H - B) / 2}" text-anchor="middle" class="muted-text">no series shown</text>`;
    svg.innerHTML = g;
    for (const b of legend.children) b.setAttribute("aria-pressed", String(!group.hidden.has(b.dataset.series)));
    if (spec.kind === "scatter") { tip.hidden = true; if (selected) ring(selected); }
    else if (cursor >= 0) showCursor(cursor);
  };

  // ---- line charts: crosshair and readout ------------------------------------------------
  const toView = (ev) => {
    const pt = svg.createSVGPoint();
    pt.x = ev.clientX; pt.y = ev.clientY;
    const m = svg.getScreenCTM();
    return m ? pt.matrixTransform(m.inverse()) : { x: 0, y: 0 };
  };
  const nearestIndex = (ser, vx) => {
    let best = -1, d = Infinity;
    ser.x.forEach((x, i) => {
      if (!okv(x, spec.x.log) || !okv(ser.y[i], spec.y.log)) return;
      const e = Math.abs(scale.px(x) - vx);
      if (e < d) { d = e; best = i; }
    });
    return best;
  };
  const xName = spec.x.readout || spec.x.label, xUnit = spec.x.unit && spec.x.unit !== "1" ? " " + spec.x.unit : "";
  const yUnit = spec.y.unit && spec.y.unit !== "1" ? " " + spec.y.unit : "";
  const showCursor = (vx) => {
    cursor = vx;
    const vis = visible(), cur = svg.querySelector("g.cursor");
    if (!vis.length || !cur) return;
    const i0 = nearestIndex(vis[0], vx);
    if (i0 < 0) return;
    const xv = vis[0].x[i0], X = scale.px(xv);
    let g = `<line class="crosshair" x1="${X}" x2="${X}" y1="${T}" y2="${H - B}"/>`;
    let rows = `<div class="readout-x" data-x="${xv}"><span>${PX.esc(xName)}</span> <b>${PX.fmt(xv, digits)}</b>${PX.esc(xUnit)}</div>`;
    for (const ser of vis) {
      const i = nearestIndex(ser, X);
      if (i < 0) continue;
      const y = ser.y[i], Y = scale.py(y);
      g += `<circle class="cursor-dot" cx="${scale.px(ser.x[i])}" cy="${Y}" r="4.5" fill="${ser.color}"/>`;
      const other = ser.x[i] !== xv ? ` at ${PX.fmt(ser.x[i], digits)}${PX.esc(xUnit)}` : "";
      rows += `<div class="readout-row" data-series="${PX.esc(ser.label)}" data-i="${i}"><span class="swatch" style="background:${ser.color}"></span>${PX.esc(ser.label)}: <b>${PX.fmt(y, digits)}</b>${PX.esc(yUnit)}${other}</div>`;
    }
    cur.innerHTML = g;
    readout.innerHTML = rows;
  };
  const step = (dir) => {
    const vis = visible();
    if (!vis.length) return;
    const ser = vis[0];
    let i = cursor < 0 ? 0 : nearestIndex(ser, cursor) + dir;
    i = Math.max(0, Math.min(ser.x.length - 1, i));
    showCursor(scale.px(ser.x[i]));
  };

  // ---- scatter charts: hover details, click to select -------------------------------------
  const nearestPoint = (v) => {
    let best = null, d = 18;
    for (const ser of visible()) ser.points.forEach((p, i) => {
      if (!okv(p.x, spec.x.log) || !okv(p.y, spec.y.log)) return;
      const e = Math.hypot(scale.px(p.x) - v.x, scale.py(p.y) - v.y);
      if (e <= d) { d = e; best = { ser, p, i }; }
    });
    return best;
  };
  const ring = (hit) => {
    const cur = svg.querySelector("g.cursor");
    if (!cur || group.hidden.has(hit.ser.label)) { if (cur) cur.innerHTML = ""; return; }
    cur.innerHTML = `<circle class="selected-ring" cx="${scale.px(hit.p.x)}" cy="${scale.py(hit.p.y)}" r="11"/>`;
  };
  const showTip = (hit) => {
    if (!hit) { tip.hidden = true; svg.style.cursor = ""; return; }
    svg.style.cursor = "pointer";
    const rows = spec.tip ? spec.tip(hit.p) : [[PX.axisLabel(spec.x), PX.fmt(hit.p.x, digits)], [PX.axisLabel(spec.y), PX.fmt(hit.p.y, digits)]];
    tip.innerHTML = `<div class="tip-title"><span class="swatch" style="background:${hit.ser.color}"></span>${PX.esc(hit.ser.label)}</div>` +
      `<table>${rows.map(([k, v]) => `<tr><th>${PX.esc(k)}</th><td data-key="${PX.esc(k)}">${PX.esc(v)}</td></tr>`).join("")}</table>`;
    tip.hidden = false;
    const box = svg.getBoundingClientRect(), hb = host.getBoundingClientRect();
    const sx = box.width / W, sy = box.height / H;
    let left = box.left - hb.left + scale.px(hit.p.x) * sx + 14, top = box.top - hb.top + scale.py(hit.p.y) * sy + 10;
    if (left + tip.offsetWidth > hb.width) left = Math.max(0, left - tip.offsetWidth - 28);
    tip.style.left = `${left}px`; tip.style.top = `${top}px`;
  };
  const select = (hit) => {
    selected = hit;
    if (hit) ring(hit);
    if (hit && spec.onSelect) spec.onSelect(hit.p);
  };

  if (spec.kind === "scatter") {
    svg.addEventListener("pointermove", (ev) => showTip(nearestPoint(toView(ev))));
    svg.addEventListener("pointerleave", () => showTip(null));
    svg.addEventListener("click", (ev) => { const h = nearestPoint(toView(ev)); if (h) select(h); });
  } else {
    svg.addEventListener("pointermove", (ev) => { const v = toView(ev); if (v.x >= L && v.x <= W - R) showCursor(v.x); });
    svg.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") { ev.preventDefault(); step(ev.key === "ArrowRight" ? 1 : -1); }
    });
    readout.innerHTML = `<span class="muted">hover the plot (or focus it and use ← →) to read ${PX.esc(spec.y.label)} at a ${PX.esc(xName)}</span>`;
  }

  const chart = { redraw, svg };
  // Select the point whose data satisfies pred (a table row clicked, say).
  chart.select = (pred) => {
    for (const ser of spec.series) for (const [i, p] of (ser.points || []).entries())
      if (pred(p.data)) { select({ ser, p, i }); return true; }
    return false;
  };
  group.charts[slot] = chart;
  redraw();
  return chart;
};
