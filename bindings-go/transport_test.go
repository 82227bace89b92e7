package noorle_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

// seen records the key headers each path of a server received.
type seen struct {
	mu   sync.Mutex
	hits map[string][]string
}

func (s *seen) record(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hits == nil {
		s.hits = map[string][]string{}
	}
	s.hits[r.URL.Path] = append(s.hits[r.URL.Path], r.Header.Get("X-API-Key")+"|"+r.Header.Get("API-Key")+"|"+r.Header.Get("Authorization"))
}

func (s *seen) get(path string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.hits[path]...)
}

// redirector answers /elsewhere with a redirect to target, /same with one to its own /final,
// and anything else with 200.
func redirector(s *seen, target *string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		switch r.URL.Path {
		case "/elsewhere":
			http.Redirect(w, r, *target+"/landing", http.StatusFound)
		case "/same":
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}
}

func get(t *testing.T, hc *http.Client, url string) {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %s", url, resp.Status)
	}
}

func TestTransportKeepsTheKeyToItsOrigin(t *testing.T) {
	key := noorle.MustParseAPIKey(keyA)
	for _, scheme := range []noorle.HeaderScheme{noorle.SchemeXAPIKey, noorle.SchemeAPIKey, noorle.SchemeAuthorization} {
		var own, other seen
		b := httptest.NewServer(redirector(&other, nil))
		target := b.URL
		a := httptest.NewServer(redirector(&own, &target))
		tr, err := noorle.NewTransport(nil, key, scheme, a.URL)
		if err != nil {
			t.Fatal(err)
		}
		hc := &http.Client{Transport: tr}
		get(t, hc, a.URL+"/elsewhere") // A redirects to B (same host, another port: another origin)
		get(t, hc, a.URL+"/same")      // A redirects to A
		get(t, hc, b.URL+"/direct")    // B asked directly
		a.Close()
		b.Close()

		for _, path := range []string{"/elsewhere", "/same", "/final"} {
			if h := own.get(path); len(h) != 1 || h[0] == "||" {
				t.Errorf("%s: the configured origin's %s got %q, want the key", scheme, path, h)
			}
		}
		for _, path := range []string{"/landing", "/direct"} {
			if h := other.get(path); len(h) != 1 || h[0] != "||" {
				t.Errorf("%s: another origin's %s got a key header (or nothing arrived): %d requests", scheme, path, len(h))
			}
		}
	}
}

func TestTransportNeverSendsTheKeyOnADowngrade(t *testing.T) {
	var plain, secure seen
	p := httptest.NewServer(redirector(&plain, nil))
	defer p.Close()
	target := p.URL
	s := httptest.NewTLSServer(redirector(&secure, &target))
	defer s.Close()
	tr, err := noorle.NewTransport(s.Client().Transport, noorle.MustParseAPIKey(keyA), "", s.URL)
	if err != nil {
		t.Fatal(err)
	}
	get(t, &http.Client{Transport: tr}, s.URL+"/elsewhere") // https -> http
	if h := secure.get("/elsewhere"); len(h) != 1 || h[0] == "||" {
		t.Errorf("the https origin got %q, want the key", h)
	}
	if h := plain.get("/landing"); len(h) != 1 || h[0] != "||" {
		t.Errorf("the http hop got a key header (or nothing arrived): %d requests", len(h))
	}
}

func TestTransportBaseURLMustBeHTTP(t *testing.T) {
	for _, u := range []string{"ftp://example.test", "example.test", "http://", "://x"} {
		if _, err := noorle.NewTransport(nil, noorle.MustParseAPIKey(keyA), "", u); !errors.Is(err, noorle.ErrConfig) {
			t.Errorf("%q: %v", u, err)
		}
	}
}
