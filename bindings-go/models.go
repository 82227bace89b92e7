//go:build cgo

package noorle

import (
	"encoding/json"
	"fmt"
	"time"
)

// Agent names an agent for a scope.
func Agent(id string) ResourceRef { return ResourceRef{Type: ResourceTypeAgent, ID: id} }

// Gateway names a gateway for a scope.
func Gateway(id string) ResourceRef { return ResourceRef{Type: ResourceTypeGateway, ID: id} }

// AccountScope is the account-wide scope.
func AccountScope() *Scope { return &Scope{Type: ScopeAccount} }

// ResourceScope limits a key to these resources.
func ResourceScope(refs ...ResourceRef) *Scope { return &Scope{Type: ScopeResources, Resources: refs} }

// Page is one page of a list.
type Page[T any] struct {
	Items      []T  `json:"items"`
	Total      int  `json:"total"`
	Limit      int  `json:"limit"`
	Offset     int  `json:"offset"`
	NextOffset *int `json:"next_offset"` // nil on the last page
}

// HasNext reports whether another page follows.
func (p *Page[T]) HasNext() bool { return p.NextOffset != nil }

// CreateAPIKeyParams create a key; unset fields default to the creator's own.
type CreateAPIKeyParams struct {
	Name               string
	Scope              *Scope
	Permissions        []Permission
	ExpiresAt          time.Time // zero: never
	RateLimitPerMinute int       // 0: the server's default
}

func (p CreateAPIKeyParams) fields() createKeyFields {
	f := createKeyFields{Name: p.Name, Scope: p.Scope, Permissions: p.Permissions}
	if !p.ExpiresAt.IsZero() {
		f.ExpiresAt = p.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if p.RateLimitPerMinute != 0 {
		f.RateLimitPerMinute = &p.RateLimitPerMinute
	}
	return f
}

type createKeyFields struct {
	Name               string       `json:"name"`
	Scope              *Scope       `json:"scope,omitempty"`
	Permissions        []Permission `json:"permissions,omitempty"`
	ExpiresAt          string       `json:"expires_at,omitempty"`
	RateLimitPerMinute *int         `json:"rate_limit_per_minute,omitempty"`
}

// ListAPIKeysParams filter and page GET /v1/api-keys. Zero fields are left to the server.
type ListAPIKeysParams struct {
	Status           KeyStatus `json:"status,omitempty"`
	OwnerType        OwnerType `json:"owner_type,omitempty"`
	ServiceAccountID string    `json:"service_account_id,omitempty"`
	Limit            int       `json:"limit,omitempty"`
	Offset           int       `json:"offset,omitempty"`
}

// PageParams page a list: Limit 1..100 (0: the server's default, 20), Offset from 0.
type PageParams struct {
	Limit  int `json:"limit,omitempty"`
	Offset int `json:"offset,omitempty"`
}

// UpdateAPIKeyParams rename a key or change its expiry. Nil fields are left alone.
type UpdateAPIKeyParams struct {
	Name        *string
	ExpiresAt   *time.Time
	ClearExpiry bool // remove the expiry (sends expires_at: null)
}

func (p UpdateAPIKeyParams) fields(id string) map[string]any {
	m := map[string]any{"op": "api_keys.update", "id": id}
	if p.Name != nil {
		m["name"] = *p.Name
	}
	if p.ClearExpiry {
		m["expires_at"] = nil
	} else if p.ExpiresAt != nil {
		m["expires_at"] = p.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return m
}

// RotateAPIKeyParams: the old key keeps working GracePeriod (0 to 7 days, whole seconds), then
// is revoked.
type RotateAPIKeyParams struct {
	GracePeriod time.Duration
}

// RotateFileParams: rotate the key ID (empty: the client's own key) and write the new one to
// Path (atomically, mode 0600); the old key keeps working GracePeriod (0 to 7 days, whole
// seconds), then is revoked. With IfOlderThan above zero, only a key at least that old (by its
// created_at) is rotated; otherwise nothing changes and the report's Rotated is false. Two
// processes doing it at once on one host make one rotation (a lock on Path + ".lock").
type RotateFileParams struct {
	Path        string
	ID          string
	GracePeriod time.Duration
	IfOlderThan time.Duration
}

// RotationReport is what RotateFile did. Both keys appear redacted. When the key was not due,
// nothing changed and NewID/NewKey name the key in use (the same as OldID/OldKey).
type RotationReport struct {
	// Whether a new key was made (false: not due).
	Rotated bool `json:"rotated"`
	// The age, by its created_at, of the key that was checked (the old key when rotated).
	Age    time.Duration `json:"-"`
	OldID  string        `json:"old_id"`
	OldKey string        `json:"old_key"`
	NewID  string        `json:"new_id"`
	NewKey string        `json:"new_key"`
	Path   string        `json:"path"`
	// When the old key stops working (the old record's revoked_at).
	OldKeyValidUntil *time.Time `json:"old_key_valid_until"`
}

// CreateServiceAccountParams create a service account (Role default developer).
type CreateServiceAccountParams struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Role        Role   `json:"role,omitempty"`
}

// UpdateServiceAccountParams change a service account. Nil fields are left alone.
type UpdateServiceAccountParams struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	Role        *Role   `json:"role,omitempty"`
	Enabled     *bool   `json:"enabled,omitempty"`
}

// Ptr returns a pointer to v, for the optional fields of the Update params.
func Ptr[T any](v T) *T { return &v }

// wireFields are a record's required fields and those of them that may not be null.
type wireFields struct {
	Required []string
	NonNull  []string
}

// decodeRecord decodes b into out (the record's type without its UnmarshalJSON) after checking
// that every required field is present and not null unless null is allowed: a missing or null
// created_at is a decoding error, never a zero time. A timestamp that is not RFC 3339 fails in
// time.Time's own decoding.
func decodeRecord(b []byte, name string, f wireFields, out any) error {
	if done, err := checkFields(b, name, f); done {
		if err != nil {
			return err
		}
		return json.Unmarshal(b, out)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if fields == nil {
		return fmt.Errorf("%s: null where an object is required", name)
	}
	for _, k := range f.Required {
		if _, ok := fields[k]; !ok {
			return fmt.Errorf("%s: the required field %q is missing", name, k)
		}
	}
	for _, k := range f.NonNull {
		if string(fields[k]) == "null" {
			return fmt.Errorf("%s: the field %q is null", name, k)
		}
	}
	return json.Unmarshal(b, out)
}

// checkFields is decodeRecord's check in one pass over b's top-level members (with the wire
// reader, wire.go), without building a map: done is false where it cannot decide (a key with an
// escape, not an object, more fields than it tracks), and the map-based check then runs. b is
// valid JSON (encoding/json checked it before calling an UnmarshalJSON).
func checkFields(b []byte, name string, f wireFields) (done bool, err error) {
	const most = 32
	if len(f.Required) > most || len(f.NonNull) > most {
		return false, nil
	}
	var present, nonNullNull [most]bool
	r := wireReader{b: b, ok: true}
	r.eat('{')
	for first := true; r.ok; {
		key, more := r.member(&first)
		if !more {
			break
		}
		null := r.null()
		if !null {
			r.skip()
		}
		// A repeated key counts by its last value, as in a map.
		for i, k := range f.Required {
			if string(key) == k {
				present[i] = true
			}
		}
		for i, k := range f.NonNull {
			if string(key) == k {
				nonNullNull[i] = null
			}
		}
	}
	if !r.ok {
		return false, nil
	}
	for i, k := range f.Required {
		if !present[i] {
			return true, fmt.Errorf("%s: the required field %q is missing", name, k)
		}
	}
	for i, k := range f.NonNull {
		if nonNullNull[i] {
			return true, fmt.Errorf("%s: the field %q is null", name, k)
		}
	}
	return true, nil
}
