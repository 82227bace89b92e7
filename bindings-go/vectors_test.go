package noorle_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

type vectors struct {
	ParseValid []struct {
		Input    string `json:"input"`
		AccessID string `json:"access_id"`
		Secret   string `json:"secret"`
		Redacted string `json:"redacted"`
	} `json:"parse_valid"`
	ParseInvalid []struct {
		Input    string `json:"input"`
		Error    string `json:"error"`
		Position *int   `json:"position"`
	} `json:"parse_invalid"`
	Load []struct {
		Raw   string `json:"raw"`
		Key   string `json:"key"`
		Error string `json:"error"`
	} `json:"load"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "api_keys.json"))
	if err != nil {
		t.Fatalf("reading the shared vectors: %v", err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.ParseValid) == 0 || len(v.ParseInvalid) == 0 || len(v.Load) == 0 {
		t.Fatal("the vectors file has no cases")
	}
	return v
}

func TestVectorsParseValid(t *testing.T) {
	for _, c := range loadVectors(t).ParseValid {
		k, err := noorle.ParseAPIKey(c.Input)
		if err != nil {
			t.Fatalf("%s: %v", c.Redacted, err)
		}
		if k.AccessID() != c.AccessID || k.Redacted() != c.Redacted || k.ExposeSecret() != c.Input {
			t.Errorf("got %s / %s", k.AccessID(), k.Redacted())
		}
		if !strings.HasSuffix(k.ExposeSecret(), c.Secret) {
			t.Errorf("%s: secret part differs", c.Redacted)
		}
	}
}

func TestVectorsParseInvalid(t *testing.T) {
	for _, c := range loadVectors(t).ParseInvalid {
		_, err := noorle.ParseAPIKey(c.Input)
		var e *noorle.Error
		if !errors.As(err, &e) || !errors.Is(err, noorle.ErrInvalidAPIKey) || e.Kind != noorle.KindInvalidAPIKey {
			t.Fatalf("%q: want an invalid key error, got %v", c.Input, err)
		}
		if e.Code != c.Error {
			t.Errorf("%q: code %q, want %q", c.Input, e.Code, c.Error)
		}
		// Every vector names its position but the empty one, whose position is its length, 0.
		want := 0
		if c.Position != nil {
			want = *c.Position
		} else if c.Input != "" {
			t.Errorf("%q: the vector has no position", c.Input)
		}
		if e.Position != want {
			t.Errorf("%q: position %d, want %d", c.Input, e.Position, want)
		}
		// Nothing after the access id may be echoed.
		if len(c.Input) > 43 {
			tail := c.Input[len(c.Input)-8:]
			if strings.Contains(e.Error(), tail) {
				t.Errorf("%q: message echoes part of the secret: %s", c.Input, e.Error())
			}
		}
	}
}

func TestVectorsLoad(t *testing.T) {
	dir := t.TempDir()
	for i, c := range loadVectors(t).Load {
		path := filepath.Join(dir, "key"+string(rune('a'+i)))
		if err := os.WriteFile(path, []byte(c.Raw), 0o600); err != nil {
			t.Fatal(err)
		}
		for name, opts := range map[string]noorle.LoadOptions{
			"file": {APIKeyFile: path, NoEnvironment: true},
			"env":  {Env: map[string]string{"NOORLE_API_KEY": c.Raw}, CredentialsFile: filepath.Join(dir, "none"), DockerSecret: filepath.Join(dir, "none")},
		} {
			l, err := noorle.LoadAPIKey(opts)
			if c.Error != "" {
				var e *noorle.Error
				if !errors.As(err, &e) || e.Code != c.Error {
					t.Errorf("%s %q: want %s, got %v", name, c.Raw, c.Error, err)
				}
				continue
			}
			if err != nil || l.Key.ExposeSecret() != c.Key {
				t.Errorf("%s %q: got %v, %v", name, c.Raw, l.Key, err)
			}
		}
	}
}
