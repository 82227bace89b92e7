"""Memory of the Python client: RSS growth from building a `noorle.Client` (idle), then RSS after
1,000 and after 10,000 `whoami()` calls (flat means no growth). Run by bench/memory/run.sh."""
import os

import noorle


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def main():
    base, root = os.environ["NOORLE_BASE_URL"], os.environ["NOORLE_DEV_ROOT_KEY"]
    before = rss_kib()
    client = noorle.Client(root, base_url=base, env=False)
    idle = rss_kib()
    calls = 0
    marks = []
    for n in (1_000, 10_000):
        while calls < n:
            client.whoami()
            calls += 1
        marks.append(rss_kib())
    k1, k10 = marks
    print(
        f"{'python':<7} idle client {idle - before:>6} KiB (goal <= 2048)   RSS after 1,000 calls {k1} KiB, "
        f"after 10,000 {k10} KiB: {k10 - k1:+} KiB"
    )


main()
