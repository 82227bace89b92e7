// Memory of the Go client: RSS growth from building a noorle.Client (idle), then after the first
// Whoami call, and RSS after 1,000 and after 10,000 calls (flat means no growth). Run by
// bench/memory/run.sh, against http and https base URLs.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

// rss is this process's VmRSS and RssAnon (heap, stacks) in KiB, after a GC.
type rss struct{ total, anon int64 }

func readRSS() rss {
	runtime.GC()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		panic(err)
	}
	field := func(name string) int64 {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, name+":"); ok {
				n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				if err != nil {
					panic(err)
				}
				return n
			}
		}
		panic("no " + name + " in /proc/self/status")
	}
	return rss{field("VmRSS"), field("RssAnon")}
}

func main() {
	ctx := context.Background()
	base := os.Getenv("NOORLE_BASE_URL")
	// As the Rust program does, the key is parsed before the baseline: the library's first call
	// pages in code every use shares (std, the allocator), ~0.25 MB that is not the client's.
	key, err := noorle.ParseAPIKey(os.Getenv("NOORLE_DEV_ROOT_KEY"))
	if err != nil {
		panic(err)
	}
	before := readRSS()
	client, err := noorle.NewClient(noorle.WithAPIKey(key.ExposeSecret()),
		noorle.WithBaseURL(base), noorle.WithoutEnvironment())
	if err != nil {
		panic(err)
	}
	defer client.Close()
	idle := readRSS()
	if _, err := client.Whoami(ctx); err != nil {
		panic(err)
	}
	first := readRSS()
	calls := 1
	var marks []int64
	for _, n := range []int{1_000, 10_000} {
		for ; calls < n; calls++ {
			if _, err := client.Whoami(ctx); err != nil {
				panic(err)
			}
		}
		marks = append(marks, readRSS().total)
	}
	scheme, _, _ := strings.Cut(base, ":")
	fmt.Printf("%-6s %-5s idle client %+6d KiB (anon %+6d; goal <= 2048)   first call %+6d KiB (anon %+6d)   RSS after 1,000 calls %d KiB, after 10,000 %d KiB: %+d KiB\n",
		"go", scheme, idle.total-before.total, idle.anon-before.anon, first.total-before.total, first.anon-before.anon,
		marks[0], marks[1], marks[1]-marks[0])
}
