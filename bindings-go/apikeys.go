//go:build cgo

package noorle

import (
	"context"
	"iter"
	"time"
	"unicode/utf8"
)

// APIKeysService carries the /v1/api-keys calls. Get it as client.APIKeys.
type APIKeysService struct{ c *Client }

type idOp struct {
	Op string `json:"op"`
	ID string `json:"id"`
}

func (s *APIKeysService) record(ctx context.Context, op any, opts []CallOption) (*APIKeyRecord, error) {
	return s.c.keyRecord(ctx, op, opts)
}

// Create makes a key for the calling principal (POST /v1/api-keys). The whole key is in the
// answer this once. Retries reuse one Idempotency-Key, so at most one key is created.
func (s *APIKeysService) Create(ctx context.Context, p CreateAPIKeyParams, opts ...CallOption) (*CreatedAPIKey, error) {
	op := struct {
		Op string `json:"op"`
		createKeyFields
	}{"api_keys.create", p.fields()}
	var out CreatedAPIKey
	if err := s.c.do(ctx, op, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// List returns one page of keys (GET /v1/api-keys).
func (s *APIKeysService) List(ctx context.Context, p ListAPIKeysParams, opts ...CallOption) (*Page[APIKeyRecord], error) {
	op := struct {
		Op string `json:"op"`
		ListAPIKeysParams
	}{"api_keys.list", p}
	var page Page[APIKeyRecord]
	if err := s.c.do(ctx, op, &page, opts); err != nil {
		return nil, err
	}
	return &page, nil
}

// ListAll walks every page from p.Offset; it stops after yielding an error.
func (s *APIKeysService) ListAll(ctx context.Context, p ListAPIKeysParams, opts ...CallOption) iter.Seq2[APIKeyRecord, error] {
	return walk(func(offset int) (*Page[APIKeyRecord], error) {
		q := p
		q.Offset = offset
		return s.List(ctx, q, opts...)
	}, p.Offset)
}

// Get returns one key's record.
func (s *APIKeysService) Get(ctx context.Context, id string, opts ...CallOption) (*APIKeyRecord, error) {
	return s.record(ctx, idOp{"api_keys.get", id}, opts)
}

// Update renames a key or changes its expiry.
func (s *APIKeysService) Update(ctx context.Context, id string, p UpdateAPIKeyParams, opts ...CallOption) (*APIKeyRecord, error) {
	return s.record(ctx, p.fields(id), opts)
}

// Deactivate makes a key inactive (it can be activated again).
func (s *APIKeysService) Deactivate(ctx context.Context, id string, opts ...CallOption) (*APIKeyRecord, error) {
	return s.record(ctx, idOp{"api_keys.deactivate", id}, opts)
}

// Activate makes an inactive key active (a revoked key is ErrConflict).
func (s *APIKeysService) Activate(ctx context.Context, id string, opts ...CallOption) (*APIKeyRecord, error) {
	return s.record(ctx, idOp{"api_keys.activate", id}, opts)
}

// Revoke disables a key for good.
func (s *APIKeysService) Revoke(ctx context.Context, id string, opts ...CallOption) (*APIKeyRecord, error) {
	return s.record(ctx, idOp{"api_keys.revoke", id}, opts)
}

// Delete removes a revoked key (any other is ErrConflict).
func (s *APIKeysService) Delete(ctx context.Context, id string, opts ...CallOption) error {
	return s.c.do(ctx, idOp{"api_keys.delete", id}, nil, opts)
}

// Rotate issues a new key with the same owner, name, scope and permissions; the old one keeps
// working for the grace period.
func (s *APIKeysService) Rotate(ctx context.Context, id string, p RotateAPIKeyParams, opts ...CallOption) (*RotatedAPIKey, error) {
	op := struct {
		Op    string `json:"op"`
		ID    string `json:"id"`
		Grace int64  `json:"grace_period_seconds"`
	}{"api_keys.rotate", id, int64(p.GracePeriod.Seconds())}
	var out RotatedAPIKey
	if err := s.c.do(ctx, op, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// RotateFile rotates a key with a grace period, writes the new key to p.Path atomically (temp
// file, fsync, rename, mode 0600), checks it with Whoami and reports both keys redacted. A failed
// step is an *Error naming the step and saying what still works. With p.IfOlderThan it rotates
// only when due, so it is safe at every start-up and from cron.
func (s *APIKeysService) RotateFile(ctx context.Context, p RotateFileParams, opts ...CallOption) (*RotationReport, error) {
	// encoding/json would replace bad bytes with U+FFFD and the key would go to another file.
	if !utf8.ValidString(p.Path) || !utf8.ValidString(p.ID) {
		return nil, &Error{Kind: KindConfig, Message: "the key file path or key id is not valid UTF-8"}
	}
	op := struct {
		Op          string  `json:"op"`
		Path        string  `json:"path"`
		ID          string  `json:"id,omitempty"`
		Grace       int64   `json:"grace_period_seconds"`
		IfOlderThan float64 `json:"if_older_than,omitempty"`
	}{"api_keys.rotate_file", p.Path, p.ID, int64(p.GracePeriod.Seconds()), p.IfOlderThan.Seconds()}
	var r struct {
		RotationReport
		AgeSeconds int64 `json:"age_seconds"`
	}
	if err := s.c.do(ctx, op, &r, opts); err != nil {
		return nil, err
	}
	r.RotationReport.Age = time.Duration(r.AgeSeconds) * time.Second
	return &r.RotationReport, nil
}

// walk turns a page getter into an iterator over every item.
func walk[T any](get func(offset int) (*Page[T], error), offset int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			page, err := get(offset)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
			if page.NextOffset == nil {
				return
			}
			offset = *page.NextOffset
		}
	}
}
