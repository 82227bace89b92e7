package noorle_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

func TestRotateFile(t *testing.T) {
	ctx := context.Background()
	keys := testAccount(t).client.APIKeys
	created, err := keys.Create(ctx, noorle.CreateAPIKeyParams{Name: "go-file-" + suffix()})
	if err != nil {
		t.Fatal(err)
	}
	id := created.APIKey.ID
	f := filepath.Join(t.TempDir(), "key")
	// Readable by others before: the rotation must leave the file 0600.
	if err := os.WriteFile(f, []byte(created.Key.ExposeSecret()), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := keys.RotateFile(ctx, noorle.RotateFileParams{Path: f, ID: id, GracePeriod: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if r.OldID != id || r.NewID == "" || r.NewID == id || r.Path != f || r.OldKeyValidUntil == nil {
		t.Fatalf("report %+v", r)
	}
	st, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %o, want 600", st.Mode().Perm())
	}
	loaded, err := noorle.LoadAPIKey(noorle.LoadOptions{APIKeyFile: f, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	newKey := loaded.Key
	if newKey.AccessID() != r.NewID {
		t.Errorf("file holds %s, report says %s", newKey.AccessID(), r.NewID)
	}
	report := fmt.Sprintf("%+v %s %s", r, r.OldKey, r.NewKey)
	for _, secret := range []string{created.Key.ExposeSecret(), newKey.ExposeSecret()} {
		if strings.Contains(report, secret) {
			t.Errorf("a whole key in the report: %s", report)
		}
	}
	// Within the grace period both keys work.
	for _, k := range []noorle.APIKey{created.Key, newKey} {
		if me, err := newClient(t, k.ExposeSecret()).Whoami(ctx); err != nil || me.ID != k.AccessID() {
			t.Errorf("key %s: %+v %v", k.AccessID(), me, err)
		}
	}
	if rec, err := keys.Get(ctx, r.NewID); err != nil || rec.RotatedFrom != id {
		t.Errorf("new record: %+v %v", rec, err)
	}
	if old, err := keys.Get(ctx, id); err != nil || old.RevokedAt == nil || !old.RevokedAt.Equal(*r.OldKeyValidUntil) {
		t.Errorf("old record: %+v %v (report says valid until %v)", old, err, r.OldKeyValidUntil)
	}
}

func TestRotateFileOwnKey(t *testing.T) {
	key, c := freshKey(t)
	f := filepath.Join(t.TempDir(), "key")
	r, err := c.APIKeys.RotateFile(context.Background(), noorle.RotateFileParams{Path: f})
	if err != nil {
		t.Fatal(err)
	}
	if r.OldID != key.AccessID() || r.NewID == key.AccessID() {
		t.Fatalf("report %+v, own key %s", r, key.AccessID())
	}
	loaded, err := noorle.LoadAPIKey(noorle.LoadOptions{APIKeyFile: f, NoEnvironment: true})
	if err != nil || loaded.Key.AccessID() != r.NewID {
		t.Fatalf("file: %v %v", loaded.Key, err)
	}
	// No grace period: the old key is revoked at once.
	if _, err := c.Whoami(context.Background()); !errors.Is(err, noorle.ErrAuthentication) {
		t.Errorf("old key after rotation without grace: %v", err)
	}
}

func TestRotateFileBadPathIsRefused(t *testing.T) {
	ctx := context.Background()
	keys := testAccount(t).client.APIKeys
	created, err := keys.Create(ctx, noorle.CreateAPIKeyParams{Name: "go-file-bad-" + suffix()})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err = keys.RotateFile(ctx, noorle.RotateFileParams{Path: filepath.Join(dir, "key\xff"), ID: created.APIKey.ID})
	if !errors.Is(err, noorle.ErrConfig) {
		t.Fatalf("want ErrConfig, got %v", err)
	}
	if rec, err := keys.Get(ctx, created.APIKey.ID); err != nil || rec.Status != noorle.StatusActive || rec.RevokedAt != nil {
		t.Errorf("the key was rotated anyway: %+v %v", rec, err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("files written: %v %v", entries, err)
	}
}
