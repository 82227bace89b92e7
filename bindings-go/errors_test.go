package noorle_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

// kindCase checks one error: kind, sentinel, and (for API errors) status and request id.
func checkKind(t *testing.T, name string, err error, kind noorle.Kind, sentinel error, status int) *noorle.Error {
	t.Helper()
	var e *noorle.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: want *noorle.Error, got %T %v", name, err, err)
	}
	if e.Kind != kind || !errors.Is(err, sentinel) || e.Status != status {
		t.Fatalf("%s: got kind %s status %d (%v), want %s %d", name, e.Kind, e.Status, err, kind, status)
	}
	for _, other := range []error{noorle.ErrNotFound, noorle.ErrConflict, noorle.ErrServer, noorle.ErrTimeout} {
		if other != sentinel && errors.Is(err, other) {
			t.Errorf("%s: also matches %v", name, other)
		}
	}
	checkParents(t, name, err, kind)
	if status != 0 && (e.RequestID == "" || !strings.HasPrefix(e.RequestID, "req_") || !strings.Contains(e.Error(), e.RequestID)) {
		t.Errorf("%s: request id %q in %q", name, e.RequestID, e.Error())
	}
	return e
}

// apiKinds are the kinds whose parent is ErrAPI (KindAPI itself included).
var apiKinds = map[noorle.Kind]bool{
	noorle.KindAPI: true, noorle.KindAuthentication: true, noorle.KindPermissionDenied: true,
	noorle.KindNotFound: true, noorle.KindConflict: true, noorle.KindValidation: true,
	noorle.KindRateLimited: true, noorle.KindServer: true,
}

// checkParents checks the hierarchy under errors.Is: 4xx/5xx kinds are ErrAPI, a timeout is
// ErrConnection, and nothing else is either.
func checkParents(t *testing.T, name string, err error, kind noorle.Kind) {
	t.Helper()
	if got := errors.Is(err, noorle.ErrAPI); got != apiKinds[kind] {
		t.Errorf("%s: errors.Is(err, ErrAPI) = %v", name, got)
	}
	conn := kind == noorle.KindConnection || kind == noorle.KindTimeout
	if got := errors.Is(err, noorle.ErrConnection); got != conn {
		t.Errorf("%s: errors.Is(err, ErrConnection) = %v", name, got)
	}
}

func TestEveryErrorKind(t *testing.T) {
	ctx := context.Background()
	a := testAccount(t)
	base, _ := serverEnv(t)

	_, err := noorle.ParseAPIKey("ak_nope")
	checkKind(t, "invalid key", err, noorle.KindInvalidAPIKey, noorle.ErrInvalidAPIKey, 0)

	_, err = noorle.NewClient(noorle.WithoutEnvironment(), noorle.WithBaseURL(base))
	e := checkKind(t, "credentials not found", err, noorle.KindCredentialsNotFound, noorle.ErrCredentialsNotFound, 0)
	if len(e.Searched) == 0 {
		t.Error("no places searched")
	}

	_, err = noorle.NewClient(noorle.WithAPIKey(keyA), noorle.WithoutEnvironment(), noorle.WithHeaderScheme("bearer"))
	checkKind(t, "config (scheme)", err, noorle.KindConfig, noorle.ErrConfig, 0)
	_, err = noorle.NewClient(noorle.WithAPIKey(keyA), noorle.WithoutEnvironment(), noorle.WithBaseURL("ftp://x"))
	checkKind(t, "config (base url)", err, noorle.KindConfig, noorle.ErrConfig, 0)
	_, err = noorle.NewClient(noorle.WithAPIKey(keyA), noorle.WithoutEnvironment(), noorle.WithTimeout(-time.Second))
	checkKind(t, "config (timeout)", err, noorle.KindConfig, noorle.ErrConfig, 0)

	// 401: a well-formed key the server does not know; the message never carries the secret.
	_, err = newClient(t, keyA).Whoami(ctx)
	e = checkKind(t, "401", err, noorle.KindAuthentication, noorle.ErrAuthentication, 401)
	if e.Code != "unauthorized" || e.Retryable || strings.Contains(e.Error(), "s9t0u1v2w3x4y5z6") {
		t.Errorf("401: %+v", e)
	}

	_, err = a.client.Request(ctx, "GET", "/v1/gateways/gw_nope", nil)
	checkKind(t, "404", err, noorle.KindNotFound, noorle.ErrNotFound, 404)

	_, err = a.client.APIKeys.Get(ctx, "00000000000000000000000000000000")
	checkKind(t, "404 key", err, noorle.KindNotFound, noorle.ErrNotFound, 404)

	// 403: a viewer manages nothing.
	v, err := a.client.ServiceAccounts.Create(ctx, noorle.CreateServiceAccountParams{Name: "go-viewer-" + suffix(), Role: noorle.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	_, err = newClient(t, v.Key.ExposeSecret()).ServiceAccounts.List(ctx, noorle.PageParams{})
	checkKind(t, "403", err, noorle.KindPermissionDenied, noorle.ErrPermissionDenied, 403)
	_ = a.client.ServiceAccounts.Delete(ctx, v.ServiceAccount.ID)

	// 409: deleting an active key.
	err = a.client.APIKeys.Delete(ctx, a.key.AccessID())
	checkKind(t, "409", err, noorle.KindConflict, noorle.ErrConflict, 409)

	// 422 with details.
	_, err = a.client.APIKeys.Create(ctx, noorle.CreateAPIKeyParams{Name: "   "})
	e = checkKind(t, "422", err, noorle.KindValidation, noorle.ErrValidation, 422)
	if e.Code != "validation_error" || e.Details["field"] != "name" {
		t.Errorf("422 details: %+v", e)
	}
	_, err = a.client.APIKeys.List(ctx, noorle.ListAPIKeysParams{Limit: 101})
	checkKind(t, "422 limit", err, noorle.KindValidation, noorle.ErrValidation, 422)

	// Faults give the statuses the server does not produce on its own.
	key, c := freshKey(t, noorle.WithMaxRetries(0))
	fault(t, key.AccessID(), "GET", "/v1/api-keys/self", 1, map[string]any{"type": "status", "status": 400})
	_, err = c.Whoami(ctx)
	checkKind(t, "400", err, noorle.KindValidation, noorle.ErrValidation, 400)

	fault(t, key.AccessID(), "GET", "/v1/api-keys/self", 1, map[string]any{"type": "status", "status": 429, "retry_after": 7})
	_, err = c.Whoami(ctx)
	e = checkKind(t, "429", err, noorle.KindRateLimited, noorle.ErrRateLimited, 429)
	if e.RetryAfter != 7*time.Second || !e.Retryable {
		t.Errorf("429: retry after %v, retryable %v", e.RetryAfter, e.Retryable)
	}

	fault(t, key.AccessID(), "GET", "/v1/api-keys/self", 1, map[string]any{"type": "status", "status": 503})
	_, err = c.Whoami(ctx)
	e = checkKind(t, "503", err, noorle.KindServer, noorle.ErrServer, 503)
	if e.Code != "service_unavailable" || !e.Retryable {
		t.Errorf("503: %+v", e)
	}

	fault(t, key.AccessID(), "GET", "/v1/api-keys/self", 1, map[string]any{"type": "status", "status": 418})
	_, err = c.Whoami(ctx)
	checkKind(t, "418", err, noorle.KindAPI, noorle.ErrAPI, 418)

	fault(t, key.AccessID(), "GET", "/v1/api-keys/self", 1, map[string]any{"type": "drop"})
	_, err = c.Whoami(ctx)
	checkKind(t, "drop", err, noorle.KindConnection, noorle.ErrConnection, 0)

	// Nothing listens on a port we just closed.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	_, err = newClient(t, keyA, noorle.WithBaseURL(dead), noorle.WithMaxRetries(0)).Whoami(ctx)
	e = checkKind(t, "refused", err, noorle.KindConnection, noorle.ErrConnection, 0)
	if !e.Retryable {
		t.Error("connection errors are retryable")
	}

	// The client's own timeout (not a context deadline) on a request the server stalls.
	fault(t, key.AccessID(), "GET", "/v1/api-keys/self", 1, map[string]any{"type": "stall", "ms": longStall})
	_, err = newClient(t, key.ExposeSecret(), noorle.WithMaxRetries(0), noorle.WithTimeout(2*time.Second)).Whoami(ctx)
	checkKind(t, "timeout", err, noorle.KindTimeout, noorle.ErrTimeout, 0)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout: the client's timeout is not a context deadline: %v", err)
	}
	// Every fault above was consumed by exactly one attempt (retries are off).
	if log := requestLog(t, key.AccessID(), "GET", "/v1/api-keys/self"); statuses(log) != "400,429,503,418,<nil>,<nil>" || deref(log[5].Fault) != "stall" {
		t.Errorf("server saw %s: %+v", statuses(log), log)
	}
}

func TestErrorFormatting(t *testing.T) {
	_, err := noorle.ParseAPIKey("Bearer " + keyA)
	for _, s := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if strings.Contains(s, "s9t0u1v2w3x4y5z6") {
			t.Errorf("error shows the secret: %s", s)
		}
	}
	if !strings.HasPrefix(err.Error(), "noorle: invalid API key (scheme_prefix at position 0)") {
		t.Errorf("message: %s", err.Error())
	}
}

func TestNonJSONErrorBodies(t *testing.T) {
	// A proxy in front of the API answers in plain text: the error still has its kind, status and
	// text, and a 502 is retried like any other.
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		if r.URL.Path == "/v1/gone" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, "no such route here\n")
			return
		}
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "upstream connect error\n")
	}))
	defer srv.Close()
	c := newClient(t, keyA, noorle.WithBaseURL(srv.URL))

	_, err := c.Whoami(context.Background())
	e := checkKindNoRequestID(t, "text/plain 502", err, noorle.KindServer, noorle.ErrServer, 502)
	if !strings.Contains(e.Message, "upstream connect error") || !e.Retryable {
		t.Errorf("502: %+v", e)
	}
	if n := hits.Swap(0); n != 3 {
		t.Errorf("502 attempts: %d, want 1 + 2 retries", n)
	}

	_, err = c.Request(context.Background(), "GET", "/v1/gone", nil)
	e = checkKindNoRequestID(t, "text/plain 404", err, noorle.KindNotFound, noorle.ErrNotFound, 404)
	if !strings.Contains(e.Message, "no such route here") {
		t.Errorf("404: %+v", e)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("404 attempts: %d", n)
	}
}

// checkKindNoRequestID is checkKind for a server that sends no X-Request-Id.
func checkKindNoRequestID(t *testing.T, name string, err error, kind noorle.Kind, sentinel error, status int) *noorle.Error {
	t.Helper()
	var e *noorle.Error
	if !errors.As(err, &e) || e.Kind != kind || !errors.Is(err, sentinel) || e.Status != status || e.RequestID != "" {
		t.Fatalf("%s: want %s %d, got %#v", name, kind, status, err)
	}
	checkParents(t, name, err, kind)
	return e
}

// fullListener listens on loopback with a backlog that is already full, so a new connection
// attempt is never completed: its SYN goes unanswered.
func fullListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the accept queue (never accepted) until a connection attempt no longer completes.
	for i := 0; ; i++ {
		conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { conn.Close() })
		if i == 64 {
			t.Skip("the kernel completes every connection: cannot build an unanswered connect")
		}
	}
	return addr
}

func TestConnectTimeout(t *testing.T) {
	addr := fullListener(t)
	// The connect timeout ends the attempt as a connection error. Were the option ignored, the
	// request timeout (shorter than the default 10 s connect timeout) would end it as KindTimeout.
	c := newClient(t, keyA, noorle.WithBaseURL("http://"+addr), noorle.WithMaxRetries(0),
		noorle.WithConnectTimeout(100*time.Millisecond), noorle.WithTimeout(5*time.Second))
	_, err := c.Whoami(context.Background())
	e := checkKindNoRequestID(t, "connect timeout", err, noorle.KindConnection, noorle.ErrConnection, 0)
	// The wording is the HTTP stack's ("deadline has elapsed", "timed out"); a refusal would
	// say "refused".
	msg := strings.ToLower(e.Message)
	if !strings.Contains(msg, "connect") || !(strings.Contains(msg, "elapsed") || strings.Contains(msg, "timed out")) || !e.Retryable {
		t.Errorf("connect timeout: %+v", e)
	}
	if strings.Contains(e.Error(), "s9t0u1v2w3x4y5z6") {
		t.Errorf("message echoes the secret: %v", e)
	}
}
