package noorle_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

// The core reads NOORLE_LOG once per process, when the first client is made: the check runs in
// a child process (this test binary, running only TestLogHelperProcess).
const logHelperVar = "NOORLE_GO_LOG_HELPER_KEY"

func TestLogHelperProcess(t *testing.T) {
	key := os.Getenv(logHelperVar)
	if key == "" {
		t.Skip("helper of TestNoorleLog")
	}
	c, err := noorle.NewClient(noorle.WithAPIKey(key), noorle.WithBaseURL(os.Getenv("NOORLE_BASE_URL")), noorle.WithoutEnvironment())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Whoami(context.Background()); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("helper done\n")
}

func runLogHelper(t *testing.T, secret string, extraEnv ...string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLogHelperProcess$", "-test.count=1")
	for _, v := range os.Environ() {
		if !strings.HasPrefix(v, "NOORLE_LOG=") {
			cmd.Env = append(cmd.Env, v)
		}
	}
	cmd.Env = append(cmd.Env, logHelperVar+"="+secret)
	cmd.Env = append(cmd.Env, extraEnv...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("helper: %v\nstdout:\n%s\nstderr:\n%s", err, redact(out.String(), secret), redact(errOut.String(), secret))
	}
	if !strings.Contains(out.String(), "helper done") {
		t.Fatalf("the helper did not run its calls:\n%s", out.String())
	}
	return out.String(), errOut.String()
}

func redact(s, secret string) string { return strings.ReplaceAll(s, secret, "<SECRET>") }

func TestNoorleLog(t *testing.T) {
	key, _ := freshKey(t)
	secret := key.ExposeSecret()
	secretPart := secret[len(secret)-32:]
	for _, level := range []string{"debug", "trace"} {
		stdout, stderr := runLogHelper(t, secret, "NOORLE_LOG="+level)
		// The request is logged, on stderr only.
		if !strings.Contains(stderr, "noorle") || !strings.Contains(stderr, selfPath) || !strings.Contains(stderr, "200") {
			t.Errorf("%s: no request in the log:\n%s", level, redact(stderr, secret))
		}
		if strings.Contains(stdout, selfPath) {
			t.Errorf("%s: log lines on stdout:\n%s", level, redact(stdout, secret))
		}
		if strings.Contains(stderr, secretPart) || strings.Contains(stdout, secretPart) {
			t.Errorf("%s: the log shows the secret:\n%s", level, redact(stderr, secret))
		}
	}
	// Without NOORLE_LOG nothing is logged.
	_, stderr := runLogHelper(t, secret)
	if strings.Contains(stderr, selfPath) {
		t.Errorf("logged without NOORLE_LOG:\n%s", redact(stderr, secret))
	}
}
