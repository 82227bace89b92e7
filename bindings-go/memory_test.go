package noorle_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

// rss reads the resident set from /proc: it covers the Rust side's allocations too, which
// runtime.MemStats does not see.
func rss(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm")
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func TestHundredThousandCallsFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	k := noorle.MustParseAPIKey(keyA)
	call := func() {
		// parse_key and auth_headers cross the C ABI both ways and allocate on both sides.
		if _, err := noorle.ParseAPIKey(keyA); err != nil {
			t.Fatal(err)
		}
		if _, err := noorle.ParseAPIKey("ak-bad"); err == nil {
			t.Fatal("no error")
		}
		if _, err := noorle.AuthHeaders(k, ""); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5_000; i++ { // warm up allocator arenas and caches
		call()
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rssBefore := rss(t)
	const n = 100_000
	for i := 0; i < n/2; i++ { // two key operations per iteration, plus an error path
		call()
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	rssAfter := rss(t)
	heapGrowth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	rssGrowth := rssAfter - rssBefore
	t.Logf("%d calls: Go heap %+d KiB, RSS %+d KiB", n+n/2, heapGrowth/1024, rssGrowth/1024)
	// A leak of even 16 bytes per call would be > 2 MiB; allow noise well under that.
	if heapGrowth > 1<<20 {
		t.Errorf("Go heap grew by %d bytes", heapGrowth)
	}
	if rssGrowth > 8<<20 {
		t.Errorf("RSS grew by %d bytes", rssGrowth)
	}
}

func TestHeaderCopyMatchesTheCHeader(t *testing.T) {
	c, err := os.ReadFile(filepath.Join("..", "bindings-c", "include", "noorle.h"))
	if err != nil {
		t.Skip("bindings-c not beside this module")
	}
	g, err := os.ReadFile(filepath.Join("include", "noorle.h"))
	if err != nil || string(g) != string(c) {
		t.Fatal("include/noorle.h differs from bindings-c/include/noorle.h: run ./build-lib.sh")
	}
}

func TestVersion(t *testing.T) {
	if v := noorle.Version(); v == "" || strings.Count(v, ".") != 2 {
		t.Errorf("version %q", v)
	}
}
