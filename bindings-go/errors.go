//go:build cgo

package noorle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kinds, sentinels and their parents are generated from spec/sdk.yaml (errors_gen.go).

var (
	// ErrUnauthorized is ErrAuthentication.
	//
	// Deprecated: use ErrAuthentication.
	ErrUnauthorized = ErrAuthentication
	// ErrClosed is returned by calls on a closed Client.
	ErrClosed = errors.New("noorle: client is closed")
)

// Error is every error the SDK returns. Use errors.Is with the sentinels (ErrNotFound, ...) and
// errors.As to read the fields. No field or message ever holds a secret.
type Error struct {
	Kind       Kind
	Status     int            // HTTP status; 0 when the server sent none
	Code       string         // the server's code (not_found, ...), or the key rule broken
	Message    string         // human-readable, safe to log
	RequestID  string         // the server's X-Request-Id
	Details    map[string]any // the server's details object
	Retryable  bool           // whether the retry policy treats it as transient
	RetryAfter time.Duration  // how long the server asked to wait (429, 503)
	Position   int            // for KindInvalidAPIKey: 0-based index of the offending character
	Searched   []string       // for KindCredentialsNotFound: every place looked, in order

	cause error // context.Canceled / DeadlineExceeded, for errors.Is
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("noorle: ")
	b.WriteString(e.Message)
	if e.RequestID != "" && !strings.Contains(e.Message, e.RequestID) {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return b.String()
}

// Is reports whether target is the sentinel of e's kind or one of its parents (a timeout is
// also ErrConnection, a 404 also ErrAPI). A cancellation is also context.Canceled, whether the
// context or the core noticed it first. A kind unknown to this package matches no sentinel.
func (e *Error) Is(target error) bool {
	if e.Kind == KindCancelled && target == context.Canceled {
		return true
	}
	for s := kindSentinel[e.Kind]; s != nil; s = sentinelParent[s] {
		if s == target {
			return true
		}
	}
	return false
}

// Unwrap gives the context error behind a cancellation or deadline.
func (e *Error) Unwrap() error { return e.cause }

// contextError wraps ctx.Err() so that errors.Is works with both the context error and
// ErrCancelled / ErrTimeout.
func contextError(err error) error {
	kind, msg := KindCancelled, "the request was cancelled"
	if errors.Is(err, context.DeadlineExceeded) {
		kind, msg = KindTimeout, "the context deadline was exceeded"
	}
	return &Error{Kind: kind, Message: msg, cause: err}
}

// errorInfo is the core's serialised error (noorle::ErrorInfo).
type errorInfo struct {
	Kind       Kind            `json:"kind"`
	Message    string          `json:"message"`
	Status     *int            `json:"status"`
	Code       *string         `json:"code"`
	RequestID  *string         `json:"request_id"`
	Details    json.RawMessage `json:"details"`
	Retryable  bool            `json:"retryable"`
	RetryAfter *float64        `json:"retry_after"`
	Position   *int            `json:"position"`
	Searched   []string        `json:"searched"`
}

func (i *errorInfo) toError() *Error {
	e := &Error{Kind: i.Kind, Message: i.Message, Retryable: i.Retryable, Searched: i.Searched, Position: -1}
	if i.Status != nil {
		e.Status = *i.Status
	}
	if i.Code != nil {
		e.Code = *i.Code
	}
	if i.RequestID != nil {
		e.RequestID = *i.RequestID
	}
	if len(i.Details) > 0 && string(i.Details) != "null" {
		var d map[string]any
		if json.Unmarshal(i.Details, &d) == nil {
			e.Details = d
		}
	}
	if i.RetryAfter != nil {
		e.RetryAfter = time.Duration(*i.RetryAfter * float64(time.Second))
	}
	if i.Position != nil {
		e.Position = *i.Position
	}
	return e
}
