//go:build cgo

package noorle

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The core's whoami answer, as its serializer writes it.
const wireRecord = `{"api_key":{"id":"0123456789abcdef0123456789abcdef","name":"bench-sdk","status":"active",` +
	`"owner":{"type":"service_account","id":"fedcba9876543210fedcba9876543210"},"scope":{"type":"account"},` +
	`"permissions":["read","execute","manage"],"last_six":"a1B2c3","rate_limit_per_minute":1000000,` +
	`"created_at":"2026-12-02T12:18:46Z","last_used_at":"2026-12-02T12:18:47Z","expires_at":null,` +
	`"revoked_at":null,"rotated_from":null}}`

// referenceDecode is what decodeKeyRecordAnswer must always agree with: encoding/json and the
// records' own checks.
func referenceDecode(b []byte) (APIKeyRecord, string) {
	var env struct {
		APIKey APIKeyRecord `json:"api_key"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return APIKeyRecord{}, "cannot decode the response: " + err.Error()
	}
	return env.APIKey, ""
}

func checkAgainstReference(t *testing.T, b []byte) {
	t.Helper()
	var got APIKeyRecord
	gotErr := ""
	if err := decodeKeyRecordAnswer(b, &got); err != nil {
		gotErr = err.(*Error).Message
	}
	want, wantErr := referenceDecode(b)
	if gotErr != wantErr || (wantErr == "" && !reflect.DeepEqual(got, want)) {
		t.Fatalf("%s:\n got %+v %q\nwant %+v %q", b, got, gotErr, want, wantErr)
	}
}

func TestWireReaderTakesTheCoresAnswer(t *testing.T) {
	var rec APIKeyRecord
	r := wireReader{b: []byte(wireRecord), ok: true}
	r.eat('{')
	first := true
	if key, _ := r.member(&first); string(key) != "api_key" {
		t.Fatal("no api_key")
	}
	r.apiKeyRecord(&rec)
	if !r.ok {
		t.Fatal("the fast path gave up on the core's own answer")
	}
	checkAgainstReference(t, []byte(wireRecord))
}

func TestWireReaderAgreesWithEncodingJSON(t *testing.T) {
	variants := []string{
		wireRecord,
		strings.ReplaceAll(wireRecord, `:null`, `: null `),
		strings.Replace(wireRecord, `"expires_at":null`, `"expires_at":"2027-01-01T00:00:00Z"`, 1),
		strings.Replace(wireRecord, `"rotated_from":null`, `"rotated_from":"aaaa"`, 1),
		strings.Replace(wireRecord, `"rate_limit_per_minute":1000000`, `"rate_limit_per_minute":null`, 1),
		strings.Replace(wireRecord, `1000000`, `-5`, 1),
		strings.Replace(wireRecord, `1000000`, `01`, 1),
		strings.Replace(wireRecord, `1000000`, `1e3`, 1),
		strings.Replace(wireRecord, `1000000`, `1.5`, 1),
		strings.Replace(wireRecord, `1000000`, `99999999999999999999`, 1),
		strings.Replace(wireRecord, `"permissions":["read","execute","manage"]`, `"permissions":[]`, 1),
		strings.Replace(wireRecord, `"permissions":["read","execute","manage"]`, `"permissions":null`, 1),
		strings.Replace(wireRecord, `"scope":{"type":"account"}`, `"scope":{"type":"resources","resources":[{"type":"agent","id":"a1"}]}`, 1),
		strings.Replace(wireRecord, `"scope":{"type":"account"}`, `"scope":null`, 1),
		strings.Replace(wireRecord, `"owner":{"type":"service_account",`, `"owner":{`, 1),
		strings.Replace(wireRecord, `"name":"bench-sdk"`, `"name":"b\u00e9nch\n"`, 1),
		strings.Replace(wireRecord, `"name":"bench-sdk"`, `"name":"bénch"`, 1),
		strings.Replace(wireRecord, `"name":"bench-sdk"`, "\"name\":\"b\xffx\"", 1),
		strings.Replace(wireRecord, `"name":"bench-sdk"`, `"NAME":"bench-sdk"`, 1),
		strings.Replace(wireRecord, `"name":"bench-sdk",`, ``, 1),
		strings.Replace(wireRecord, `"name":"bench-sdk"`, `"name":null`, 1),
		strings.Replace(wireRecord, `"name":"bench-sdk"`, `"name":"x","name":"y"`, 1),
		strings.Replace(wireRecord, `"id":"0123`, `"extra":1,"id":"0123`, 1),
		strings.Replace(wireRecord, `"created_at":"2026-12-02T12:18:46Z"`, `"created_at":"yesterday"`, 1),
		strings.Replace(wireRecord, `"created_at":"2026-12-02T12:18:46Z"`, `"created_at":null`, 1),
		strings.Replace(wireRecord, `"last_used_at":"2026-12-02T12:18:47Z"`, `"last_used_at":"2026-12-02T12:18:47.5+02:00"`, 1),
		strings.Replace(wireRecord, `"revoked_at":null`, `"revoked_at":"2026-13-02T12:18:47Z"`, 1),
		wireRecord[:len(wireRecord)-1],
		wireRecord + `x`,
		wireRecord[:len(wireRecord)-1] + `,"more":true}`,
		`{"api_key":` + strings.TrimPrefix(wireRecord, `{"api_key":`)[:10],
		`{"api_key":null}`,
		`{}`,
		`null`,
		`[]`,
		``,
	}
	for _, v := range variants {
		checkAgainstReference(t, []byte(v))
	}
}

func FuzzWireReader(f *testing.F) {
	f.Add([]byte(wireRecord))
	f.Fuzz(func(t *testing.T, b []byte) { checkAgainstReference(t, b) })
}

// The fast path must take what the core really answers, not only the sample above: a field
// added to the record (in the core and the generated model, but not in the reader) would make it
// give up on every call, silently, since the fallback still decodes correctly.
func TestWireReaderTakesALiveAnswer(t *testing.T) {
	base, root := os.Getenv("NOORLE_BASE_URL"), os.Getenv("NOORLE_DEV_ROOT_KEY")
	if base == "" || root == "" {
		t.Fatal("NOORLE_BASE_URL and NOORLE_DEV_ROOT_KEY are unset: run under scripts/with-devserver")
	}
	ctx := context.Background()
	admin, err := NewClient(WithAPIKey(root), WithBaseURL(base), WithoutEnvironment())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	sa, err := admin.ServiceAccounts.Create(ctx, CreateServiceAccountParams{Name: fmt.Sprintf("go-wire-%d", time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = admin.ServiceAccounts.Delete(ctx, sa.ServiceAccount.ID) }()
	// Every optional field set, so each one's non-null form crosses the reader.
	created, err := admin.ServiceAccounts.CreateKey(ctx, sa.ServiceAccount.ID, CreateAPIKeyParams{
		Name: "wire", ExpiresAt: time.Now().Add(time.Hour), RateLimitPerMinute: 600,
	})
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := admin.APIKeys.Rotate(ctx, created.APIKey.ID, RotateAPIKeyParams{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(WithAPIKey(rotated.Key.ExposeSecret()), WithBaseURL(base), WithoutEnvironment())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, op := range []any{opOnly{"whoami"}, map[string]string{"op": "api_keys.get", "id": created.APIKey.ID}} {
		var raw []byte
		if err := c.doWith(ctx, op, func(b []byte) error { raw = append(raw, b...); return nil }, nil); err != nil {
			t.Fatal(err)
		}
		var rec APIKeyRecord
		r := wireReader{b: raw, ok: true}
		r.eat('{')
		first := true
		if key, _ := r.member(&first); string(key) != "api_key" {
			t.Fatalf("no api_key in %s", raw)
		}
		r.apiKeyRecord(&rec)
		if !r.ok {
			t.Fatalf("the fast path gave up on the core's answer %s", raw)
		}
		checkAgainstReference(t, raw)
	}
}
