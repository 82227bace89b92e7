//go:build cgo

package noorle

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
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
