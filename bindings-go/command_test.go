//go:build cgo

package noorle_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

// The scripts of testdata/credential-commands play a secret manager's CLI.
func commandScript(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "testdata", "credential-commands", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAPIKeyCommandEndToEnd(t *testing.T) {
	key, _ := freshKey(t)
	dir := t.TempDir()
	kf := filepath.Join(dir, "key")
	if err := os.WriteFile(kf, []byte(key.ExposeSecret()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	counter := filepath.Join(dir, "runs")
	baseURL, _ := serverEnv(t)
	prog := commandScript(t, "print-key.sh")
	c, err := noorle.NewClient(noorle.WithAPIKeyCommand(prog, kf, counter), noorle.WithBaseURL(baseURL),
		noorle.WithoutEnvironment(), fastRetries())
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	defer c.Close()
	for i := 0; i < 2; i++ {
		me, err := c.Whoami(context.Background())
		if err != nil {
			t.Fatalf("Whoami: %v", err)
		}
		if me.ID != key.AccessID() {
			t.Fatalf("Whoami: access id %s, want %s", me.ID, key.AccessID())
		}
	}
	src := c.KeySource()
	if src.Kind != noorle.SourceCommand || src.Program != prog {
		t.Fatalf("KeySource: %+v", src)
	}
	if want := "command " + prog + " (from the api_key_command option)"; src.String() != want {
		t.Fatalf("KeySource().String() = %q, want %q", src.String(), want)
	}
	// No expiry: one run, the key cached for both calls.
	if runs, _ := os.ReadFile(counter); strings.TrimSpace(string(runs)) != "1" {
		t.Fatalf("the command ran %q times, want 1", runs)
	}
}

func TestAPIKeyCommandFailureIsRedactedConfigError(t *testing.T) {
	baseURL, _ := serverEnv(t)
	_, err := noorle.NewClient(noorle.WithAPIKeyCommand(commandScript(t, "fail.sh")), noorle.WithBaseURL(baseURL),
		noorle.WithoutEnvironment())
	if !errors.Is(err, noorle.ErrConfig) {
		t.Fatalf("NewClient: %v, want ErrConfig", err)
	}
	msg := err.Error()
	for _, want := range []string{"fail.sh", "exited with status 3", "ak-3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c***"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "LEAKED") {
		t.Errorf("error %q shows the secret", msg)
	}
}

func TestAPIKeyCommandFromTheEnvironmentAndItsTimeout(t *testing.T) {
	dir := t.TempDir()
	k := "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6"
	kf := filepath.Join(dir, "key")
	if err := os.WriteFile(kf, []byte(k+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	prog := commandScript(t, "print-key.sh")
	l, err := noorle.LoadAPIKey(noorle.LoadOptions{
		Env:          map[string]string{"NOORLE_API_KEY_COMMAND": `["` + prog + `", "` + kf + `"]`},
		DockerSecret: filepath.Join(dir, "none"),
	})
	if err != nil {
		t.Fatalf("LoadAPIKey: %v", err)
	}
	if l.Key.ExposeSecret() != k || l.Source.Kind != noorle.SourceCommand || l.Source.Variable != "NOORLE_API_KEY_COMMAND" {
		t.Fatalf("LoadAPIKey: %+v", l.Source)
	}
	_, err = noorle.LoadAPIKey(noorle.LoadOptions{
		APIKeyCommand:        []string{commandScript(t, "slow.sh"), filepath.Join(dir, "pid")},
		APIKeyCommandTimeout: 1500 * time.Millisecond,
		NoEnvironment:        true,
	})
	if !errors.Is(err, noorle.ErrConfig) || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("LoadAPIKey(slow): %v, want a config error about the timeout", err)
	}
}
