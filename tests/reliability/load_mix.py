"""The load mix the load test and `make soak` share: requests at a fixed concurrency over ten
functions of both languages, while function files are saved and crons fire; and what it checks
afterwards (every invocation logged once, metrics equal to the log counts)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from emulator.config import DEFAULT_TOKEN
from tests.runtime.procs import descendants

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
PYTHON = ("import os\n"
          "VERSION = {version}\n"
          "def handler(event, context):\n"
          "    return {{'statusCode': 200, 'body': f'{{VERSION}} {{os.getpid()}}'}}\n")
NODE_WEB = ("const VERSION = {version};\n"
            "export default async function handler(req) {{\n"
            "  return new Response(`${{VERSION}} ${{process.pid}}`);\n"
            "}}\n")
NODE_LAMBDA = ("const VERSION = {version};\n"
               "export const handler = async () => ({{ statusCode: 200, body: `${{VERSION}} ${{process.pid}}` }});\n")
CRON = ("def handler(event, context):\n"
        "    return {'statusCode': 200, 'body': event['time']}\n")
CRON_CONFIG = '{"triggers": [{"type": "cron", "config": {"schedule": "* * * * *"}}]}\n'
FUNCTIONS = [(f"py{i}", ".py", PYTHON) for i in range(5)] + [
    (f"web{i}", ".mjs", NODE_WEB) for i in range(3)] + [(f"nl{i}", ".mjs", NODE_LAMBDA) for i in range(2)]
"""Ten functions: five Python lambda, three Node web, two Node lambda."""
SAVED = ("py0", "web0")
"""Saved (a new version) during the load."""


def write_folder(folder: Path, version: int = 1) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, suffix, code in FUNCTIONS:
        (folder / f"{name}{suffix}").write_text(code.format(version=version))
    (folder / "tick.py").write_text(CRON)
    (folder / "tick.json").write_text(CRON_CONFIG)


def save(folder: Path, version: int) -> None:
    """An editor's save of two functions (one per language): each becomes a new version."""
    for name, suffix, code in FUNCTIONS:
        if name in SAVED:
            (folder / f"{name}{suffix}").write_text(code.format(version=version))


@dataclass
class Figures:
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    saves: int = 0
    cron_fires: int = 0
    most_processes: int = 0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        return {"requests": self.requests, "seconds": round(self.seconds, 2),
                "req_per_s": round(self.requests / self.seconds), "p50_ms": round(statistics.median(lat), 2),
                "p99_ms": round(lat[int(len(lat) * 0.99) - 1], 2), "saves": self.saves,
                "cron_fires": self.cron_fires, "most_processes": self.most_processes}


async def run_mix(url: str, folder: Path, server_pid: int, *, requests: int, concurrency: int,
                  version: int = 1) -> Figures:
    """Send `requests` calls, `concurrency` at a time, spread over the ten functions; every
    `requests // 5` calls save two functions and advance the clock 5 minutes (5 cron fires)."""
    figures = Figures(requests=requests)
    sent = iter(range(requests))
    every = max(requests // 5, 1)

    async def caller(session: aiohttp.ClientSession) -> None:
        for i in sent:
            name = FUNCTIONS[i % len(FUNCTIONS)][0]
            started = time.perf_counter()
            async with session.get(f"{url}/v1/local/fn/{name}", headers=AUTH) as response:
                await response.read()
                figures.statuses[response.status] += 1
            figures.latencies_ms.append((time.perf_counter() - started) * 1000)
            if i % every == every - 1:
                figures.saves += 1
                save(folder, version + figures.saves)
                async with session.post(f"{url}/_emu/clock/advance", json={"seconds": 300}, headers=AUTH) as r:
                    figures.cron_fires += len((await r.json())["fired"])
            if i % 50 == 0:
                figures.most_processes = max(figures.most_processes, len(descendants(server_pid)))

    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        await asyncio.gather(*(caller(session) for _ in range(concurrency)))
    figures.seconds = time.perf_counter() - started
    return figures


async def logged(url: str) -> dict[str, tuple[list[str], int]]:
    """Per function: the ids of its log entries (up to 1000) and its metrics' invocation count."""
    out: dict[str, tuple[list[str], int]] = {}
    async with aiohttp.ClientSession(headers=AUTH) as session:
        for name in [n for n, _, _ in FUNCTIONS] + ["tick"]:
            async with session.get(f"{url}/v1/local/functions/{name}/logs?limit=1000") as r:
                ids = [entry["id"] for entry in (await r.json())["logs"]]
            async with session.get(f"{url}/v1/local/functions/{name}") as r:
                total = (await r.json())["metrics"]["total_invocations"]
            out[name] = (ids, total)
    return out
