//go:build cgo

package noorle

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// A reader for the hottest answer, {"api_key": <record>} (whoami, get, update, activate, ...),
// written by the core's serializer, so compact and always complete. encoding/json spent more CPU
// on it than the rest of the Go side of a call: it validates the text, then each record's
// UnmarshalJSON scans, checks and decodes its bytes again, nested records again.
//
// The reader accepts only the shape it expects: every required field exactly once or more, known
// names spelt exactly, plain strings, integers, null where allowed. On anything else it gives up
// and encoding/json decodes the same bytes with every check, so the answer, or the error, is the
// same either way.

// wireReader walks JSON text; ok turns false at the first thing it does not expect.
type wireReader struct {
	b  []byte
	i  int
	ok bool
}

func (r *wireReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// eat consumes c (after whitespace), or fails.
func (r *wireReader) eat(c byte) {
	r.ws()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return
	}
	r.ok = false
}

// member moves to the next member of an object, returning its key; false at the object's end
// (its '}' consumed) or on failure. first is the caller's: true until the first member is read.
func (r *wireReader) member(first *bool) ([]byte, bool) {
	r.ws()
	if !r.ok || r.i >= len(r.b) {
		r.ok = false
		return nil, false
	}
	if r.b[r.i] == '}' {
		r.i++
		return nil, false
	}
	if !*first {
		r.eat(',')
	}
	*first = false
	key := r.rawString()
	r.eat(':')
	return key, r.ok
}

// rawString reads a string without escapes or control characters and returns its bytes, quotes
// excluded (escapes are left to encoding/json).
func (r *wireReader) rawString() []byte {
	r.ws()
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		r.ok = false
		return nil
	}
	start := r.i + 1
	for j := start; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			r.i = j + 1
			return r.b[start:j]
		case c == '\\' || c < 0x20:
			r.ok = false
			return nil
		}
	}
	r.ok = false
	return nil
}

func (r *wireReader) str() string {
	s := r.rawString()
	if !utf8.Valid(s) { // encoding/json would replace the bad bytes
		r.ok = false
	}
	return string(s)
}

// null consumes a null if one comes next.
func (r *wireReader) null() bool {
	r.ws()
	if len(r.b)-r.i >= 4 && string(r.b[r.i:r.i+4]) == "null" {
		r.i += 4
		return true
	}
	return false
}

// skip moves past one value of valid JSON: a string, a nested object or array, or a literal
// (which ends at the ',' or '}' after it, left unconsumed).
func (r *wireReader) skip() {
	r.ws()
	depth := 0
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case '"':
			r.i++
			for r.i < len(r.b) && r.b[r.i] != '"' {
				if r.b[r.i] == '\\' {
					r.i++
				}
				r.i++
			}
			if r.i >= len(r.b) {
				r.ok = false
				return
			}
			r.i++
			if depth == 0 {
				return
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return
			}
			depth--
			if depth == 0 {
				r.i++
				return
			}
		case ',':
			if depth == 0 {
				return
			}
		}
		r.i++
	}
	r.ok = false
}

func (r *wireReader) int() int {
	r.ws()
	j := r.i
	if j < len(r.b) && r.b[j] == '-' {
		j++
	}
	for j < len(r.b) && r.b[j] >= '0' && r.b[j] <= '9' {
		j++
	}
	digits := r.b[r.i:j]
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	n, err := strconv.Atoi(string(r.b[r.i:j]))
	if err != nil || (len(digits) > 1 && digits[0] == '0') ||
		(j < len(r.b) && (r.b[j] == '.' || r.b[j] == 'e' || r.b[j] == 'E')) {
		r.ok = false
		return 0
	}
	r.i = j
	return n
}

// time reads a timestamp with time.Time's own JSON decoding.
func (r *wireReader) time(t *time.Time) {
	r.ws()
	start := r.i
	r.rawString()
	if r.ok && t.UnmarshalJSON(r.b[start:r.i]) != nil {
		r.ok = false
	}
}

// optTime reads null (nil) or a timestamp, into the existing value as encoding/json does.
func (r *wireReader) optTime(t **time.Time) {
	if r.null() {
		*t = nil
		return
	}
	if *t == nil {
		*t = new(time.Time)
	}
	r.time(*t)
}

func (r *wireReader) owner(o *Owner) {
	r.eat('{')
	var typ, id bool
	for first := true; ; {
		key, more := r.member(&first)
		if !more {
			break
		}
		switch string(key) {
		case "type":
			o.Type, typ = OwnerType(r.str()), true
		case "id":
			o.ID, id = r.str(), true
		default:
			r.ok = false
		}
	}
	r.ok = r.ok && typ && id
}

func (r *wireReader) scope(s *Scope) {
	r.eat('{')
	var typ bool
	for first := true; ; {
		key, more := r.member(&first)
		if !more {
			break
		}
		switch string(key) {
		case "type":
			s.Type, typ = r.str(), true
		default: // resources: a list of ResourceRef, left to encoding/json
			r.ok = false
		}
	}
	r.ok = r.ok && typ
}

func (r *wireReader) permissions(p *[]Permission) {
	r.eat('[')
	out := (*p)[:0]
	r.ws()
	if r.i < len(r.b) && r.b[r.i] == ']' {
		r.i++
		*p = out
		if *p == nil {
			*p = []Permission{}
		}
		return
	}
	for r.ok {
		out = append(out, Permission(r.str()))
		r.ws()
		if r.i < len(r.b) && r.b[r.i] == ']' {
			r.i++
			*p = out
			return
		}
		r.eat(',')
	}
}

// apiKeyRecord reads a record, requiring what APIKeyRecord.UnmarshalJSON requires.
func (r *wireReader) apiKeyRecord(k *APIKeyRecord) {
	r.eat('{')
	var seen uint16
	const all = 1<<13 - 1
	for first := true; r.ok; {
		key, more := r.member(&first)
		if !more {
			break
		}
		switch string(key) {
		case "id":
			k.ID, seen = r.str(), seen|1<<0
		case "name":
			k.Name, seen = r.str(), seen|1<<1
		case "status":
			k.Status, seen = KeyStatus(r.str()), seen|1<<2
		case "owner":
			r.owner(&k.Owner)
			seen |= 1 << 3
		case "scope":
			r.scope(&k.Scope)
			seen |= 1 << 4
		case "permissions":
			r.permissions(&k.Permissions)
			seen |= 1 << 5
		case "last_six":
			k.LastSix, seen = r.str(), seen|1<<6
		case "rate_limit_per_minute":
			if r.null() {
				k.RateLimitPerMinute = nil
			} else {
				if k.RateLimitPerMinute == nil {
					k.RateLimitPerMinute = new(int)
				}
				*k.RateLimitPerMinute = r.int()
			}
			seen |= 1 << 7
		case "created_at":
			r.time(&k.CreatedAt)
			seen |= 1 << 8
		case "last_used_at":
			r.optTime(&k.LastUsedAt)
			seen |= 1 << 9
		case "expires_at":
			r.optTime(&k.ExpiresAt)
			seen |= 1 << 10
		case "revoked_at":
			r.optTime(&k.RevokedAt)
			seen |= 1 << 11
		case "rotated_from":
			if !r.null() { // null leaves the string as it is, as in encoding/json
				k.RotatedFrom = r.str()
			}
			seen |= 1 << 12
		default:
			r.ok = false
		}
	}
	r.ok = r.ok && seen == all
}

// decodeKeyRecordAnswer decodes {"api_key": <record>} into out.
func decodeKeyRecordAnswer(b []byte, out *APIKeyRecord) error {
	r := wireReader{b: b, ok: true}
	var rec APIKeyRecord
	var found bool
	r.eat('{')
	for first := true; r.ok; {
		key, more := r.member(&first)
		if !more {
			break
		}
		if string(key) != "api_key" || found {
			r.ok = false
			break
		}
		r.apiKeyRecord(&rec)
		found = true
	}
	if r.ws(); r.ok && found && r.i == len(b) {
		*out = rec
		return nil
	}
	var env struct {
		APIKey APIKeyRecord `json:"api_key"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return &Error{Kind: KindInternal, Message: "cannot decode the response: " + err.Error()}
	}
	*out = env.APIKey
	return nil
}
