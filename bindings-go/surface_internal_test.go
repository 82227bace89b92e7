//go:build cgo

package noorle

import (
	"context"
	"errors"
	"testing"
)

// Errors as the core sends them, through the same decoding as every call's answer.
func coreError(t *testing.T, kind string) *Error {
	t.Helper()
	err := decodeAnswer([]byte(`{"error": {"kind": "`+kind+`", "message": "m", "retryable": false}}`), nil)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: want *Error, got %T %v", kind, err, err)
	}
	return e
}

func TestUnknownKindKeepsItsKindAndMatchesNoSentinel(t *testing.T) {
	e := coreError(t, "quota_exceeded")
	if e.Kind != "quota_exceeded" {
		t.Errorf("kind %q, want quota_exceeded", e.Kind)
	}
	for k, s := range kindSentinel {
		if errors.Is(e, s) {
			t.Errorf("an unknown kind matches the sentinel of %s", k)
		}
	}
	if errors.Is(e, ErrClosed) || errors.Is(e, context.Canceled) {
		t.Errorf("an unknown kind matches %v", e)
	}
}

func TestHierarchyOfEveryKnownKind(t *testing.T) {
	parents := map[Kind][]error{
		KindAuthentication:      {ErrAuthentication, ErrAPI},
		KindPermissionDenied:    {ErrPermissionDenied, ErrAPI},
		KindNotFound:            {ErrNotFound, ErrAPI},
		KindConflict:            {ErrConflict, ErrAPI},
		KindValidation:          {ErrValidation, ErrAPI},
		KindRateLimited:         {ErrRateLimited, ErrAPI},
		KindServer:              {ErrServer, ErrAPI},
		KindAPI:                 {ErrAPI},
		KindTimeout:             {ErrTimeout, ErrConnection},
		KindConnection:          {ErrConnection},
		KindInvalidAPIKey:       {ErrInvalidAPIKey},
		KindConfig:              {ErrConfig},
		KindCancelled:           {ErrCancelled, context.Canceled},
		KindInternal:            {ErrInternal},
		KindCredentialsNotFound: {ErrCredentialsNotFound},
	}
	if len(parents) != len(kindSentinel) {
		t.Fatalf("the table covers %d kinds, the package has %d", len(parents), len(kindSentinel))
	}
	all := []error{context.Canceled, context.DeadlineExceeded}
	for _, s := range kindSentinel {
		all = append(all, s)
	}
	for kind, want := range parents {
		e := coreError(t, string(kind))
		if e.Kind != kind {
			t.Errorf("%s decoded as %s", kind, e.Kind)
		}
		for _, target := range all {
			expected := false
			for _, w := range want {
				expected = expected || w == target
			}
			if got := errors.Is(e, target); got != expected {
				t.Errorf("%s: errors.Is(err, %v) = %v, want %v", kind, target, got, expected)
			}
		}
	}
	if ErrUnauthorized != ErrAuthentication {
		t.Error("ErrUnauthorized must stay the same value as ErrAuthentication")
	}
}
