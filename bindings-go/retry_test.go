package noorle_test

import (
	"context"
	"errors"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

func TestRetriesCountedInTheRequestLog(t *testing.T) {
	ctx := context.Background()
	key, c := freshKey(t)
	fault(t, key.AccessID(), "GET", "/v1/api-keys/self", 2, map[string]any{"type": "status", "status": 503})
	if _, err := c.Whoami(ctx); err != nil {
		t.Fatalf("whoami after two 503s: %v", err)
	}
	log := requestLog(t, key.AccessID(), "GET", "/v1/api-keys/self")
	if len(log) != 3 || deref(log[0].Status) != "503" || deref(log[1].Status) != "503" || deref(log[2].Status) != "200" {
		t.Fatalf("want 503, 503, 200; server saw %+v", log)
	}

	// More failures than retries: the last error comes back, after exactly 1 + 2 attempts.
	fault(t, key.AccessID(), "GET", "/v1/agents", 3, map[string]any{"type": "status", "status": 502})
	_, err := c.Request(ctx, "GET", "/v1/agents", nil)
	if !errors.Is(err, noorle.ErrServer) {
		t.Fatalf("want ErrServer, got %v", err)
	}
	if n := len(requestLog(t, key.AccessID(), "GET", "/v1/agents")); n != 3 {
		t.Errorf("attempts: %d, want 3", n)
	}

	// Dropped connections are retried too.
	fault(t, key.AccessID(), "GET", "/v1/gateways", 1, map[string]any{"type": "drop"})
	if _, err := c.Request(ctx, "GET", "/v1/gateways", nil); err != nil {
		t.Fatalf("after a drop: %v", err)
	}
	if log := requestLog(t, key.AccessID(), "GET", "/v1/gateways"); len(log) != 2 || log[0].Status != nil {
		t.Errorf("server saw %+v", log)
	}

	// Errors that are not transient are not retried.
	if _, err := c.Request(ctx, "GET", "/v1/gateways/gw_nope", nil); !errors.Is(err, noorle.ErrNotFound) {
		t.Fatal(err)
	}
	if n := len(requestLog(t, key.AccessID(), "GET", "/v1/gateways/gw_nope")); n != 1 {
		t.Errorf("404 attempts: %d", n)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	key, c := freshKey(t)
	fault(t, key.AccessID(), "GET", "/v1/api-keys/self", 1, map[string]any{"type": "status", "status": 429, "retry_after": 1})
	start := time.Now()
	if _, err := c.Whoami(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("retried after %v, before Retry-After: 1", d)
	}
	if n := len(requestLog(t, key.AccessID(), "GET", "/v1/api-keys/self")); n != 2 {
		t.Errorf("attempts %d", n)
	}
}

func TestPostRetriedCreatesExactlyOneKey(t *testing.T) {
	ctx := context.Background()
	a := testAccount(t)
	key, c := freshKey(t)
	// The fresh key belongs to the test account (admin, manage): it may create keys for it.
	path := "/v1/service-accounts/" + a.sa.ID + "/api-keys"
	fault(t, key.AccessID(), "POST", path, 1, map[string]any{"type": "status", "status": 503})
	fault(t, key.AccessID(), "POST", path, 1, map[string]any{"type": "drop"})
	name := "exactly-one-" + suffix()
	created, err := c.ServiceAccounts.CreateKey(ctx, a.sa.ID, noorle.CreateAPIKeyParams{Name: name})
	if err != nil {
		t.Fatalf("create after a 503 and a drop: %v", err)
	}
	log := requestLog(t, key.AccessID(), "POST", path)
	if len(log) != 3 {
		t.Fatalf("want 3 attempts, server saw %+v", log)
	}
	idem := deref(log[0].IdempotencyKey)
	for _, r := range log {
		if deref(r.IdempotencyKey) != idem || idem == "<nil>" {
			t.Errorf("attempts carry different Idempotency-Keys: %+v", log)
		}
	}
	n := 0
	for k, err := range a.client.ServiceAccounts.ListKeysAll(ctx, a.sa.ID, noorle.PageParams{Limit: 100}) {
		if err != nil {
			t.Fatal(err)
		}
		if k.Name == name {
			n++
			if k.ID != created.APIKey.ID {
				t.Errorf("a different key carries the name: %s", k.ID)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d keys named %s, want exactly 1", n, name)
	}
}
