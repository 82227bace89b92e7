//go:build cgo

package noorle

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"
)

// clientConfig is the core's ClientConfig, as JSON.
type clientConfig struct {
	APIKey        string   `json:"api_key,omitempty"`
	APIKeyFile    string   `json:"api_key_file,omitempty"`
	APIKeyCommand []string `json:"api_key_command,omitempty"`
	// Seconds; nil: the core's default (30 s).
	APIKeyCommandTimeout *float64          `json:"api_key_command_timeout,omitempty"`
	Profile              string            `json:"profile,omitempty"`
	BaseURL              string            `json:"base_url,omitempty"`
	HeaderScheme         string            `json:"header_scheme,omitempty"`
	Timeout              *float64          `json:"timeout,omitempty"`
	ConnectTimeout       *float64          `json:"connect_timeout,omitempty"`
	MaxRetries           *int              `json:"max_retries,omitempty"`
	RetryBaseDelay       *float64          `json:"retry_base_delay,omitempty"`
	RetryMaxDelay        *float64          `json:"retry_max_delay,omitempty"`
	TotalTimeout         *float64          `json:"total_timeout,omitempty"`
	Env                  *bool             `json:"env,omitempty"`
	EnvVars              map[string]string `json:"env_vars,omitempty"`
	CredentialsFile      string            `json:"credentials_file,omitempty"`
	DockerSecret         string            `json:"docker_secret,omitempty"`
	ReloadInterval       *float64          `json:"reload_interval,omitempty"`
	SDKLanguage          string            `json:"sdk_language,omitempty"`
}

func seconds(d time.Duration) *float64 {
	s := d.Seconds()
	return &s
}

// checkUTF8 refuses strings that are not valid UTF-8: encoding/json would silently replace the
// bad bytes with U+FFFD, so a key-file path ending in "\xff" would name another file. Messages
// name the option, never its value (it may be a key).
func (c *clientConfig) checkUTF8() error {
	bad := func(what string) error {
		return &Error{Kind: KindConfig, Message: what + " is not valid UTF-8"}
	}
	for _, f := range []struct{ name, value string }{
		{"the API key", c.APIKey},
		{"the API key file path", c.APIKeyFile},
		{"the profile name", c.Profile},
		{"the base URL", c.BaseURL},
		{"the header scheme", c.HeaderScheme},
		{"the credentials file path", c.CredentialsFile},
		{"the Docker secret path", c.DockerSecret},
		{"the SDK language", c.SDKLanguage},
	} {
		if !utf8.ValidString(f.value) {
			return bad(f.name)
		}
	}
	for _, a := range c.APIKeyCommand {
		if !utf8.ValidString(a) {
			return bad("an argument of the API key command")
		}
	}
	for k, v := range c.EnvVars {
		if !utf8.ValidString(k) {
			return bad("the name of an environment variable")
		}
		if !utf8.ValidString(v) {
			return bad("the environment variable " + k)
		}
	}
	return nil
}

// Option configures NewClient.
type Option func(*clientConfig) error

// WithAPIKey uses this key (wins over every other source).
func WithAPIKey(key string) Option {
	return func(c *clientConfig) error { c.APIKey = key; return nil }
}

// WithKey uses this parsed key (wins over every other source).
func WithKey(key APIKey) Option {
	return func(c *clientConfig) error { c.APIKey = key.ExposeSecret(); return nil }
}

// WithAPIKeyFile reads the key from this file (re-read when it changes).
func WithAPIKeyFile(path string) Option {
	return func(c *clientConfig) error { c.APIKeyFile = path; return nil }
}

// WithAPIKeyCommand gets the key from a credential command: the program and its arguments, run
// directly (never through a shell), e.g. WithAPIKeyCommand("op", "read", "op://vault/noorle/key").
// Its stdout is the key, as plain text or JSON {"api_key": "...", "expires_at": "RFC 3339"|null};
// it runs again when the key expires or the server refuses it. A failing command is an *Error of
// kind KindConfig naming the program and its exit status, with its stderr redacted.
func WithAPIKeyCommand(argv ...string) Option {
	return func(c *clientConfig) error {
		if len(argv) == 0 {
			return &Error{Kind: KindConfig, Message: "WithAPIKeyCommand needs the program (and its arguments)"}
		}
		c.APIKeyCommand = append([]string(nil), argv...)
		return nil
	}
}

// WithAPIKeyCommandTimeout bounds how long the credential command may run before it is killed
// (default 30 s).
func WithAPIKeyCommandTimeout(d time.Duration) Option {
	return func(c *clientConfig) error {
		if d < 0 {
			return &Error{Kind: KindConfig, Message: "the API key command timeout must not be negative"}
		}
		c.APIKeyCommandTimeout = seconds(d)
		return nil
	}
}

// WithProfile chooses the profile of ~/.noorle/credentials.
func WithProfile(name string) Option {
	return func(c *clientConfig) error { c.Profile = name; return nil }
}

// WithCredentialsFile reads profiles from this file instead of ~/.noorle/credentials.
func WithCredentialsFile(path string) Option {
	return func(c *clientConfig) error { c.CredentialsFile = path; return nil }
}

// WithBaseURL sets the API's base URL (default NOORLE_BASE_URL, the profile's, or https://api.noorle.com).
func WithBaseURL(url string) Option {
	return func(c *clientConfig) error { c.BaseURL = url; return nil }
}

// WithHeaderScheme chooses the header that carries the key (default X-API-Key).
func WithHeaderScheme(s HeaderScheme) Option {
	return func(c *clientConfig) error { c.HeaderScheme = string(s); return nil }
}

// WithTimeout bounds each whole request, retries excluded (default 60 s). A context deadline
// applies too.
func WithTimeout(d time.Duration) Option {
	return func(c *clientConfig) error { c.Timeout = seconds(d); return nil }
}

// WithTotalTimeout bounds each whole call: every attempt, backoff and Retry-After wait (default
// none). A Retry-After that would end past it returns the server's error at once. A context
// deadline applies too; RequestParams.TotalTimeout overrides it for one call.
func WithTotalTimeout(d time.Duration) Option {
	return func(c *clientConfig) error { c.TotalTimeout = seconds(d); return nil }
}

// WithConnectTimeout bounds connecting (default 10 s).
func WithConnectTimeout(d time.Duration) Option {
	return func(c *clientConfig) error { c.ConnectTimeout = seconds(d); return nil }
}

// WithMaxRetries sets the retries after the first attempt (default 2; 0 disables retries).
func WithMaxRetries(n int) Option {
	return func(c *clientConfig) error { c.MaxRetries = &n; return nil }
}

// WithRetryBackoff sets the first backoff step and the longest one (defaults 0.5 s and 8 s).
func WithRetryBackoff(base, max time.Duration) Option {
	return func(c *clientConfig) error {
		c.RetryBaseDelay, c.RetryMaxDelay = seconds(base), seconds(max)
		return nil
	}
}

// WithoutEnvironment reads no environment variable and no well-known file: only what the
// options say.
func WithoutEnvironment() Option {
	return func(c *clientConfig) error { f := false; c.Env = &f; return nil }
}

// WithEnv reads these variables instead of the process environment.
func WithEnv(vars map[string]string) Option {
	return func(c *clientConfig) error { c.EnvVars = vars; return nil }
}

// Client calls the Noorle API with one key. It is safe for concurrent use; Close releases it
// (a finalizer does so too, as a safety net). Every call takes a context: its cancellation and
// deadline stop the request in flight.
type Client struct {
	h       *clientHandle
	source  KeySource
	baseURL string
	warn    []string

	APIKeys         *APIKeysService
	ServiceAccounts *ServiceAccountsService
}

// NewClient builds a client. Unset options come from the environment, then the profile, then
// defaults; the key is found with the loading chain of LoadAPIKey.
func NewClient(opts ...Option) (*Client, error) {
	cfg := clientConfig{SDKLanguage: "go/" + strings.TrimPrefix(runtime.Version(), "go")}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.checkUTF8(); err != nil {
		return nil, err
	}
	var info struct {
		Source   KeySource `json:"source"`
		Display  string    `json:"display"`
		BaseURL  string    `json:"base_url"`
		Warnings []string  `json:"warnings"`
	}
	h, err := newClientHandle(cfg, into(&info, "the client's description"))
	if err != nil {
		return nil, err
	}
	if info.Source.Display == "" {
		info.Source.Display = info.Display
	}
	c := &Client{h: h, source: info.Source, baseURL: info.BaseURL, warn: info.Warnings}
	c.APIKeys = &APIKeysService{c}
	c.ServiceAccounts = &ServiceAccountsService{c}
	runtime.AddCleanup(c, func(h *clientHandle) { h.free() }, h)
	return c, nil
}

// Close releases the client, waiting for calls in flight. Calls after Close return ErrClosed.
// Closing twice is harmless.
func (c *Client) Close() error {
	c.h.free()
	return nil
}

// KeySource says where the client's key came from (never the key).
func (c *Client) KeySource() KeySource { return c.source }

// BaseURL is the API base URL in use.
func (c *Client) BaseURL() string { return c.baseURL }

// Warnings are non-fatal problems found while loading the key.
func (c *Client) Warnings() []string { return c.warn }

func (c *Client) do(ctx context.Context, op any, out any, opts []CallOption) error {
	return c.doWith(ctx, op, into(out, "the response"), opts)
}

// doWith is do with the answer's data handed to decode.
func (c *Client) doWith(ctx context.Context, op any, decode func([]byte) error, opts []CallOption) error {
	// The answer is decoded straight from the library's buffer.
	err := c.h.call(ctx, applyOptions(op, opts), decode)
	// c must stay reachable until the call is over. Once c.h has been read, nothing else uses c,
	// so the garbage collector may find c unreachable mid-call and run the cleanup registered in
	// NewClient: it would free the handle before the call takes its read lock, and a client the
	// caller never closed would answer ErrClosed.
	runtime.KeepAlive(c)
	return err
}

type opOnly struct {
	Op string `json:"op"`
}

// Whoami is GET /v1/api-keys/self: the calling key's own record.
func (c *Client) Whoami(ctx context.Context, opts ...CallOption) (*APIKeyRecord, error) {
	return c.keyRecord(ctx, opOnly{"whoami"}, opts)
}

// keyRecord runs an operation that answers {"api_key": <record>}.
func (c *Client) keyRecord(ctx context.Context, op any, opts []CallOption) (*APIKeyRecord, error) {
	var out APIKeyRecord
	if err := c.doWith(ctx, op, func(b []byte) error { return decodeKeyRecordAnswer(b, &out) }, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// RequestParams are the optional parts of Client.Request.
type RequestParams struct {
	Query          map[string]string
	JSON           any           // the body, encoded as JSON
	IdempotencyKey string        // for a POST; one is generated when empty
	TotalTimeout   time.Duration // bounds this whole call, retries included; 0: the client's
}

// Response is the answer to Client.Request.
type Response struct {
	Status int
	Header http.Header
	JSON   json.RawMessage // the body; null when empty, a JSON string when it is not JSON
}

// Decode unmarshals the body into v.
func (r *Response) Decode(v any) error { return json.Unmarshal(r.JSON, v) }

// Request is an authenticated call to any Noorle endpoint (path like "/v1/agents"), with the
// client's retries and errors: a non-success status is an *Error.
func (c *Client) Request(ctx context.Context, method, path string, p *RequestParams, opts ...CallOption) (*Response, error) {
	op := struct {
		Op             string            `json:"op"`
		Method         string            `json:"method"`
		Path           string            `json:"path"`
		Query          map[string]string `json:"query,omitempty"`
		JSON           any               `json:"json,omitempty"`
		IdempotencyKey string            `json:"idempotency_key,omitempty"`
		TotalTimeout   *float64          `json:"total_timeout,omitempty"`
	}{Op: "request", Method: method, Path: path}
	if p != nil {
		op.Query, op.JSON, op.IdempotencyKey = p.Query, p.JSON, p.IdempotencyKey
		if p.TotalTimeout != 0 {
			op.TotalTimeout = seconds(p.TotalTimeout)
		}
	}
	var out struct {
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		JSON    json.RawMessage   `json:"json"`
	}
	if err := c.do(ctx, op, &out, opts); err != nil {
		return nil, err
	}
	r := &Response{Status: out.Status, Header: http.Header{}, JSON: out.JSON}
	for k, v := range out.Headers {
		r.Header.Set(k, v)
	}
	return r, nil
}

// Version is the SDK core's version.
func Version() string { return libraryVersion() }
