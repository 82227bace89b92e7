"""Benchmarks of the Python package against the local server (same run, same machine).

Prints a Markdown report: medians of several rounds, and the ratios the issue sets goals for.
Needs NOORLE_BASE_URL and NOORLE_DEV_ROOT_KEY (scripts/with-devserver) and httpx + requests.
"""

from __future__ import annotations

import asyncio
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
import timeit
from typing import Any, Callable, Dict, List

import httpx
import requests

import noorle

BASE = os.environ["NOORLE_BASE_URL"]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
N = int(os.environ.get("BENCH_CALLS", "400"))


def per_call(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def median_rounds(fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(ROUNDS))


def threaded(fn: Callable[[], Any], threads: int, n: int) -> float:
    """Calls per second with `threads` threads sharing `n` calls."""
    each = n // threads

    def work() -> None:
        for _ in range(each):
            fn()

    ts = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return each * threads / (time.perf_counter() - start)


async def async_rate(call: Callable[[], Any], n: int, in_flight: int) -> float:
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return n / (time.perf_counter() - start)


def import_ms() -> float:
    samples = []
    for _ in range(7):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import noorle"], capture_output=True, text=True, check=True
        ).stderr
        m = re.search(r"\|\s*(\d+)\s*\|\s*noorle\s*$", out, re.M)
        assert m, out
        samples.append(int(m.group(1)) / 1000)
    return statistics.median(samples)


def main() -> None:
    root = noorle.Client(os.environ["NOORLE_DEV_ROOT_KEY"], base_url=BASE, env=False)
    sa = root.service_accounts.create("py-bench", role="admin")
    # A generous rate limit so that the benchmark measures the client, not the limiter.
    bench_key = root.service_accounts.create_key(sa.service_account.id, "bench", rate_limit_per_minute=1_000_000).key
    headers = noorle.auth_headers(bench_key)
    url = BASE + "/v1/api-keys/self"

    client = noorle.Client(bench_key, base_url=BASE, env=False)
    hx = httpx.Client(headers=headers)
    rq = requests.Session()
    rq.headers.update(headers)

    def nc() -> None:
        client.whoami()

    def hc() -> None:
        hx.get(url).raise_for_status()

    def rc() -> None:
        rq.get(url).raise_for_status()

    for f in (nc, hc, rc):  # warm pools
        per_call(f, 20)
    r: Dict[str, float] = {}
    r["noorle"] = median_rounds(lambda: per_call(nc, N))
    r["httpx"] = median_rounds(lambda: per_call(hc, N))
    r["requests"] = median_rounds(lambda: per_call(rc, N))
    r["t1"] = median_rounds(lambda: threaded(nc, 1, N))
    r["t4"] = median_rounds(lambda: threaded(nc, 4, N))

    async def async_bench() -> Dict[str, float]:
        ac = noorle.AsyncClient(bench_key, base_url=BASE, env=False)
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(headers=headers, limits=limits) as ahx:

            async def a_n() -> None:
                await ac.whoami()

            async def a_h() -> None:
                (await ahx.get(url)).raise_for_status()

            await async_rate(a_n, 128, 64)
            await async_rate(a_h, 128, 64)
            out: Dict[str, List[float]] = {"an": [], "ah": []}
            for _ in range(ROUNDS):
                out["an"].append(await async_rate(a_n, N * 2, 64))
                out["ah"].append(await async_rate(a_h, N * 2, 64))
        return {k: statistics.median(v) for k, v in out.items()}

    r.update(asyncio.run(async_bench()))

    key_text = bench_key.expose_secret()
    r["parse_ns"] = statistics.median(
        timeit.repeat(lambda: noorle.ApiKey.parse(key_text), number=100_000, repeat=ROUNDS)
    ) / 100_000 * 1e9
    r["import_ms"] = import_ms()

    root.service_accounts.delete(sa.service_account.id)
    wheel = os.environ.get("BENCH_WHEEL", "")
    wheel_mb = os.path.getsize(wheel) / 1e6 if wheel else float("nan")

    us = lambda s: f"{s * 1e6:.0f} µs"  # noqa: E731
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}")
    print(f"Method: {ROUNDS} rounds, median; {N} sequential calls per round (async: {2 * N} calls, 64 in flight);")
    server = "release" if "release" in os.environ.get("NOORLE_DEV_SERVER_BIN", "") else "debug"
    print(f"release wheel; the local dev server ({server} build) on loopback, on the same machine.\n")
    print("| measure | result | goal | met |")
    print("|---|---|---|---|")

    def row(name: str, value: str, goal: str, met: bool) -> None:
        print(f"| {name} | {value} | {goal} | {'yes' if met else 'no'} |")

    row("Client.whoami() per call", us(r["noorle"]), "", True)
    row("httpx.Client GET per call", us(r["httpx"]), "", True)
    row("requests.Session GET per call", us(r["requests"]), "", True)
    row("speed-up vs httpx (1 thread)", f"{r['httpx'] / r['noorle']:.2f}×", "≥ 3×", r["httpx"] / r["noorle"] >= 3)
    row("speed-up vs requests (1 thread)", f"{r['requests'] / r['noorle']:.2f}×", "≥ 4×", r["requests"] / r["noorle"] >= 4)
    row("4 threads vs 1 (calls/s)", f"{r['t4']:.0f} vs {r['t1']:.0f} = {r['t4'] / r['t1']:.2f}×", "≥ 1.7×", r["t4"] / r["t1"] >= 1.7)
    row("AsyncClient vs httpx.AsyncClient, 64 in flight (calls/s)", f"{r['an']:.0f} vs {r['ah']:.0f} = {r['an'] / r['ah']:.2f}×", "≥ 2×", r["an"] / r["ah"] >= 2)
    row("ApiKey.parse per call", f"{r['parse_ns']:.0f} ns", "≤ 300 ns", r["parse_ns"] <= 300)
    row("import noorle (-X importtime, cumulative)", f"{r['import_ms']:.1f} ms", "≤ 20 ms", r["import_ms"] <= 20)
    row("wheel size", f"{wheel_mb:.2f} MB", "≤ 5 MB", wheel_mb <= 5)


if __name__ == "__main__":
    main()
