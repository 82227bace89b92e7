package noorle_test

import (
	"context"
	"errors"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

func TestContextCancelMidRequest(t *testing.T) {
	key, c := freshKey(t)
	fault(t, key.AccessID(), "GET", "/v1/api-keys/self", 1, map[string]any{"type": "stall", "ms": 5000})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Whoami(ctx)
	took := time.Since(start)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, noorle.ErrCancelled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if took > time.Second {
		t.Errorf("cancel took %v: the core request was not cancelled", took)
	}
	// The request had reached the server (it was mid-flight, not refused up front).
	if n := len(requestLog(t, key.AccessID(), "GET", "/v1/api-keys/self")); n > 1 {
		t.Errorf("cancelled request retried: %d", n)
	}
	// The client still works.
	if _, err := c.Whoami(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestContextDeadline(t *testing.T) {
	key, c := freshKey(t)
	fault(t, key.AccessID(), "GET", "/v1/api-keys/self", 1, map[string]any{"type": "stall", "ms": 5000})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Whoami(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, noorle.ErrTimeout) {
		t.Fatalf("want DeadlineExceeded, got %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("deadline took %v", d)
	}
}

func TestContextAlreadyDone(t *testing.T) {
	_, c := freshKey(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Whoami(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	// Retry-After: 30 makes the client wait 30 s before its retry; the deadline ends the wait.
	key, c := freshKey(t)
	fault(t, key.AccessID(), "GET", "/v1/api-keys/self", 1, map[string]any{"type": "status", "status": 429, "retry_after": 30})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Whoami(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}
