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
#include "noorle.h"
*/
import "C"

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"sync"
	"unsafe"
)

// envelope is what every C call answers: {"ok": data} or {"error": ErrorInfo}.
type envelope struct {
	Error *errorInfo `json:"error"`
}

// goText points C at the bytes of b for the duration of one call (the library copies what it
// keeps): no C allocation, no copy.
func goText(b []byte) (*C.char, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.char)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// bufBytes views a library buffer's bytes in place; valid until the buffer is freed.
func bufBytes(b C.noorle_buf) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(b.ptr)), int(b.len))
}

// okPrefix starts a success envelope. The library writes every envelope itself, as
// {"ok":<data>} or {"error":<info>}, so the data is found without decoding the envelope.
var okPrefix = []byte(`{"ok":`)

// takeBuf hands the data of the envelope in b to decode (nil: ignore it), turns an error
// envelope into an *Error, and frees b (the library zeroes it: it may hold a new key). decode
// reads the library's memory in place and must copy what it keeps (encoding/json does).
func takeBuf(b C.noorle_buf, decode func([]byte) error) error {
	if b.ptr == nil {
		return &Error{Kind: KindInternal, Message: "the Noorle library returned no response (out of memory?)"}
	}
	defer C.noorle_buf_free(b)
	return decodeAnswer(bufBytes(b), decode)
}

// decodeAnswer decodes an envelope: its data through decode, its error into an *Error.
func decodeAnswer(raw []byte, decode func([]byte) error) error {
	if bytes.HasPrefix(raw, okPrefix) && raw[len(raw)-1] == '}' {
		if decode == nil {
			return nil
		}
		return decode(raw[len(okPrefix) : len(raw)-1])
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil || env.Error == nil {
		return &Error{Kind: KindInternal, Message: "cannot decode the library's response"}
	}
	return env.Error.toError()
}

// into decodes a result into out (nil: ignore it).
func into(out any, what string) func([]byte) error {
	if out == nil {
		return nil
	}
	return func(b []byte) error {
		if err := json.Unmarshal(b, out); err != nil {
			return &Error{Kind: KindInternal, Message: "cannot decode " + what + ": " + err.Error()}
		}
		return nil
	}
}

// queue is one completion queue of the library with the goroutine that collects it. The
// package uses one (defaultQueue); completions of other users of the library in the process go
// to their own queues, so neither answers nor tags mix.
type queue struct {
	q       *C.noorle_queue
	mu      sync.Mutex
	pending map[uint64]chan C.noorle_buf
	next    uint64
	file    *os.File // the queue's readiness fd, nil when the collector waits in C
}

// newQueue creates a queue and starts its collector, which lives as long as the process. With
// poll, the collector waits in Go's poller where the platform allows (collect).
func newQueue(poll bool) *queue {
	q := &queue{q: C.noorle_queue_new(), pending: map[uint64]chan C.noorle_buf{}}
	if q.q == nil {
		panic("noorle: cannot create a completion queue (out of memory)")
	}
	if poll {
		q.file = q.readinessFile()
	}
	go q.collect()
	return q
}

var defaultQueue = sync.OnceValue(func() *queue { return newQueue(true) })

// replies are reused: each receives exactly one answer per submission.
var replies = sync.Pool{New: func() any { return make(chan C.noorle_buf, 1) }}

// collect takes finished calls off the queue in batches (one cgo crossing for many answers)
// and hands each buffer to its caller. Where the library gives the queue a readiness fd
// (Linux), the collector waits in Go's own poller, so no OS thread sits blocked in C and a
// wake-up costs no thread hand-off in the runtime; elsewhere one thread waits in C.
func (q *queue) collect() {
	// The batch is C memory, kept for the process: cgo checks a Go array handed to C for Go
	// pointers, element by element, on every call (1-2% of a busy client's CPU).
	const n = 64
	batch := unsafe.Slice((*C.noorle_completion)(C.malloc(n*C.sizeof_noorle_completion)), n)
	if q.file != nil {
		q.collectPolled(q.file, batch)
	}
	for {
		q.deliver(batch[:C.noorle_queue_wait(q.q, 1000, &batch[0], C.size_t(len(batch)))])
	}
}

// readinessFile is the queue's readiness fd as a pollable file, or nil where there is none.
func (q *queue) readinessFile() *os.File {
	fd := int(C.noorle_queue_fd(q.q))
	if fd < 0 {
		return nil
	}
	// The fd stays the queue's: the file gets its own (non-blocking, like the original), which
	// os.NewFile registers with the poller.
	dup, err := dupCloexec(fd)
	if err != nil {
		return nil
	}
	return os.NewFile(uintptr(dup), "noorle-queue")
}

// collectPolled drains the queue, then waits for its fd, until the fd fails (it does not: the
// queue lives as long as the process); then the caller falls back to waiting in C.
func (q *queue) collectPolled(f *os.File, batch []C.noorle_completion) {
	var word [8]byte
	for {
		// Drain first: answers that arrived before the fd was made did not signal it.
		for {
			n := int(C.noorle_queue_wait(q.q, 0, &batch[0], C.size_t(len(batch))))
			q.deliver(batch[:n])
			if n < len(batch) {
				break
			}
		}
		if _, err := f.Read(word[:]); err != nil {
			f.Close()
			return
		}
	}
}

// deliver hands each completion to the caller waiting for its tag.
func (q *queue) deliver(done []C.noorle_completion) {
	if len(done) == 0 {
		return
	}
	q.mu.Lock()
	for _, c := range done {
		tag := uint64(c.tag)
		if ch, ok := q.pending[tag]; ok {
			delete(q.pending, tag)
			ch <- c.result // buffered: never blocks
		} else {
			C.noorle_buf_free(c.result) // cannot happen: every tag is ours, answered once
		}
	}
	q.mu.Unlock()
}

// submit runs a client operation through the queue and decodes its answer.
func (q *queue) submit(client *C.noorle_client, op any, cancel *C.noorle_cancel, decode func([]byte) error) error {
	text, err := json.Marshal(op)
	if err != nil {
		return &Error{Kind: KindConfig, Message: "cannot encode the operation: " + err.Error()}
	}
	done := replies.Get().(chan C.noorle_buf)
	q.mu.Lock()
	q.next++
	tag := q.next
	q.pending[tag] = done
	q.mu.Unlock()
	p, n := goText(text)
	C.noorle_submit(q.q, client, p, n, cancel, C.uint64_t(tag))
	clear(text)
	b := <-done
	replies.Put(done)
	return takeBuf(b, decode)
}

// callStatic runs an operation that needs no client (load_api_key, auth_headers, version, ...).
func callStatic(op any, decode func([]byte) error) error {
	text, err := json.Marshal(op)
	if err != nil {
		return &Error{Kind: KindConfig, Message: "cannot encode the operation: " + err.Error()}
	}
	p, n := goText(text)
	b := C.noorle_call(nil, p, n, nil)
	clear(text)
	return takeBuf(b, decode)
}

// parseKey validates key in the core, without JSON, and returns where its access id lies.
func parseKey(key string) (start, n int, err error) {
	var s, l C.size_t
	var b C.noorle_buf
	if key == "" {
		b = C.noorle_parse_key(nil, 0, &s, &l)
	} else {
		b = C.noorle_parse_key((*C.char)(unsafe.Pointer(unsafe.StringData(key))), C.size_t(len(key)), &s, &l)
	}
	if b.ptr != nil {
		return 0, 0, takeBuf(b, nil)
	}
	return int(s), int(l), nil
}

// callCtx runs op on client, cancelling it in the core when ctx is done: cancellation reaches
// the core through a token, and the call then completes promptly with a cancelled error.
func callCtx(ctx context.Context, q *queue, client *C.noorle_client, op any, decode func([]byte) error) error {
	if err := ctx.Err(); err != nil {
		return contextError(err)
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
	err := q.submit(client, op, token, decode)
	if err != nil && ctx.Err() != nil {
		if e, ok := err.(*Error); ok && e.Kind == KindCancelled {
			return contextError(ctx.Err())
		}
	}
	return err
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
	q   *queue
}

func newClientHandle(config any, decode func([]byte) error) (*clientHandle, error) {
	text, err := json.Marshal(config)
	if err != nil {
		return nil, &Error{Kind: KindConfig, Message: "cannot encode the configuration: " + err.Error()}
	}
	p, n := goText(text)
	var out *C.noorle_client
	b := C.noorle_client_new(p, n, &out)
	clear(text)
	if err := takeBuf(b, decode); err != nil {
		C.noorle_client_free(out) // NULL on error; freed if only the decoding failed
		return nil, err
	}
	return &clientHandle{ptr: out, q: defaultQueue()}, nil
}

func (h *clientHandle) call(ctx context.Context, op any, decode func([]byte) error) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.ptr == nil {
		return ErrClosed
	}
	return callCtx(ctx, h.q, h.ptr, op, decode)
}

func (h *clientHandle) free() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ptr != nil {
		C.noorle_client_free(h.ptr)
		h.ptr = nil
	}
}
