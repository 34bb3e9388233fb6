"""fnemu's CGI runner: a warm worker that runs one script per request per CGI/1.1 (RFC 3875).

Runs in the child process and imports nothing from the emulator; it speaks python_worker.py's frame
protocol with python_worker.py's own functions (emulator/runtime/protocol.py is the spec).
argv: how the script runs (`python`, `node`, `exec`), then the script's command line, the script
last; the load frame brings the environment, folder and limits. The invocation's event is
`{env, body}`: the request's meta-variables and its body (base64).

Per request the script gets this worker's environment (the platform's variables and the
function's envVars) plus the meta-variables, the body on stdin; its stdout is the CGI response
and its stderr lines are console lines (level error). It runs in this worker's process group, so
the emulator's timeout kill reaches it and all it started; it dies with this worker (PDEATHSIG);
and what it leaves running is killed once it exits (this worker is their subreaper).

The reply is `{status, headers, body}` (body base64), or `{error}` when the script exited
non-zero, was killed or wrote no valid CGI response. A local redirect (`Location: /path`, no
Status, RFC 3875 §6.2.2) below the function's own prefix runs the script again as a GET for that
path. Memory: the script's peak RSS (VmHWM of the script's process, sampled while it runs: the
wait4 rusage would count this worker's own pages, which a forked child starts with); a Python
script runs under RLIMIT_AS and a Node script under V8's heap flags, and either running out is
reported as `oom`; the response, held here whole, may not outgrow memoryLimitMb.
"""

import base64
import ctypes
import os
import re
import resource
import selectors
import shutil
import signal
import subprocess
import sys
from urllib.parse import unquote

import python_worker as pw

_SAMPLE_SECONDS = 0.005
"""How often the script's peak RSS is read while it runs."""
_MAX_LOCAL_REDIRECTS = 10
_READ_SIZE = 65536
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HEAP_OOM = b"JavaScript heap out of memory"
_PR_SET_CHILD_SUBREAPER = 36


class ScriptFailed(Exception):
    """The script gave no valid CGI response; the message says why (the caller gets a 502)."""


class OutOfMemory(Exception):
    """The script ran out of the memory its runtime was allowed."""

    def __init__(self, detail, peak_kb):
        super().__init__(detail)
        self.peak_kb = peak_kb


def _vm_kb(field, path="/proc/self/status"):
    with open(path, "rb") as f:
        status = f.read()
    start = status.find(field)
    return int(status[start + len(field) : status.find(b"kB", start)]) if start >= 0 else 0


class Script:
    """The script and how to start it; `run` is one CGI request."""

    def __init__(self, kind, command, memory_mb):
        self.kind = kind
        self.command = command
        self.path = command[-1]
        self.base_env = dict(os.environ)
        setpriv = shutil.which("setpriv")
        self._spawn_command = command
        if setpriv and os.path.basename(command[0]) != "setpriv":
            self._spawn_command = [setpriv, "--pdeathsig", "KILL", "--", *command]
        """The script dies with this worker: util-linux's setpriv sets its PDEATHSIG before exec
        (a preexec_fn would make each spawn a full fork, ~15 ms here instead of ~1 ms)."""
        # A Python script's interpreter maps about what this one does now; the limit is on top
        self._as_limit = (_vm_kb(b"VmSize:") + memory_mb * 1024) * 1024 if kind == "python" and memory_mb else 0
        self._memory_mb = memory_mb
        self._max_out = (memory_mb << 20) or None
        """A response is held here whole: it may not outgrow the function's memory."""

    def check(self):
        """What keeps the script from running at all: (message, line) or None."""
        if not os.path.isfile(self.path):
            return f"{self.path} is not a file", None
        if self.kind == "python":
            with open(self.path, "rb") as f:
                source = f.read()
            try:
                compile(source, self.path, "exec")
            except SyntaxError as exc:
                return f"SyntaxError: {exc.msg} ({os.path.basename(self.path)}, line {exc.lineno})", exc.lineno
            except ValueError as exc:
                return f"{os.path.basename(self.path)}: {exc}", None
        elif self.kind == "node":
            check = subprocess.run([*self.command[:-1], "--check", self.path], capture_output=True,
                                   env=self.base_env, stdin=subprocess.DEVNULL)
            if check.returncode:
                text = check.stderr.decode(errors="replace").strip()
                m = re.search(re.escape(self.path) + r":(\d+)", text)
                return text, int(m.group(1)) if m else None
        else:
            if not os.access(self.path, os.X_OK):
                return (f"{os.path.basename(self.path)} is not executable: a CGI script that is "
                        "neither .py nor .js/.mjs/.cjs runs by its shebang (chmod +x it)"), None
            with open(self.path, "rb") as f:
                first = f.readline(4096)
            name = os.path.basename(self.path)
            if not first.startswith(b"#!"):
                return f"{name} has no shebang line: its first line must name its interpreter (#!/bin/sh)", 1
            interpreter = (first[2:].split() or [b""])[0].decode(errors="replace")
            if not os.access(interpreter, os.X_OK):
                return f"{name}: its shebang names {interpreter!r}, which is not an installed program", 1
        return None

    def _spawn(self, env):
        """The script's process; a Python script's address-space limit is this worker's own soft
        limit for the moment of the spawn, which the child keeps across exec."""
        limit = resource.getrlimit(resource.RLIMIT_AS)
        lowered = self._as_limit and (limit[1] == resource.RLIM_INFINITY or self._as_limit < limit[1])
        if lowered:
            resource.setrlimit(resource.RLIMIT_AS, (self._as_limit, limit[1]))
        try:
            return subprocess.Popen(self._spawn_command, env=env, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        finally:
            if lowered:
                resource.setrlimit(resource.RLIMIT_AS, limit)

    def run(self, env, body):
        """Run the script once: (exit code, stdout, peak RSS in kB). The stderr lines go to the
        console as they come; OutOfMemory if the script's runtime ran out of its allowance,
        ScriptFailed if it could not start or its response outgrew the function's memory."""
        try:
            proc = self._spawn(env)
        except OSError as exc:
            raise ScriptFailed(f"could not start {self.command[0]}: {exc.strerror} (is the interpreter "
                               "its shebang names installed?)") from None
        pidfd = os.pidfd_open(proc.pid)
        try:
            status_fd = os.open(f"/proc/{proc.pid}/status", os.O_RDONLY)
        except OSError:
            status_fd = -1
        stderr = _StderrLines(self.kind)
        out = bytearray()
        sel = selectors.DefaultSelector()
        pending = memoryview(body)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            os.set_blocking(stream.fileno(), False)
        if pending:
            sel.register(proc.stdin.fileno(), selectors.EVENT_WRITE, "stdin")
        else:
            proc.stdin.close()
        sel.register(proc.stdout.fileno(), selectors.EVENT_READ, "stdout")
        sel.register(proc.stderr.fileno(), selectors.EVENT_READ, "stderr")
        sel.register(pidfd, selectors.EVENT_READ, "exit")
        peak_kb = _peak(status_fd)
        code = None
        too_large = False
        try:
            while len(sel.get_map()):
                ready = sel.select(_SAMPLE_SECONDS if code is None else None)
                if code is None:
                    peak_kb = max(peak_kb, _peak(status_fd))
                for key, _ in ready:
                    what = key.data
                    if what == "stdin":
                        try:
                            n = os.write(key.fd, pending[:_READ_SIZE])
                        except BlockingIOError:
                            continue
                        except OSError:  # the script does not read its body: that is its right
                            n = len(pending)
                        pending = pending[n:]
                        if not pending:
                            sel.unregister(key.fd)
                            proc.stdin.close()
                    elif what == "exit":
                        sel.unregister(pidfd)
                        _, status, _ = os.wait4(proc.pid, 0)
                        code = proc.returncode = os.waitstatus_to_exitcode(status)
                        _kill_leftovers()  # they may hold stdout open; the request is over
                        if not proc.stdin.closed:
                            sel.unregister(proc.stdin.fileno())
                            proc.stdin.close()
                    else:
                        data = os.read(key.fd, _READ_SIZE)
                        if not data:
                            sel.unregister(key.fd)
                        elif what == "stdout":
                            out += data
                            if self._max_out is not None and len(out) > self._max_out:
                                too_large = True
                                sel.unregister(key.fd)
                                os.kill(proc.pid, signal.SIGKILL)
                        else:
                            stderr.feed(data)
        finally:
            sel.close()
            os.close(pidfd)
            if status_fd >= 0:
                os.close(status_fd)
            proc.stdout.close()
            proc.stderr.close()
            if proc.returncode is None:  # only on an error of this worker's own
                proc.kill()
                proc.wait()
        stderr.flush()
        if too_large:
            raise ScriptFailed(f"the script's response passed {self._memory_mb} MB (its memoryLimitMb); "
                               "the script was killed")
        if code != 0 and stderr.out_of_memory():
            raise OutOfMemory(stderr.oom_detail, peak_kb)
        return code, bytes(out), peak_kb


class _StderrLines:
    """The script's stderr as console lines (level error), and the signs its runtime ran out of
    memory: Python's uncaught MemoryError, V8's heap abort."""

    def __init__(self, kind):
        self.kind = kind
        self.tail = b""
        self.last = ""
        self.heap_oom = False

    def feed(self, data):
        if self.kind == "node" and _HEAP_OOM in self.tail + data:
            self.heap_oom = True
        *lines, self.tail = (self.tail + data).split(b"\n")
        if len(self.tail) > pw._CONSOLE_CAP:
            lines.append(self.tail)
            self.tail = b""
        for line in lines:
            self._line(line)

    def flush(self):
        if self.tail:
            self._line(self.tail)
            self.tail = b""

    def _line(self, raw):
        text = raw.decode(errors="replace").rstrip("\r")
        if text.strip():
            self.last = text
        pw._emit("error", text)

    def out_of_memory(self):
        return self.heap_oom or (self.kind == "python" and self.last.startswith("MemoryError"))

    @property
    def oom_detail(self):
        return "JavaScript heap out of memory" if self.heap_oom else self.last


def _peak(status_fd):
    if status_fd < 0:
        return 0
    try:
        data = os.pread(status_fd, 8192, 0)
    except OSError:
        return 0
    start = data.find(b"VmHWM:")
    return int(data[start + 6 : data.find(b"kB", start)]) if start >= 0 else 0


def _children():
    """This worker's child processes (the script's orphans are reparented here)."""
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if fields and fields[1].decode() == me:
            found.append(int(entry))
    return found


def _has_children():
    """Whether any child is still running (the ones that ended are reaped on the way): a cheap
    look before the /proc scan, as most scripts leave nothing behind."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def _kill_leftovers():
    """Kill and reap what the script left running; their own orphans come here in turn."""
    for _ in range(100):
        children = _children() if _has_children() else []
        if not children:
            return
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def _describe_exit(code):
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the script was killed by {name}"
    return f"the script exited with code {code}"


def parse_response(out):
    """The script's stdout as (status, headers, body, local redirect or None); ScriptFailed if
    it is not a CGI response (RFC 3875 §6)."""
    if not out:
        raise ScriptFailed("the script wrote nothing to stdout: a CGI response is header lines "
                           "(Content-Type, Status, Location), a blank line, then the body")
    lines = []
    pos = 0
    while pos < len(out):
        end = out.find(b"\n", pos)
        if end < 0:
            end = len(out)
        line = out[pos:end].rstrip(b"\r")
        pos = end + 1
        if not line:
            break
        lines.append(line)
    body = out[pos:]
    status = location = None
    headers = []
    for number, raw in enumerate(lines, 1):
        text = raw.decode("latin-1")
        if text[:1] in (" ", "\t") and headers:  # an obsolete folded continuation line
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {text.strip()}")
            continue
        if number == 1 and text.startswith("HTTP/"):
            raise ScriptFailed(f"bad CGI response: {text[:100]!r} is a status line, which only "
                               "non-parsed-header (NPH) scripts write and fnemu does not run: "
                               "write `Status: 200 OK` instead")
        name, sep, value = text.partition(":")
        if not sep or not _TOKEN.match(name):
            raise ScriptFailed(f"bad CGI response: header line {number} is not `Name: value`: "
                               f"{text[:200]!r} (a CGI response starts with headers, then a blank line)")
        value = value.strip()
        lname = name.lower()
        if lname == "status":
            m = re.match(r"^([1-5]\d\d)(?:\s|$)", value)
            if not m:
                raise ScriptFailed(f"bad CGI response: Status must be a 3-digit code and a reason "
                                   f"(Status: 404 Not Found), not {value[:100]!r}")
            status = int(m.group(1))
        else:  # framing headers (Content-Length) are dropped by the emulator, which frames itself
            if lname == "location":
                location = value
            headers.append((name, value))
    if not lines:
        raise ScriptFailed("bad CGI response: no header before the blank line (at least "
                           "Content-Type, Status or Location is needed)")
    if location is not None and status is None:
        if location.startswith("/"):
            return None, [], b"", location
        status = 302
    return status or 200, headers, body, None


def _redirected(env, location):
    """The meta-variables of the GET a local redirect stands for; ScriptFailed outside the function."""
    path, _, query = location.partition("?")
    prefix = env.get("SCRIPT_NAME", "")
    if path != prefix and not path.startswith(prefix + "/"):
        raise ScriptFailed(f"local redirect to {location} is outside the function ({prefix}): a "
                           "local redirect must stay below the function's URL; send a client "
                           "redirect (an absolute URL, or Status: 302) instead")
    env = {k: v for k, v in env.items() if k not in ("CONTENT_LENGTH", "CONTENT_TYPE")}
    env.update(REQUEST_METHOD="GET", PATH_INFO=unquote(path[len(prefix) :]) or "/", QUERY_STRING=query,
               REQUEST_URI=location)
    return env


def serve(script, event):
    """One request, following local redirects: (reply value, peak kB)."""
    env = {**script.base_env, **event["env"]}
    body = base64.b64decode(event["body"])
    peak_kb = 0
    try:
        for _ in range(_MAX_LOCAL_REDIRECTS + 1):
            code, out, used_kb = script.run(env, body)
            peak_kb = max(peak_kb, used_kb)
            if code != 0:
                raise ScriptFailed(f"{_describe_exit(code)} (its stderr is in the console)")
            status, headers, response, location = parse_response(out)
            if location is None:
                return {"status": status, "headers": headers,
                        "body": base64.b64encode(response).decode("ascii")}, peak_kb
            env, body = _redirected(env, location), b""
        raise ScriptFailed(f"more than {_MAX_LOCAL_REDIRECTS} local redirects in a row")
    except ScriptFailed as exc:
        return {"error": str(exc)}, peak_kb


def main():
    libc = ctypes.CDLL(None)
    pw._die_with_parent(libc)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1)
    pw._receive_load()
    script = Script(sys.argv[1], sys.argv[2:], pw._MEMORY_MB)
    problem = script.check()
    if problem is not None:
        pw._send({"op": "load_error", "message": problem[0], "line": problem[1]})
        return
    pw._send({"op": "ready"})
    inv = pw._current
    while True:
        message = pw._next_message()
        inv.id = message["id"]
        inv.sent = 0
        inv.truncated = False
        try:
            value, peak_kb = serve(script, message["event"])
        except OutOfMemory as exc:
            pw._send({"op": "error", "id": inv.id, "message": str(exc), "traceback": "", "memory_kb": exc.peak_kb,
                      "oom": True, "truncated": inv.truncated})
            os._exit(1)
        pw._send({"op": "result", "id": inv.id, "value": value, "memory_kb": peak_kb,
                  "truncated": inv.truncated})


if __name__ == "__main__":
    main()
