package noorle_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

// shows reports whether any printed form of err holds secret.
func shows(err error, secret string) bool {
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if strings.Contains(fmt.Sprintf(f, err), secret) {
			return true
		}
	}
	return false
}

// secretOf is the secret half of a key (what must never be printed).
func secretOf(k noorle.APIKey) string {
	s := k.ExposeSecret()
	return s[3+32:]
}

func asError(t *testing.T, name string, err error) *noorle.Error {
	t.Helper()
	var e *noorle.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: want a *noorle.Error, got %#v", name, err)
	}
	return e
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	// B is where the redirect points: it must never see a request, so never the key.
	var hitsB atomic.Int32
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hitsB.Add(1)
		_, _ = w.Write([]byte(`{"api_key": {}}`))
	}))
	defer b.Close()
	port := b.Listener.Addr().(*net.TCPAddr).Port

	var target atomic.Value
	var hitsA atomic.Int32
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hitsA.Add(1)
		http.Redirect(w, r, target.Load().(string), http.StatusFound)
	}))
	defer a.Close()

	for _, to := range []string{
		fmt.Sprintf("http://localhost:%d/v1/api-keys/self", port),
		fmt.Sprintf("http://127.0.0.1:%d/", port),
	} {
		for _, scheme := range []noorle.HeaderScheme{noorle.SchemeXAPIKey, noorle.SchemeAPIKey, noorle.SchemeAuthorization} {
			target.Store(to)
			hitsA.Store(0)
			c := newClient(t, keyA, noorle.WithBaseURL(a.URL), noorle.WithHeaderScheme(scheme))
			_, err := c.Whoami(context.Background())
			name := fmt.Sprintf("302 to %s, %s", to, scheme)
			e := asError(t, name, err)
			if e.Kind != noorle.KindAPI || !errors.Is(err, noorle.ErrAPI) || e.Code != "redirect_not_followed" || e.Status != http.StatusFound {
				t.Errorf("%s: want api/redirect_not_followed/302, got %#v", name, e)
			}
			if shows(err, secretPart) {
				t.Errorf("%s: the error shows the secret: %v", name, err)
			}
			// One attempt at A (a redirect is not retried), none at B.
			if n := hitsA.Load(); n != 1 {
				t.Errorf("%s: A saw %d requests, want 1", name, n)
			}
		}
	}
	if n := hitsB.Load(); n != 0 {
		t.Fatalf("the redirect target received %d requests", n)
	}
}

func TestIdsThatRewriteThePathAreRefused(t *testing.T) {
	ctx := context.Background()
	key, c := freshKey(t)
	whole := key.ExposeSecret()
	secret := secretOf(key)
	calls := map[string]func(id string) error{
		"ServiceAccounts.CreateKey": func(id string) error {
			_, err := c.ServiceAccounts.CreateKey(ctx, id, noorle.CreateAPIKeyParams{Name: "never"})
			return err
		},
		"APIKeys.Get": func(id string) error { _, err := c.APIKeys.Get(ctx, id); return err },
		"APIKeys.Delete": func(id string) error {
			return c.APIKeys.Delete(ctx, id)
		},
		"ServiceAccounts.ListKeys": func(id string) error {
			_, err := c.ServiceAccounts.ListKeys(ctx, id, noorle.PageParams{})
			return err
		},
	}
	for name, call := range calls {
		for _, id := range []string{"", ".", "..", whole} {
			err := call(id)
			e := asError(t, fmt.Sprintf("%s(%q)", name, redact(id, whole)), err)
			if e.Kind != noorle.KindConfig || !errors.Is(err, noorle.ErrConfig) {
				t.Errorf("%s(%q): want a config error, got %#v", name, redact(id, whole), e)
			}
			if shows(err, secret) {
				t.Errorf("%s(whole key): the error shows the secret: %v", name, redact(err.Error(), whole))
			}
		}
	}
	// Nothing reached the server with this key.
	if log := requestLog(t, key.AccessID(), "", ""); len(log) != 0 {
		t.Fatalf("the server saw %+v", log)
	}
	// The control: an ordinary id is sent.
	if _, err := c.APIKeys.Get(ctx, "key_nope"); !errors.Is(err, noorle.ErrNotFound) {
		t.Fatalf("control: %v", err)
	}
	if log := requestLog(t, key.AccessID(), "", ""); len(log) != 1 {
		t.Fatalf("control: the server saw %+v", log)
	}
}

func TestHugeRetryAfterIsACleanError(t *testing.T) {
	// 2^64-1 seconds is clamped (24 h), longer than any wait the client accepts: the server's error
	// comes back after one attempt, with and without a total timeout.
	for _, status := range []int{429, 503} {
		for _, total := range []time.Duration{0, 2 * time.Second} {
			var opts []noorle.Option
			if total != 0 {
				opts = append(opts, noorle.WithTotalTimeout(total))
			}
			key, c := freshKey(t, opts...)
			fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "status", "status": status, "retry_after": uint64(math.MaxUint64)})
			_, err := c.Whoami(context.Background())
			name := fmt.Sprintf("%d, total %v", status, total)
			e := asError(t, name, err)
			want := noorle.ErrServer
			if status == 429 {
				want = noorle.ErrRateLimited
			}
			if !errors.Is(err, want) || e.Status != status || e.RetryAfter != 24*time.Hour {
				t.Errorf("%s: want the server's %d with Retry-After clamped to 24 h, got %#v", name, status, e)
			}
			if log := requestLog(t, key.AccessID(), "GET", selfPath); statuses(log) != fmt.Sprint(status) {
				t.Errorf("%s: server saw %+v", name, log)
			}
		}
	}
}

func TestIdempotencyKeyWithANewlineIsRefused(t *testing.T) {
	ctx := context.Background()
	key, c := freshKey(t)
	// A POST to an agent that does not exist: nothing is created whatever happens.
	const path = "/v1/agents/agt_nope/run"
	body := map[string]any{"input": "x"}
	for _, idem := range []string{"abc\ndef", "abc\r\nX-Injected: 1", "has space", strings.Repeat("a", 256)} {
		_, err := c.Request(ctx, "POST", path, &noorle.RequestParams{JSON: body, IdempotencyKey: idem})
		e := asError(t, fmt.Sprintf("%q", idem), err)
		if e.Kind != noorle.KindConfig || !errors.Is(err, noorle.ErrConfig) {
			t.Errorf("%q: want a config error, got %#v", idem, e)
		}
	}
	if log := requestLog(t, key.AccessID(), "", ""); len(log) != 0 {
		t.Fatalf("the server saw %+v", log)
	}
	// The control: a valid key is sent, once, as given.
	idem := "go-idem-" + suffix()
	_, err := c.Request(ctx, "POST", path, &noorle.RequestParams{JSON: body, IdempotencyKey: idem})
	if e := asError(t, "control", err); e.Kind == noorle.KindConfig {
		t.Fatalf("control: %v", err)
	}
	if log := requestLog(t, key.AccessID(), "POST", path); len(log) != 1 || deref(log[0].IdempotencyKey) != idem {
		t.Fatalf("control: the server saw %+v", log)
	}
}

// settled returns the log of method and path once a later marker request (GET /v1/gateways) has
// been logged: an attempt the client had started before returning would have arrived first.
func settled(t *testing.T, key noorle.APIKey, c *noorle.Client, method, path string) []logged {
	t.Helper()
	if _, err := c.Request(context.Background(), "GET", "/v1/gateways", nil); err != nil {
		t.Fatalf("marker request: %v", err)
	}
	return requestLog(t, key.AccessID(), method, path)
}

func TestTotalTimeoutBoundsTheWholeCall(t *testing.T) {
	ctx := context.Background()

	t.Run("stall after a retry", func(t *testing.T) {
		// A 503 is retried (inside the bound), then the retry stalls far past it: the call ends with
		// the total timeout and no third attempt starts, though retries remain. Without the total
		// timeout the stall would end (10 s, under the 60 s per-attempt timeout) and the call succeed.
		key, c := freshKey(t, noorle.WithTotalTimeout(3*time.Second), noorle.WithMaxRetries(5))
		fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "status", "status": 503})
		fault(t, key.AccessID(), "GET", selfPath, 5, map[string]any{"type": "stall", "ms": longStall})
		_, err := c.Whoami(ctx)
		e := asError(t, "stall", err)
		if !errors.Is(err, noorle.ErrTimeout) || !strings.Contains(e.Message, "total timeout") {
			t.Fatalf("want the total timeout, got %#v", e)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the total timeout is not a context deadline: %v", err)
		}
		log := settled(t, key, c, "GET", selfPath)
		if len(log) != 2 || deref(log[0].Status) != "503" || deref(log[1].Fault) != "stall" {
			t.Fatalf("want a 503 then one stalled attempt, server saw %+v", log)
		}
	})

	t.Run("Retry-After past the bound", func(t *testing.T) {
		// 30 s is a wait the client accepts (under its 60 s limit): only the 2 s bound refuses it.
		for _, after := range []int{30, 3600} {
			key, c := freshKey(t, noorle.WithTotalTimeout(2*time.Second))
			fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "status", "status": 503, "retry_after": after})
			_, err := c.Whoami(ctx)
			e := asError(t, "503", err)
			if e.Kind != noorle.KindServer || e.Status != 503 || e.RetryAfter != time.Duration(after)*time.Second {
				t.Errorf("retry_after %d: want the server's 503 at once, got %#v", after, e)
			}
			if log := settled(t, key, c, "GET", selfPath); statuses(log) != "503" {
				t.Errorf("retry_after %d: server saw %+v", after, log)
			}
		}
	})

	t.Run("per call overrides the client", func(t *testing.T) {
		// A bound on one call where the client has none.
		key, c := freshKey(t)
		fault(t, key.AccessID(), "GET", "/v1/agents", 1, map[string]any{"type": "status", "status": 503, "retry_after": 30})
		_, err := c.Request(ctx, "GET", "/v1/agents", &noorle.RequestParams{TotalTimeout: 2 * time.Second})
		if e := asError(t, "per call", err); e.Status != 503 {
			t.Errorf("per call: want the 503, got %#v", e)
		}
		if log := settled(t, key, c, "GET", "/v1/agents"); statuses(log) != "503" {
			t.Errorf("per call: server saw %+v", log)
		}

		// A longer bound on one call than the client's: the 1 s wait fits it, and is retried.
		key, c = freshKey(t, noorle.WithTotalTimeout(500*time.Millisecond))
		fault(t, key.AccessID(), "GET", "/v1/agents", 1, map[string]any{"type": "status", "status": 503, "retry_after": 1})
		if _, err := c.Request(ctx, "GET", "/v1/agents", &noorle.RequestParams{TotalTimeout: time.Hour}); err != nil {
			t.Fatalf("per call, longer: %v", err)
		}
		if log := requestLog(t, key.AccessID(), "GET", "/v1/agents"); statuses(log) != "503,200" {
			t.Errorf("per call, longer: server saw %+v", log)
		}
		// The client's own bound still applies to calls without one.
		fault(t, key.AccessID(), "GET", "/v1/agents", 1, map[string]any{"type": "status", "status": 503, "retry_after": 1})
		if _, err := c.Request(ctx, "GET", "/v1/agents", nil); asError(t, "client bound", err).Status != 503 {
			t.Errorf("client bound: want the 503, got %v", err)
		}
		if log := settled(t, key, c, "GET", "/v1/agents"); statuses(log) != "503,200,503" {
			t.Errorf("client bound: server saw %+v", log)
		}
	})

	t.Run("the context deadline still applies", func(t *testing.T) {
		key, c := freshKey(t, noorle.WithTotalTimeout(time.Hour))
		fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "stall", "ms": longStall})
		cx := newExpiring()
		done := whoamiAsync(cx, c)
		waitLog(t, key.AccessID(), "GET", selfPath, faulted("stall"))
		cx.expire()
		if err := <-done; !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, noorle.ErrTimeout) {
			t.Fatalf("want DeadlineExceeded, got %v", err)
		}
	})

	t.Run("invalid values", func(t *testing.T) {
		_, err := noorle.NewClient(noorle.WithAPIKey(keyA), noorle.WithoutEnvironment(), noorle.WithTotalTimeout(-time.Second))
		if !errors.Is(err, noorle.ErrConfig) {
			t.Errorf("negative total timeout: %v", err)
		}
	})
}

func TestKeyFileWithBOMIsRefused(t *testing.T) {
	dir := t.TempDir()
	keyFile := writeFile(t, filepath.Join(dir, "key"), "\ufeff"+keyA+"\n", 0o600)
	creds := writeFile(t, filepath.Join(dir, "credentials"), "\ufeff[default]\napi_key = \""+keyA+"\"\n", 0o600)
	// Only what each case names is read (an isolated environment, HOME without credentials).
	isolate := noorle.WithEnv(map[string]string{"HOME": dir})
	for name, opts := range map[string][]noorle.Option{
		"key file":            {noorle.WithAPIKeyFile(keyFile), isolate},
		"credentials file":    {noorle.WithCredentialsFile(creds), isolate},
		"NOORLE_API_KEY_FILE": {noorle.WithEnv(map[string]string{"NOORLE_API_KEY_FILE": keyFile})},
	} {
		_, err := noorle.NewClient(append(opts, noorle.WithBaseURL("http://127.0.0.1:1"))...)
		e := asError(t, name, err)
		if e.Kind != noorle.KindConfig || !strings.Contains(e.Message, "BOM") {
			t.Errorf("%s: want a config error naming the BOM, got %#v", name, e)
		}
		if shows(err, secretPart) {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
	// The control: the same key without the BOM loads.
	writeFile(t, keyFile, keyA+"\n", 0o600)
	c, err := noorle.NewClient(noorle.WithAPIKeyFile(keyFile), isolate, noorle.WithBaseURL("http://127.0.0.1:1"))
	if err != nil {
		t.Fatalf("without the BOM: %v", err)
	}
	_ = c.Close()
}

// The child process of TestNonUTF8EnvKeyIsAnError: loads the key from its own environment and
// prints what happened, as JSON.
const envHelperVar = "NOORLE_GO_ENV_HELPER"

func TestEnvHelperProcess(t *testing.T) {
	if os.Getenv(envHelperVar) == "" {
		t.Skip("helper of TestNonUTF8EnvKeyIsAnError")
	}
	describe := func(err error) map[string]string {
		var e *noorle.Error
		if err == nil {
			return map[string]string{"kind": "none"}
		}
		if !errors.As(err, &e) {
			return map[string]string{"kind": "not an *Error", "message": err.Error()}
		}
		return map[string]string{"kind": string(e.Kind), "message": e.Error()}
	}
	_, loadErr := noorle.LoadAPIKey(noorle.LoadOptions{})
	_, clientErr := noorle.NewClient(noorle.WithBaseURL("http://127.0.0.1:1"))
	out, _ := json.Marshal(map[string]any{"load": describe(loadErr), "client": describe(clientErr)})
	os.Stdout.Write(append([]byte("RESULT "), append(out, '\n')...))
}

func runEnvHelper(t *testing.T, env ...string) map[string]map[string]string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEnvHelperProcess$", "-test.count=1")
	// Raw bytes: Go passes the environment through unchanged, valid UTF-8 or not.
	cmd.Env = append([]string{envHelperVar + "=1", "HOME=" + t.TempDir()}, env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, redact(string(out), secretPart))
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "RESULT "); ok {
			var r map[string]map[string]string
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	t.Fatalf("the helper printed no result:\n%s", redact(string(out), secretPart))
	return nil
}

func TestNonUTF8EnvKeyIsAnError(t *testing.T) {
	// A key with one byte that is not UTF-8: it must not count as "no key".
	bad := keyA[:20] + "\xff" + keyA[20:]
	r := runEnvHelper(t, "NOORLE_API_KEY="+bad)
	for _, via := range []string{"load", "client"} {
		got := r[via]
		if got["kind"] != string(noorle.KindConfig) || !strings.Contains(got["message"], "NOORLE_API_KEY") || !strings.Contains(got["message"], "UTF-8") {
			t.Errorf("%s: want a config error naming NOORLE_API_KEY, got %v", via, got)
		}
		if strings.Contains(got["message"], secretPart) || strings.Contains(got["message"], "0u1v2") {
			t.Errorf("%s: the message shows the value: %v", via, got)
		}
	}
	// The control: without the variable, the same child finds no key.
	r = runEnvHelper(t)
	for _, via := range []string{"load", "client"} {
		if r[via]["kind"] != string(noorle.KindCredentialsNotFound) {
			t.Errorf("%s without the variable: %v", via, r[via])
		}
	}
}

func TestCredentialsFileThatIsNotARegularFile(t *testing.T) {
	// A FIFO would block a plain open for ever (no writer); /dev/zero would never end. Both are
	// refused as config errors. A hang here fails on the go test timeout.
	for _, kind := range []string{"fifo", "/dev/zero symlink"} {
		home := t.TempDir()
		path := filepath.Join(home, ".noorle", "credentials")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if kind == "fifo" {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Fatal(err)
			}
		} else if err := os.Symlink("/dev/zero", path); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"HOME": home}
		_, err := noorle.NewClient(noorle.WithEnv(env), noorle.WithBaseURL("http://127.0.0.1:1"))
		if e := asError(t, kind, err); e.Kind != noorle.KindConfig || !strings.Contains(e.Message, "not a regular file") {
			t.Errorf("%s: NewClient: want a config error, got %#v", kind, e)
		}
		_, err = noorle.LoadAPIKey(noorle.LoadOptions{Env: env, DockerSecret: filepath.Join(home, "none")})
		if e := asError(t, kind, err); e.Kind != noorle.KindConfig || !strings.Contains(e.Message, "not a regular file") {
			t.Errorf("%s: LoadAPIKey: want a config error, got %#v", kind, e)
		}
	}
}

func TestServerErrorsAreRedacted(t *testing.T) {
	ctx := context.Background()
	leaked := noorle.MustParseAPIKey(keyB)
	leakedSecret := secretOf(leaked)

	// The local server's status fault, with a key as its code.
	key, c := freshKey(t)
	fault(t, key.AccessID(), "GET", selfPath, 1, map[string]any{"type": "status", "status": 400, "code": keyB})
	_, err := c.Whoami(ctx)
	e := asError(t, "fault code", err)
	if e.Status != 400 || e.Code != leaked.Redacted() {
		t.Errorf("fault code: want the code redacted to %s, got %#v", leaked.Redacted(), e)
	}
	if shows(err, leakedSecret) {
		t.Errorf("fault code: the error shows the secret: %#v", e)
	}
	if log := requestLog(t, key.AccessID(), "GET", selfPath); statuses(log) != "400" {
		t.Errorf("fault code: server saw %+v", log)
	}

	// A server whose error envelope carries a key in its message and details.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
			"code":    "conflict " + keyB,
			"message": "the key " + keyB + " exists",
			"details": map[string]any{"key": keyB, "nested": map[string]any{"keys": []any{"x", keyB}}},
		}})
	}))
	defer srv.Close()
	c = newClient(t, keyA, noorle.WithBaseURL(srv.URL))
	_, err = c.Whoami(ctx)
	e = asError(t, "details", err)
	if e.Kind != noorle.KindConflict || e.Code != "conflict "+leaked.Redacted() || e.Details["key"] != leaked.Redacted() {
		t.Errorf("details: want the key redacted, got %#v", e)
	}
	nested, _ := json.Marshal(e.Details)
	if strings.Contains(string(nested), leakedSecret) || !strings.Contains(string(nested), leaked.Redacted()) {
		t.Errorf("details: %s", nested)
	}
	if shows(err, leakedSecret) || strings.Contains(e.Message, leakedSecret) {
		t.Errorf("details: the error shows the secret: %#v", e)
	}
}

func TestDeepAndCyclicBodiesAreRefusedCleanly(t *testing.T) {
	// A body nested deeper than the core accepts (128 levels), and one that contains itself: each
	// is a config error before anything is sent, never a crash or a hang.
	ctx := context.Background()
	key, c := freshKey(t)
	var deep any = "leaf"
	for i := 0; i < 5000; i++ {
		deep = []any{deep}
	}
	cyclic := map[string]any{"name": "loop"}
	cyclic["self"] = cyclic
	for name, body := range map[string]any{"deep": deep, "cyclic": cyclic} {
		_, err := c.Request(ctx, "POST", "/v1/service-accounts", &noorle.RequestParams{JSON: body})
		if !errors.Is(err, noorle.ErrConfig) {
			t.Errorf("%s body: want a config error, got %v", name, err)
		}
	}
	if log := requestLog(t, key.AccessID(), "", ""); len(log) != 0 {
		t.Fatalf("the server saw %+v", log)
	}
	// The control: a shallow body is sent.
	shallow := map[string]any{"name": "ok-" + suffix(), "role": "viewer"}
	if _, err := c.Request(ctx, "POST", "/v1/service-accounts", &noorle.RequestParams{JSON: shallow}); err != nil {
		t.Fatalf("control: %v", err)
	}
	if log := requestLog(t, key.AccessID(), "POST", "/v1/service-accounts"); len(log) != 1 {
		t.Fatalf("control: the server saw %+v", log)
	}
}
