//go:build cgo

package noorle

import (
	"bytes"
	"encoding/json"
	"time"
)

// CallOption changes one call of a Client method (its timeouts, retries, idempotency key);
// the client's own settings apply to everything a call does not set.
type CallOption func(*callOptions)

// callOptions is the op's "options" object; the core checks the values.
type callOptions struct {
	Timeout        *float64 `json:"timeout,omitempty"`
	TotalTimeout   *float64 `json:"total_timeout,omitempty"`
	MaxRetries     *int     `json:"max_retries,omitempty"`
	IdempotencyKey *string  `json:"idempotency_key,omitempty"`
}

// WithCallTimeout bounds each attempt of this call (WithTimeout for one call).
func WithCallTimeout(d time.Duration) CallOption {
	return func(o *callOptions) { o.Timeout = seconds(d) }
}

// WithCallTotalTimeout bounds this whole call: every attempt, backoff and Retry-After wait.
func WithCallTotalTimeout(d time.Duration) CallOption {
	return func(o *callOptions) { o.TotalTimeout = seconds(d) }
}

// WithCallMaxRetries sets the retries after the first attempt of this call (0: one attempt).
func WithCallMaxRetries(n int) CallOption {
	return func(o *callOptions) { o.MaxRetries = &n }
}

// WithIdempotencyKey sends this Idempotency-Key with a POST (else the core generates one), so
// that a retry of the whole call by the caller is still done at most once.
func WithIdempotencyKey(key string) CallOption {
	return func(o *callOptions) { o.IdempotencyKey = &key }
}

// withOptions is an op with its "options" object added, when any option is given.
type withOptions struct {
	op   any
	opts callOptions
}

func applyOptions(op any, opts []CallOption) any {
	if len(opts) == 0 {
		return op
	}
	w := withOptions{op: op}
	for _, o := range opts {
		if o != nil {
			o(&w.opts)
		}
	}
	return w
}

// MarshalJSON is the op's object with "options" as one more member.
func (w withOptions) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(w.op)
	if err != nil {
		return nil, err
	}
	opts, err := json.Marshal(w.opts)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRight(b, " \n")
	if len(b) < 2 || b[len(b)-1] != '}' {
		return nil, &Error{Kind: KindInternal, Message: "an operation is not a JSON object"}
	}
	sep := ","
	if bytes.Equal(bytes.TrimSpace(b[1:len(b)-1]), nil) {
		sep = ""
	}
	out := append(b[:len(b)-1:len(b)-1], sep+`"options":`...)
	out = append(out, opts...)
	return append(out, '}'), nil
}
