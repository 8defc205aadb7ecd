//go:build !clerk_external

package cbench

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: -L${SRCDIR}/../../lib -lclerk -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
import "C"
