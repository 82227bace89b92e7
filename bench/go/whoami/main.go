// Throughput and client CPU per call of client.Whoami against net/http doing the same GET with the
// header set, on the local server, 64 goroutines, in the same run. Rounds alternate (sdk,
// net/http, sdk, ...) so drift on the machine hits both; the medians of the rounds are compared.
// CPU per call is this process's user+system time (every thread, the library's included) over
// the round, divided by its calls: the server's share of the two cores does not enter it.
// Also: the resident memory an idle client adds, and RSS across 10,000 calls.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

type record struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// cpuTime is the user+system time of this process so far, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssKiB is the resident set from /proc (it sees the Rust side's memory too).
func rssKiB() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	pages, _ := strconv.ParseInt(strings.Fields(string(b))[1], 10, 64)
	return pages * int64(os.Getpagesize()) / 1024
}

type round struct {
	rps    float64
	cpuPer time.Duration // client CPU per call
	lat    []time.Duration
}

// measure is run with the process's CPU time taken around it.
func measure(workers int, d time.Duration, do func() error) round {
	c0 := cpuTime()
	rps, calls, lat := run(workers, d, do)
	return round{rps: rps, cpuPer: (cpuTime() - c0) / time.Duration(max(calls, 1)), lat: lat}
}

// run calls do from workers goroutines for d and returns requests per second, the number of
// calls and per-request latencies.
func run(workers int, d time.Duration, do func() error) (float64, int64, []time.Duration) {
	var n atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) {
				t := time.Now()
				if err := do(); err != nil {
					fmt.Fprintln(os.Stderr, "request failed:", err)
					os.Exit(1)
				}
				mine = append(mine, time.Since(t))
				n.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds(), n.Load(), lat
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func pct(xs []time.Duration, p float64) time.Duration {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

func main() {
	workers := flag.Int("workers", 64, "goroutines")
	rounds := flag.Int("rounds", 5, "rounds of each")
	dur := flag.Duration("duration", 3*time.Second, "length of one round")
	flag.Parse()
	base, root := os.Getenv("NOORLE_BASE_URL"), os.Getenv("NOORLE_DEV_ROOT_KEY")
	if base == "" || root == "" {
		fmt.Fprintln(os.Stderr, "run under scripts/with-devserver (NOORLE_BASE_URL / NOORLE_DEV_ROOT_KEY unset)")
		os.Exit(2)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("load average at start: %s\n", strings.TrimSpace(string(load)))
	ctx := context.Background()
	rss0 := rssKiB()
	admin, err := noorle.NewClient(noorle.WithAPIKey(root), noorle.WithBaseURL(base), noorle.WithoutEnvironment())
	if err != nil {
		panic(err)
	}
	defer admin.Close()
	idleKiB := rssKiB() - rss0
	sa, err := admin.ServiceAccounts.Create(ctx, noorle.CreateServiceAccountParams{Name: fmt.Sprintf("bench-go-%d", time.Now().UnixNano())})
	if err != nil {
		panic(err)
	}
	defer admin.ServiceAccounts.Delete(ctx, sa.ServiceAccount.ID)
	// One key per side, each with the highest rate limit, so neither side is throttled.
	newKey := func(name string) noorle.APIKey {
		k, err := admin.ServiceAccounts.CreateKey(ctx, sa.ServiceAccount.ID, noorle.CreateAPIKeyParams{Name: name, RateLimitPerMinute: 1_000_000})
		if err != nil {
			panic(err)
		}
		return k.Key
	}
	sdkKey, httpKey := newKey("bench-sdk"), newKey("bench-nethttp")

	client, err := noorle.NewClient(noorle.WithKey(sdkKey), noorle.WithBaseURL(base), noorle.WithoutEnvironment())
	if err != nil {
		panic(err)
	}
	defer client.Close()
	sdk := func() error {
		r, err := client.Whoami(ctx)
		if err == nil && r.ID != sdkKey.AccessID() {
			err = fmt.Errorf("wrong key %s", r.ID)
		}
		return err
	}

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = *workers*2, *workers*2
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	secret := httpKey.ExposeSecret()
	plain := func() error {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/api-keys/self", nil)
		req.Header.Set("X-API-Key", secret)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		var out struct {
			APIKey record `json:"api_key"`
		}
		return json.NewDecoder(resp.Body).Decode(&out)
	}

	// Warm both paths (connections, runtime threads) before measuring.
	run(*workers, 500*time.Millisecond, sdk)
	run(*workers, 500*time.Millisecond, plain)

	// RSS across 10,000 calls, after the warm-up: flat means no per-call growth.
	rssBefore := rssKiB()
	for i := 0; i < 10_000; i++ {
		if err := sdk(); err != nil {
			panic(err)
		}
	}
	runtime.GC()
	rssAfter := rssKiB()

	var sdkR, httpR []round
	for i := 0; i < *rounds; i++ {
		sdkR = append(sdkR, measure(*workers, *dur, sdk))
		httpR = append(httpR, measure(*workers, *dur, plain))
		fmt.Printf("round %d: sdk %.0f req/s %.1f µs CPU/call, net/http %.0f req/s %.1f µs CPU/call\n", i+1,
			sdkR[i].rps, us(sdkR[i].cpuPer), httpR[i].rps, us(httpR[i].cpuPer))
	}
	summary := func(rs []round) (rps float64, cpu time.Duration, lat []time.Duration) {
		var rpss []float64
		var cpus []time.Duration
		for _, r := range rs {
			rpss, cpus, lat = append(rpss, r.rps), append(cpus, r.cpuPer), append(lat, r.lat...)
		}
		return median(rpss), median(cpus), lat
	}
	ms, cs, ls := summary(sdkR)
	mh, ch, lh := summary(httpR)
	fmt.Printf("\nmachine: %s/%s, %d CPUs, %s; %d goroutines, %d rounds of %s each\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), *workers, *rounds, *dur)
	fmt.Println("| client | median req/s | median CPU/call | p50 latency | p99 latency |")
	fmt.Println("|---|---|---|---|---|")
	fmt.Printf("| noorle Go SDK `client.Whoami` | %.0f | %.1f µs | %v | %v |\n", ms, us(cs), pct(ls, 0.5).Round(time.Microsecond), pct(ls, 0.99).Round(time.Microsecond))
	fmt.Printf("| net/http GET + X-API-Key + JSON decode | %.0f | %.1f µs | %v | %v |\n", mh, us(ch), pct(lh, 0.5).Round(time.Microsecond), pct(lh, 0.99).Round(time.Microsecond))
	fmt.Printf("\nthroughput sdk / net/http (medians): %.2fx (goal >= 0.9x)\n", ms/mh)
	fmt.Printf("CPU per call sdk / net/http (medians): %.2fx (goal <= 1.2x)\n", float64(cs)/float64(ch))
	fmt.Printf("idle client (NewClient, no call yet): +%d KiB RSS (goal <= 2048)\n", idleKiB)
	fmt.Printf("10,000 calls after warm-up: RSS %d -> %d KiB (%+d KiB)\n", rssBefore, rssAfter, rssAfter-rssBefore)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
