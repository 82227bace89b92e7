//go:build cgo

package noorle

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"
)

// APIKey is a parsed, validated Noorle API key. Every way of printing it (String, GoString,
// every fmt verb, JSON, text, slog) shows only the redacted form ak-{access_id}***; the secret is
// read only through ExposeSecret. The zero value is "no key".
type APIKey struct {
	k *keyData // shared, so copies of an APIKey do not copy the secret around
}

type keyData struct {
	accessID string
	redacted string // the core's redacted form
	whole    string
}

// ParseAPIKey validates s exactly (no trimming) with the core's rules. The error, an *Error of
// kind KindInvalidAPIKey with Code and Position, never contains the secret.
func ParseAPIKey(s string) (APIKey, error) {
	start, n, err := parseKey(s)
	if err != nil {
		return APIKey{}, err
	}
	// The core's redacted form, ak-{access_id}***, is the key up to the end of its access id
	// and "***": built here rather than sent across.
	id := s[start : start+n]
	return APIKey{&keyData{accessID: id, redacted: s[:start+n] + "***", whole: s}}, nil
}

// UnmarshalJSON reads a whole key (as the server sends a new one), validated by ParseAPIKey.
// JSON null leaves k as it is.
func (k *APIKey) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &Error{Kind: KindConfig, Message: "an API key in JSON must be a string"}
	}
	parsed, err := ParseAPIKey(s)
	if err != nil {
		return err
	}
	*k = parsed
	return nil
}

// MustParseAPIKey is ParseAPIKey that panics (with a redacted message) on an invalid key; for
// tests and constants.
func MustParseAPIKey(s string) APIKey {
	k, err := ParseAPIKey(s)
	if err != nil {
		panic(err.Error())
	}
	return k
}

// IsZero reports whether k holds no key.
func (k APIKey) IsZero() bool { return k.k == nil }

// AccessID is the public identifier (32 lowercase hex characters); safe to log.
func (k APIKey) AccessID() string {
	if k.k == nil {
		return ""
	}
	return k.k.accessID
}

// Redacted is the core's redacted form, ak-{access_id}***: nothing of the secret.
func (k APIKey) Redacted() string {
	if k.k == nil {
		return ""
	}
	return k.k.redacted
}

// ExposeSecret returns the whole key, secret included, as sent to the server. Keep it short-lived.
func (k APIKey) ExposeSecret() string {
	if k.k == nil {
		return ""
	}
	return k.k.whole
}

// Equal compares two keys in constant time.
func (k APIKey) Equal(o APIKey) bool {
	return subtle.ConstantTimeCompare([]byte(k.ExposeSecret()), []byte(o.ExposeSecret())) == 1
}

// String is the redacted form.
func (k APIKey) String() string { return k.Redacted() }

// GoString is the redacted form, for %#v.
func (k APIKey) GoString() string { return "noorle.APIKey(" + strconv.Quote(k.Redacted()) + ")" }

// Format prints the redacted form for every verb and flag (%v %+v %#v %s %q %x %d ...).
func (k APIKey) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, k.GoString())
	case verb == 'q':
		_, _ = io.WriteString(f, strconv.Quote(k.Redacted()))
	default:
		_, _ = io.WriteString(f, k.Redacted())
	}
}

// MarshalJSON encodes the redacted form: a key never leaves through JSON by accident.
func (k APIKey) MarshalJSON() ([]byte, error) { return json.Marshal(k.Redacted()) }

// MarshalText encodes the redacted form (YAML, TOML, map keys, ...).
func (k APIKey) MarshalText() ([]byte, error) { return []byte(k.Redacted()), nil }

// LogValue makes log/slog print the redacted form.
func (k APIKey) LogValue() slog.Value { return slog.StringValue(k.Redacted()) }

// HeaderScheme chooses the header that carries the key.
type HeaderScheme string

const (
	SchemeXAPIKey       HeaderScheme = "x-api-key"     // X-API-Key: <key> (default)
	SchemeAPIKey        HeaderScheme = "api-key"       // API-Key: <key>
	SchemeAuthorization HeaderScheme = "authorization" // Authorization: ApiKey <key>
)

// AuthHeaders returns the header to attach for key and scheme ("" means X-API-Key), for users
// of their own HTTP client. See also NewTransport.
func AuthHeaders(key APIKey, scheme HeaderScheme) (map[string]string, error) {
	if key.IsZero() {
		return nil, &Error{Kind: KindConfig, Message: "AuthHeaders: the key is empty"}
	}
	if scheme == "" {
		scheme = SchemeXAPIKey
	}
	var h map[string]string
	err := callStatic(struct {
		Op     string `json:"op"`
		Key    string `json:"key"`
		Scheme string `json:"scheme"`
	}{"auth_headers", key.ExposeSecret(), string(scheme)}, into(&h, "auth_headers"))
	if err != nil {
		return nil, err
	}
	return h, nil
}

// SourceKind says which source a key came from.
type SourceKind string

const (
	SourceExplicit       SourceKind = "explicit"        // passed directly
	SourceFile           SourceKind = "file"            // a key file passed directly
	SourceEnv            SourceKind = "env"             // NOORLE_API_KEY
	SourceEnvFile        SourceKind = "env_file"        // the file named by NOORLE_API_KEY_FILE
	SourceCredentialsDir SourceKind = "credentials_dir" // $CREDENTIALS_DIRECTORY/noorle_api_key
	SourceDockerSecret   SourceKind = "docker_secret"   // /run/secrets/noorle_api_key
	SourceProfile        SourceKind = "profile"         // a profile of ~/.noorle/credentials
	SourceCommand        SourceKind = "command"         // a credential command (option, NOORLE_API_KEY_COMMAND or profile)
)

// KeySource says where a key came from: never the value.
type KeySource struct {
	Kind     SourceKind `json:"kind"`
	Variable string     `json:"variable,omitempty"`
	Path     string     `json:"path,omitempty"`
	Profile  string     `json:"profile,omitempty"`
	// Program is a credential command's program (argv[0] only: arguments may be secret).
	Program string `json:"program,omitempty"`
	// Display is the core's one-line description of the source, the same in every language.
	Display string `json:"display,omitempty"`
}

// String is the core's description of the source (Display), or the Kind when the core sent none.
func (s KeySource) String() string {
	if s.Display != "" {
		return s.Display
	}
	return string(s.Kind)
}

// LoadOptions control LoadAPIKey (and, through the With... options, NewClient). The zero value
// runs the whole chain against the process environment.
type LoadOptions struct {
	APIKey               string            // a key given directly: wins over everything
	APIKeyFile           string            // a key file given directly: wins over the environment
	APIKeyCommand        []string          // a credential command (program and arguments): wins over the environment
	APIKeyCommandTimeout time.Duration     // how long the command may run (0: 30 s)
	Profile              string            // profile of the credentials file (else NOORLE_PROFILE, else "default")
	NoEnvironment        bool              // read no environment variable and no well-known file
	Env                  map[string]string // an isolated environment to read instead of the process's
	CredentialsFile      string            // default ~/.noorle/credentials
	DockerSecret         string            // default /run/secrets/noorle_api_key
}

func (o LoadOptions) config() clientConfig {
	c := clientConfig{
		APIKey:          o.APIKey,
		APIKeyFile:      o.APIKeyFile,
		APIKeyCommand:   o.APIKeyCommand,
		Profile:         o.Profile,
		EnvVars:         o.Env,
		CredentialsFile: o.CredentialsFile,
		DockerSecret:    o.DockerSecret,
	}
	if o.APIKeyCommandTimeout > 0 {
		c.APIKeyCommandTimeout = seconds(o.APIKeyCommandTimeout)
	}
	if o.NoEnvironment {
		f := false
		c.Env = &f
	}
	return c
}

// LoadedKey is a key and where it came from.
type LoadedKey struct {
	Key      APIKey
	Source   KeySource
	BaseURL  string   // from the profile, when it sets one
	Warnings []string // e.g. a key file readable by others
}

// LoadAPIKey runs the loading chain (explicit key, key file, command; NOORLE_API_KEY,
// NOORLE_API_KEY_FILE, NOORLE_API_KEY_COMMAND; $CREDENTIALS_DIRECTORY, /run/secrets, profile). A miss is an *Error of kind
// KindCredentialsNotFound whose Searched lists every place looked.
func LoadAPIKey(opts LoadOptions) (LoadedKey, error) {
	cfg := opts.config()
	if err := cfg.checkUTF8(); err != nil {
		return LoadedKey{}, err
	}
	var out struct {
		Key      string    `json:"key"`
		AccessID string    `json:"access_id"`
		Redacted string    `json:"redacted"`
		Source   KeySource `json:"source"`
		BaseURL  *string   `json:"base_url"`
		Warnings []string  `json:"warnings"`
	}
	// The answer holds the key: it is decoded in place, and the library zeroes its buffer.
	err := callStatic(struct {
		Op     string       `json:"op"`
		Config clientConfig `json:"config"`
	}{"load_api_key", cfg}, into(&out, "load_api_key"))
	if err != nil {
		return LoadedKey{}, err
	}
	l := LoadedKey{
		Key:      APIKey{&keyData{accessID: out.AccessID, redacted: out.Redacted, whole: out.Key}},
		Source:   out.Source,
		Warnings: out.Warnings,
	}
	if out.BaseURL != nil {
		l.BaseURL = *out.BaseURL
	}
	return l, nil
}
