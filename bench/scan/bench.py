#!/usr/bin/env python3
"""The leaked-key scanner benchmark: one generated corpus, three scanners, the same run.

    bench.py --noorle PATH --gitleaks PATH --detect-secrets PATH [--mb 200] [--rounds 3]
             [--detect-secrets-rounds 1]

Generates (once per seed and size) a corpus of mixed text under .corpus/ (code-like lines, logs,
base64, JSON) with planted keys and near-misses, recorded in .corpus/truth.json; runs each scanner
`rounds` times in alternation; prints throughput (corpus MB / wall-clock seconds, median of the
rounds), recall and precision against the planted keys, and the near-misses reported.

A finding counts by its access id (every planted key and near-miss has its own random one): a
reported id that is not a planted key's is a false positive.
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import string
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, ".corpus")
OUT = os.path.join(HERE, ".out")
HEX = "0123456789abcdef"
ALNUM = string.ascii_letters + string.digits
FILE_MB = 10


def hexid(rng, n=32):
    return "".join(rng.choices(HEX, k=n))


def secret(rng, n=None):
    return "".join(rng.choices(ALNUM, k=n or rng.randint(16, 128)))


def key(rng):
    return f"ak-{hexid(rng)}{secret(rng)}"


# Where keys are planted: each context puts a non-alphanumeric character on both sides.
CONTEXTS = [
    "NOORLE_API_KEY={}",
    '    "api_key": "{}",',
    "client = noorle.Client(api_key='{}')",
    "2026-11-30T12:00:01Z INFO request sent x-api-key={} status=200",
    "export NOORLE_API_KEY=\"{}\"",
    "{}",
    "  - key: {} # rotate monthly",
    "curl -H 'X-API-Key: {}' https://api.noorle.com/v1/api-keys/self",
]


def near_miss(rng, kind):
    """A string that looks like a key and is not one, and the access-id-like part it carries."""
    i = hexid(rng)
    s = secret(rng, rng.randint(16, 100))
    nonhex = rng.choice("ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ")
    if kind == "uppercase_hex":
        j = list(i)
        p = rng.randrange(32)
        j[p] = rng.choice("ABCDEF")
        i = "".join(j)
        return f"ak-{i}{s}", i
    if kind == "hex31":
        return f"ak-{i[:31]}{nonhex}{s}", i[:31] + nonhex
    if kind == "hex33":
        return f"ak-{i}{rng.choice(HEX)}", i
    if kind == "secret15":
        return f"ak-{i}{secret(rng, 15)}", i
    if kind == "secret129":
        return f"ak-{i}{secret(rng, 129)}", i
    if kind == "preceded":
        return f"{rng.choice(ALNUM)}ak-{i}{s}", i
    if kind == "in_token":
        return f"task-{i}{s}", i
    if kind == "nonhex_id":
        return f"ak-{i[:20]}{nonhex}{i[21:]}{s}", i[:20] + nonhex + i[21:]
    if kind == "prefix_case":
        return f"AK-{i}{s}", i
    if kind == "underscore":
        return f"ak_{i}{s}", i
    raise ValueError(kind)


NEAR_MISS_KINDS = ["uppercase_hex", "hex31", "hex33", "secret15", "secret129", "preceded",
                   "in_token", "nonhex_id", "prefix_case", "underscore"]

WORDS = ("let const return fn def self value result error config request response client "
         "token user account service break-even peak-hour ak-47 task-list oak-tree api key "
         "map filter reduce async await import from struct impl match None True False").split()


def filler_pools(rng):
    code = []
    for _ in range(4000):
        w = rng.choices(WORDS, k=rng.randint(3, 12))
        code.append("    " * rng.randint(0, 3) + " ".join(w) + rng.choice([";", ":", " {", ")", ""]))
    logs = [
        f"2026-11-{rng.randint(1, 30):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
        f"{rng.randint(0, 59):02d}Z {rng.choice(['INFO', 'WARN', 'DEBUG', 'ERROR'])} "
        f"req_id={hexid(rng, 16)} path=/v1/{rng.choice(WORDS)} took={rng.randint(1, 900)}ms "
        f"access_id={hexid(rng)}"
        for _ in range(4000)
    ]
    b64 = ["".join(rng.choices(string.ascii_letters + string.digits + "+/", k=76))
           for _ in range(4000)]
    js = [json.dumps({"id": hexid(rng), "name": " ".join(rng.choices(WORDS, k=3)),
                      "created_at": "2026-11-30T12:00:00Z", "n": rng.randint(0, 10**6)})
          for _ in range(4000)]
    return code + logs + b64 + js


def generate(mb, seed, n_keys, n_misses):
    truth_path = os.path.join(CORPUS, "truth.json")
    if os.path.exists(truth_path):
        with open(truth_path) as f:
            t = json.load(f)
        if t.get("version") == 2 and t["mb"] == mb and t["seed"] == seed and t["n_keys"] == n_keys and t["n_misses"] == n_misses:
            return t
    shutil.rmtree(CORPUS, ignore_errors=True)
    os.makedirs(CORPUS)
    rng = random.Random(seed)
    pool = filler_pools(rng)
    files = max(1, mb // FILE_MB)
    keys = [key(rng) for _ in range(n_keys)]
    misses = [near_miss(rng, NEAR_MISS_KINDS[i % len(NEAR_MISS_KINDS)]) for i in range(n_misses)]
    planted = [(k, "key") for k in keys] + [(m, "miss") for m, _ in misses]
    rng.shuffle(planted)
    per_file = [planted[i::files] for i in range(files)]
    avg = sum(map(len, pool)) / len(pool) + 1
    lines_per_file = int(FILE_MB * 1024 * 1024 / avg)
    ext = [".py", ".log", ".json", ".txt", ".env", ".yaml", ".rs", ".md"]
    for i in range(files):
        lines = rng.choices(pool, k=lines_per_file)
        # Distinct lines: a planted string never overwrites another.
        for (text, _), at in zip(per_file[i], rng.sample(range(len(lines)), len(per_file[i]))):
            lines[at] = rng.choice(CONTEXTS).format(text)
        with open(os.path.join(CORPUS, f"part{i:03d}{ext[i % len(ext)]}"), "w") as f:
            f.write("\n".join(lines))
            f.write("\n")
    size = sum(os.path.getsize(os.path.join(CORPUS, n)) for n in os.listdir(CORPUS))
    t = {"version": 2, "mb": mb, "seed": seed, "n_keys": n_keys, "n_misses": n_misses, "bytes": size,
         "keys": keys, "misses": [{"text": m, "id": i} for m, i in misses]}
    with open(truth_path, "w") as f:
        json.dump(t, f)
    # The truth file is not part of what is scanned.
    return t


def corpus_bytes(t):
    return t["bytes"]


def timed(cmd, env=None):
    start = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    return time.perf_counter() - start, p


def scan_dir():
    """The corpus without the truth file: a folder of hard links."""
    d = os.path.join(OUT, "corpus")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    for n in sorted(os.listdir(CORPUS)):
        if n != "truth.json":
            os.link(os.path.join(CORPUS, n), os.path.join(d, n))
    return d


def run_noorle(exe, d):
    secs, p = timed([exe, "scan", "--format", "json", d])
    if p.returncode not in (0, 1):
        sys.exit(f"noorle scan failed ({p.returncode}): {p.stderr.decode()[-2000:]}")
    found = json.loads(p.stdout)["findings"]
    return secs, [f["access_id"] for f in found]


def run_gitleaks(exe, d):
    report = os.path.join(OUT, "gitleaks.json")
    secs, p = timed([exe, "dir", d, "--config", os.path.join(HERE, "gitleaks.toml"),
                     "--report-format", "json", "--report-path", report, "--no-banner",
                     "--exit-code", "0", "--log-level", "error"])
    if p.returncode != 0:
        sys.exit(f"gitleaks failed ({p.returncode}): {p.stderr.decode()[-2000:]}")
    with open(report) as f:
        found = json.load(f)
    return secs, [f["Secret"][3:35] for f in found]


def run_detect_secrets(exe, d, hashes):
    plugins = subprocess.run([exe, "scan", "--list-all-plugins"], capture_output=True,
                             text=True, check=True).stdout.split()
    cmd = [exe, "scan", "--all-files", "--plugin", os.path.join(HERE, "noorle_detector.py")]
    for name in plugins:
        if name != "NoorleApiKeyDetector":
            cmd += ["--disable-plugin", name]
    # detect-secrets scans the current folder; it reports a hash of each secret, not the secret.
    cwd = os.getcwd()
    os.chdir(d)
    try:
        secs, p = timed(cmd + ["."])
    finally:
        os.chdir(cwd)
    if p.returncode != 0:
        sys.exit(f"detect-secrets failed ({p.returncode}): {p.stderr.decode()[-2000:]}")
    results = json.loads(p.stdout)["results"]
    ids = []
    for items in results.values():
        for r in items:
            ids.append(hashes.get(r["hashed_secret"], "unknown:" + r["hashed_secret"]))
    return secs, ids


def score(t, ids):
    planted = {k[3:35] for k in t["keys"]}
    miss_ids = {m["id"] for m in t["misses"]}
    found = set(ids)
    tp = len(found & planted)
    fp = len(found - planted)
    return {
        "findings": len(ids),
        "recall": tp / len(planted),
        "precision": tp / len(found) if found else 1.0,
        "missed": len(planted - found),
        "false_positives": fp,
        "near_misses_reported": len(found & miss_ids),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--noorle", required=True)
    ap.add_argument("--gitleaks", required=True)
    ap.add_argument("--detect-secrets", required=True)
    ap.add_argument("--mb", type=int, default=int(os.environ.get("SCAN_CORPUS_MB", 200)))
    ap.add_argument("--rounds", type=int, default=3)
    # detect-secrets reads well under 1 MB/s: three rounds of 200 MB would take most of an hour.
    ap.add_argument("--detect-secrets-rounds", type=int, default=1)
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--misses", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=16)
    a = ap.parse_args()

    os.makedirs(OUT, exist_ok=True)
    t0 = time.perf_counter()
    t = generate(a.mb, a.seed, a.keys, a.misses)
    print(f"corpus: {t['bytes'] / 1e6:.1f} MB in {len(os.listdir(CORPUS)) - 1} files, "
          f"{len(t['keys'])} keys, {len(t['misses'])} near-misses "
          f"(ready in {time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    d = scan_dir()
    # detect-secrets reports SHA-1 hashes of what it matched: map them back to access ids.
    hashes = {hashlib.sha1(k.encode()).hexdigest(): k[3:35] for k in t["keys"]}
    for m in t["misses"]:
        hashes[hashlib.sha1(m["text"].encode()).hexdigest()] = m["id"]
        # A match of the key-shaped part inside a longer token counts against the same id.
        inner = m["text"].find("ak-")
        if inner > 0:
            hashes[hashlib.sha1(m["text"][inner:].encode()).hexdigest()] = m["id"]

    tools = {
        "noorle scan": lambda: run_noorle(a.noorle, d),
        "gitleaks": lambda: run_gitleaks(a.gitleaks, d),
        "detect-secrets": lambda: run_detect_secrets(a.detect_secrets, d, hashes),
    }
    times = {name: [] for name in tools}
    scores = {}
    for r in range(a.rounds):
        for name, fn in tools.items():
            if name == "detect-secrets" and r >= a.detect_secrets_rounds:
                continue
            secs, ids = fn()
            times[name].append(secs)
            scores[name] = score(t, ids)
            print(f"round {r + 1} {name}: {secs:.2f} s, {scores[name]}", file=sys.stderr)

    mb = t["bytes"] / 1e6
    print(f"\nCorpus: {mb:.1f} MB, {len(os.listdir(d))} files, {len(t['keys'])} planted keys, "
          f"{len(t['misses'])} near-misses ({len(NEAR_MISS_KINDS)} kinds); median of {a.rounds} "
          f"rounds (detect-secrets: {min(a.rounds, a.detect_secrets_rounds)}).\n")
    print("| scanner | median time | throughput | recall | precision | near-misses reported |")
    print("|---|---|---|---|---|---|")
    for name in tools:
        med = statistics.median(times[name])
        s = scores[name]
        print(f"| {name} | {med:.2f} s | {mb / med:.1f} MB/s | {s['recall'] * 100:.1f}% "
              f"({len(t['keys']) - s['missed']}/{len(t['keys'])}) | {s['precision'] * 100:.1f}% "
              f"| {s['near_misses_reported']}/{len(t['misses'])} |")
    print("\nRounds (s): " + "; ".join(
        f"{n}: {', '.join(f'{x:.2f}' for x in v)}" for n, v in times.items()))


if __name__ == "__main__":
    main()
