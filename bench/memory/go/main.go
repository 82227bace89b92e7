// Memory of the Go client: RSS growth from building a noorle.Client (idle), then RSS after 1,000
// and after 10,000 Whoami calls (flat means no growth). Run by bench/memory/run.sh.
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

// rssKiB is this process's resident set size (VmRSS of /proc/self/status), after a GC.
func rssKiB() int64 {
	runtime.GC()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		panic(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				panic(err)
			}
			return n
		}
	}
	panic("no VmRSS in /proc/self/status")
}

func main() {
	ctx := context.Background()
	before := rssKiB()
	client, err := noorle.NewClient(noorle.WithAPIKey(os.Getenv("NOORLE_DEV_ROOT_KEY")),
		noorle.WithBaseURL(os.Getenv("NOORLE_BASE_URL")), noorle.WithoutEnvironment())
	if err != nil {
		panic(err)
	}
	defer client.Close()
	idle := rssKiB()
	calls := 0
	var marks []int64
	for _, n := range []int{1_000, 10_000} {
		for ; calls < n; calls++ {
			if _, err := client.Whoami(ctx); err != nil {
				panic(err)
			}
		}
		marks = append(marks, rssKiB())
	}
	fmt.Printf("%-7s idle client %6d KiB (goal <= 2048)   RSS after 1,000 calls %d KiB, after 10,000 %d KiB: %+d KiB\n",
		"go", idle-before, marks[0], marks[1], marks[1]-marks[0])
}
