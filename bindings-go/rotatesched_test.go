package noorle_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

// RotateFile with IfOlderThan: a key that is not due is left alone, a due one is rotated.
func TestRotateFileIfOlderThan(t *testing.T) {
	ctx := context.Background()
	key, c := freshKey(t)
	id := key.AccessID()
	f := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(f, []byte(key.ExposeSecret()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rotatePath := "/v1/api-keys/" + id + "/rotate"

	r, err := c.APIKeys.RotateFile(ctx, noorle.RotateFileParams{Path: f, GracePeriod: time.Minute, IfOlderThan: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if r.Rotated || r.NewID != id || r.OldID != id || r.Age >= 30*24*time.Hour {
		t.Fatalf("not due, yet: %+v", r)
	}
	if n := len(requestLog(t, id, "POST", rotatePath)); n != 0 {
		t.Errorf("%d rotate calls for a key that was not due", n)
	}
	if b, err := os.ReadFile(f); err != nil || string(b) != key.ExposeSecret()+"\n" {
		t.Errorf("the key file changed: %v", err)
	}

	// Any key is at least a nanosecond old: due.
	r, err = c.APIKeys.RotateFile(ctx, noorle.RotateFileParams{Path: f, GracePeriod: time.Minute, IfOlderThan: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Rotated || r.OldID != id || r.NewID == id {
		t.Fatalf("due, yet: %+v", r)
	}
	if n := len(requestLog(t, id, "POST", rotatePath)); n != 1 {
		t.Errorf("%d rotate calls, want 1", n)
	}
	loaded, err := noorle.LoadAPIKey(noorle.LoadOptions{APIKeyFile: f, NoEnvironment: true})
	if err != nil || loaded.Key.AccessID() != r.NewID {
		t.Fatalf("file holds %v (%v), report says %s", loaded, err, r.NewID)
	}

	_, err = c.APIKeys.RotateFile(ctx, noorle.RotateFileParams{Path: f, IfOlderThan: -time.Second})
	if !errors.Is(err, noorle.ErrConfig) {
		t.Errorf("a negative age: %v, want ErrConfig", err)
	}
}
