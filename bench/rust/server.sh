#!/usr/bin/env bash
# The local server's authenticated GET /v1/api-keys/self against an axum hello-world, both
# release builds, loaded by wrk in the same run, alternating, 5 rounds each; medians and ratio,
# and each server's CPU time per request (utime + stime from /proc/PID/stat over the round).
# Goal: >= 0.6x the hello-world's throughput.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v wrk >/dev/null; then
    (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
cargo build --quiet --release -p noorle-dev-server -p noorle-bench --bin noorle-dev-server --bin hello
T="${CARGO_TARGET_DIR:-target}/release"
tmp=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
hex="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
secret="$(head -c 1024 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')"
key="ak-${hex}${secret:0:32}"

# start NAME BIN ARGS...: runs the server in this shell (so the EXIT trap can stop it) and sets
# URL_<NAME> from its first line.
start() {
    local name=$1; shift
    "$@" >"$tmp/out.$name" 2>/dev/null &
    pids+=($!)
    for _ in $(seq 100); do
        line=$(head -n1 "$tmp/out.$name" 2>/dev/null || true)
        if [ -n "$line" ]; then
            printf -v "URL_$name" '%s' "${line#listening on }"
            return
        fi
        sleep 0.1
    done
    echo "$name did not start" >&2; exit 1
}
# The default limit (100,000 a minute) would answer most rounds with 429: lift it, so every round
# measures authenticated 200s (round() fails on any other answer).
NOORLE_DEV_ROOT_KEY="$key" start dev "$T/noorle-dev-server" --bind 127.0.0.1:0 --default-rate-limit 4000000000
start hello "$T/hello"
dev=$URL_dev hello=$URL_hello

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
# ticks PID: the process's user + system CPU time in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# round PID ARGS...: one wrk round; prints "req/s us-of-server-CPU-per-request".
round() {
    local pid=$1; shift
    local t0 out
    t0=$(ticks "$pid")
    out=$(wrk -t1 -c64 -d4s "$@")
    if grep -q "Non-2xx" <<<"$out"; then
        echo "answers other than 2xx: $out" >&2; exit 1
    fi
    awk -v t0="$t0" -v t1="$(ticks "$pid")" -v hz="$hz" '
        /requests in/ {n = $1}
        /Requests\/sec/ {r = $2}
        END {printf "%s %.1f\n", r, (t1 - t0) / hz * 1e6 / n}' <<<"$out"
}
pid_dev=${pids[0]} pid_hello=${pids[1]}
d=(); h=(); dc=(); hc=()
for _ in 1 2 3 4 5; do
    read -r r c < <(round "$pid_dev" -H "X-API-Key: $key" "$dev/v1/api-keys/self"); d+=("$r"); dc+=("$c")
    read -r r c < <(round "$pid_hello" "$hello/"); h+=("$r"); hc+=("$c")
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
md=$(med "${d[@]}"); mh=$(med "${h[@]}"); mdc=$(med "${dc[@]}"); mhc=$(med "${hc[@]}")
echo "dev server GET /v1/api-keys/self (authenticated): median ${md} req/s, ${mdc} us server CPU/req   rounds: ${d[*]}   CPU: ${dc[*]}"
echo "axum hello-world GET /:                           median ${mh} req/s, ${mhc} us server CPU/req   rounds: ${h[*]}   CPU: ${hc[*]}"
awk -v a="$md" -v b="$mh" -v c="$mdc" -v e="$mhc" \
    'BEGIN {printf "ratio dev-server/hello: throughput %.2f (goal >= 0.6), server CPU per request %.2f\n", a/b, c/e}'
