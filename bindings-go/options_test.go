package noorle_test

import (
	"context"
	"errors"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

func TestCallMaxRetriesZeroIsOneAttempt(t *testing.T) {
	ctx := context.Background()
	key, c := freshKey(t) // the client retries twice by default
	fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "status", "status": 503})
	if _, err := c.Whoami(ctx, noorle.WithCallMaxRetries(0)); !errors.Is(err, noorle.ErrServer) {
		t.Fatalf("want the 503 back after one attempt, got %v", err)
	}
	if log := requestLog(t, key.AccessID(), "GET", selfPath); statuses(log) != "503" {
		t.Fatalf("want one attempt; server saw %+v", log)
	}
	// The control: the next call, without the option, retries the same fault and succeeds.
	fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "status", "status": 503})
	if _, err := c.Whoami(ctx); err != nil {
		t.Fatalf("whoami with the client's retries: %v", err)
	}
	if log := requestLog(t, key.AccessID(), "GET", selfPath); statuses(log) != "503,503,200" {
		t.Errorf("want 503 then 503, 200; server saw %+v", log)
	}
}

func TestCallIdempotencyKeyReachesTheServer(t *testing.T) {
	ctx := context.Background()
	a := testAccount(t)
	key, c := freshKey(t)
	path := "/v1/service-accounts/" + a.sa.ID + "/api-keys"
	// The answer is lost after the key is made; the retry carries the caller's key and gets the
	// same key back.
	fault(t, key.AccessID(), "POST", path, 1, map[string]any{"type": "drop_after"})
	idem := "go-idem-" + suffix()
	created, err := c.ServiceAccounts.CreateKey(ctx, a.sa.ID, noorle.CreateAPIKeyParams{Name: "idem-" + suffix()},
		noorle.WithIdempotencyKey(idem))
	if err != nil {
		t.Fatal(err)
	}
	log := requestLog(t, key.AccessID(), "POST", path)
	if len(log) != 2 || deref(log[0].IdempotencyKey) != idem || deref(log[1].IdempotencyKey) != idem {
		keys := []string{}
		for _, l := range log {
			keys = append(keys, deref(l.IdempotencyKey))
		}
		t.Fatalf("want two attempts with Idempotency-Key %s; server saw %s with keys %v", idem, statuses(log), keys)
	}
	// The whole call again with the same key is answered from the first one: no second key.
	again, err := c.ServiceAccounts.CreateKey(ctx, a.sa.ID, noorle.CreateAPIKeyParams{Name: created.APIKey.Name},
		noorle.WithIdempotencyKey(idem))
	if err != nil || again.APIKey.ID != created.APIKey.ID {
		t.Errorf("the same idempotency key made another key: %v %+v", err, again)
	}
}

func TestCallTimeoutBoundsOneAttempt(t *testing.T) {
	key, c := freshKey(t) // the client's own timeout is the default (60 s)
	fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "stall", "ms": longStall})
	_, err := c.Whoami(context.Background(), noorle.WithCallTimeout(2*time.Second), noorle.WithCallMaxRetries(0))
	if !errors.Is(err, noorle.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the call's timeout, got %v", err)
	}
	if log := requestLog(t, key.AccessID(), "GET", selfPath); len(log) != 1 || deref(log[0].Fault) != "stall" {
		t.Errorf("server saw %+v", log)
	}
}

func TestCallTotalTimeoutBoundsTheRetries(t *testing.T) {
	key, c := freshKey(t)
	// Every attempt would stall; the total timeout ends the call during the first one.
	fault(t, key.AccessID(), "GET", selfPath, 3, map[string]any{"type": "stall", "ms": longStall})
	_, err := c.Whoami(context.Background(), noorle.WithCallTotalTimeout(2*time.Second))
	if !errors.Is(err, noorle.ErrTimeout) {
		t.Fatalf("want the total timeout, got %v", err)
	}
	if log := requestLog(t, key.AccessID(), "GET", selfPath); len(log) != 1 {
		t.Errorf("want one attempt; server saw %+v", log)
	}
}

func TestInvalidCallOptionIsAConfigError(t *testing.T) {
	key, c := freshKey(t)
	_, err := c.Whoami(context.Background(), noorle.WithCallTimeout(-time.Second))
	if !errors.Is(err, noorle.ErrConfig) {
		t.Fatalf("want ErrConfig, got %v", err)
	}
	if log := requestLog(t, key.AccessID(), "GET", selfPath); len(log) != 0 {
		t.Errorf("an invalid option still sent a request: %+v", log)
	}
}
