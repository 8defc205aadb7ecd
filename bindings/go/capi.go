package clerk

// Everything that touches C lives in this file: strings in and out, handles, result codes.

/*
#include <stdlib.h>
#include <string.h>
#include "clerk.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"
)

// Result codes of the C library (clerk_result) this file treats specially.
const (
	resultOK      = 0
	resultDone    = 1
	resultTimeout = 202
)

// cText is a NUL-terminated copy of a Go string in Go memory, valid for one C call
// (cgo lets C read Go memory without Go pointers during the call).
type cText []byte

// newCText copies s; a NUL byte inside s would silently cut the string short in C, so
// it is refused (argument names the parameter in the error).
func newCText(s, argument string) (cText, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, newError(KindInvalidArgument, "argument `"+argument+"` contains a NUL byte")
	}
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b, nil
}

// ptr is the C view of the text; a nil cText is NULL.
func (t cText) ptr() *C.char {
	if t == nil {
		return nil
	}
	return (*C.char)(unsafe.Pointer(&t[0]))
}

// takeString copies a string libclerk returned and frees it with clerk_string_free.
func takeString(p *C.char) []byte {
	if p == nil {
		return nil
	}
	b := C.GoBytes(unsafe.Pointer(p), C.int(C.strlen(p)))
	C.clerk_string_free(p)
	return b
}

// takeText is takeString as a Go string (one copy).
func takeText(p *C.char) string {
	if p == nil {
		return ""
	}
	text := C.GoStringN(p, C.int(C.strlen(p)))
	C.clerk_string_free(p)
	return text
}

// outcome is what one C call gave: its result code and the JSON text of *json_out, or
// an error found before C was called (goErr).
type outcome struct {
	code  uint32
	text  []byte
	goErr error
}

func goFailure(err error) outcome { return outcome{goErr: err} }

// err is nil for CLERK_RESULT_OK and CLERK_RESULT_DONE, else the error of the JSON text.
func (o outcome) err() error {
	if o.goErr != nil {
		return o.goErr
	}
	if o.code == resultOK || o.code == resultDone {
		return nil
	}
	return errorFromC(o.code, o.text)
}

// handle owns one C handle (client, verifier, pager) and frees it exactly once: when it
// is closed and no call is using it. Calls acquire it for their duration, so Close (or a
// finalizer) never frees a handle a C call is still using, and a call after Close fails
// instead of touching freed memory.
type handle struct {
	ptr  unsafe.Pointer
	what string
	free func(unsafe.Pointer)
	// Calls in flight, plus closedBit once closed.
	state atomic.Int64
}

const closedBit = int64(1) << 62

func newHandle(ptr unsafe.Pointer, what string, free func(unsafe.Pointer)) *handle {
	return &handle{ptr: ptr, what: what, free: free}
}

// acquire returns the pointer for one call, or false once the handle is closed.
func (h *handle) acquire() (unsafe.Pointer, bool) {
	if h == nil {
		return nil, false
	}
	for {
		s := h.state.Load()
		if s&closedBit != 0 {
			return nil, false
		}
		if h.state.CompareAndSwap(s, s+1) {
			return h.ptr, true
		}
	}
}

// release ends a call; the last call after a close frees the handle.
func (h *handle) release() {
	if h.state.Add(-1) == closedBit {
		h.destroy()
	}
}

// freedHandles counts the C handles freed, for the tests.
var freedHandles atomic.Int64

func (h *handle) destroy() {
	h.free(h.ptr)
	freedHandles.Add(1)
}

// close marks the handle closed and frees it unless a call is using it. Idempotent.
func (h *handle) close() {
	if h == nil {
		return
	}
	for {
		s := h.state.Load()
		if s&closedBit != 0 {
			return
		}
		if h.state.CompareAndSwap(s, s|closedBit) {
			if s == 0 {
				h.destroy()
			}
			return
		}
	}
}

func (h *handle) closedError() error {
	what := "handle"
	if h != nil {
		what = h.what
	}
	return newError(KindClosed, "the "+what+" is closed")
}

// call runs one C call with the handle, bounded by ctx: an ended context returns
// ctx.Err() without calling C. A deadline goes to C as the call's timeout (options, for
// the functions that take them), and a call that times out at the deadline returns
// context.DeadlineExceeded. A context that ends during the call returns ctx.Err() at
// once while the C call finishes in the background (it frees its own output, and the
// handle stays alive until it is done). owner is kept alive until the C call returns.
func (h *handle) call(ctx context.Context, owner any, c func(p unsafe.Pointer, options cText) outcome) outcome {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return goFailure(err)
	}
	options, deadline, err := callOptions(ctx)
	if err != nil {
		return goFailure(err)
	}
	p, ok := h.acquire()
	if !ok {
		return goFailure(h.closedError())
	}
	if ctx.Done() == nil {
		o := c(p, options)
		runtime.KeepAlive(owner)
		h.release()
		return o
	}
	done := make(chan outcome, 1)
	go func() {
		o := c(p, options)
		runtime.KeepAlive(owner)
		h.release()
		done <- o
	}()
	select {
	case o := <-done:
		// The library gave up at the deadline it was given: that is the context's
		// deadline (its timer may not have fired yet).
		if o.goErr == nil && o.code == resultTimeout && options != nil && !time.Now().Before(deadline) {
			return goFailure(context.DeadlineExceeded)
		}
		return o
	case <-ctx.Done():
		return goFailure(ctx.Err())
	}
}

// callOptions is the per-call options JSON for a context (its deadline as timeout_ms),
// or nil when it has no deadline, and the deadline. An expired deadline is
// context.DeadlineExceeded.
func callOptions(ctx context.Context) (cText, time.Time, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil, deadline, nil
	}
	left := time.Until(deadline)
	if left <= 0 {
		return nil, deadline, context.DeadlineExceeded
	}
	// Rounded up: the library never gives up before the deadline.
	ms := (left + time.Millisecond - 1) / time.Millisecond
	if ms > maxTimeoutMS {
		// Beyond what the library accepts for one call: its own budget applies, and the
		// call still returns at the deadline.
		return nil, deadline, nil
	}
	options, err := newCText(fmt.Sprintf(`{"timeout_ms":%d}`, ms), "options")
	return options, deadline, err
}

// maxTimeoutMS is the largest per-call timeout the C library accepts (10 minutes).
const maxTimeoutMS = 600000

func bytesPtr(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

func cVersion() string { return C.GoString(C.clerk_version()) }

func cResultName(code uint32) string { return C.GoString(C.clerk_result_name(C.uint32_t(code))) }

func cClientNew(config cText) (unsafe.Pointer, outcome) {
	var client *C.clerk_client
	var out *C.char
	code := C.clerk_client_new(config.ptr(), &client, &out)
	return unsafe.Pointer(client), outcome{code: uint32(code), text: takeString(out)}
}

func cClientFree(p unsafe.Pointer) { C.clerk_client_free((*C.clerk_client)(p)) }

func cClientCall(p unsafe.Pointer, name, params, options cText) outcome {
	var out *C.char
	code := C.clerk_client_call_with_options((*C.clerk_client)(p), name.ptr(), params.ptr(),
		options.ptr(), &out)
	return outcome{code: uint32(code), text: takeString(out)}
}

func cClientCallMultipart(p unsafe.Pointer, name, params, field, filename, contentType cText, data []byte) outcome {
	var out *C.char
	bytes, n := bytesPtr(data)
	code := C.clerk_client_call_multipart((*C.clerk_client)(p), name.ptr(), params.ptr(),
		field.ptr(), filename.ptr(), contentType.ptr(), bytes, n, &out)
	return outcome{code: uint32(code), text: takeString(out)}
}

func cClientRequest(p unsafe.Pointer, method, path, query, body, options cText) (int, outcome) {
	var out *C.char
	var status C.uint16_t
	code := C.clerk_client_request_with_options((*C.clerk_client)(p), method.ptr(), path.ptr(),
		query.ptr(), body.ptr(), &status, options.ptr(), &out)
	return int(status), outcome{code: uint32(code), text: takeString(out)}
}

func cOperationsJSON() outcome {
	var out *C.char
	code := C.clerk_operations_json(&out)
	return outcome{code: uint32(code), text: takeString(out)}
}

func cPagerNew(client unsafe.Pointer, name, params cText) (unsafe.Pointer, outcome) {
	var pager *C.clerk_pager
	var out *C.char
	code := C.clerk_pager_new((*C.clerk_client)(client), name.ptr(), params.ptr(), &pager, &out)
	return unsafe.Pointer(pager), outcome{code: uint32(code), text: takeString(out)}
}

func cPagerNext(p unsafe.Pointer, options cText) outcome {
	var out *C.char
	code := C.clerk_pager_next_with_options((*C.clerk_pager)(p), options.ptr(), &out)
	return outcome{code: uint32(code), text: takeString(out)}
}

func cPagerFree(p unsafe.Pointer) { C.clerk_pager_free((*C.clerk_pager)(p)) }

func cVerifierNew(config cText, client unsafe.Pointer) (unsafe.Pointer, outcome) {
	var verifier *C.clerk_verifier
	var out *C.char
	code := C.clerk_verifier_new(config.ptr(), (*C.clerk_client)(client), &verifier, &out)
	return unsafe.Pointer(verifier), outcome{code: uint32(code), text: takeString(out)}
}

func cVerifierFree(p unsafe.Pointer) { C.clerk_verifier_free((*C.clerk_verifier)(p)) }

// cVerify returns the claims JSON as a string on success (the decoder slices it), or
// the error.
func cVerify(p unsafe.Pointer, token cText) (string, error) {
	var out *C.char
	code := C.clerk_verifier_verify((*C.clerk_verifier)(p), token.ptr(), &out)
	if code != resultOK {
		return "", outcome{code: uint32(code), text: takeString(out)}.err()
	}
	return takeText(out), nil
}

func cVerifyMachineToken(p unsafe.Pointer, token cText) outcome {
	var out *C.char
	code := C.clerk_verifier_verify_machine_token((*C.clerk_verifier)(p), token.ptr(), &out)
	return outcome{code: uint32(code), text: takeString(out)}
}

func cAuthenticateRequest(p unsafe.Pointer, request cText) outcome {
	var out *C.char
	code := C.clerk_authenticate_request((*C.clerk_verifier)(p), request.ptr(), &out)
	return outcome{code: uint32(code), text: takeString(out)}
}

func cWebhookVerify(secret, headers cText, body []byte) outcome {
	var out *C.char
	bytes, n := bytesPtr(body)
	code := C.clerk_webhook_verify(secret.ptr(), headers.ptr(), bytes, n, &out)
	return outcome{code: uint32(code), text: takeString(out)}
}

func cSignWebhook(secret, messageID cText, timestamp int64, body []byte) ([]byte, outcome) {
	var signature, out *C.char
	bytes, n := bytesPtr(body)
	code := C.clerk_testing_sign_webhook(secret.ptr(), messageID.ptr(), C.int64_t(timestamp),
		bytes, n, &signature, &out)
	return takeString(signature), outcome{code: uint32(code), text: takeString(out)}
}

func cMintSessionToken(privateKey, kid, claims, header cText) ([]byte, outcome) {
	var token, out *C.char
	code := C.clerk_testing_mint_session_token(privateKey.ptr(), kid.ptr(), claims.ptr(),
		header.ptr(), &token, &out)
	return takeString(token), outcome{code: uint32(code), text: takeString(out)}
}
