// DOM helpers: every text goes in as text, never as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) el.append(c);
  return el;
}

export function svg(tag, attrs = {}) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

export function sparkline(values, width = 100, height = 20) {
  const box = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": values.length ? `recent durations, last ${values[values.length - 1]} ms` : "no invocations yet" });
  if (values.length > 1) {
    const max = Math.max(...values) || 1;
    const step = width / (values.length - 1);
    const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`);
    box.append(svg("polyline", { points: points.join(" "), class: "spark" }));
  }
  return box;
}

export function consoleLines(lines) {
  return h("pre", { class: "console", "aria-label": "console output" },
    lines.map((c) => h("div", { class: c.level, text: `${c.level.padEnd(5)} ${c.message}` })));
}

export function ms(n) { return `${Number(n).toFixed(n < 10 ? 2 : 0)} ms`; }
