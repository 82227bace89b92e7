"""Benchmarks of the Python package against the local server (same run, same machine).

Prints a Markdown report: for every contender the median over several rounds of its throughput and
of the client's CPU time per call (user + system of this process, the SDK's runtime threads
included), with the rounds of the contenders alternating, and the ratios the issue sets goals for.
Needs NOORLE_BASE_URL and NOORLE_DEV_ROOT_KEY (scripts/with-devserver) and requirements.txt.
"""

from __future__ import annotations

import asyncio
import gc
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
import timeit
from typing import Any, Awaitable, Callable, Dict, List, Tuple

import aiohttp
import httpx
import requests
import urllib3

import noorle

BASE = os.environ["NOORLE_BASE_URL"]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
N = int(os.environ.get("BENCH_CALLS", "1500"))
IN_FLIGHT = 64


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# A sample is (calls per second, CPU seconds per call).
Sample = Tuple[float, float]


def sequential(fn: Callable[[], Any], n: int) -> Sample:
    c0, t0 = cpu(), time.perf_counter()
    for _ in range(n):
        fn()
    t, c = time.perf_counter() - t0, cpu() - c0
    return n / t, c / n


def threaded(fn: Callable[[], Any], threads: int, n: int) -> Sample:
    """`threads` threads sharing `n` calls."""
    each = n // threads

    def work() -> None:
        for _ in range(each):
            fn()

    ts = [threading.Thread(target=work) for _ in range(threads)]
    c0, t0 = cpu(), time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    t, c = time.perf_counter() - t0, cpu() - c0
    return each * threads / t, c / (each * threads)


async def concurrent(call: Callable[[], Awaitable[Any]], n: int, in_flight: int) -> Sample:
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    c0, t0 = cpu(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    t, c = time.perf_counter() - t0, cpu() - c0
    return n / t, c / n


def med(samples: List[Sample]) -> Sample:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def import_ms() -> Tuple[float, float]:
    """`import noorle` in fresh interpreters: `-X importtime` (cumulative, wall) and the CPU time
    the import takes, which the machine's load disturbs less; medians of 7."""
    wall, cpu_ms = [], []
    code = "import time\nt = time.process_time()\nimport noorle\nprint(time.process_time() - t)"
    for _ in range(7):
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
        m = re.search(r"\|\s*(\d+)\s*\|\s*noorle\s*$", out.stderr, re.M)
        assert m, out.stderr
        wall.append(int(m.group(1)) / 1000)
        cpu_ms.append(float(out.stdout) * 1000)
    return statistics.median(wall), statistics.median(cpu_ms)


# Run in a fresh interpreter: the resident memory an idle client adds, and the growth over
# 10,000 calls after a warm-up of 1,000 (pages, not the allocator's free lists, so it is coarse).
MEMORY_PROBE = r"""
import gc, os, sys
import noorle
page = os.sysconf("SC_PAGE_SIZE")
def rss():
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page
before = rss()
c = noorle.Client(sys.argv[1], base_url=sys.argv[2], env=False)
idle = rss() - before
for _ in range(1000):
    c.whoami()
warm = rss()
for _ in range(10000):
    c.whoami()
print(idle, rss() - warm)
"""


def memory(key: str) -> Tuple[int, int]:
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, key, BASE], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]), int(out[1])


def main() -> None:
    with open("/proc/loadavg") as f:
        loadavg = " ".join(f.read().split()[:3])
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
    u3 = urllib3.PoolManager(headers=headers)

    # Every contender makes the same GET and decodes the JSON answer; errors raise.
    def nc() -> None:
        client.whoami()

    def hc() -> None:
        r = hx.get(url)
        r.raise_for_status()
        r.json()

    def rc() -> None:
        r = rq.get(url)
        r.raise_for_status()
        r.json()

    def uc() -> None:
        r = u3.request("GET", url)
        if r.status != 200:
            raise RuntimeError(r.status)
        r.json()

    sync = {"noorle": nc, "httpx": hc, "requests": rc, "urllib3": uc}
    for f in sync.values():  # warm pools
        sequential(f, 20)
    runs: Dict[str, List[Sample]] = {k: [] for k in (*sync, "t1", "t4")}
    for _ in range(ROUNDS):  # alternating: each round runs every contender once
        for name, f in sync.items():
            runs[name].append(sequential(f, N))
        runs["t1"].append(threaded(nc, 1, N))
        runs["t4"].append(threaded(nc, 4, N))

    async def async_bench() -> None:
        ac = noorle.AsyncClient(bench_key, base_url=BASE, env=False)
        conn = aiohttp.TCPConnector(limit=IN_FLIGHT)
        async with aiohttp.ClientSession(headers=headers, connector=conn) as aio:

            async def a_n() -> None:
                await ac.whoami()

            async def a_a() -> None:
                async with aio.get(url) as r:
                    r.raise_for_status()
                    await r.json()

            contenders = {"async noorle": a_n, "aiohttp": a_a}
            for f in contenders.values():
                await concurrent(f, 2 * IN_FLIGHT, IN_FLIGHT)
            for name in contenders:
                runs[name] = []
            for _ in range(ROUNDS):
                for name, f in contenders.items():
                    runs[name].append(await concurrent(f, 2 * N, IN_FLIGHT))

    asyncio.run(async_bench())
    r = {k: med(v) for k, v in runs.items()}

    key_text = bench_key.expose_secret()
    # CPU time of this thread, which the other processes on the machine disturb far less than wall time.
    # The statement runs inline in timeit's loop (as `python -m timeit` does): a lambda around it
    # would add a Python frame per call to the figure.
    parse_ns = statistics.median(
        timeit.repeat(
            "parse(k)",
            globals={"parse": noorle.ApiKey.parse, "k": key_text},
            number=100_000,
            repeat=ROUNDS,
            timer=time.thread_time,
        )
    ) / 100_000 * 1e9
    imp = import_ms()
    idle_rss, growth = memory(key_text)

    root.service_accounts.delete(sa.service_account.id)
    gc.collect()
    wheel = os.environ.get("BENCH_WHEEL", "")
    wheel_mb = os.path.getsize(wheel) / 1e6 if wheel else float("nan")

    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}")
    print(f"Load average at start: {loadavg}")
    print(
        f"Method: {ROUNDS} rounds, contenders alternating within each round, medians; {N} sequential calls "
        f"per round (async: {2 * N} calls, {IN_FLIGHT} in flight); CPU = user + system time of this process "
        "(all its threads) over the calls, per call."
    )
    server = "release" if "release" in os.environ.get("NOORLE_DEV_SERVER_BIN", "") else "debug"
    print(f"release wheel; the local dev server ({server} build) on loopback, on the same machine.\n")

    print("| contender | calls/s | CPU per call |")
    print("|---|---|---|")
    for name, (rate, c) in r.items():
        label = {"t1": "noorle, 1 thread", "t4": "noorle, 4 threads"}.get(name, name)
        print(f"| {label} | {rate:,.0f} | {c * 1e6:.0f} µs |")
    print()
    print("| measure | result | goal | met |")
    print("|---|---|---|---|")

    def row(name: str, value: str, goal: str, met: bool) -> None:
        print(f"| {name} | {value} | {goal} | {'yes' if met else 'no'} |")

    def vs(a: str, b: str, goal_rate: float, goal_cpu: float) -> None:
        tr, cr = r[a][0] / r[b][0], r[a][1] / r[b][1]
        row(f"{a} vs {b}, throughput", f"{r[a][0]:,.0f} vs {r[b][0]:,.0f} calls/s = **{tr:.2f}×**", f"≥ {goal_rate}×", tr >= goal_rate)
        if goal_cpu:
            row(
                f"{a} vs {b}, CPU per call",
                f"{r[a][1] * 1e6:.0f} vs {r[b][1] * 1e6:.0f} µs = **{cr:.2f}×**",
                f"≤ {goal_cpu}×",
                cr <= goal_cpu,
            )

    vs("noorle", "httpx", 3, 0.5)
    vs("noorle", "urllib3", 2, 0)
    vs("async noorle", "aiohttp", 1.5, 0.7)
    t4 = r["t4"][0] / r["t1"][0]
    row("4 threads vs 1 (calls/s)", f"{r['t4'][0]:,.0f} vs {r['t1'][0]:,.0f} = **{t4:.2f}×**", "≥ 1.7×", t4 >= 1.7)
    row("ApiKey.parse per call (thread CPU time)", f"{parse_ns:.0f} ns", "≤ 300 ns", parse_ns <= 300)
    row("import noorle: CPU time (-X importtime, wall)", f"{imp[1]:.1f} ms ({imp[0]:.1f} ms)", "≤ 20 ms", imp[1] <= 20)
    row("RSS of an idle client", f"{idle_rss / 1e6:.2f} MB", "≤ 2 MB", idle_rss <= 2e6)
    row("RSS growth over 10,000 calls (after 1,000)", f"{growth / 1e6:.2f} MB", "flat (≤ 1 MB)", growth <= 1e6)
    row("wheel size", f"{wheel_mb:.2f} MB", "≤ 5 MB", wheel_mb <= 5)


if __name__ == "__main__":
    main()
