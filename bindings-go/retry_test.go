package noorle_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

// statuses lists the status of each logged request ("<nil>" when none was sent).
func statuses(log []logged) string {
	s := ""
	for i, r := range log {
		if i > 0 {
			s += ","
		}
		s += deref(r.Status)
	}
	return s
}

func TestRetriesCountedInTheRequestLog(t *testing.T) {
	ctx := context.Background()
	key, c := freshKey(t)
	fault(t, key.AccessID(), "GET", selfPath, 2, map[string]any{"type": "status", "status": 503})
	if _, err := c.Whoami(ctx); err != nil {
		t.Fatalf("whoami after two 503s: %v", err)
	}
	if log := requestLog(t, key.AccessID(), "GET", selfPath); statuses(log) != "503,503,200" {
		t.Fatalf("want 503, 503, 200; server saw %+v", log)
	}

	// More failures than retries: the last error comes back, after exactly 1 + 2 attempts.
	fault(t, key.AccessID(), "GET", "/v1/agents", 3, map[string]any{"type": "status", "status": 502})
	_, err := c.Request(ctx, "GET", "/v1/agents", nil)
	if !errors.Is(err, noorle.ErrServer) {
		t.Fatalf("want ErrServer, got %v", err)
	}
	if log := requestLog(t, key.AccessID(), "GET", "/v1/agents"); statuses(log) != "502,502,502" {
		t.Errorf("want three 502s, server saw %+v", log)
	}

	// Dropped connections are retried too.
	fault(t, key.AccessID(), "GET", "/v1/gateways", 1, map[string]any{"type": "drop"})
	if _, err := c.Request(ctx, "GET", "/v1/gateways", nil); err != nil {
		t.Fatalf("after a drop: %v", err)
	}
	if log := requestLog(t, key.AccessID(), "GET", "/v1/gateways"); statuses(log) != "<nil>,200" || deref(log[0].Fault) != "drop" {
		t.Errorf("server saw %+v", log)
	}

	// Errors that are not transient are not retried.
	if _, err := c.Request(ctx, "GET", "/v1/gateways/gw_nope", nil); !errors.Is(err, noorle.ErrNotFound) {
		t.Fatal(err)
	}
	if log := requestLog(t, key.AccessID(), "GET", "/v1/gateways/gw_nope"); statuses(log) != "404" {
		t.Errorf("404 attempts: %+v", log)
	}
}

func TestRetriedStatuses408And504(t *testing.T) {
	ctx := context.Background()
	for _, status := range []int{408, 504} {
		key, c := freshKey(t)
		fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "status", "status": status})
		if _, err := c.Whoami(ctx); err != nil {
			t.Fatalf("whoami after a %d: %v", status, err)
		}
		if log := requestLog(t, key.AccessID(), "GET", selfPath); statuses(log) != fmt.Sprintf("%d,200", status) {
			t.Errorf("%d: server saw %+v", status, log)
		}
	}
}

// revokedKey makes a key of the test account and revokes it, so that it may be deleted.
func revokedKey(t *testing.T) string {
	t.Helper()
	a := testAccount(t)
	created, err := a.client.ServiceAccounts.CreateKey(context.Background(), a.sa.ID, noorle.CreateAPIKeyParams{Name: "go-revoked"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.client.APIKeys.Revoke(context.Background(), created.APIKey.ID); err != nil {
		t.Fatal(err)
	}
	return created.APIKey.ID
}

func TestDeleteIsRetried(t *testing.T) {
	ctx := context.Background()
	key, c := freshKey(t)
	id := revokedKey(t)
	path := "/v1/api-keys/" + id
	fault(t, key.AccessID(), "DELETE", path, 1, map[string]any{"type": "status", "status": 503})
	if err := c.APIKeys.Delete(ctx, id); err != nil {
		t.Fatalf("delete after a 503: %v", err)
	}
	if log := requestLog(t, key.AccessID(), "DELETE", path); statuses(log) != "503,204" {
		t.Errorf("server saw %+v", log)
	}
	if _, err := c.APIKeys.Get(ctx, id); !errors.Is(err, noorle.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

func TestPatchIsNotRetried(t *testing.T) {
	// PATCH is not idempotent in general and carries no Idempotency-Key: one attempt only.
	ctx := context.Background()
	key, c := freshKey(t)
	id := revokedKey(t)
	path := "/v1/api-keys/" + id
	fault(t, key.AccessID(), "PATCH", path, 1, map[string]any{"type": "status", "status": 503})
	_, err := c.APIKeys.Update(ctx, id, noorle.UpdateAPIKeyParams{Name: noorle.Ptr("renamed")})
	if !errors.Is(err, noorle.ErrServer) {
		t.Fatalf("want the 503, got %v", err)
	}
	if log := requestLog(t, key.AccessID(), "PATCH", path); statuses(log) != "503" {
		t.Errorf("server saw %+v", log)
	}
	if k, err := c.APIKeys.Get(ctx, id); err != nil || k.Name != "go-revoked" {
		t.Errorf("the key changed: %+v %v", k, err)
	}
}

func TestRetryAfterThenSuccess(t *testing.T) {
	// The wait itself is shown by TestCancelDuringRetryAfterWait; here the retry follows it.
	key, c := freshKey(t)
	fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "status", "status": 429, "retry_after": 1})
	if _, err := c.Whoami(context.Background()); err != nil {
		t.Fatal(err)
	}
	if log := requestLog(t, key.AccessID(), "GET", selfPath); statuses(log) != "429,200" {
		t.Errorf("server saw %+v", log)
	}
}

func TestRetryAfterBeyondTheLimitIsReturned(t *testing.T) {
	// A wait longer than the client accepts (60 s) is not waited out: the 429 comes back at once.
	key, c := freshKey(t)
	fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "status", "status": 429, "retry_after": 3600})
	_, err := c.Whoami(context.Background())
	var e *noorle.Error
	if !errors.As(err, &e) || !errors.Is(err, noorle.ErrRateLimited) || e.RetryAfter != time.Hour {
		t.Fatalf("want the 429 with its Retry-After, got %v", err)
	}
	if log := requestLog(t, key.AccessID(), "GET", selfPath); statuses(log) != "429" {
		t.Errorf("server saw %+v", log)
	}
}

func TestPostRetriedCreatesExactlyOneKey(t *testing.T) {
	ctx := context.Background()
	a := testAccount(t)
	key, c := freshKey(t)
	// The fresh key belongs to the test account (admin, manage): it may create keys for it.
	path := "/v1/service-accounts/" + a.sa.ID + "/api-keys"
	// A 503 (not executed), then a lost answer (executed: the key exists), then the retry: only
	// the Idempotency-Key keeps the server from creating a second key.
	fault(t, key.AccessID(), "POST", path, 1, map[string]any{"type": "status", "status": 503})
	fault(t, key.AccessID(), "POST", path, 1, map[string]any{"type": "drop_after"})
	name := "exactly-one-" + suffix()
	created, err := c.ServiceAccounts.CreateKey(ctx, a.sa.ID, noorle.CreateAPIKeyParams{Name: name})
	if err != nil {
		t.Fatalf("create after a 503 and a lost answer: %v", err)
	}
	log := requestLog(t, key.AccessID(), "POST", path)
	if len(log) != 3 || deref(log[1].Fault) != "drop_after" || deref(log[1].Status) != "201" {
		t.Fatalf("want 503, executed-and-dropped, retry; server saw %+v", log)
	}
	idem := deref(log[0].IdempotencyKey)
	if idem == "<nil>" || deref(log[1].IdempotencyKey) != idem || deref(log[2].IdempotencyKey) != idem {
		t.Errorf("attempts carry different Idempotency-Keys: %+v", log)
	}
	// The account is the suite's own and this test runs alone on it: count the keys by name.
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
	// The returned key is the one the server made on the dropped attempt, and it works.
	if me, err := newClient(t, created.Key.ExposeSecret()).Whoami(ctx); err != nil || me.ID != created.APIKey.ID {
		t.Errorf("the returned key: %+v %v", me, err)
	}
}
