//go:build cgo

package noorle

// The prebuilt library for each platform lives in lib/<goos>_<goarch>/ (a release tag carries all
// of them; on a clone build-lib.sh builds the local one). Each line adds the system libraries the
// Rust standard library, rustls and hyper need there: on macOS the platform certificate verifier
// (Security, CoreFoundation), system proxy settings (SystemConfiguration) and libc's iconv; on
// Windows (gnu) sockets, CNG and the certificate store. Other platforms fail in unsupported.go.

/*
#cgo CFLAGS: -I${SRCDIR}/include
#cgo linux,amd64 LDFLAGS: ${SRCDIR}/lib/linux_amd64/libnoorle.a -lm -ldl -lpthread
#cgo linux,arm64 LDFLAGS: ${SRCDIR}/lib/linux_arm64/libnoorle.a -lm -ldl -lpthread
#cgo darwin,amd64 LDFLAGS: ${SRCDIR}/lib/darwin_amd64/libnoorle.a -framework Security -framework CoreFoundation -framework SystemConfiguration -liconv -lm
#cgo darwin,arm64 LDFLAGS: ${SRCDIR}/lib/darwin_arm64/libnoorle.a -framework Security -framework CoreFoundation -framework SystemConfiguration -liconv -lm
#cgo windows,amd64 LDFLAGS: ${SRCDIR}/lib/windows_amd64/libnoorle.a -lws2_32 -luserenv -lntdll -lbcrypt -lcrypt32 -lncrypt -lsecur32 -ladvapi32 -lkernel32
#include <stdlib.h>
#include <string.h>
#include "noorle.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"unsafe"
)

// envelope is what every C call returns: {"ok": data} or {"error": ErrorInfo}.
type envelope struct {
	OK    json.RawMessage `json:"ok"`
	Error *errorInfo      `json:"error"`
}

// cString copies s into C memory; the returned func zeroes and frees it (the text may hold a key).
func cString(b []byte) (*C.char, func()) {
	p := (*C.char)(C.CBytes(append(b, 0)))
	n := C.size_t(len(b) + 1)
	return p, func() {
		C.memset(unsafe.Pointer(p), 0, n)
		C.free(unsafe.Pointer(p))
	}
}

// takeEnvelope decodes and frees a string the library returned.
func takeEnvelope(p *C.char) (json.RawMessage, error) {
	if p == nil {
		return nil, &Error{Kind: KindInternal, Message: "the Noorle library returned no response (out of memory?)"}
	}
	raw := C.GoBytes(unsafe.Pointer(p), C.int(C.strlen(p)))
	C.noorle_string_free(p) // zeroes its copy
	return decodeEnvelope(raw)
}

// decodeEnvelope decodes an envelope and zeroes raw (it may hold a new key).
func decodeEnvelope(raw []byte) (json.RawMessage, error) {
	var env envelope
	err := json.Unmarshal(raw, &env)
	clear(raw)
	if err != nil {
		return nil, &Error{Kind: KindInternal, Message: "cannot decode the library's response: " + err.Error()}
	}
	if env.Error != nil {
		return nil, env.Error.toError()
	}
	return env.OK, nil
}

// Network calls are submitted to the library without blocking (noorle_submit) and their answers
// collected by one dispatcher goroutine (noorle_wait_completions): one OS thread waits in C for
// all calls, instead of one thread per call parked in noorle_call.
var (
	pendingMu  sync.Mutex
	pending    = map[uint64]chan []byte{}
	nextTag    atomic.Uint64
	dispatcher sync.Once
)

func dispatch() {
	for {
		p := C.noorle_wait_completions(1000)
		if p == nil {
			continue
		}
		raw := C.GoBytes(unsafe.Pointer(p), C.int(C.strlen(p)))
		C.noorle_string_free(p)
		var batch []struct {
			Tag    uint64          `json:"tag"`
			Result json.RawMessage `json:"result"`
		}
		err := json.Unmarshal(raw, &batch) // copies each result out of raw
		clear(raw)
		if err != nil {
			continue // cannot happen: the library writes this text itself
		}
		pendingMu.Lock()
		for _, c := range batch {
			if ch, ok := pending[c.Tag]; ok {
				delete(pending, c.Tag)
				ch <- c.Result // buffered: never blocks
			}
		}
		pendingMu.Unlock()
	}
}

// submit runs a client operation through the completion queue and waits for its envelope.
func submit(client *C.noorle_client, op any, cancel *C.noorle_cancel) (json.RawMessage, error) {
	text, err := json.Marshal(op)
	if err != nil {
		return nil, &Error{Kind: KindConfig, Message: "cannot encode the operation: " + err.Error()}
	}
	dispatcher.Do(func() { go dispatch() })
	tag := nextTag.Add(1)
	done := make(chan []byte, 1)
	pendingMu.Lock()
	pending[tag] = done
	pendingMu.Unlock()
	p, release := cString(text)
	clear(text)
	C.noorle_submit(client, p, cancel, C.uint64_t(tag))
	release()
	return decodeEnvelope(<-done)
}

// callStatic runs an operation that needs no client (parse_key, load_api_key, auth_headers, version).
func callStatic(op any) (json.RawMessage, error) {
	return callC(nil, op, nil)
}

func callC(client *C.noorle_client, op any, cancel *C.noorle_cancel) (json.RawMessage, error) {
	text, err := json.Marshal(op)
	if err != nil {
		return nil, &Error{Kind: KindConfig, Message: "cannot encode the operation: " + err.Error()}
	}
	p, release := cString(text)
	clear(text)
	defer release()
	return takeEnvelope(C.noorle_call(client, p, cancel))
}

// callCtx runs op on client, cancelling it in the core when ctx is done: cancellation reaches
// the core through a token, and the call then completes promptly with a cancelled error.
func callCtx(ctx context.Context, client *C.noorle_client, op any) (json.RawMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, contextError(err)
	}
	var token *C.noorle_cancel
	if ctx.Done() != nil {
		token = C.noorle_cancel_new()
		var fired sync.WaitGroup
		fired.Add(1)
		stop := context.AfterFunc(ctx, func() {
			defer fired.Done()
			C.noorle_cancel_cancel(token)
		})
		defer func() {
			// The token is freed only once the AfterFunc can no longer touch it.
			if !stop() {
				fired.Wait()
			}
			C.noorle_cancel_free(token)
		}()
	}
	out, err := submit(client, op, token)
	if err != nil && ctx.Err() != nil {
		if e, ok := err.(*Error); ok && e.Kind == KindCancelled {
			return nil, contextError(ctx.Err())
		}
	}
	return out, err
}

// libraryVersion is the C library's version string.
func libraryVersion() string {
	return C.GoString(C.noorle_version())
}

// clientHandle owns the C client. Calls hold the read lock, so Close (and the cleanup) wait
// for calls in flight instead of freeing the client under them.
type clientHandle struct {
	mu  sync.RWMutex
	ptr *C.noorle_client
}

func newClientHandle(config any) (*clientHandle, json.RawMessage, error) {
	text, err := json.Marshal(config)
	if err != nil {
		return nil, nil, &Error{Kind: KindConfig, Message: "cannot encode the configuration: " + err.Error()}
	}
	p, release := cString(text)
	clear(text)
	defer release()
	var out *C.noorle_client
	info, err := takeEnvelope(C.noorle_client_new(p, &out))
	if err != nil {
		return nil, nil, err
	}
	return &clientHandle{ptr: out}, info, nil
}

func (h *clientHandle) call(ctx context.Context, op any) (json.RawMessage, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.ptr == nil {
		return nil, ErrClosed
	}
	return callCtx(ctx, h.ptr, op)
}

func (h *clientHandle) free() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ptr != nil {
		C.noorle_client_free(h.ptr)
		h.ptr = nil
	}
}
