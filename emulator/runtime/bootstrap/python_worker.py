"""fnemu's Python worker: loads one function and serves invocations over the frame pipes.

Runs in the child process and imports nothing from the emulator, so user code never sees it.
Mirrors emulator/runtime/protocol.py: 4-byte big-endian length + JSON frames on the fds named
in FNEMU_WORKER_FDS. argv: the handler style. The first frame (`load`) names the function, its
environment, folder and limits: until it comes the process is a blank spare of its style.

Threads the function starts belong to the invocation that started them (_own_threads): an exception
in one is printed to that invocation's log while it runs, as Lambda's runtime prints it, and sent as
`late` once it has answered, as the Node worker sends what its code throws after the answer.

Each handler style is one entry in STYLES: how its handler is called with an invocation's event and
what of its return value becomes the reply (the emulator's side is emulator/runtime/styles/).
"""

import base64
import ctypes
import importlib
import importlib.machinery
import importlib.util
import io
import json
import logging
import os
import resource
import struct
import sys
import threading
import time
import traceback
import urllib.parse

try:  # the emulator's interpreter normally has orjson; plain json keeps the worker self-contained
    import orjson

    def _dumps(obj):
        return orjson.dumps(obj, default=_fallback, option=orjson.OPT_NON_STR_KEYS)

    _loads = orjson.loads
except ImportError:  # pragma: no cover - exercised only with a foreign --python

    def _dumps(obj):
        return json.dumps(obj, default=_fallback).encode()

    _loads = json.loads

_HEADER = struct.Struct(">I")
_READ_FD, _WRITE_FD = (int(x) for x in os.environ.pop("FNEMU_WORKER_FDS").split(","))
_CONSOLE_CAP = 0
_MEMORY_MB = 0
"""The function's limits, from its load frame."""


def _fallback(obj):
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _die_with_parent(libc):
    """Never outlive the emulator, even if it is killed with SIGKILL."""
    libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    if os.getppid() == 1:
        os._exit(0)


def _limit_memory(libc, limit_mb):
    """memoryLimitMb as RLIMIT_AS (address space) on top of the VmSize this interpreter has now.

    The interpreter and this bootstrap map ~15 MB before any user code runs; counting them would
    leave a 64 MB function little room, so the limit starts from here: the user's imports and
    every invocation count. Past it an allocation raises MemoryError; the worker reports it
    (oom) and exits. Only the soft limit is set, so the report can lift it to be written.

    Address space is not RSS: glibc would reserve 64 MB per thread for a malloc arena, so arenas
    are capped at one; each running thread still reserves its stack (8 MiB by default).
    Processes the function starts inherit the limit.
    """
    with open("/proc/self/status", "rb") as f:
        status = f.read()
    start = status.find(b"VmSize:")
    base_kb = int(status[start + 7 : status.find(b"kB", start)])
    libc.mallopt(-8, 1)  # M_ARENA_MAX
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    soft = (base_kb + limit_mb * 1024) * 1024
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _lift_memory_limit():
    """After a MemoryError: room to format and send the report before the worker exits."""
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _send(message):
    _send_raw(_dumps(message))


_send_lock = threading.RLock()
"""One frame at a time on the pipe: the function's threads log (and raise) beside the main one."""
_threaded = False
"""Set when the function starts its first thread: until then no frame needs the lock."""


def _send_raw(body, answers=False):
    """`answers`: the invocation's reply; from then on an exception in a thread it started is late."""
    data = _HEADER.pack(len(body)) + body
    if _threaded:
        with _send_lock:
            _write(data, answers)
    else:
        _write(data, answers)


def _write(data, answers):
    view = memoryview(data)
    while view:
        n = os.write(_WRITE_FD, view)
        view = view[n:]
    if answers:
        _current.request = None


_inbox = bytearray()


def _next_message():
    """The next frame from the emulator: usually one read for the header and body together."""
    while True:
        if len(_inbox) >= 4:
            (size,) = _HEADER.unpack_from(_inbox)
            if len(_inbox) >= 4 + size:
                message = _loads(bytes(_inbox[4 : 4 + size]))
                del _inbox[: 4 + size]
                return message
            want = max(65536, 4 + size - len(_inbox))
        else:
            want = 65536
        chunk = os.read(_READ_FD, want)
        if not chunk:
            os._exit(0)  # the emulator is gone
        _inbox.extend(chunk)


def _receive_load():
    """Wait for the load frame (a spare waits here, blank, until it is given a function), then
    become that function's process: its environment replaces this one's whole environment (a
    spare's held nothing of any function), its folder is the working directory, its limits hold.
    Returns the frame."""
    global _CONSOLE_CAP, _MEMORY_MB
    load = _next_message()
    os.environ.clear()
    os.environ.update(load["env"])
    os.chdir(load["cwd"])
    _CONSOLE_CAP = load["console_cap"]
    _MEMORY_MB = load["memory_mb"]
    return load


class _Invocation:
    """What the console streams need to know about the call in progress."""

    id = 0
    request = None
    """Its request id until its answer is sent; None after, and between invocations."""
    sent = 0
    truncated = False


_current = _Invocation()


def _emit(level, message):
    """One console line, cut where this invocation's output reaches the cap."""
    inv = _current
    if inv.truncated:
        return
    room = _CONSOLE_CAP - inv.sent
    if len(message) > room:
        inv.truncated = True
        message = message[:room]
        if not message:
            return
    inv.sent += len(message)
    _send({"op": "log", "id": inv.id, "level": level, "message": message})


class _ConsoleStream(io.TextIOBase):
    """stdout/stderr replacement: one log frame per line."""

    def __init__(self, level, fileno):
        self._level = level
        self._fileno = fileno
        self._pending = []

    def writable(self):
        return True

    def fileno(self):
        return self._fileno

    @property
    def encoding(self):
        return "utf-8"

    def isatty(self):
        return False

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if "\n" not in text:
            self._pending.append(text)
            return len(text)
        head, _, tail = text.rpartition("\n")
        pending = "".join(self._pending) + head
        self._pending = [tail] if tail else []
        for line in pending.split("\n"):
            _emit(self._level, line)
        return len(text)

    def flush(self):
        if self._pending:
            line = "".join(self._pending)
            self._pending = []
            _emit(self._level, line)


_QUIET_LOGGERS = ("boto3", "botocore", "s3transfer")
"""The AWS SDK for Python logs at INFO (`Found credentials in environment variables.`) on every
first client: not the function's output. (The AWS SDK for JavaScript v3 logs nothing unless a
client is given a `logger`.)"""

_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warn", "ERROR": "error", "CRITICAL": "error"}


class _LogHandler(logging.Handler):
    def emit(self, record):
        try:
            message = self.format(record)
        except Exception:
            message = str(record.msg)
        _emit(_LEVELS.get(record.levelname, "log"), message)


def _memory_probe():
    """Peak RSS of this process per invocation (VmHWM), reset before each call. (Not ru_maxrss:
    it keeps the pre-exec RSS of the emulator this worker was forked from.) The reset is skipped
    when the peak is the current RSS: it would set the mark to the same value."""
    try:
        clear = os.open("/proc/self/clear_refs", os.O_WRONLY)
        status = os.open("/proc/self/status", os.O_RDONLY)
    except OSError:
        return (lambda: None), (lambda: 0)
    stale = [True]

    def reset():
        if stale[0]:
            try:
                os.write(clear, b"5")
            except OSError:
                pass

    def peak_kb():
        data = os.pread(status, 8192, 0)
        start = data.find(b"VmHWM:")
        if start < 0:
            return 0
        peak = int(data[start + 6 : data.find(b"kB", start)])
        rss_at = data.find(b"VmRSS:", start)
        stale[0] = rss_at < 0 or int(data[rss_at + 6 : data.find(b"kB", rss_at)]) != peak
        return peak

    return reset, peak_kb


class LambdaContext:
    """The fields and method of AWS Lambda's Python context object. The per-function fields are
    read from the environment once, at start, as Lambda's runtime does."""

    function_name = function_version = invoked_function_arn = memory_limit_in_mb = None
    log_group_name = log_stream_name = None

    @classmethod
    def configure(cls, env):
        cls.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        cls.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        cls.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        cls.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        cls.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        region = env.get("AWS_REGION", "us-east-1")
        cls.invoked_function_arn = f"arn:aws:lambda:{region}:000000000000:function:{cls.function_name}"

    def __init__(self, request_id, deadline_ms):
        self.aws_request_id = request_id
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(int(self._deadline_ms - time.time() * 1000), 0)

    def __repr__(self):
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},function_name={self.function_name},"
            f"function_version={self.function_version},memory_limit_in_mb={self.memory_limit_in_mb}])"
        )


def _user_line(exc, path):
    """The line in the user's file where an exception arose (deepest frame in that file)."""
    if isinstance(exc, SyntaxError) and exc.filename == path:
        return exc.lineno
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == path:
            line = frame.lineno
    return line


def _format_error(exc, path):
    """`Type: message`, with the user's file and line when the error points into it."""
    name = os.path.basename(path)
    if isinstance(exc, SyntaxError):
        name = os.path.basename(exc.filename or path)  # the module it is in, maybe one the entry imports
        return f"{type(exc).__name__}: {exc.msg} ({name}, line {exc.lineno})", exc.lineno
    line = _user_line(exc, path)
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if line is not None:
        text += f" ({name}, line {line})"
    return text, line


def _user_traceback(exc, skip=(__file__,)):
    """The traceback without the worker's own frames (or those of the files in `skip`)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename not in skip]
    lines = ["Traceback (most recent call last):\n"]
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def _own_threads(path):
    """Each thread the function starts belongs to the invocation running when it starts (one a
    thread starts, to that thread's), and an exception that ends it is that invocation's: printed
    to its log while it runs (it does not fail it), sent as `late` with its request id once it has
    answered. Threads started outside any invocation (at import) are left to the usual hook. Set
    before user code loads, so a function's own threading.excepthook wins."""
    start = threading.Thread.start
    usual = threading.excepthook

    def owned_start(self):
        global _threaded
        _threaded = True
        self._fnemu_request = getattr(threading.current_thread(), "_fnemu_request", None) or _current.request
        start(self)

    def excepthook(args):
        owner = getattr(args.thread, "_fnemu_request", None)
        if owner is None or args.exc_type is SystemExit:
            usual(args)
            return
        with _send_lock:  # the main thread's answer is sent before this decision or after the report
            if owner == _current.request:
                usual(args)
                sys.stderr.flush()
                return
            message, _ = _format_error(args.exc_value, path)
            _send({"op": "late", "request_id": owner, "message": message,
                   "traceback": _user_traceback(args.exc_value, (__file__, threading.__file__)),
                   "kind": f"an exception in thread {args.thread.name}"})

    threading.Thread.start = owned_start
    threading.excepthook = excepthook


class _FreshSourceLoader(importlib.machinery.SourceFileLoader):
    """Never trust bytecode caches for the function's own files: a save within the same second
    that keeps the size (v1 → v2) passes the .pyc's mtime+size check and would run stale code."""

    def get_data(self, path):
        if path.endswith(".pyc"):
            raise OSError("bytecode caches are bypassed for function code")
        return super().get_data(path)

    def set_data(self, path, data, *, _mode=0o666):
        pass


def _fresh_imports_under(directory):
    """Modules imported from the function's folder go through _FreshSourceLoader too."""
    loaders = [
        (_FreshSourceLoader, importlib.machinery.SOURCE_SUFFIXES),
        (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
    ]
    prefix = os.path.join(os.path.abspath(directory), "")

    def hook(entry):
        if os.path.join(os.path.abspath(entry or "."), "").startswith(prefix):
            return importlib.machinery.FileFinder(entry, *loaders)
        raise ImportError("not the function's folder")

    sys.path_hooks.insert(0, hook)
    sys.path_importer_cache.clear()


def _load(path, handler_names, signature):
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    _fresh_imports_under(directory)
    module_name = os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    spec = importlib.util.spec_from_file_location(module_name, path,
                                                  loader=_FreshSourceLoader(module_name, path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    for name in handler_names:
        handler = getattr(module, name, None)
        if callable(handler):
            return handler
    wanted = " or ".join(f"{n}{signature}" for n in handler_names)
    raise LookupError(f"no handler: define {wanted} in {os.path.basename(path)}")


def _lambda():
    """handler(event, context): the event as the emulator built it, Lambda's context; the return
    value is the reply. The context's per-function fields are read before user code runs."""
    LambdaContext.configure(os.environ)

    def call(func, message):
        return func(message["event"], LambdaContext(message["context"]["aws_request_id"], message["deadline_ms"]))

    return call


def _raw_request(event):
    """The raw request the emulator sends the gcf and azure styles (events/web.py): its URL parts
    and body bytes."""
    url = urllib.parse.urlsplit(event["url"])
    body = base64.b64decode(event["body"]) if event["body"] else b""
    return url, body


def _raw_reply(status, headers, body):
    """The reply the emulator turns into the HTTP response: headers as pairs, body base64."""
    return {"status": status, "headers": headers, "body": base64.b64encode(body).decode("ascii")}


def _wsgi_environ(event):
    """A WSGI environ for the request, as a WSGI server builds it: PATH_INFO is the path below the
    function's URL, header values one character per byte."""
    url, body = _raw_request(event)
    host, _, port = url.netloc.partition(":")
    environ = {
        "REQUEST_METHOD": event["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": urllib.parse.unquote_to_bytes(url.path).decode("latin-1"),
        "QUERY_STRING": url.query,
        "SERVER_NAME": host,
        "SERVER_PORT": port or "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in event["headers"]:
        key = name.upper().replace("-", "_")
        if key == "CONTENT_LENGTH":
            continue
        if key != "CONTENT_TYPE":
            key = "HTTP_" + key
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


_ADAPTER_KEYS = ("HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING",
                 "REQUEST_METHOD", "wsgi.url_scheme", "HTTP_CONNECTION", "HTTP_UPGRADE")
"""Every environ value Werkzeug's Map.bind_to_environ reads."""


def _reused_url_adapters(app):
    """Binding the URL map to a request (host checks, decoding, a new MapAdapter) is over a tenth of a
    Flask call; the adapter is a function of the environ values bind_to_environ reads and of the
    map, and nothing changes it once made. So a request with the same values (a function called
    at the same URL) reuses the one made for the first. With TRUSTED_HOSTS or SERVER_NAME set,
    Flask's own binding runs every time."""
    bind = app.create_url_adapter
    adapters = {}

    def create_url_adapter(request):
        config = app.config
        if request is None or config.get("TRUSTED_HOSTS") is not None or config.get("SERVER_NAME") is not None:
            return bind(request)
        environ = request.environ
        key = tuple(map(environ.get, _ADAPTER_KEYS))
        adapter = adapters.get(key)
        if adapter is None or adapter.map is not app.url_map:
            if len(adapters) >= 256:
                adapters.clear()
            adapter = adapters[key] = bind(request)
        return adapter

    app.create_url_adapter = create_url_adapter


def _gcf():
    """handler(request) with a Flask request, called as the Functions Framework calls it: every
    path and method reaches it inside a Flask app, and its return value (str, bytes, dict, tuple,
    Response...) becomes the response as Flask makes it. Exceptions propagate: they are the
    invocation's error, not a Flask 500 page."""
    import flask
    import werkzeug.routing

    handler = None

    def view(path):
        return handler(flask.request._get_current_object())

    app = flask.Flask(os.environ.get("FUNCTION_TARGET") or "main", root_path=os.getcwd())
    app.config["PROPAGATE_EXCEPTIONS"] = True
    app.url_map.add(werkzeug.routing.Rule("/", defaults={"path": ""}, endpoint="run"))
    app.url_map.add(werkzeug.routing.Rule("/<path:path>", endpoint="run"))
    app.view_functions["run"] = view
    _reused_url_adapters(app)

    def call(func, message):
        nonlocal handler
        handler = func
        started = []

        def start_response(status, headers, exc_info=None):
            started[:] = [int(status.split(" ", 1)[0]), headers]

        chunks = app(_wsgi_environ(message["event"]), start_response)
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        return _raw_reply(started[0], started[1], body)

    return call


class _AzureContext:
    """The `context` Azure hands a function that asks for one."""

    def __init__(self, invocation_id, function_name, function_directory):
        self.invocation_id = invocation_id
        self.function_name = function_name
        self.function_directory = function_directory


def _azure():
    """main(req: func.HttpRequest[, context]) -> func.HttpResponse (or a str, as Azure's http
    output binding takes one), with the user's own azure-functions; `req.url` has Azure's shape."""
    import inspect

    import azure.functions as func

    wants_context = {}

    def call(func_, message):
        event = message["event"]
        url, body = _raw_request(event)
        headers = {}
        for name, value in event["headers"]:
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        req = func.HttpRequest(event["method"], event["url"], headers=headers,
                               params=dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True)),
                               route_params=event["route_params"], body=body)
        if func_ not in wants_context:
            wants_context[func_] = "context" in inspect.signature(func_).parameters
        if wants_context[func_]:
            context = _AzureContext(message["context"]["aws_request_id"], os.environ.get("WEBSITE_SITE_NAME"),
                                    os.getcwd())
            value = func_(req, context=context)
        else:
            value = func_(req)
        if isinstance(value, str):
            value = func.HttpResponse(value)
        if not isinstance(value, func.HttpResponse):
            raise TypeError(f"the function must return a func.HttpResponse (or a str), got {type(value).__name__}")
        pairs = [[k, v] for k, v in value.headers.items()]
        if not any(k.lower() == "content-type" for k, _ in pairs):
            mimetype = value.mimetype
            pairs.append(["Content-Type", f"{mimetype}; charset={value.charset}" if mimetype.startswith("text/")
                          else mimetype])
        return _raw_reply(int(value.status_code), pairs, value.get_body() or b"")

    return call


STYLES = {
    # style: (its handler's parameters, for "no handler" messages; set-up run before the memory
    #         limit and user code, returning call(handler, message) -> the reply; the modules that
    #         set-up imports, imported ahead by a spare)
    "lambda": ("(event, context)", _lambda, ()),
    "gcf": ("(request)", _gcf, ("flask", "werkzeug.routing")),
    "azure": ("(req)", _azure, ("inspect", "azure.functions")),
}


def _preload(modules):
    """A spare's head start: the style's own imports, before any function is known (the set-up
    reports one that fails, once it runs)."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            return


def main():
    libc = ctypes.CDLL(None)
    _die_with_parent(libc)
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # user code must not import the worker's own files
    style = sys.argv[1]
    signature, setup, imports = STYLES[style]
    _preload(imports)
    load = _receive_load()
    path, names = load["entry"], load["handlers"]
    try:
        call = setup()  # the platform's own framework, loaded (as the platform loads it) before the limit
    except ImportError as exc:
        _send({"op": "load_error", "message": f"the {style} style cannot start: {exc}", "line": None})
        return
    if _MEMORY_MB:
        _limit_memory(libc, _MEMORY_MB)

    sys.stdout = _ConsoleStream("log", 1)
    sys.stderr = _ConsoleStream("error", 2)
    root = logging.getLogger()
    handler = _LogHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for sdk in _QUIET_LOGGERS:  # before the function's code: its own logging configuration wins
        logging.getLogger(sdk).setLevel(logging.WARNING)

    _own_threads(path)
    try:
        func = _load(path, names, signature)
    except LookupError as exc:
        _send({"op": "load_error", "message": str(exc), "line": None})
        return
    except BaseException as exc:  # noqa: BLE001 - any failure to load is reported, not raised
        message, line = _format_error(exc, path)
        _send({"op": "load_error", "message": message, "line": line})
        return
    sys.stdout.flush()
    sys.stderr.flush()
    _send({"op": "ready"})

    reset_peak, peak_kb = _memory_probe()
    inv = _current
    while True:
        message = _next_message()
        inv.id = message["id"]
        inv.request = message["context"]["aws_request_id"]
        inv.sent = 0
        inv.truncated = False
        reset_peak()
        try:
            value = call(func, message)
            sys.stdout.flush()
            sys.stderr.flush()
            try:
                body = _dumps({"op": "result", "id": inv.id, "value": value,
                               "memory_kb": peak_kb(), "truncated": inv.truncated})
            except TypeError as exc:
                raise TypeError(f"Unable to marshal response: {exc}") from None
            _send_raw(body, answers=True)
        except BaseException as exc:  # noqa: BLE001 - the handler's failure is the invocation's result
            oom = isinstance(exc, MemoryError)
            if oom:
                _lift_memory_limit()
            if isinstance(exc, SystemExit):
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(exc.code if isinstance(exc.code, int) else 1)
            sys.stdout.flush()
            sys.stderr.flush()
            message_text, _ = _format_error(exc, path)
            _send_raw(_dumps({"op": "error", "id": inv.id, "message": message_text,
                              "traceback": _user_traceback(exc), "memory_kb": peak_kb(),
                              "oom": oom, "truncated": inv.truncated}), answers=True)
            if oom:
                os._exit(1)  # half-broken after a MemoryError: the parent starts a fresh worker


if __name__ == "__main__":
    main()
