// The shell: login, the page router (#/page/arg), the live event stream and the broken-save banner.
import { get, follow, token, ApiError } from "./api.js";
import { pages } from "./pages.js";

const LOG_KEPT = 10000;
export const state = { appId: "local", logs: [], errors: [], page: null, overview: null };

const $ = (id) => document.getElementById(id);
let stream = null;

function showBanner(errors) {
  state.errors = errors;
  const banner = $("banner");
  banner.hidden = errors.length === 0;
  banner.textContent = errors.map((e) => `Broken save in ${e.function}: ${e.message}`).join("\n");
}

function onEvent(ev) {
  if (ev.type === "hello") showBanner(ev.errors);
  else if (ev.type === "folder") showBanner(ev.errors);
  else if (ev.type === "log") {
    state.logs.push(ev.entry);
    if (state.logs.length > LOG_KEPT) state.logs.splice(0, state.logs.length - LOG_KEPT);
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
  const root = $("page");
  root.replaceChildren();
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

// A login link (`fnemu demo`) carries the token in the fragment, which no server sees: it is kept
// for this tab and taken out of the address bar at once.
const given = new URLSearchParams(location.hash.slice(1)).get("token");
if (given) {
  token.set(given);
  history.replaceState(null, "", location.pathname + "#/functions");
}
if (token.get()) enter(); else logout();
