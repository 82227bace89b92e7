package noorle_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

const selfPath = "/v1/api-keys/self"

// A stall far longer than any test: a call that returns while its request is stalled at the
// server returned because of the context, not because an answer came.
const longStall = 10_000

// whoamiAsync runs Whoami in a goroutine; the channel gets its error.
func whoamiAsync(ctx context.Context, c *noorle.Client) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := c.Whoami(ctx)
		done <- err
	}()
	return done
}

func TestContextCancelMidRequest(t *testing.T) {
	key, c := freshKey(t)
	fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "stall", "ms": longStall})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := whoamiAsync(ctx, c)
	// Cancel only once the server holds the request: it is mid-flight, not refused up front.
	waitLog(t, key.AccessID(), "GET", selfPath, faulted("stall"))
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || !errors.Is(err, noorle.ErrCancelled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	// One attempt, not retried, and the server had not answered it when the call returned.
	log := requestLog(t, key.AccessID(), "GET", selfPath)
	if len(log) != 1 || log[0].Status != nil {
		t.Errorf("want one unanswered attempt, server saw %+v", log)
	}
	// The client still works.
	if _, err := c.Whoami(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// expiring is a context whose deadline passes when the test says so (expire), so that the
// deadline can be made to fall while a request is in flight without racing a clock.
type expiring struct {
	context.Context
	once sync.Once
	done chan struct{}
}

func newExpiring() *expiring {
	return &expiring{Context: context.Background(), done: make(chan struct{})}
}

func (e *expiring) expire()                     { e.once.Do(func() { close(e.done) }) }
func (e *expiring) Done() <-chan struct{}       { return e.done }
func (e *expiring) Deadline() (time.Time, bool) { return time.Time{}, false }
func (e *expiring) Err() error {
	select {
	case <-e.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func TestContextDeadlineMidRequest(t *testing.T) {
	key, c := freshKey(t)
	fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "stall", "ms": longStall})
	ctx := newExpiring()
	done := whoamiAsync(ctx, c)
	waitLog(t, key.AccessID(), "GET", selfPath, faulted("stall"))
	ctx.expire()
	err := <-done
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, noorle.ErrTimeout) {
		t.Fatalf("want DeadlineExceeded, got %v", err)
	}
	if log := requestLog(t, key.AccessID(), "GET", selfPath); len(log) != 1 || log[0].Status != nil {
		t.Errorf("want one unanswered attempt, server saw %+v", log)
	}
}

func TestContextWithTimeout(t *testing.T) {
	// A real deadline, shorter than the stall: whenever it falls, the call ends with it.
	key, c := freshKey(t)
	fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "stall", "ms": longStall})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Whoami(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, noorle.ErrTimeout) {
		t.Fatalf("want DeadlineExceeded, got %v", err)
	}
	// Under load the deadline may fall before the request is sent: at most one attempt, unanswered.
	if log := requestLog(t, key.AccessID(), "GET", selfPath); len(log) > 1 || (len(log) == 1 && log[0].Status != nil) {
		t.Errorf("server saw %+v", log)
	}
}

func TestContextAlreadyDone(t *testing.T) {
	key, c := freshKey(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Whoami(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	// Nothing was sent.
	if log := requestLog(t, key.AccessID(), "GET", selfPath); len(log) != 0 {
		t.Errorf("server saw %+v", log)
	}
	// The control: the same call with a live context does reach the server.
	if _, err := c.Whoami(context.Background()); err != nil {
		t.Fatal(err)
	}
	if log := requestLog(t, key.AccessID(), "GET", selfPath); len(log) != 1 {
		t.Errorf("server saw %+v", log)
	}
}

func TestCancelDuringRetryAfterWait(t *testing.T) {
	// Retry-After: 30 makes the client wait 30 s before its retry; cancelling ends the wait.
	key, c := freshKey(t)
	fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "status", "status": 429, "retry_after": 30})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := whoamiAsync(ctx, c)
	waitLog(t, key.AccessID(), "GET", selfPath, func(log []logged) bool {
		return len(log) == 1 && deref(log[0].Status) == "429"
	})
	// The client is waiting out Retry-After, not its 10 ms backoff: requests it makes meanwhile
	// complete while the retry is still pending.
	for i := 0; i < 5; i++ {
		if _, err := c.Request(context.Background(), "GET", "/v1/agents", nil); err != nil {
			t.Fatal(err)
		}
	}
	if log := requestLog(t, key.AccessID(), "GET", selfPath); len(log) != 1 {
		t.Errorf("retried before Retry-After: server saw %+v", log)
	}
	select {
	case err := <-done:
		t.Fatalf("the call ended before it was cancelled: %v", err)
	default:
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || !errors.Is(err, noorle.ErrCancelled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if log := requestLog(t, key.AccessID(), "GET", selfPath); len(log) != 1 {
		t.Errorf("retried after the cancellation: server saw %+v", log)
	}
}
