package noorle_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

const secretPart = "s9t0u1v2w3x4y5z6"
const redactedA = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***"

func TestRedactionInEveryFormatVerb(t *testing.T) {
	k := noorle.MustParseAPIKey(keyA)
	holder := struct {
		Name string
		Key  noorle.APIKey
		Ptr  *noorle.APIKey
	}{"x", k, &k}
	created := noorle.CreatedAPIKey{Key: k}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%10v", "%-50s", "%.5s", "%U", "%c", "%t", "%p", "%e", "%08v"} {
		for _, arg := range []any{k, &k, holder, &holder, created, &created, []noorle.APIKey{k}, map[string]noorle.APIKey{"k": k}} {
			s := fmt.Sprintf(verb, arg)
			if strings.Contains(s, secretPart) || strings.Contains(s, "0u1v2") {
				t.Errorf("%s of %T shows the secret: %s", verb, arg, s)
			}
		}
	}
	if got := fmt.Sprint(k); got != redactedA {
		t.Errorf("Sprint: %s", got)
	}
	if got := k.String(); got != redactedA {
		t.Errorf("String: %s", got)
	}
	if got := fmt.Sprintf("%#v", k); got != `noorle.APIKey("`+redactedA+`")` {
		t.Errorf("GoString: %s", got)
	}
	if got := fmt.Sprintf("%q", k); got != `"`+redactedA+`"` {
		t.Errorf("%%q: %s", got)
	}
}

func TestRedactionInJSONAndText(t *testing.T) {
	k := noorle.MustParseAPIKey(keyA)
	for _, v := range []any{k, &k, noorle.CreatedAPIKey{Key: k}, noorle.LoadedKey{Key: k}, map[string]any{"key": k}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secretPart)) || !bytes.Contains(b, []byte(redactedA)) {
			t.Errorf("json: %s", b)
		}
	}
	txt, _ := k.MarshalText()
	if string(txt) != redactedA {
		t.Errorf("text: %s", txt)
	}
	// As a map key (encoding.TextMarshaler).
	b, _ := json.Marshal(map[noorle.APIKey]int{k: 1})
	if bytes.Contains(b, []byte(secretPart)) {
		t.Errorf("json map key: %s", b)
	}
}

func TestRedactionInSlog(t *testing.T) {
	k := noorle.MustParseAPIKey(keyA)
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		l := slog.New(h)
		l.Info("using key", "key", k, "ptr", &k, slog.Any("any", k), slog.Group("g", "k", k))
		l.Info("loaded", "loaded", noorle.LoadedKey{Key: k})
	}
	out := buf.String()
	if strings.Contains(out, secretPart) || strings.Count(out, redactedA) < 8 {
		t.Errorf("slog output:\n%s", out)
	}
}

func TestKeyEqualityAndZero(t *testing.T) {
	a, b := noorle.MustParseAPIKey(keyA), noorle.MustParseAPIKey(keyA)
	c := noorle.MustParseAPIKey(keyB)
	if !a.Equal(b) || a.Equal(c) || a.IsZero() || !(noorle.APIKey{}).IsZero() {
		t.Error("equality")
	}
	var zero noorle.APIKey
	if zero.Redacted() != "" || fmt.Sprint(zero) != "" {
		t.Error("zero key")
	}
	if _, err := noorle.AuthHeaders(zero, ""); err == nil {
		t.Error("AuthHeaders of no key")
	}
	defer func() {
		r := recover()
		if r == nil || strings.Contains(fmt.Sprint(r), secretPart) {
			t.Errorf("MustParseAPIKey panic: %v", r)
		}
	}()
	noorle.MustParseAPIKey(keyA + "!")
}

func TestTransportPrintsNoKey(t *testing.T) {
	tr, err := noorle.NewTransport(nil, noorle.MustParseAPIKey(keyA), "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, tr); strings.Contains(s, secretPart) {
			t.Errorf("%s: %s", verb, s)
		}
	}
}
