"""Memory of the Python client: RSS growth from building a `noorle.Client` (idle), then after the
first `whoami()` call, and RSS after 1,000 and after 10,000 calls (flat means no growth). Run by
bench/memory/run.sh, against http and https base URLs."""
import os

import noorle


def rss_kib():
    """VmRSS and RssAnon (heap, stacks) of this process, in KiB."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon"):
                out[name] = int(value.split()[0])
    return out["VmRSS"], out["RssAnon"]


def main():
    base, root = os.environ["NOORLE_BASE_URL"], os.environ["NOORLE_DEV_ROOT_KEY"]
    before = rss_kib()
    client = noorle.Client(root, base_url=base, env=False)
    idle = rss_kib()
    client.whoami()
    first = rss_kib()
    calls = 1
    marks = []
    for n in (1_000, 10_000):
        while calls < n:
            client.whoami()
            calls += 1
        marks.append(rss_kib()[0])
    k1, k10 = marks
    scheme = base.split(":")[0]
    print(
        f"{'python':<6} {scheme:<5} idle client {idle[0] - before[0]:>+6} KiB (anon {idle[1] - before[1]:>+6}; goal <= 2048)"
        f"   first call {first[0] - before[0]:>+6} KiB (anon {first[1] - before[1]:>+6})"
        f"   RSS after 1,000 calls {k1} KiB, after 10,000 {k10} KiB: {k10 - k1:+} KiB"
    )


main()
