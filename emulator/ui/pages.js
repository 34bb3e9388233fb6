// The pages: each renders into `root` and may follow the live events while shown.
import { call, get, post } from "./api.js";
import { consoleLines, h, ms, sparkline } from "./dom.js";

const fnPath = (app, name) => `/v1/${encodeURIComponent(app)}/functions/${encodeURIComponent(name)}`;
const pretty = (v) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));

function envelopeView(env) {
  return h("div", { class: "panel", "aria-live": "polite", "aria-label": "result" },
    h("p", {}, h("strong", { class: env.status_code < 400 ? "ok" : "bad", text: `Status ${env.status_code}` }),
      ` · ${ms(env.duration_ms)} · ${env.memory_mb} MB · id `, h("code", { text: env.id })),
    env.error ? h("pre", { class: "bad", text: env.error }) : null,
    h("h4", { text: "Body" }), h("pre", { class: "body", text: env.body ?? "" }),
    h("h4", { text: "Console" }), consoleLines(env.consoleLogs || []));
}

// ---- Functions -------------------------------------------------------------------------------
async function functionsPage(root, args, state) {
  if (args.length) return functionPage(root, args[0], state);
  const given = state.overview;  // the one fetched at login, used once
  state.overview = null;
  const [{ functions }, overview] = await Promise.all([get(`/v1/${state.appId}/functions`), given ?? get("/_emu/overview")]);
  const stats = new Map(overview.functions.filter((f) => f.app_id === state.appId).map((f) => [f.name, f]));
  const body = h("tbody");
  const row = (fn) => {
    const s = stats.get(fn.name) || { metrics: {}, recent_ms: [] };
    return h("tr", { "data-name": fn.name },
      h("td", {}, h("a", { href: `#/functions/${encodeURIComponent(fn.name)}`, text: fn.name })),
      h("td", { text: fn.language }), h("td", { text: fn.runtime }),
      h("td", { text: fn.triggers.map((t) => t.type).join(", ") || "-" }),
      h("td", { text: `v${fn.version}` }), h("td", { text: fn.source }),
      h("td", { class: "calls", text: String(s.metrics.total_invocations ?? 0) }),
      h("td", { text: String(s.metrics.error_count ?? 0) }),
      h("td", { text: ms(s.metrics.avg_duration_ms ?? 0) }),
      h("td", {}, sparkline(s.recent_ms)));
  };
  body.append(...functions.map(row));
  performance.mark("fnemu:functions-drawn");  // what `make bench` times first paint by
  root.append(h("h2", { text: `Functions (${functions.length})` }),
    h("table", { id: "functions-table" },
      h("thead", {}, h("tr", {}, ["Name", "Language", "Style", "Triggers", "Version", "Source", "Calls",
        "Errors", "Avg", "Recent durations"].map((t) => h("th", { scope: "col", text: t })))), body));
  let pending = null;
  const me = () => {  // new invocations, reloads: redraw, at most every 500 ms, while still shown
    pending ??= setTimeout(() => { pending = null; if (functionsPage.onEvent === me) rerender(root, args, state); }, 500);
  };
  functionsPage.onEvent = me;
}

function rerender(root, args, state) {
  const fresh = h("div");
  functionsPage(fresh, args, state).then(() => root.replaceChildren(...fresh.childNodes));
}

function triggerView(t, cron) {
  const c = t.config || {};
  const rows = [h("dt", { text: t.type })];
  if (t.type === "webhook") {
    rows.push(h("dd", {}, "URL ", h("code", { class: "webhook-url", text: t.url })));
    if (t.secret) rows.push(h("dd", {}, "Secret ", h("code", { text: t.secret })));
  } else if (t.type === "cron") {
    rows.push(h("dd", { text: `${c.schedule} (${c.timezone || "UTC"})` }));
    if (cron) rows.push(h("dd", {}, "Next fires", firesList(cron.fires, "cron-fires")));
  } else if (t.url) rows.push(h("dd", {}, h("code", { text: t.url })));
  else rows.push(h("dd", { class: "mono", text: JSON.stringify(c) }));
  return rows;
}

// A button that fires the trigger for real (its event is the platform's), where the browser can.
function triggerAction(t, name, state, show, result) {
  const note = (text) => result.replaceChildren(h("p", { role: "status", text }));
  if (t.type === "cron") {
    return h("button", { type: "button", text: "Fire cron now",
      onclick: async () => show(await post(`/_emu/cron/${state.appId}/${encodeURIComponent(name)}`)) });
  }
  if (t.type === "s3_upload") {
    const { bucket, prefix } = t.config;
    const key = `${prefix || ""}sample-${Date.now()}.txt`;
    return h("button", { type: "button", text: "Upload a sample object", onclick: async () => {
      await call("PUT", `/_emu/s3/buckets/${encodeURIComponent(bucket)}`);
      await call("PUT", `/_emu/s3/buckets/${encodeURIComponent(bucket)}/objects/${key.split("/").map(encodeURIComponent).join("/")}`,
        new Blob(["a sample object\n"]), { "Content-Type": "text/plain" });
      note(`Uploaded s3://${bucket}/${key}: the invocation is on the Logs page`);
    } });
  }
  if (t.type === "websocket" && t.config?.auth === "none") {  // a browser socket cannot send a token
    return h("button", { type: "button", text: "Send a WebSocket frame", onclick: () => {
      const ws = new WebSocket(t.url);
      ws.onopen = () => ws.send("hello from the UI");
      ws.onmessage = (m) => { note(`The function answered: ${m.data}`); ws.close(); };
      ws.onerror = () => note("The WebSocket was refused");
    } });
  }
  if (t.type === "webhook") return h("p", { class: "muted" }, "Send a signed delivery: ", h("code", { text: `fnemu webhook send ${name}` }));
  return null;
}

const KIND_LABELS = {
  apigw: "API Gateway REST (v1) request", "apigw-v2": "API Gateway HTTP API (v2) request", s3: "S3 upload",
  cron: "Scheduled (cron)", websocket: "WebSocket message", webhook: "Webhook delivery",
};

// The next fires of a cron, as the API computed them.
function firesList(fires, id) {
  return h("ol", { class: "fires", id }, fires.map((f) => h("li", {}, h("time", { datetime: f, text: f }))));
}

async function functionPage(root, name, state) {
  const [fn, clock] = await Promise.all([get(fnPath(state.appId, name)), get("/_emu/clock")]);
  const cron = clock.next.find((n) => n.app_id === state.appId && n.function === name);
  const result = h("div", { id: "invoke-result" });
  const kind = h("select", { id: "inv-kind" }, h("option", { value: "", text: "HTTP request" }),
    state.eventKinds.map((k) => h("option", { value: k, text: `Event: ${KIND_LABELS[k] || k}` })));
  const request = h("fieldset", { id: "inv-request" }, h("legend", { text: "HTTP request" }),
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "inv-method", text: "Method" }),
        h("select", { id: "inv-method" }, ["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => h("option", { text: m })))),
      h("div", {}, h("label", { for: "inv-path", text: "Path" }), h("input", { id: "inv-path", value: "/" })),
      h("div", {}, h("label", { for: "inv-query", text: "Query (a=1&b=2)" }), h("input", { id: "inv-query" }))),
    h("label", { for: "inv-headers", text: "Headers (JSON object)" }), h("textarea", { id: "inv-headers", text: "{}" }),
    h("label", { for: "inv-body", text: "Body" }), h("textarea", { id: "inv-body" }));
  const eventText = h("textarea", { id: "inv-event", class: "event", spellcheck: "false" });
  const eventBox = h("fieldset", { id: "inv-event-box", hidden: true }, h("legend", { text: "Event" }),
    h("label", { for: "inv-event", text: "Event (JSON, editable)" }), eventText);
  kind.addEventListener("change", async () => {
    request.hidden = !!kind.value;
    eventBox.hidden = !kind.value;
    if (!kind.value) return;
    const query = new URLSearchParams({ function: name, app_id: state.appId });
    try { eventText.value = pretty((await get(`/_emu/events/${encodeURIComponent(kind.value)}?${query}`)).event); }
    catch (err) { result.replaceChildren(h("p", { class: "bad", role: "alert", text: err.message })); }
  });
  const form = h("form", { id: "invoke-form", "aria-label": "Test invoke" },
    h("label", { for: "inv-kind", text: "Send" }), kind, request, eventBox,
    h("div", { class: "row" }, h("button", { type: "submit", text: "Invoke" }),
      fn.triggers.map((t) => triggerAction(t, name, state, show, result))));
  function show(env) { result.replaceChildren(envelopeView(env)); }
  const fail = (text) => result.replaceChildren(h("p", { class: "bad", role: "alert", text }));
  const described = () => {  // the test-invoke body, or null after saying what is wrong
    if (kind.value) {
      try { return { event: JSON.parse(eventText.value) }; } catch { fail("Event: not valid JSON"); return null; }
    }
    const out = { method: form.querySelector("#inv-method").value, path: form.querySelector("#inv-path").value || "/" };
    try { out.headers = JSON.parse(form.querySelector("#inv-headers").value || "{}"); }
    catch { fail("Headers: not a JSON object"); return null; }
    const query = form.querySelector("#inv-query").value;
    if (query) out.query = Object.fromEntries(new URLSearchParams(query));
    const body = form.querySelector("#inv-body").value;
    if (body) out.body = body;
    return out;
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = described();
    if (body === null) return;
    try { show(await post(`${fnPath(state.appId, name)}/invoke`, body)); }
    catch (err) { fail(err.message); }
  });
  root.append(h("p", {}, h("a", { href: "#/functions", text: "← Functions" })),
    h("h2", { text: fn.name }), fn.description ? h("p", { text: fn.description }) : "",
    h("p", { class: "muted", text: `${fn.language} · ${fn.runtime} · v${fn.version} · ${fn.source} · ${fn.timeoutMs} ms · ${fn.memoryLimitMb} MB` }),
    h("div", { class: "cols" },
      h("section", { "aria-label": "Code" }, h("h3", { text: "Code" }), h("pre", { id: "code", text: fn.code ?? "" }),
        h("h3", { text: "Environment" }),
        fn.envVars.length ? h("ul", {}, fn.envVars.map((v) => h("li", {}, h("code", { text: typeof v === "string" ? v : v.name })))) : h("p", { class: "muted", text: "none" }),
        h("h3", { text: "Triggers" }), h("dl", {}, fn.triggers.map((t) => triggerView(t, cron)))),
      h("section", { "aria-label": "Invoke" }, h("h3", { text: "Invoke" }), form, result)));
}

// ---- Logs ------------------------------------------------------------------------------------
const ROW_PX = 30;  // the height of a log row (style.css: #log-table td)
const OVERSCAN = 4;  // rows drawn beyond the view, above and below
const LIVE_MS = 200;

function traceView(entry) {
  const total = Math.max(entry.duration_ms, ...entry.trace.map((s) => s.start_ms + s.duration_ms), 0.001);
  const start = Date.parse(entry.timestamp);
  const pct = (v) => `${Math.min(100, (v / total) * 100).toFixed(2)}%`;
  const row = (label, mark, attrs = {}) => h("div", { class: "span", role: "listitem", ...attrs },
    h("span", { class: "label", text: label }), h("div", { class: "track" }, mark));
  const spans = entry.trace.map((s) => row(`${s.name} · starts ${ms(s.start_ms)} · ${ms(s.duration_ms)}`,
    h("div", { class: "bar", style: `left:${pct(s.start_ms)};width:${pct(s.duration_ms)}` }), { "data-phase": s.name }));
  const marks = (entry.consoleLogs || []).map((c) => {
    const at = Math.max(0, Date.parse(c.timestamp) - start);
    return row(`${c.level} at ${ms(at)}: ${c.message}`, h("div", { class: "mark", style: `left:${pct(at)}` }));
  });
  return h("section", { "aria-label": "Trace" }, h("h4", { text: `Trace (${ms(entry.duration_ms)})` }),
    h("div", { class: "timeline", role: "list", id: "trace" }, spans, marks));
}

function entryView(entry) {
  return h("div", { class: "panel", id: "entry" },
    h("h3", { text: `${entry.function} · ${entry.trigger} · ${entry.method} ${entry.path}` }),
    h("p", {}, h("span", { class: entry.status_code < 400 ? "ok" : "bad", text: `Status ${entry.status_code}` }),
      ` · ${entry.timestamp} · ${ms(entry.duration_ms)} · ${entry.memory_mb} MB · `, h("code", { text: entry.id })),
    entry.error ? h("pre", { class: "bad", text: entry.error }) : null,
    traceView(entry), h("h4", { text: "Console" }), consoleLines(entry.consoleLogs || []));
}

async function logsPage(root, args, state) {
  const { functions } = await get(`/v1/${state.appId}/functions`);
  const names = functions.map((f) => f.name);
  if (!state.historyLoaded) {  // the recent past, once: live entries follow from the event stream
    const recent = await Promise.all(functions.map((f) => get(`${fnPath(state.appId, f.name)}/logs?limit=20`)));
    state.historyLoaded = true;
    const seen = new Set(state.logs.map((e) => e.id));
    const old = recent.flatMap((r) => r.logs).filter((e) => !seen.has(e.id));
    state.logs.unshift(...old.sort((a, b) => a.timestamp.localeCompare(b.timestamp)));
  }
  const field = (id, label, control) => h("div", {}, h("label", { for: id, text: label }), control);
  const opts = (values) => [h("option", { value: "", text: "any" }), ...values.map((v) => h("option", { text: v }))];
  const filters = {
    fn: h("select", { id: "f-fn" }, opts(names)),
    trigger: h("select", { id: "f-trigger" }, opts(["http", "invoke", "cron", "s3_upload", "webhook", "websocket", "action"])),
    level: h("select", { id: "f-level" }, opts(["log", "info", "warn", "error", "debug"])),
    status: h("select", { id: "f-status" }, opts(["ok", "failed"])),
    text: h("input", { id: "f-text", type: "search" }),
  };
  const detail = h("div", { id: "entry-detail" });
  const count = h("p", { class: "muted", id: "log-count" });
  const searchable = new WeakMap();  // entry → its text, lower case, made once
  const textOf = (e) => {
    let t = searchable.get(e);
    if (t === undefined) searchable.set(e, t = JSON.stringify(e).toLowerCase());
    return t;
  };
  const matches = (e) => {
    const text = filters.text.value.toLowerCase();
    return (!filters.fn.value || e.function === filters.fn.value)
      && (!filters.trigger.value || e.trigger === filters.trigger.value)
      && (!filters.level.value || e.consoleLogs.some((c) => c.level === filters.level.value))
      && (!filters.status.value || (filters.status.value === "failed") === (e.status_code >= 500 || e.error !== null))
      && (!text || textOf(e).includes(text));
  };
  const open = (e) => detail.replaceChildren(entryView(e));

  // Every kept entry that matches is one row of a tall scroll box, newest on top, but only the rows
  // in view are in the DOM (drawn at most once per frame, and every LIVE_MS while entries pour in):
  // the view stays cheap with 10,000 entries. Rows are refilled in place rather than made anew.
  // `matched` holds the entries' positions (`state.dropped + index`), oldest first, from `head`.
  let matched = [];
  let head = 0;
  const shown = () => matched.length - head;
  const entryOf = (tr) => state.logs[Number(tr?.dataset.at) - state.dropped];
  const newRow = () => h("tr", { tabindex: "0" }, [0, 1, 2, 3, 4, 5, 6].map(() => h("td")));
  const fill = (tr, at, index) => {  // a cell whose text stays is not touched: nothing to lay out again
    const e = state.logs[at - state.dropped];
    tr.dataset.at = at;
    tr.dataset.id = e.id;
    tr.setAttribute("aria-rowindex", String(index));
    const texts = [e.timestamp.slice(11, 23), e.function, e.trigger, `${e.method} ${e.path}`, String(e.status_code),
      ms(e.duration_ms), e.consoleLogs[0]?.message ?? ""];
    texts.forEach((t, i) => { if (tr.cells[i].textContent !== t) tr.cells[i].textContent = t; });
    const status = e.status_code < 400 ? "ok" : "bad";
    if (tr.cells[4].className !== status) tr.cells[4].className = status;
    return tr;
  };
  const body = h("tbody", {
    onclick: (ev) => { const e = entryOf(ev.target.closest("tr")); if (e) open(e); },
    onkeydown: (ev) => {
      const e = entryOf(ev.target.closest("tr"));
      if (e && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); open(e); }
    },
  });
  const table = h("table", { id: "log-table", "aria-label": "Invocations, newest first" },
    h("colgroup", {}, ["8.5em", "8em", "6em", "", "4.5em", "6em", ""].map((w) => h("col", { style: w ? `width:${w}` : null }))),
    h("thead", {}, h("tr", { "aria-rowindex": "1" }, ["Time", "Function", "Trigger", "Request", "Status", "Duration", "First line"]
      .map((t) => h("th", { scope: "col", text: t })))), body);
  const box = h("div", { id: "log-scroll", class: "log-scroll" }, table);
  const refill = (wanted, first) => {  // every row in place, refilled where its entry changed
    const rows = body.rows;
    while (rows.length > wanted.length) body.lastElementChild.remove();
    while (rows.length < wanted.length) body.append(newRow());
    wanted.forEach((at, i) => {
      if (rows[i].dataset.at !== String(at)) fill(rows[i], at, first + i + 2);
      else rows[i].setAttribute("aria-rowindex", String(first + i + 2));
    });
  };
  const keepFocused = (wanted, first) => {  // the focused row stays where it is (and keeps the focus)
    const drawn = new Map([...body.rows].map((tr) => [Number(tr.dataset.at), tr]));
    const keep = new Set(wanted);
    for (const [at, tr] of drawn) if (!keep.has(at)) { tr.remove(); drawn.delete(at); }
    const firstKept = wanted.findIndex((at) => drawn.has(at));
    const make = (at, i) => fill(newRow(), at, first + i + 2);
    body.prepend(...wanted.slice(0, firstKept).map(make));
    let i = firstKept;
    for (; i < wanted.length && drawn.has(wanted[i]); i++) drawn.get(wanted[i]).setAttribute("aria-rowindex", String(first + i + 2));
    body.append(...wanted.slice(i).map((at, j) => make(at, i + j)));
  };
  const paint = () => {
    const n = shown();
    const first = Math.max(0, Math.floor(box.scrollTop / ROW_PX) - OVERSCAN);
    const last = Math.min(n, Math.ceil((box.scrollTop + box.clientHeight) / ROW_PX) + OVERSCAN);
    const wanted = [];
    for (let row = first; row < last; row++) wanted.push(matched[matched.length - 1 - row]);
    const focused = document.activeElement?.closest?.("tr");
    if (focused && body.contains(focused) && wanted.includes(Number(focused.dataset.at))) keepFocused(wanted, first);
    else refill(wanted, first);
    table.style.marginTop = `${first * ROW_PX}px`;
    table.style.marginBottom = `${(n - last) * ROW_PX}px`;
    table.setAttribute("aria-rowcount", String(n + 1));
    count.textContent = `${n} shown of ${state.logs.length} kept`;
  };
  let painting = null;
  let painted = 0;
  const schedule = () => { painting ??= requestAnimationFrame(() => { painting = null; painted = performance.now(); paint(); }); };
  let waiting = null;
  const scheduleLive = () => {  // a flood of new entries redraws at most every LIVE_MS: the rest of each frame is free
    const due = painted + LIVE_MS - performance.now();
    if (due <= 0) schedule();
    else waiting ??= setTimeout(() => { waiting = null; schedule(); }, due);
  };
  const draw = () => {  // the filters changed: match every kept entry again
    matched = [];
    head = 0;
    state.logs.forEach((e, i) => { if (matches(e)) matched.push(state.dropped + i); });
    box.scrollTop = 0;
    paint();
  };
  const add = (entries) => {  // entries appended to state.logs (maybe some already let go)
    const before = shown();
    for (let i = Math.max(0, state.logs.length - entries.length); i < state.logs.length; i++) {
      if (matches(state.logs[i])) matched.push(state.dropped + i);
    }
    while (head < matched.length && matched[head] < state.dropped) head++;
    if (head > 4096) { matched = matched.slice(head); head = 0; }
    // scrolled away from the newest: what is in view stays in view
    if (box.scrollTop > 0) box.scrollTop += (shown() - before) * ROW_PX;
    scheduleLive();
  };
  for (const f of Object.values(filters)) f.addEventListener("input", draw);
  box.addEventListener("scroll", schedule, { passive: true });
  new ResizeObserver(schedule).observe(box);
  root.append(h("h2", { text: "Logs" }),
    h("div", { class: "row", role: "search" }, field("f-fn", "Function", filters.fn), field("f-trigger", "Trigger", filters.trigger),
      field("f-level", "Level", filters.level), field("f-status", "Status", filters.status), field("f-text", "Text", filters.text)),
    count, h("div", { class: "cols logs" }, h("div", {}, box), detail));
  draw();
  logsPage.onEvent = (ev) => { if (ev.type === "logs") add(ev.entries); };
}

// ---- Clock -----------------------------------------------------------------------------------
async function clockPage(root) {
  const now = h("p", { id: "clock-now" });
  const next = h("tbody");
  const fired = h("div", { id: "fired", "aria-live": "polite" });
  const refresh = async () => {
    const c = await get("/_emu/clock");
    now.replaceChildren("Now ", h("time", { text: c.now }), c.frozen ? " (frozen)" : " (follows the wall clock)");
    next.replaceChildren(...c.next.map((n) => h("tr", { "data-name": n.function }, h("td", { text: n.function }),
      h("td", { text: n.schedule }), h("td", { text: n.timezone }), h("td", {}, firesList(n.fires)))));
  };
  const moved = async (answer) => {
    fired.replaceChildren(h("h3", { text: `Fired ${answer.fired.length}` }),
      h("ul", {}, answer.fired.map((f) => h("li", { text: `${f.function} at ${f.scheduledTime} → ${f.status_code}` })),
        (answer.skipped || []).map((f) => h("li", { text: `${f.function} at ${f.scheduledTime} skipped: ${f.reason}` }))));
    await refresh();
  };
  const seconds = h("input", { id: "advance-seconds", type: "number", min: "1", value: "60" });
  const when = h("input", { id: "set-time", placeholder: "2026-01-01T09:00:00Z" });
  root.append(h("h2", { text: "Clock" }), now,
    h("form", { class: "row", onsubmit: async (e) => { e.preventDefault(); await moved(await post("/_emu/clock/advance", { seconds: Number(seconds.value) })); } },
      h("div", {}, h("label", { for: "advance-seconds", text: "Advance by seconds" }), seconds),
      h("button", { type: "submit", text: "Advance" }),
      [["+1 min", 60], ["+1 h", 3600], ["+1 day", 86400]].map(([t, s]) =>
        h("button", { type: "button", onclick: async () => moved(await post("/_emu/clock/advance", { seconds: s })), text: t }))),
    h("form", { class: "row", onsubmit: async (e) => { e.preventDefault(); await moved(await post("/_emu/clock/set", { time: when.value })); } },
      h("div", {}, h("label", { for: "set-time", text: "Set the time (ISO 8601)" }), when),
      h("button", { type: "submit", text: "Set" })),
    fired, h("h3", { text: "Next fires" }),
    h("table", { id: "cron-table" }, h("thead", {}, h("tr", {}, ["Function", "Schedule", "Zone", "Next fires"].map((t) => h("th", { scope: "col", text: t })))), next));
  await refresh();
}

// ---- S3 --------------------------------------------------------------------------------------
async function s3Page(root, args) {
  const bucket = args[0];
  const base = "/_emu/s3/buckets";
  if (!bucket) {
    const { buckets } = await get(base);
    const name = h("input", { id: "new-bucket", required: true });
    root.append(h("h2", { text: "S3 buckets" }),
      h("ul", { id: "buckets" }, buckets.map((b) => h("li", {}, h("a", { href: `#/s3/${encodeURIComponent(b.name)}`, text: b.name })))),
      h("form", { class: "row", onsubmit: async (e) => { e.preventDefault(); await call("PUT", `${base}/${encodeURIComponent(name.value)}`); location.hash = `#/s3/${encodeURIComponent(name.value)}`; } },
        h("div", {}, h("label", { for: "new-bucket", text: "New bucket" }), name), h("button", { type: "submit", text: "Create" })));
    return;
  }
  const objUrl = (key) => `${base}/${encodeURIComponent(bucket)}/objects/${key.split("/").map(encodeURIComponent).join("/")}`;
  const list = h("tbody");
  const status = h("p", { "aria-live": "polite", id: "s3-status" });
  const refresh = async () => {
    const { objects } = await get(`${base}/${encodeURIComponent(bucket)}`);
    list.replaceChildren(...objects.map((o) => h("tr", { "data-key": o.key }, h("td", { class: "mono", text: o.key }),
      h("td", { text: `${o.size} B` }), h("td", { text: o.modified }),
      h("td", {}, h("button", { type: "button", "aria-label": `Download ${o.key}`, text: "Download", onclick: async () => {
        const blob = await get(objUrl(o.key));
        const a = h("a", { href: URL.createObjectURL(blob), download: o.key.split("/").pop() });
        document.body.append(a); a.click(); a.remove();
      } }), " ",
      h("button", { type: "button", "aria-label": `Delete ${o.key}`, text: "Delete", onclick: async () => {
        await call("DELETE", objUrl(o.key)); status.textContent = `Deleted ${o.key}`; await refresh();
      } })))));
  };
  const file = h("input", { id: "upload-file", type: "file", required: true });
  const prefix = h("input", { id: "upload-prefix", value: "in/" });
  root.append(h("p", {}, h("a", { href: "#/s3", text: "← Buckets" })), h("h2", { text: `Bucket ${bucket}` }),
    h("form", { class: "row", onsubmit: async (e) => {
      e.preventDefault();
      const f = file.files[0];
      const key = prefix.value + f.name;
      await call("PUT", objUrl(key), f, { "Content-Type": f.type || "application/octet-stream" });
      status.textContent = `Uploaded ${key} (${f.size} B): triggers on this bucket fire; see Logs`;
      await refresh();
    } },
      h("div", {}, h("label", { for: "upload-file", text: "File" }), file),
      h("div", {}, h("label", { for: "upload-prefix", text: "Key prefix" }), prefix),
      h("button", { type: "submit", text: "Upload" })),
    status, h("table", { id: "objects" }, h("thead", {}, h("tr", {}, ["Key", "Size", "Modified", ""].map((t) => h("th", { scope: "col", text: t })))), list));
  await refresh();
}

// ---- Approvals -------------------------------------------------------------------------------
async function approvalsPage(root) {
  const list = h("div", { id: "approvals" });
  const result = h("div", { id: "approval-result", "aria-live": "polite" });
  const refresh = async () => {
    const { approvals } = await get("/_emu/approvals");
    list.replaceChildren(...(approvals.length ? approvals.map((a) => h("article", { class: "panel", "data-id": a.id },
      h("h3", { text: `${a.function} · ${a.id}` }),
      h("p", { class: "muted", text: `caller ${a.caller}${a.sub ? ` (${a.sub})` : ""} · ${a.createdAt}` }),
      h("pre", { text: pretty(a.input) }),
      h("div", { class: "row" },
        h("button", { type: "button", "aria-label": `Approve ${a.id}`, text: "Approve", onclick: async () => {
          result.replaceChildren(h("h3", { text: `Approved ${a.id}` }), envelopeView(await post(`/_emu/approvals/${a.id}`, { approve: true })));
          await refresh();
        } }),
        h("button", { type: "button", "aria-label": `Reject ${a.id}`, text: "Reject", onclick: async () => {
          await post(`/_emu/approvals/${a.id}`, { approve: false });
          result.replaceChildren(h("p", { text: `Rejected ${a.id}` }));
          await refresh();
        } })))) : [h("p", { class: "muted", text: "No call awaits approval." })]));
  };
  root.append(h("h2", { text: "Approvals" }), list, result);
  await refresh();
  approvalsPage.onEvent = (ev) => { if (ev.type === "approvals") refresh(); };
}

const page = (render) => ({
  render: (root, args, state) => { render.onEvent = null; return render(root, args, state); },
  onEvent: (ev) => render.onEvent?.(ev),
});
export const pages = {
  functions: page(functionsPage), logs: page(logsPage), clock: page(clockPage), s3: page(s3Page), approvals: page(approvalsPage),
};
