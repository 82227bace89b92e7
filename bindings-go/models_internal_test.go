//go:build cgo

package noorle

import (
	"encoding/json"
	"fmt"
	"testing"
)

// mapCheck is decodeRecord's check done with a map, the reference for checkFields.
func mapCheck(b []byte, name string, f wireFields) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if fields == nil {
		return fmt.Errorf("%s: null where an object is required", name)
	}
	for _, k := range f.Required {
		if _, ok := fields[k]; !ok {
			return fmt.Errorf("%s: the required field %q is missing", name, k)
		}
	}
	for _, k := range f.NonNull {
		if string(fields[k]) == "null" {
			return fmt.Errorf("%s: the field %q is null", name, k)
		}
	}
	return nil
}

// The one-pass check agrees with the map-based one wherever it decides, and decides on the
// records the server sends.
func TestFieldCheckWithoutAMapAgreesWithTheMap(t *testing.T) {
	f := wireFields{Required: []string{"id", "owner", "at"}, NonNull: []string{"id", "owner"}}
	cases := []struct {
		json   string
		decide bool
	}{
		{`{"id":"a","owner":{"type":"user","x":[1,{"id":null}]},"at":null}`, true},
		{` { "id" : "a" , "owner" : {} , "at" : "2026-01-01T00:00:00Z" } `, true},
		{`{"id":"a","owner":{},"at":1}`, true},
		{`{"id":"a","at":1}`, true},                                    // owner missing
		{`{"id":null,"owner":{},"at":1}`, true},                        // id null
		{`{"id":"a","owner":{},"at":1,"owner":null}`, true},            // the last of a repeated key counts
		{`{"id":"a","owner":null,"at":1,"owner":{}}`, true},            // ... either way
		{`{"id":"a \" , \"owner\": null","owner":[],"at":true}`, true}, // quotes inside a string value
		{`{"id":"a","owner":{"k":"}"},"at":false}`, true},
		{`{"i\u0064":"a","owner":{},"at":1}`, false}, // an escaped key: the map decides
		{`{}`, true},
		{`null`, false},
		{`[]`, false},
	}
	for _, c := range cases {
		done, err := checkFields([]byte(c.json), "R", f)
		if done != c.decide {
			t.Errorf("%s: decided %v, want %v", c.json, done, c.decide)
		}
		if !done {
			continue
		}
		want := mapCheck([]byte(c.json), "R", f)
		if fmt.Sprint(err) != fmt.Sprint(want) {
			t.Errorf("%s: %v, the map says %v", c.json, err, want)
		}
	}
}

// Any valid JSON: where the one-pass check decides, the map agrees (the table above as seeds).
func FuzzFieldCheck(f *testing.F) {
	for _, s := range []string{`{"id":"a","owner":{"k":[1,"}"]},"at":null}`, `{"id":null}`, `{"a":"\\\"","id":1}`, `[]`} {
		f.Add([]byte(s))
	}
	fields := wireFields{Required: []string{"id", "owner", "at"}, NonNull: []string{"id", "owner"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return // encoding/json checks the text before an UnmarshalJSON sees it
		}
		done, err := checkFields(b, "R", fields)
		if want := mapCheck(b, "R", fields); done && fmt.Sprint(err) != fmt.Sprint(want) {
			t.Errorf("%s: %v, the map says %v", b, err, want)
		}
	})
}
