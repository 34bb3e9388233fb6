"""fnemu's Python worker under debugpy: python_worker.py, with a debugger listening on loopback.

Started instead of python_worker.py, with the same argv and frames, for a function being debugged
(the emulator's side is emulator/runtime/debugger.py). FNEMU_DEBUG_PORT names the port on 127.0.0.1;
with FNEMU_DEBUG_WAIT=1 the first invocation waits until a debugger has attached and configured
its breakpoints. The debug adapter runs inside the worker (no process of its own that could
outlive it), and starts before the worker limits its memory. Imports nothing from the emulator.
"""

import importlib.util
import os
import sys


def _load_worker():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python_worker.py")
    spec = importlib.util.spec_from_file_location("python_worker", path)
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)  # takes the frame pipes from the environment
    return worker


def _first_call_waits(call, wait_for_client):
    waiting = [True]

    def first(func, message):
        if waiting:
            waiting.clear()
            wait_for_client()
        return call(func, message)

    return first


def main():
    port = int(os.environ.pop("FNEMU_DEBUG_PORT"))
    wait = os.environ.pop("FNEMU_DEBUG_WAIT", "") == "1"
    worker = _load_worker()
    try:
        import debugpy

        debugpy.listen(("127.0.0.1", port), in_process_debug_adapter=True)  # dies with the worker
    except Exception as exc:  # noqa: BLE001 - reported as the load error, not a traceback
        reason = "debugpy is not installed (pip install 'fnemu[debug]')" if isinstance(exc, ImportError) else exc
        worker._send({"op": "load_error", "message": f"the debugger cannot start: {reason}", "line": None})
        return
    if wait:
        style = sys.argv[1]
        signature, setup, imports = worker.STYLES[style]
        worker.STYLES[style] = (signature, lambda: _first_call_waits(setup(), debugpy.wait_for_client), imports)
    worker.main()


if __name__ == "__main__":
    main()
