// fnemu's Node worker: loads one function and serves invocations over the frame pipes.
//
// Runs in the child process and imports nothing from the emulator, so user code never sees it.
// Mirrors emulator/runtime/protocol.py: 4-byte big-endian length + JSON frames on the fds named
// in FNEMU_WORKER_FDS ("READ,WRITE"), the same messages as python_worker.py. argv: the style (web |
// lambda). The first frame (`load`) names the function, its environment, folder and limits: until
// it comes the process is a blank spare of its style, with what every call of the style needs warm.
// Each handler style is one entry in STYLES (below): how its handler is found in the module, how it
// is called with an invocation's event and what of its return value becomes the reply (the
// emulator's side is emulator/runtime/styles/).

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import util from 'node:util';

const styleName = process.argv[2];
const [READ_FD, WRITE_FD] = process.env.FNEMU_WORKER_FDS.split(',').map(Number);
const THIS_FILE = import.meta.url;
// Under `node --inspect` (a function being debugged): its first invocation waits for the debugger.
const DEBUG_WAIT = process.env.FNEMU_DEBUG_WAIT === '1';
for (const name of ['FNEMU_WORKER_FDS', 'FNEMU_DEBUG_WAIT']) delete process.env[name];

// The function, from its load frame (`configure`).
let entry;
let FILE_NAME;
let FILE_URL;
let CONSOLE_CAP;
let BASE_KB;
let LIMIT_KB;
let userEnv;
let lambdaFields;

// style: { warm (optional, before `ready`), find(module exports) -> handler,
//          call(handler, message) -> the reply }
const STYLES = {
  web: { warm: warmWeb, find: webHandler, call: (handler, message) => callWeb(handler, message.event) },
  lambda: { find: lambdaHandler, call: callLambda },
};
const STYLE = STYLES[styleName];
let responseState; // the symbol of undici's Response state (bodySource, below)

// ---- frames ------------------------------------------------------------------------------

// Lone surrogates are legal in JS strings but not in the strict JSON the parent decodes.
const wellFormed = (_key, value) => (typeof value === 'string' ? value.toWellFormed() : value);

function stringify(message) {
  const body = JSON.stringify(message);
  return body.includes('\\ud') ? JSON.stringify(message, wellFormed) : body;
}

function send(message) {
  sendBody(stringify(message));
}

function sendBody(body) {
  const size = Buffer.byteLength(body);
  const frame = Buffer.allocUnsafe(4 + size);
  frame.writeUInt32BE(size, 0);
  frame.write(body, 4);
  // Synchronous, so log lines precede their result and survive a process.exit() right after.
  for (let offset = 0; offset < frame.length; ) offset += fs.writeSync(WRITE_FD, frame, offset);
}

// The next frame from the emulator, read with the worker blocked: between invocations nothing of
// the function runs (as on the platform, which freezes it), and a call costs no event-loop wake-up.
// Usually one read holds the whole frame; a bigger one is gathered from parts. null: the emulator
// is gone.
const inbox = Buffer.allocUnsafe(65536);
let inboxStart = 0;
let inboxEnd = 0;

function readMore(into, offset) {
  for (;;) {
    try {
      return fs.readSync(READ_FD, into, offset, into.length - offset, null);
    } catch (err) {
      if (err.code !== 'EAGAIN' && err.code !== 'EINTR') throw err;
    }
  }
}

// Under the inspector the wait happens off the main thread instead, so that a debugger can attach,
// set breakpoints and pause while the worker is idle (the inspector is served on the main thread).
const INSPECTED = process.execArgv.some((arg) => arg.startsWith('--inspect'));

function hasFrame() {
  const have = inboxEnd - inboxStart;
  return have >= 4 && have >= 4 + inbox.readUInt32BE(inboxStart);
}

async function awaitData() {
  if (hasFrame()) return;
  if (inboxStart > 0) {
    inbox.copy(inbox, 0, inboxStart, inboxEnd);
    inboxEnd -= inboxStart;
    inboxStart = 0;
  }
  if (inboxEnd === inbox.length) return; // a frame larger than the inbox: nextMessage gathers it
  const n = await new Promise((resolve, reject) => {
    fs.read(READ_FD, inbox, inboxEnd, inbox.length - inboxEnd, null, (err, read) => (err ? reject(err) : resolve(read)));
  });
  inboxEnd += n;
  if (n === 0) inboxEnd = inboxStart = 0;
}

function nextMessage() {
  while (inboxEnd - inboxStart < 4) {
    if (inboxStart > 0) {
      inbox.copy(inbox, 0, inboxStart, inboxEnd);
      inboxEnd -= inboxStart;
      inboxStart = 0;
    }
    const n = readMore(inbox, inboxEnd);
    if (n === 0) return null;
    inboxEnd += n;
  }
  const size = inbox.readUInt32BE(inboxStart);
  const start = inboxStart + 4;
  if (inboxEnd - start >= size) {
    inboxStart = start + size === inboxEnd ? (inboxEnd = 0) : start + size;
    return JSON.parse(inbox.toString('utf8', start, start + size));
  }
  const frame = Buffer.allocUnsafe(size);
  let have = inbox.copy(frame, 0, start, inboxEnd);
  inboxStart = inboxEnd = 0;
  while (have < size) {
    const n = readMore(frame, have);
    if (n === 0) return null;
    have += n;
  }
  return JSON.parse(frame.toString('utf8'));
}

// ---- console: one log frame per call ------------------------------------------------------

// Invocations run one at a time (`main` queues them), so the one in progress is a variable: what is
// logged meanwhile, from any async context, is its output (the emulator attributes it so too). Not
// an AsyncLocalStorage: on Node 20 it hooks every promise, +25% CPU on a web call.
const outside = { id: 0, sent: 0, truncated: false };
let current = outside;

// One console line, cut where this invocation's output reaches the cap.
function emit(level, args) {
  const inv = current;
  if (inv.truncated) return;
  let message = util.format(...args);
  const room = CONSOLE_CAP - inv.sent;
  if (message.length > room) {
    inv.truncated = true;
    message = message.slice(0, room);
    if (!message) return;
  }
  inv.sent += message.length;
  send({ op: 'log', id: inv.id, level, message });
}

for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
  console[level] = (...args) => emit(level, args);
}

// process.stdout/stderr as the user's code made them (Node creates each on first use, at a cost of
// milliseconds: never here). Writes to a full pipe queue up, and must reach the parent before the
// result that ends their invocation.
const rawStreams = [];
for (const name of ['stdout', 'stderr']) {
  const { get } = Object.getOwnPropertyDescriptor(process, name);
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: true,
    get() {
      const stream = get.call(process);
      if (!rawStreams.includes(stream)) rawStreams.push(stream);
      return stream;
    },
  });
}

async function rawOutputFlushed() {
  for (const stream of rawStreams) {
    if (stream.writableLength) await new Promise((resolve) => stream.write('', resolve));
  }
}

// ---- memory: peak RSS per invocation, and the function's limit ---------------------------

// What every call of the style needs is warmed before the function is known (a spare does it
// ahead of need); as in python_worker.py the memory limit starts from what the runtime itself uses
// (node, this file, and for the web style undici): the user's imports and every invocation count.
await STYLE.warm?.();

function openOrNull(file, flags) {
  try {
    return fs.openSync(file, flags);
  } catch {
    return null;
  }
}

const clearRefs = openOrNull('/proc/self/clear_refs', 'w');
const status = openOrNull('/proc/self/status', 'r');
const statusBuf = Buffer.alloc(8192);

function resetPeak() {
  if (clearRefs === null) return;
  try {
    fs.writeSync(clearRefs, '5');
  } catch {
    // an older kernel without VmHWM reset: the peak is then the worker's lifetime peak
  }
}

// getrusage's maxRSS is max(this process's VmHWM, the peak exec inherited from the emulator), and
// costs a sixth of a /proc/self/status read: above `inheritedKb` (no less than that inherited peak)
// it is this invocation's peak; at or below, the status file says.
let inheritedKb = Infinity;

function peakKb() {
  const maxKb = process.resourceUsage().maxRSS;
  if (maxKb > inheritedKb) return maxKb;
  if (status === null) return 0;
  const text = statusBuf.toString('latin1', 0, fs.readSync(status, statusBuf, 0, statusBuf.length, 0));
  const match = /VmHWM:\s*(\d+)/.exec(text);
  return match ? Number(match[1]) : 0;
}

function outOfMemory(inv, rssKb) {
  send({
    op: 'error', id: inv.id, memory_kb: rssKb, oom: true, truncated: inv.truncated, traceback: '',
    message: `the function used ${Math.round((rssKb - BASE_KB) / 1024)} MB (RSS ${Math.round(rssKb / 1024)} MB)`,
  });
  process.exit(1); // the parent starts a fresh worker
}

// ---- errors ------------------------------------------------------------------------------

function userLine(text) {
  for (const where of [FILE_URL, entry]) {
    const at = text.indexOf(`${where}:`);
    if (at >= 0) return Number.parseInt(text.slice(at + where.length + 1), 10) || null;
  }
  return null;
}

// `Name: message (file, line N)` with the line in the user's file, as python_worker.py formats it.
function describe(err, line = userLine(String(err?.stack ?? ''))) {
  if (!(err instanceof Error)) {
    return { message: typeof err === 'string' ? err : util.inspect(err), line: null, traceback: '' };
  }
  const stack = String(err.stack ?? '');
  let message = `${err.name}: ${err.message}`;
  if (line !== null) message += ` (${FILE_NAME}, line ${line})`;
  const traceback = stack.split('\n').filter((l) => !l.includes(THIS_FILE)).join('\n');
  return { message, line, traceback };
}

// ---- loading -----------------------------------------------------------------------------

class LookupError extends Error {}

// import() reports an ES module's syntax error without its position; `node --check` finds it.
async function syntaxErrorLine(err) {
  const line = userLine(String(err.stack));
  if (line !== null || entry.endsWith('.cjs')) return line;
  const { spawnSync } = await import('node:child_process'); // only on this path: start-up stays lean
  return userLine(spawnSync(process.execPath, ['--check', entry], { encoding: 'utf8' }).stderr ?? '');
}

async function load() {
  const exports = entry.endsWith('.cjs')
    ? createRequire(entry)(entry)
    : await import(FILE_URL); // .mjs, or .js as its package.json "type" says
  return STYLE.find(exports);
}

function webHandler(exports) {
  const main = exports.default ?? exports;
  if (typeof main === 'function') return (req, env, ctx) => main(req, env, ctx);
  if (main && typeof main.fetch === 'function') return (req, env, ctx) => main.fetch(req, env, ctx);
  throw new LookupError(
    `no handler: export default async function handler(req) or export default { fetch(req, env, ctx) } in ${FILE_NAME}`);
}

function lambdaHandler(exports) {
  const handler = exports.handler ?? exports.default?.handler;
  if (typeof handler === 'function') return handler;
  throw new LookupError(
    `no handler: define exports.handler, module.exports.handler or export const handler in ${FILE_NAME}`);
}

// ---- invocations -------------------------------------------------------------------------

// Become the function's process: its environment replaces this one's whole environment (a spare's
// held nothing of any function), its folder is the working directory, its limits hold.
function configure(load) {
  const { env } = load;
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, env);
  process.chdir(load.cwd);
  entry = load.entry;
  FILE_NAME = path.basename(entry);
  FILE_URL = pathToFileURL(entry).href;
  process.argv.splice(1, Infinity, entry); // user code sees itself as the script, as under `node FILE`
  CONSOLE_CAP = load.console_cap;
  BASE_KB = Math.round(process.memoryUsage.rss() / 1024);
  LIMIT_KB = load.memory_mb ? BASE_KB + load.memory_mb * 1024 : Infinity;
  userEnv = Object.fromEntries(load.env_names.map((k) => [k, env[k]]));
  const region = env.AWS_REGION ?? 'us-east-1';
  const functionName = env.AWS_LAMBDA_FUNCTION_NAME;
  lambdaFields = {
    functionName,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
  };
}

async function callWeb(handler, event) {
  const init = { method: event.method, headers: event.headers };
  if (event.body !== null && event.method !== 'GET' && event.method !== 'HEAD') {
    init.body = Buffer.from(event.body, 'base64');
  }
  const pending = [];
  const ctx = { waitUntil: (promise) => pending.push(promise) };
  const response = await handler(new Request(event.url, init), userEnv, ctx);
  if (!(response instanceof Response) || response.type === 'error') {
    throw new TypeError(`the handler must return a Response, got ${util.inspect(response, { depth: 0 })}`);
  }
  const body = (bodySource(response) ?? Buffer.from(await response.arrayBuffer())).toString('base64');
  // The invocation (and its log) lasts until the waitUntil work is done, as on the platform.
  if (pending.length) {
    for (const outcome of await Promise.allSettled(pending)) {
      if (outcome.status === 'rejected') console.error('waitUntil:', outcome.reason);
    }
  }
  return { status: response.status, headers: [...response.headers], body };
}

// undici keeps what a Response was made from (a string, or bytes: `Response.json` encodes) beside
// its body stream; while the stream is unread, those are its bytes, without reading the stream
// (a third of a hello's time in this worker). Anything else (a stream, a Blob, a read body, an
// undici without that state) is read as a stream. `warmWeb` finds the state's symbol
// (`responseState`, declared at the top: the warm-up runs before this line).

function bodySource(response) {
  const body = responseState && response[responseState]?.body;
  if (!body) return body === null ? Buffer.alloc(0) : null;
  if (response.bodyUsed || body.stream?.locked) return null;
  const { source } = body;
  if (typeof source === 'string') return Buffer.from(source);
  if (source instanceof Uint8Array) return Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  return null;
}

function callLambda(handler, message) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, value) => {
      if (settled) return;
      settled = true;
      if (err === undefined || err === null) resolve(value);
      else reject(err);
    };
    const deadline = message.deadline_ms;
    const context = {
      ...lambdaFields,
      awsRequestId: message.context.aws_request_id,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
      done: callback,
      succeed: (value) => callback(null, value),
      fail: (err) => callback(err ?? new Error('context.fail() called')),
    };
    const out = handler(message.event, context, callback);
    if (out && typeof out.then === 'function') {
      out.then((value) => callback(null, value), (err) => callback(err ?? new Error('rejected without a reason')));
    } else if (handler.length < 3) {
      callback(null, out); // a plain synchronous handler: its return value
    }
  });
}

// undici loads lazily (~35 ms) and compiles its Request, Response and body paths on first use
// (~7 ms): both are paid before `ready`, so no request waits for them.
async function warmWeb() {
  const request = new Request('http://localhost/', { method: 'POST', headers: { 'x-warm': '1' }, body: 'x' });
  const response = new Response(await request.arrayBuffer(), { headers: request.headers });
  responseState = Object.getOwnPropertySymbols(response).find((s) => s.description === 'state');
  Buffer.from(await response.arrayBuffer());
  for (const header of response.headers) void header;
}

async function invoke(handler, message) {
  const inv = { id: message.id, sent: 0, truncated: false };
  const timersBefore = timers();
  current = inv;
  resetPeak();
  let reply;
  try {
    const value = await STYLE.call(handler, message);
    reply = { op: 'result', id: inv.id, value: value ?? null };
  } catch (err) {
    const { message: text, traceback } = describe(err);
    reply = { op: 'error', id: inv.id, message: text, traceback, oom: false };
  }
  if (rawStreams.length) await rawOutputFlushed();
  // The parent watches the RSS during the call (a synchronous loop never lets this code run);
  // a call too short for it to look is caught here by its peak.
  const memoryKb = peakKb();
  if (memoryKb > LIMIT_KB) outOfMemory(inv, memoryKb);
  Object.assign(reply, { memory_kb: memoryKb, truncated: inv.truncated });
  let body;
  try {
    body = stringify(reply);
  } catch (err) {
    body = stringify({ ...reply, op: 'error', value: undefined, traceback: '', oom: false,
      message: `TypeError: Unable to marshal response: ${err.message}` });
  }
  current = outside;
  sendBody(body);
  await settle(message.context.aws_request_id, timersBefore);
}

// ---- after the answer --------------------------------------------------------------------

// Between invocations the worker blocks on its pipe (frozen, as on the platform), so what an
// invocation left to run after it answered (a setTimeout(..., 0), a promise rejected with no
// handler) would run inside a later invocation and fail that one. Instead the event loop gets a
// turn after each answer, a millisecond long when the invocation left new timers (a 0 ms timer is
// due after 1 ms): an error thrown then is sent as `late`, naming the invocation that left it, and
// the worker goes on serving. Timers left for later than that run when the loop next turns.
function timers() {
  let n = 0;
  for (const kind of process.getActiveResourcesInfo()) if (kind === 'Timeout') n += 1;
  return n;
}

async function settle(requestId, timersBefore) {
  const late = (err, origin) => {
    const { message, traceback } = describe(err);
    send({ op: 'late', request_id: requestId, message, traceback,
      kind: origin === 'unhandledRejection' ? 'a promise rejected with no handler' : 'an uncaught exception' });
  };
  process.on('uncaughtException', late);
  // The second turn: promise rejections are looked at once the callbacks of a turn have run.
  await new Promise((resolve) => {
    const next = () => setImmediate(resolve);
    if (timers() > timersBefore) setTimeout(next, 1);
    else setImmediate(next);
  });
  process.off('uncaughtException', late);
}

async function main() {
  if (INSPECTED) await awaitData();
  const frame = nextMessage();
  if (frame === null) process.exit(0); // a spare the emulator never used
  configure(frame);
  let handler;
  try {
    handler = await load();
  } catch (err) {
    const { message, line } = err instanceof LookupError ? { message: err.message, line: null }
      : describe(err, err instanceof SyntaxError ? await syntaxErrorLine(err) : undefined);
    send({ op: 'load_error', message, line });
    process.exit(0);
  }
  resetPeak();
  inheritedKb = process.resourceUsage().maxRSS;
  send({ op: 'ready', rss_limit_kb: Number.isFinite(LIMIT_KB) ? LIMIT_KB : null });
  // A handle that keeps the event loop alive while an invocation waits on nothing else (a promise
  // that never settles times out; it must not end the process).
  setInterval(() => {}, 1 << 30);
  if (DEBUG_WAIT) {
    // the first invocation waits for the IDE (its `Runtime.runIfWaitingForDebugger`)
    try { (await import('node:inspector')).waitForDebugger(); } catch {}
  }
  for (;;) {
    if (INSPECTED) await awaitData();
    const message = nextMessage();
    if (message === null) break;
    if (message.op === 'invoke') await invoke(handler, message);
  }
  process.exit(0); // the emulator is gone
}

main();
