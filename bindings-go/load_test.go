package noorle_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

const (
	keyA = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6"
	keyB = "ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0Lm"
)

func writeFile(t *testing.T, path, text string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask-proof
		t.Fatal(err)
	}
	return path
}

// isolated returns load options reading only env and files under a temp folder.
func isolated(t *testing.T, env map[string]string) (noorle.LoadOptions, string) {
	dir := t.TempDir()
	if env == nil {
		env = map[string]string{}
	}
	return noorle.LoadOptions{
		Env:             env,
		CredentialsFile: filepath.Join(dir, "credentials"),
		DockerSecret:    filepath.Join(dir, "run-secrets-noorle_api_key"),
	}, dir
}

func TestLoadChainOrder(t *testing.T) {
	opts, dir := isolated(t, nil)
	credDir := filepath.Join(dir, "creds")
	writeFile(t, filepath.Join(credDir, "noorle_api_key"), keyB+"\n", 0o600)
	envFile := writeFile(t, filepath.Join(dir, "envfile"), keyB+"\n", 0o600)
	writeFile(t, opts.CredentialsFile, "[default]\napi_key = \""+keyA+"\"\n\n[ci]\napi_key = \""+keyB+"\"\nbase_url = \"http://example.test\"\n", 0o600)

	check := func(name string, o noorle.LoadOptions, want string, kind noorle.SourceKind) noorle.LoadedKey {
		t.Helper()
		l, err := noorle.LoadAPIKey(o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if l.Key.ExposeSecret() != want || l.Source.Kind != kind {
			t.Fatalf("%s: got %v from %v, want %s", name, l.Key, l.Source, kind)
		}
		return l
	}

	// 6. the profile file (default profile, then NOORLE_PROFILE, then an explicit profile).
	check("profile", opts, keyA, noorle.SourceProfile)
	o := opts
	o.Env = map[string]string{"NOORLE_PROFILE": "ci"}
	l := check("NOORLE_PROFILE", o, keyB, noorle.SourceProfile)
	if l.Source.Profile != "ci" || l.BaseURL != "http://example.test" {
		t.Errorf("profile source %+v, base url %q", l.Source, l.BaseURL)
	}
	o = opts
	o.Profile = "ci"
	check("explicit profile", o, keyB, noorle.SourceProfile)
	// 5. the Docker secret wins over the profile.
	writeFile(t, opts.DockerSecret, keyB, 0o600)
	check("docker", opts, keyB, noorle.SourceDockerSecret)
	// 4. $CREDENTIALS_DIRECTORY wins over the Docker secret.
	o = opts
	o.Env = map[string]string{"CREDENTIALS_DIRECTORY": credDir}
	l = check("credentials dir", o, keyB, noorle.SourceCredentialsDir)
	if !strings.HasSuffix(l.Source.Path, "noorle_api_key") {
		t.Errorf("path %q", l.Source.Path)
	}
	// 3. NOORLE_API_KEY_FILE.
	o.Env = map[string]string{"CREDENTIALS_DIRECTORY": credDir, "NOORLE_API_KEY_FILE": envFile}
	l = check("env file", o, keyB, noorle.SourceEnvFile)
	if l.Source.Variable != "NOORLE_API_KEY_FILE" || l.Source.Path != envFile {
		t.Errorf("source %+v", l.Source)
	}
	// 2. NOORLE_API_KEY.
	o.Env = map[string]string{"CREDENTIALS_DIRECTORY": credDir, "NOORLE_API_KEY": keyA}
	check("env", o, keyA, noorle.SourceEnv)
	// 1. explicit wins over everything.
	o.APIKey = keyB
	check("explicit", o, keyB, noorle.SourceExplicit)
}

func TestLoadBothEnvAndFileIsAConfigError(t *testing.T) {
	opts, dir := isolated(t, nil)
	opts.Env = map[string]string{"NOORLE_API_KEY": keyA, "NOORLE_API_KEY_FILE": writeFile(t, filepath.Join(dir, "k"), keyA, 0o600)}
	_, err := noorle.LoadAPIKey(opts)
	if !errors.Is(err, noorle.ErrConfig) {
		t.Fatalf("want ErrConfig, got %v", err)
	}
}

func TestLoadMissListsEveryPlace(t *testing.T) {
	opts, _ := isolated(t, nil)
	_, err := noorle.LoadAPIKey(opts)
	var e *noorle.Error
	if !errors.As(err, &e) || !errors.Is(err, noorle.ErrCredentialsNotFound) {
		t.Fatalf("want ErrCredentialsNotFound, got %v", err)
	}
	joined := strings.Join(e.Searched, "\n")
	for _, want := range []string{"NOORLE_API_KEY", "NOORLE_API_KEY_FILE", "CREDENTIALS_DIRECTORY", opts.DockerSecret, opts.CredentialsFile} {
		if !strings.Contains(joined, want) {
			t.Errorf("searched list lacks %q:\n%s", want, joined)
		}
	}
	if !strings.Contains(e.Error(), "NOORLE_API_KEY") {
		t.Errorf("message: %s", e.Error())
	}
	// NewClient reports the same.
	if _, err := noorle.NewClient(noorle.WithoutEnvironment()); !errors.Is(err, noorle.ErrCredentialsNotFound) {
		t.Errorf("NewClient without a key: %v", err)
	}
}

func TestLoadFileModes(t *testing.T) {
	dir := t.TempDir()
	ww := writeFile(t, filepath.Join(dir, "ww"), keyA, 0o666)
	_, err := noorle.LoadAPIKey(noorle.LoadOptions{APIKeyFile: ww, NoEnvironment: true})
	if !errors.Is(err, noorle.ErrConfig) || !strings.Contains(err.Error(), "writable") {
		t.Errorf("world-writable file: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "s9t0u1v2w3x4y5z6") {
		t.Errorf("message echoes the secret: %v", err)
	}
	gr := writeFile(t, filepath.Join(dir, "gr"), keyA, 0o640)
	l, err := noorle.LoadAPIKey(noorle.LoadOptions{APIKeyFile: gr, NoEnvironment: true})
	if err != nil || len(l.Warnings) == 0 || l.Source.Kind != noorle.SourceFile {
		t.Errorf("group-readable file: %v, warnings %v, source %v", err, l.Warnings, l.Source)
	}
}

func TestLoadInvalidKeyNamesTheSourceNotTheSecret(t *testing.T) {
	opts, _ := isolated(t, map[string]string{"NOORLE_API_KEY": "Bearer " + keyA})
	_, err := noorle.LoadAPIKey(opts)
	var e *noorle.Error
	if !errors.As(err, &e) || e.Code != "scheme_prefix" {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(e.Message, "NOORLE_API_KEY") || strings.Contains(e.Message, "s9t0u1v2w3x4y5z6") {
		t.Errorf("message: %s", e.Message)
	}
}

func TestWorldWritableRefusedFromEverySource(t *testing.T) {
	opts, dir := isolated(t, nil)
	ww := func(name, text string) string { return writeFile(t, filepath.Join(dir, name), text, 0o666) }
	credDir := filepath.Join(dir, "creds")
	writeFile(t, filepath.Join(credDir, "noorle_api_key"), keyA, 0o666)

	cases := map[string]noorle.LoadOptions{}
	o := opts
	o.Env = map[string]string{"NOORLE_API_KEY_FILE": ww("envfile", keyA)}
	cases["NOORLE_API_KEY_FILE"] = o
	o = opts
	o.Env = map[string]string{"CREDENTIALS_DIRECTORY": credDir}
	cases["CREDENTIALS_DIRECTORY"] = o
	o = opts
	o.DockerSecret = ww("docker-secret", keyA)
	cases["Docker secret"] = o
	o = opts
	o.CredentialsFile = ww("credentials", "[default]\napi_key = \""+keyA+"\"\n")
	cases["profile"] = o
	for name, o := range cases {
		_, err := noorle.LoadAPIKey(o)
		if !errors.Is(err, noorle.ErrConfig) || !strings.Contains(err.Error(), "writable") {
			t.Errorf("%s: world-writable file: %v", name, err)
		} else if strings.Contains(err.Error(), "s9t0u1v2w3x4y5z6") {
			t.Errorf("%s: message echoes the secret: %v", name, err)
		}
	}
	_, err := noorle.NewClient(noorle.WithAPIKeyFile(ww("client-file", keyA)), noorle.WithoutEnvironment())
	if !errors.Is(err, noorle.ErrConfig) || !strings.Contains(err.Error(), "writable") {
		t.Errorf("NewClient(WithAPIKeyFile): %v", err)
	}
}

func TestWorldWritableRefusedOnReload(t *testing.T) {
	ctx := context.Background()
	a := testAccount(t)
	first, _ := freshKey(t)
	second, _ := freshKey(t)
	dir := t.TempDir()
	path := writeFile(t, filepath.Join(dir, "key"), first.ExposeSecret()+"\n", 0o600)
	c := newClient(t, "", noorle.WithAPIKeyFile(path))
	if _, err := c.Whoami(ctx); err != nil {
		t.Fatal(err)
	}
	// The file is replaced in one step by a world-writable one holding the second key, and the
	// first key stops working: the 401 makes the client re-read the file, which it must refuse.
	staged := writeFile(t, filepath.Join(dir, "staged"), second.ExposeSecret()+"\n", 0o666)
	if err := os.Rename(staged, path); err != nil {
		t.Fatal(err)
	}
	if _, err := a.client.APIKeys.Revoke(ctx, first.AccessID()); err != nil {
		t.Fatal(err)
	}
	if me, err := c.Whoami(ctx); err == nil {
		t.Fatalf("the world-writable file's key was used: %+v", me)
	}
	if log := requestLog(t, second.AccessID(), "GET", selfPath); len(log) != 0 {
		t.Errorf("the second key reached the server: %+v", log)
	}
	// The control: once the file is private again, the same reload takes the second key.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if me, err := c.Whoami(ctx); err != nil || me.ID != second.AccessID() {
		t.Fatalf("after chmod 600: %+v %v", me, err)
	}
}

func TestOptionsThatAreNotUTF8AreRefused(t *testing.T) {
	// "key\xff" would reach the core as "key\uFFFD": another file, which exists here.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "key\uFFFD"), keyA, 0o600)
	bad := filepath.Join(dir, "key\xff")
	if _, err := noorle.LoadAPIKey(noorle.LoadOptions{APIKeyFile: bad, NoEnvironment: true}); !errors.Is(err, noorle.ErrConfig) || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("LoadAPIKey with a non-UTF-8 path: %v", err)
	}
	for name, opt := range map[string]noorle.Option{
		"key file":    noorle.WithAPIKeyFile(bad),
		"key":         noorle.WithAPIKey(keyA + "\xff"),
		"profile":     noorle.WithProfile("ci\xff"),
		"credentials": noorle.WithCredentialsFile(filepath.Join(dir, "cred\xff")),
		"base url":    noorle.WithBaseURL("http://127.0.0.1:9/\xff"),
		"env value":   noorle.WithEnv(map[string]string{"NOORLE_API_KEY_FILE": bad}),
		"env name":    noorle.WithEnv(map[string]string{"NOORLE_\xff": "x"}),
	} {
		_, err := noorle.NewClient(noorle.WithAPIKey(keyA), noorle.WithoutEnvironment(), opt)
		if !errors.Is(err, noorle.ErrConfig) || !strings.Contains(err.Error(), "UTF-8") {
			t.Errorf("%s: %v", name, err)
		} else if strings.Contains(err.Error(), secretPart) {
			t.Errorf("%s: the message shows the secret: %v", name, err)
		}
	}
	// The control: the valid name of the same file loads.
	if _, err := noorle.LoadAPIKey(noorle.LoadOptions{APIKeyFile: filepath.Join(dir, "key\uFFFD"), NoEnvironment: true}); err != nil {
		t.Errorf("the valid path: %v", err)
	}
}
