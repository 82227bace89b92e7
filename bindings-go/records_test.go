package noorle_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

// A key record as the core passes it on (timestamps are RFC 3339 strings across the FFI).
const recordJSON = `{"id": "0123456789abcdef0123456789abcdef", "name": "ci", "status": "active",
 "owner": {"type": "service_account", "id": "6f1c3a52-2f8e-4c1f-9d7e-1a2b3c4d5e6f"},
 "scope": {"type": "account"}, "permissions": ["read"], "last_six": "x4y5z6",
 "rate_limit_per_minute": null, "created_at": "2026-01-02T03:04:05Z", "last_used_at": null,
 "expires_at": "2026-02-01T00:00:00Z", "revoked_at": null, "rotated_from": null}`

func withField(t *testing.T, field string, value any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(recordJSON), &m); err != nil {
		t.Fatal(err)
	}
	if value == nil {
		m[field] = nil
	} else if value == "<absent>" {
		delete(m, field)
	} else {
		m[field] = value
	}
	b, _ := json.Marshal(m)
	return b
}

func TestRecordTimestampsAreTyped(t *testing.T) {
	var r noorle.APIKeyRecord
	if err := json.Unmarshal([]byte(recordJSON), &r); err != nil {
		t.Fatal(err)
	}
	if !r.CreatedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) || r.ExpiresAt == nil ||
		!r.ExpiresAt.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) || r.LastUsedAt != nil {
		t.Errorf("timestamps: %+v", r)
	}
	if r.LastSix != "x4y5z6" || r.Owner.Type != noorle.OwnerServiceAccount || r.Scope.Type != noorle.ScopeAccount {
		t.Errorf("fields: %+v", r)
	}
}

func TestRecordRefusesMissingNullOrBadRequiredFields(t *testing.T) {
	for _, c := range []struct {
		field string
		value any
	}{
		{"created_at", "yesterday"},
		{"created_at", nil},
		{"created_at", "<absent>"},
		{"last_six", "<absent>"},
		{"last_six", nil},
		{"expires_at", "2026-13-01T00:00:00Z"},
		{"revoked_at", "<absent>"}, // required, though it may be null
	} {
		var r noorle.APIKeyRecord
		err := json.Unmarshal(withField(t, c.field, c.value), &r)
		if err == nil {
			t.Errorf("%s = %v: decoded without error: %+v", c.field, c.value, r)
		}
	}
	// A service account's description is required and may be empty, never null.
	var sa noorle.ServiceAccount
	ok := `{"id": "6f1c3a52-2f8e-4c1f-9d7e-1a2b3c4d5e6f", "name": "a", "description": "", "role": "viewer", "enabled": true, "created_at": "2026-01-02T03:04:05Z"}`
	if err := json.Unmarshal([]byte(ok), &sa); err != nil || sa.Description != "" || sa.Role != noorle.RoleViewer {
		t.Errorf("service account: %v %+v", err, sa)
	}
	if err := json.Unmarshal([]byte(strings.Replace(ok, `"description": ""`, `"description": null`, 1)), &sa); err == nil {
		t.Error("a null description decoded without error")
	}
}

func TestRequiredFieldsAreAlwaysEncoded(t *testing.T) {
	b, err := json.Marshal(noorle.APIKeyRecord{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{`"last_six":""`, `"created_at":"0001-01-01T00:00:00Z"`} {
		if !strings.Contains(string(b), f) {
			t.Errorf("%s missing from %s", f, b)
		}
	}
	b, _ = json.Marshal(noorle.ServiceAccount{})
	if !strings.Contains(string(b), `"description":""`) {
		t.Errorf("description missing from %s", b)
	}
}

func TestKeySourceIsTheCoresText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(keyA+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, _ := serverEnv(t)
	c, err := noorle.NewClient(noorle.WithAPIKeyFile(path), noorle.WithoutEnvironment(), noorle.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := c.KeySource()
	if s.Kind != noorle.SourceFile || s.Display == "" || s.String() != s.Display || !strings.Contains(s.String(), path) {
		t.Errorf("key source %+v, shown as %q", s, s.String())
	}
}
