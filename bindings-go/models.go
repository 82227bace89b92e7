//go:build cgo

package noorle

import (
	"encoding/json"
	"time"
)

// KeyStatus is a key's lifecycle state.
type KeyStatus string

const (
	StatusActive   KeyStatus = "active"
	StatusInactive KeyStatus = "inactive"
	StatusRevoked  KeyStatus = "revoked"
)

// Permission is what a key allows.
type Permission string

const (
	PermRead    Permission = "read"
	PermExecute Permission = "execute"
	PermManage  Permission = "manage"
)

// Role is a service account's role.
type Role string

const (
	RoleOwner     Role = "owner"
	RoleAdmin     Role = "admin"
	RoleDeveloper Role = "developer"
	RoleViewer    Role = "viewer"
)

// OwnerType says who owns a key.
type OwnerType string

const (
	OwnerServiceAccount OwnerType = "service_account"
	OwnerUser           OwnerType = "user"
)

// Owner is a key's owner.
type Owner struct {
	Type OwnerType `json:"type"`
	ID   string    `json:"id"`
}

// ResourceRef is one resource a scoped key may touch: type "agent", "gateway" or "resource".
type ResourceRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Agent names an agent for a scope.
func Agent(id string) ResourceRef { return ResourceRef{Type: "agent", ID: id} }

// Gateway names a gateway for a scope.
func Gateway(id string) ResourceRef { return ResourceRef{Type: "gateway", ID: id} }

// Scope is account-wide (Type "account") or limited to Resources (Type "resources").
type Scope struct {
	Type      string        `json:"type"`
	Resources []ResourceRef `json:"resources,omitempty"`
}

// AccountScope is the account-wide scope.
func AccountScope() *Scope { return &Scope{Type: "account"} }

// ResourceScope limits a key to these resources.
func ResourceScope(refs ...ResourceRef) *Scope { return &Scope{Type: "resources", Resources: refs} }

// APIKeyRecord is an API key's record. It never contains the secret.
type APIKeyRecord struct {
	ID                 string       `json:"id"` // the access id
	Name               string       `json:"name"`
	Status             KeyStatus    `json:"status"`
	Owner              Owner        `json:"owner"`
	Scope              Scope        `json:"scope"`
	Permissions        []Permission `json:"permissions"`
	LastSix            string       `json:"last_six,omitempty"`
	RateLimitPerMinute *int         `json:"rate_limit_per_minute"`
	CreatedAt          time.Time    `json:"created_at"`
	LastUsedAt         *time.Time   `json:"last_used_at"`
	ExpiresAt          *time.Time   `json:"expires_at"`
	RevokedAt          *time.Time   `json:"revoked_at"`
	RotatedFrom        string       `json:"rotated_from,omitempty"`
}

// ServiceAccount is a non-human principal that owns keys.
type ServiceAccount struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Role        Role      `json:"role"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at"`
}

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

// CreatedAPIKey is a new key's record and, this once, the whole key.
type CreatedAPIKey struct {
	APIKey APIKeyRecord
	Key    APIKey
}

// CreatedServiceAccount is a new service account, its first key's record and, this once, the key.
type CreatedServiceAccount struct {
	ServiceAccount ServiceAccount
	APIKey         APIKeyRecord
	Key            APIKey
}

// RotatedAPIKey is the new key (and its secret, once) and the old key's record after rotation.
type RotatedAPIKey struct {
	APIKey   APIKeyRecord
	Key      APIKey
	Previous APIKeyRecord
}

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
// seconds), then is revoked.
type RotateFileParams struct {
	Path        string
	ID          string
	GracePeriod time.Duration
}

// RotationReport is what RotateFile did. Both keys appear redacted.
type RotationReport struct {
	OldID  string `json:"old_id"`
	OldKey string `json:"old_key"`
	NewID  string `json:"new_id"`
	NewKey string `json:"new_key"`
	Path   string `json:"path"`
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

// createdWire is the core's answer to creating a key or a service account.
type createdWire struct {
	ServiceAccount ServiceAccount  `json:"service_account"`
	APIKey         APIKeyRecord    `json:"api_key"`
	Key            string          `json:"key"`
	Previous       json.RawMessage `json:"previous"`
}

// key wraps the secret the server sent; it is already validated by the core.
func (w *createdWire) key() APIKey {
	return APIKey{&keyData{accessID: w.APIKey.ID, whole: w.Key}}
}
