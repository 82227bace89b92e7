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

// Kind says coarsely what went wrong. The values are the core's ErrorInfo kinds.
type Kind string

const (
	KindInvalidAPIKey       Kind = "invalid_api_key"       // a key broke a format rule
	KindCredentialsNotFound Kind = "credentials_not_found" // no key anywhere the loader looked
	KindConfig              Kind = "config"                // bad configuration or invalid arguments
	KindAuthentication      Kind = "authentication"        // 401
	KindPermissionDenied    Kind = "permission_denied"     // 403
	KindNotFound            Kind = "not_found"             // 404
	KindConflict            Kind = "conflict"              // 409
	KindValidation          Kind = "validation"            // 400, 422
	KindRateLimited         Kind = "rate_limited"          // 429
	KindServer              Kind = "server"                // 5xx
	KindAPI                 Kind = "api"                   // any other non-success status
	KindConnection          Kind = "connection"            // the connection failed or was dropped
	KindTimeout             Kind = "timeout"               // the request or the context's deadline ran out
	KindCancelled           Kind = "cancelled"             // the context was cancelled
	KindInternal            Kind = "internal"              // a bug in the library (a caught panic)
)

// Sentinels for errors.Is. Every *Error matches exactly the sentinel of its Kind.
var (
	ErrInvalidAPIKey       = errors.New("noorle: invalid API key")
	ErrCredentialsNotFound = errors.New("noorle: credentials not found")
	ErrConfig              = errors.New("noorle: configuration error")
	ErrUnauthorized        = errors.New("noorle: unauthorized")
	ErrPermissionDenied    = errors.New("noorle: permission denied")
	ErrNotFound            = errors.New("noorle: not found")
	ErrConflict            = errors.New("noorle: conflict")
	ErrValidation          = errors.New("noorle: validation error")
	ErrRateLimited         = errors.New("noorle: rate limited")
	ErrServer              = errors.New("noorle: server error")
	ErrAPI                 = errors.New("noorle: API error")
	ErrConnection          = errors.New("noorle: connection error")
	ErrTimeout             = errors.New("noorle: timeout")
	ErrCancelled           = errors.New("noorle: cancelled")
	ErrInternal            = errors.New("noorle: internal error")
	// ErrClosed is returned by calls on a closed Client.
	ErrClosed = errors.New("noorle: client is closed")
)

// The one place that maps a kind to its sentinel.
var kindSentinel = map[Kind]error{
	KindInvalidAPIKey:       ErrInvalidAPIKey,
	KindCredentialsNotFound: ErrCredentialsNotFound,
	KindConfig:              ErrConfig,
	KindAuthentication:      ErrUnauthorized,
	KindPermissionDenied:    ErrPermissionDenied,
	KindNotFound:            ErrNotFound,
	KindConflict:            ErrConflict,
	KindValidation:          ErrValidation,
	KindRateLimited:         ErrRateLimited,
	KindServer:              ErrServer,
	KindAPI:                 ErrAPI,
	KindConnection:          ErrConnection,
	KindTimeout:             ErrTimeout,
	KindCancelled:           ErrCancelled,
	KindInternal:            ErrInternal,
}

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

// Is reports whether target is the sentinel of e's kind.
func (e *Error) Is(target error) bool {
	s, ok := kindSentinel[e.Kind]
	return ok && s == target
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
	if _, known := kindSentinel[e.Kind]; !known {
		e.Kind = KindAPI // a kind newer than this binding: still an *Error
	}
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
