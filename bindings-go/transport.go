//go:build cgo

package noorle

import (
	"net/http"
	"net/url"
	"strings"
)

// defaultBaseURL is the API's base URL when none is configured.
const defaultBaseURL = "https://api.noorle.com"

// Transport is an http.RoundTripper that attaches a Noorle key to the requests for one origin,
// for users of their own http.Client. It adds nothing else (no retries): the Client does that.
type Transport struct {
	base   http.RoundTripper
	origin string
	name   string
	value  string
}

// NewTransport wraps base (nil: http.DefaultTransport) so that requests to the origin (scheme,
// host and port) of baseURL ("" means https://api.noorle.com) carry key in the header of scheme
// ("" means X-API-Key). Requests to any other origin go without it: a redirect to another host,
// or from https to http, never receives the key.
//
//	hc := &http.Client{Transport: must(noorle.NewTransport(nil, key, "", client.BaseURL()))}
func NewTransport(base http.RoundTripper, key APIKey, scheme HeaderScheme, baseURL string) (*Transport, error) {
	if baseURL == "" {
		baseURL = defaultBaseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &Error{Kind: KindConfig, Message: "NewTransport: the base URL must be an http or https URL with a host"}
	}
	h, err := AuthHeaders(key, scheme)
	if err != nil {
		return nil, err
	}
	if base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{base: base, origin: originOf(u)}
	for name, value := range h {
		t.name, t.value = name, value
	}
	return t, nil
}

// originOf is scheme://host:port with the scheme's default port made explicit, lower case.
func originOf(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// RoundTrip sends req, with the key header when req goes to the configured origin, leaving req
// itself untouched. http.Client calls it once per redirect hop: each hop is checked on its own.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || originOf(req.URL) != t.origin {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set(t.name, t.value)
	return t.base.RoundTrip(r)
}

// String is safe to print: it never shows the key.
func (t *Transport) String() string {
	return "noorle.Transport{" + t.origin + ", " + t.name + ": <redacted>}"
}

// GoString is safe to print: it never shows the key.
func (t *Transport) GoString() string { return t.String() }
