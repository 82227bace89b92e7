package noorle_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

// The local server comes from scripts/with-devserver, which exports these two variables.
func serverEnv(t testing.TB) (baseURL, rootKey string) {
	t.Helper()
	baseURL, rootKey = os.Getenv("NOORLE_BASE_URL"), os.Getenv("NOORLE_DEV_ROOT_KEY")
	if baseURL == "" || rootKey == "" {
		t.Fatal("NOORLE_BASE_URL and NOORLE_DEV_ROOT_KEY are unset: run the tests under the harness, " +
			"e.g. `scripts/with-devserver bindings-go/test.sh` (or `scripts/with-devserver go test ./...` in bindings-go)")
	}
	return baseURL, rootKey
}

// fastRetries keeps suites quick: tiny backoff, the default number of retries.
func fastRetries() noorle.Option {
	return noorle.WithRetryBackoff(10*time.Millisecond, 50*time.Millisecond)
}

// newClient builds an isolated client (no ambient environment) on the local server.
func newClient(t testing.TB, key string, opts ...noorle.Option) *noorle.Client {
	t.Helper()
	baseURL, _ := serverEnv(t)
	all := append([]noorle.Option{noorle.WithAPIKey(key), noorle.WithBaseURL(baseURL), noorle.WithoutEnvironment(), fastRetries()}, opts...)
	c, err := noorle.NewClient(all...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func rootClient(t testing.TB) *noorle.Client {
	_, root := serverEnv(t)
	return newClient(t, root)
}

func suffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// account is this package's own service account: tests use its keys, never the root key's
// access id, so suites of other languages on the same server do not disturb them.
type account struct {
	sa     noorle.ServiceAccount
	key    noorle.APIKey
	client *noorle.Client
}

var (
	sharedOnce sync.Once
	shared     *account
	sharedErr  error
)

func testAccount(t testing.TB) *account {
	t.Helper()
	baseURL, root := serverEnv(t)
	sharedOnce.Do(func() {
		rc, err := noorle.NewClient(noorle.WithAPIKey(root), noorle.WithBaseURL(baseURL), noorle.WithoutEnvironment(), fastRetries())
		if err != nil {
			sharedErr = err
			return
		}
		defer rc.Close()
		created, err := rc.ServiceAccounts.Create(context.Background(), noorle.CreateServiceAccountParams{
			Name: "go-tests-" + suffix(), Description: "bindings-go test suite", Role: noorle.RoleAdmin,
		})
		if err != nil {
			sharedErr = err
			return
		}
		c, err := noorle.NewClient(noorle.WithKey(created.Key), noorle.WithBaseURL(baseURL), noorle.WithoutEnvironment(), fastRetries())
		if err != nil {
			sharedErr = err
			return
		}
		shared = &account{sa: created.ServiceAccount, key: created.Key, client: c}
	})
	if sharedErr != nil {
		t.Fatalf("creating the test service account: %v", sharedErr)
	}
	return shared
}

// freshKey makes a new key of the test account (own access id: faults and the request log are
// matched on it) and a client using it.
func freshKey(t testing.TB, opts ...noorle.Option) (noorle.APIKey, *noorle.Client) {
	t.Helper()
	a := testAccount(t)
	created, err := a.client.ServiceAccounts.CreateKey(context.Background(), a.sa.ID, noorle.CreateAPIKeyParams{Name: "go-" + t.Name()})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return created.Key, newClient(t, created.Key.ExposeSecret(), opts...)
}

// fault queues a fault for requests made with accessID.
func fault(t testing.TB, accessID, method, path string, count int, f map[string]any) {
	t.Helper()
	baseURL, _ := serverEnv(t)
	body, _ := json.Marshal(map[string]any{"method": method, "path": path, "access_id": accessID, "count": count, "fault": f})
	resp, err := http.Post(baseURL+"/_dev/faults", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST /_dev/faults: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /_dev/faults: %s (is the server running with --fault-injection?)", resp.Status)
	}
}

type logged struct {
	Method         string  `json:"method"`
	Path           string  `json:"path"`
	Status         *int    `json:"status"`
	AccessID       *string `json:"access_id"`
	IdempotencyKey *string `json:"idempotency_key"`
	AuthHeader     *string `json:"auth_header"`
	Fault          *string `json:"fault"`
}

// requestLog lists what the server saw from accessID (optionally one method and path).
func requestLog(t testing.TB, accessID, method, path string) []logged {
	t.Helper()
	baseURL, _ := serverEnv(t)
	q := url.Values{"access_id": {accessID}}
	if method != "" {
		q.Set("method", method)
	}
	if path != "" {
		q.Set("path", path)
	}
	resp, err := http.Get(baseURL + "/_dev/requests?" + q.Encode())
	if err != nil {
		t.Fatalf("GET /_dev/requests: %v", err)
	}
	defer resp.Body.Close()
	var out struct {
		Requests []logged `json:"requests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decoding /_dev/requests: %v", err)
	}
	return out.Requests
}

// waitLog polls the request log until ok accepts what the server saw from accessID on method and
// path, and returns that log: the test waits on the server's event, not on a clock.
func waitLog(t testing.TB, accessID, method, path string, ok func([]logged) bool) []logged {
	t.Helper()
	for i := 0; ; i++ {
		log := requestLog(t, accessID, method, path)
		if ok(log) {
			return log
		}
		if i == 3000 { // a bound so that a broken client fails the test instead of hanging it
			t.Fatalf("%s %s: the server never saw the awaited request; it saw %+v", method, path, log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// faulted accepts a log holding exactly one request, the one that took a fault of type f.
func faulted(f string) func([]logged) bool {
	return func(log []logged) bool { return len(log) == 1 && deref(log[0].Fault) == f }
}

func deref[T any](p *T) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		// Deleting the account revokes every key the suite made.
		if rc, err := noorle.NewClient(noorle.WithAPIKey(os.Getenv("NOORLE_DEV_ROOT_KEY")),
			noorle.WithBaseURL(os.Getenv("NOORLE_BASE_URL")), noorle.WithoutEnvironment()); err == nil {
			_ = rc.ServiceAccounts.Delete(context.Background(), shared.sa.ID)
			_ = rc.Close()
		}
		_ = shared.client.Close()
	}
	os.Exit(code)
}
