// Package cbench drives clerk_verifier_verify from a C loop, for the benchmarks: the C
// ABI's own rate, without Go or cgo in the loop.
package cbench

/*
#include <stdlib.h>
#include "clerk.h"

// Verifies token n times; returns the first failing result code, or 0.
static uint32_t verify_loop(const clerk_verifier *verifier, const char *token, long n) {
	for (long i = 0; i < n; i++) {
		char *json = NULL;
		clerk_result rc = clerk_verifier_verify(verifier, token, &json);
		clerk_string_free(json);
		if (rc != CLERK_RESULT_OK) return rc;
	}
	return 0;
}

static uint32_t new_verifier(const char *config, clerk_verifier **out) {
	char *json = NULL;
	clerk_result rc = clerk_verifier_new(config, NULL, out, &json);
	clerk_string_free(json);
	return rc;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Verifier is a C verifier and one token to verify.
type Verifier struct {
	verifier *C.clerk_verifier
	token    *C.char
}

// New makes a verifier from a clerk_verifier_new config for token.
func New(configJSON, token string) (*Verifier, error) {
	config := C.CString(configJSON)
	defer C.free(unsafe.Pointer(config))
	v := &Verifier{token: C.CString(token)}
	if rc := C.new_verifier(config, &v.verifier); rc != 0 {
		return nil, fmt.Errorf("clerk_verifier_new: %s", C.GoString(C.clerk_result_name(rc)))
	}
	return v, nil
}

// VerifyN verifies the token n times in one C loop.
func (v *Verifier) VerifyN(n int) error {
	if rc := C.verify_loop(v.verifier, v.token, C.long(n)); rc != 0 {
		return fmt.Errorf("clerk_verifier_verify: %s", C.GoString(C.clerk_result_name(rc)))
	}
	return nil
}

// Close frees the verifier.
func (v *Verifier) Close() {
	C.clerk_verifier_free(v.verifier)
	C.free(unsafe.Pointer(v.token))
}
