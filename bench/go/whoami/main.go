// Throughput of client.Whoami against net/http doing the same GET with the header set, on the
// local server, 64 goroutines, in the same run. Rounds alternate (sdk, net/http, sdk, ...) so
// drift on the machine hits both; the medians of the rounds are compared.
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
	"sync"
	"sync/atomic"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

type record struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// run calls do from workers goroutines for d and returns requests per second and per-request
// latencies.
func run(workers int, d time.Duration, do func() error) (float64, []time.Duration) {
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
	return float64(n.Load()) / time.Since(start).Seconds(), lat
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
	ctx := context.Background()
	admin, err := noorle.NewClient(noorle.WithAPIKey(root), noorle.WithBaseURL(base), noorle.WithoutEnvironment())
	if err != nil {
		panic(err)
	}
	defer admin.Close()
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

	var sdkRPS, httpRPS []float64
	var sdkLat, httpLat []time.Duration
	for i := 0; i < *rounds; i++ {
		r, l := run(*workers, *dur, sdk)
		sdkRPS, sdkLat = append(sdkRPS, r), append(sdkLat, l...)
		r, l = run(*workers, *dur, plain)
		httpRPS, httpLat = append(httpRPS, r), append(httpLat, l...)
		fmt.Printf("round %d: sdk %.0f req/s, net/http %.0f req/s\n", i+1, sdkRPS[i], httpRPS[i])
	}
	ms, mh := median(sdkRPS), median(httpRPS)
	fmt.Printf("\nmachine: %s/%s, %d CPUs, %s; %d goroutines, %d rounds of %s each\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), *workers, *rounds, *dur)
	fmt.Println("| client | median req/s | p50 latency | p99 latency |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| noorle Go SDK `client.Whoami` | %.0f | %v | %v |\n", ms, pct(sdkLat, 0.5).Round(time.Microsecond), pct(sdkLat, 0.99).Round(time.Microsecond))
	fmt.Printf("| net/http GET + X-API-Key + JSON decode | %.0f | %v | %v |\n", mh, pct(httpLat, 0.5).Round(time.Microsecond), pct(httpLat, 0.99).Round(time.Microsecond))
	fmt.Printf("\nratio sdk / net/http (medians): %.2fx (goal >= 0.9x)\n", ms/mh)
}
