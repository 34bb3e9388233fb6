// The shell: login, the page router (#/page/arg), the live event stream and the broken-save banner.
import { get, follow, token, ApiError } from "./api.js";
import { pages } from "./pages.js";

const LOG_KEPT = 10000;
// `logs`: the entries kept, oldest first; `dropped`: how many older ones were let go, so that
// `dropped + index` names an entry for as long as it is kept.
export const state = { appId: "local", logs: [], dropped: 0, errors: [], page: null, overview: null, eventKinds: [],
  historyLoaded: false };

const $ = (id) => document.getElementById(id);
let stream = null;

function showBanner(errors) {
  state.errors = errors;
  const banner = $("banner");
  banner.hidden = errors.length === 0;
  banner.textContent = errors.map((e) => `Broken save in ${e.function}: ${e.message}`).join("\n");
}

// Log entries arrive by the thousand under load: they are kept as they come and handed to the
// page once per animation frame, as one `logs` event.
let arrived = [];
let flushing = null;
function flushLogs() {
  flushing = null;
  const entries = arrived;
  arrived = [];
  state.logs.push(...entries);
  const excess = state.logs.length - LOG_KEPT;
  if (excess > 0) { state.logs.splice(0, excess); state.dropped += excess; }
  state.page?.onEvent?.({ type: "logs", entries });
}

function onEvent(ev) {
  if (ev.type === "hello") showBanner(ev.errors);
  else if (ev.type === "folder") showBanner(ev.errors);
  else if (ev.type === "log") {
    arrived.push(ev.entry);
    if (arrived.length > LOG_KEPT) arrived.splice(0, arrived.length - LOG_KEPT);  // a hidden tab draws no frames
    flushing ??= requestAnimationFrame(flushLogs);
    return;
  } else if (ev.type === "approvals") refreshApprovalCount();
  if (ev.type !== "hello") state.page?.onEvent?.(ev);
}

async function refreshApprovalCount() {
  const { approvals } = await get("/_emu/approvals");
  $("approval-count").textContent = approvals.length ? String(approvals.length) : "";
}

async function connect() {
  stream?.abort();
  stream = new AbortController();
  const signal = stream.signal;
  for (;;) {
    try {
      await follow("/_emu/events", onEvent, signal);
    } catch (e) {
      if (signal.aborted) return;
    }
    if (signal.aborted) return;
    await new Promise((r) => setTimeout(r, 1000)); // the emulator restarted: follow again
  }
}

async function route() {
  const [name, ...rest] = (location.hash.replace(/^#\/?/, "") || "functions").split("/");
  const page = pages[name] || pages.functions;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.getAttribute("href") === `#/${name}`) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  state.page = page;
  const root = document.createElement("div");  // each route draws in its own: a slower, earlier one lands nowhere
  $("page").replaceChildren(root);
  try {
    await page.render(root, rest.map(decodeURIComponent), state);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return logout("The token was refused: log in again.");
    root.append(Object.assign(document.createElement("p"), { className: "bad", textContent: String(e.message) }));
  }
}

function logout(message = "") {
  token.clear();
  stream?.abort();
  document.querySelector("nav").hidden = true;
  $("page").replaceChildren();
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("token").focus();
}

async function enter() {
  try {
    state.overview = await get("/_emu/overview");
    state.appId = state.overview.app_id;
    state.eventKinds = state.overview.event_kinds;
  } catch (e) {
    return logout(e instanceof ApiError && e.status === 401 ? "That token was refused." : String(e.message));
  }
  $("login").hidden = true;
  document.querySelector("nav").hidden = false;
  connect();
  refreshApprovalCount();
  await route();
}

$("login").addEventListener("submit", (e) => {
  e.preventDefault();
  token.set($("token").value);
  $("token").value = "";
  enter();
});
$("logout").addEventListener("click", () => logout());
document.querySelector(".skip").addEventListener("click", (e) => { e.preventDefault(); $("main").focus(); });
window.addEventListener("hashchange", () => token.get() && route());

// A one-time login link (`fnemu demo`, `POST /_emu/login-links`) is traded for the token once;
// the code leaves the address bar at once. A link that holds the token itself (`#token=`, which no
// server sees) is kept for this tab and leaves the address bar too.
async function redeem(code) {
  history.replaceState(null, "", "/_emu/ui#/functions");
  token.clear();
  const r = await fetch("/_emu/ui/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ code }) });
  if (r.ok) {
    token.set((await r.json()).token);
    return enter();
  }
  logout(r.status === 410 ? "This login link was already used: log in with the developer token."
    : "This login link is not one of this emulator's (links end when it stops): log in with the developer token.");
}

const code = location.pathname === "/_emu/ui/login" ? new URLSearchParams(location.search).get("code") : null;
const given = new URLSearchParams(location.hash.slice(1)).get("token");
if (code) redeem(code);
else {
  if (given) {
    token.set(given);
    history.replaceState(null, "", location.pathname + "#/functions");
  }
  if (token.get()) enter(); else logout();
}
