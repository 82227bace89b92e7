package noorle

import "net/http"

// Transport is an http.RoundTripper that attaches a Noorle key to every request, for users of
// their own http.Client. It adds nothing else (no retries): the Client does that.
type Transport struct {
	base  http.RoundTripper
	name  string
	value string
}

// NewTransport wraps base (nil: http.DefaultTransport) so that every request carries key in the
// header of scheme ("" means X-API-Key).
//
//	hc := &http.Client{Transport: must(noorle.NewTransport(nil, key, ""))}
func NewTransport(base http.RoundTripper, key APIKey, scheme HeaderScheme) (*Transport, error) {
	h, err := AuthHeaders(key, scheme)
	if err != nil {
		return nil, err
	}
	if base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{base: base}
	for name, value := range h {
		t.name, t.value = name, value
	}
	return t, nil
}

// RoundTrip sends req with the key header set, leaving req itself untouched.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set(t.name, t.value)
	return t.base.RoundTrip(r)
}

// String is safe to print: it never shows the key.
func (t *Transport) String() string { return "noorle.Transport{" + t.name + ": <redacted>}" }

// GoString is safe to print: it never shows the key.
func (t *Transport) GoString() string { return t.String() }
