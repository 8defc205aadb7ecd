//go:build !clerk_external

package clerk

// The library is linked statically from lib/libclerk.a beside this file (put there, with
// include/clerk.h, by build-lib.sh), so programs need no LD_LIBRARY_PATH. The system
// libraries are libclerk.a's Libs.private (clerk-ffi/clerk.pc.in).
//
// Build with -tags clerk_external to leave the flags to CGO_CFLAGS and CGO_LDFLAGS, e.g.
// for a libclerk installed with clerk-ffi/install.sh (see the README).

// #cgo CFLAGS: -I${SRCDIR}/include
// #cgo LDFLAGS: -L${SRCDIR}/lib -lclerk -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
import "C"
