package noorle_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
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
	if status != 0 && (e.RequestID == "" || !strings.HasPrefix(e.RequestID, "req_") || !strings.Contains(e.Error(), e.RequestID)) {
		t.Errorf("%s: request id %q in %q", name, e.RequestID, e.Error())
	}
	return e
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
	e = checkKind(t, "401", err, noorle.KindAuthentication, noorle.ErrUnauthorized, 401)
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

	fault(t, key.AccessID(), "GET", "/v1/api-keys/self", 1, map[string]any{"type": "stall", "ms": 1500})
	start := time.Now()
	_, err = newClient(t, key.ExposeSecret(), noorle.WithMaxRetries(0), noorle.WithTimeout(200*time.Millisecond)).Whoami(ctx)
	checkKind(t, "timeout", err, noorle.KindTimeout, noorle.ErrTimeout, 0)
	if d := time.Since(start); d > time.Second {
		t.Errorf("timeout took %v", d)
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
