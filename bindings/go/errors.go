package clerk

import (
	"encoding/json"
	"errors"
	"time"
)

// The kinds of Error: the "kind" of the C library's error JSON, plus two of the Go layer
// (KindClosed, KindInvalidArgument). A kind this list does not know still arrives as an
// *Error with that Kind.
const (
	// The Backend API answered with a non-2xx status (Status, Errors, TraceID, RetryAfter).
	KindAPI = "api"
	// The request did not complete (DNS, connect, TLS or I/O failure).
	KindTransport = "transport"
	// A connect or request deadline passed.
	KindTimeout = "timeout"
	// The response could not be decoded (also a CallInto target that does not fit).
	KindDecode = "decode"
	// The response body was larger than Config.MaxResponseBytes.
	KindResponseTooLarge = "response_too_large"
	// The params do not fit the operation (unknown key, wrong type, missing required).
	KindInvalidParams = "invalid_params"
	// No operation has the given name.
	KindUnknownOperation = "unknown_operation"
	// The configuration is invalid (bad URL, missing secret key, unreadable key).
	KindConfig = "config"
	// A session or machine token was refused; Reason is the reference's code.
	KindVerification = "verification"
	// A webhook delivery did not verify; Reason says why.
	KindWebhook = "webhook"
	// A NULL argument reached the C library (a bug in this package).
	KindNullParameter = "null_parameter"
	// A string argument was not valid UTF-8.
	KindInvalidUTF8 = "invalid_utf8"
	// A JSON argument did not parse or had the wrong shape.
	KindInvalidJSON = "invalid_json"
	// The C library caught a panic (a bug in libclerk).
	KindPanic = "panic"
	// An error the C library has no dedicated code for.
	KindUnexpected = "unexpected"
	// The client, verifier or pager was used after Close.
	KindClosed = "closed"
	// A Go value could not be handed to C (a NUL byte in a string, params that do not
	// marshal to JSON).
	KindInvalidArgument = "invalid_argument"
)

// Error is every error of the C library, and of this package: test with errors.As, or
// with errors.Is against the Err* values.
type Error struct {
	// Kind is the error's kind (the Kind* constants; a newer library may send others).
	Kind string
	// Message is the library's message, e.g. "404 resource_not_found: not found [trace ...]".
	Message string
	// Code is the C library's result code (0 for errors of the Go layer).
	Code uint32
	// Status is the HTTP status of a KindAPI error.
	Status int
	// Reason is the kebab-case reason of a KindVerification or KindWebhook error, e.g.
	// "token-expired".
	Reason string
	// Errors are the Clerk errors of a KindAPI error, in order.
	Errors []APIError
	// TraceID is Clerk's trace id of a KindAPI error, when it sent one.
	TraceID string
	// RetryAfter is the Retry-After the server asked for (KindAPI), or 0.
	RetryAfter time.Duration
	// JSON is the whole error object as the C library wrote it (nil for Go-layer errors).
	JSON json.RawMessage

	cause error
}

// APIError is one entry of a Clerk error body.
type APIError struct {
	Code        string          `json:"code"`
	Message     string          `json:"message"`
	LongMessage string          `json:"long_message,omitempty"`
	Meta        json.RawMessage `json:"meta,omitempty"`
}

// Error is "clerk: " followed by the reason (if any) and the message.
func (e *Error) Error() string {
	if e.Reason != "" {
		return "clerk: " + e.Reason + ": " + e.Message
	}
	return "clerk: " + e.Message
}

// Unwrap gives the Go error behind a Go-layer error, if any.
func (e *Error) Unwrap() error { return e.cause }

// CodeName is the C name of Code, e.g. "CLERK_RESULT_API" ("" for Go-layer errors).
func (e *Error) CodeName() string {
	if e.Code == 0 {
		return ""
	}
	return cResultName(e.Code)
}

// Targets for errors.Is. Each kind has one; the HTTP statuses and token reasons that
// callers branch on most have their own.
var (
	ErrAPI                  = errors.New("clerk: API error")
	ErrTransport            = errors.New("clerk: transport error")
	ErrTimeout              = errors.New("clerk: timeout")
	ErrDecode               = errors.New("clerk: cannot decode the response")
	ErrResponseTooLarge     = errors.New("clerk: response too large")
	ErrInvalidParams        = errors.New("clerk: invalid parameters")
	ErrUnknownOperation     = errors.New("clerk: unknown operation")
	ErrConfig               = errors.New("clerk: invalid configuration")
	ErrVerification         = errors.New("clerk: token refused")
	ErrWebhook              = errors.New("clerk: webhook refused")
	ErrPanic                = errors.New("clerk: the library panicked")
	ErrUnexpected           = errors.New("clerk: unexpected error")
	ErrClosed               = errors.New("clerk: used after Close")
	ErrInvalidArgument      = errors.New("clerk: invalid argument")
	ErrBadRequest           = errors.New("clerk: 400 bad request")
	ErrUnauthorized         = errors.New("clerk: 401 unauthorized")
	ErrForbidden            = errors.New("clerk: 403 forbidden")
	ErrNotFound             = errors.New("clerk: 404 not found")
	ErrConflict             = errors.New("clerk: 409 conflict")
	ErrUnprocessable        = errors.New("clerk: 422 unprocessable")
	ErrRateLimited          = errors.New("clerk: 429 rate limited")
	ErrServer               = errors.New("clerk: 5xx server error")
	ErrTokenExpired         = errors.New("clerk: token expired")
	ErrTokenNotActiveYet    = errors.New("clerk: token not active yet")
	ErrTokenSignature       = errors.New("clerk: token signature invalid")
	ErrTokenAuthorizedParty = errors.New("clerk: token authorized party not allowed")
)

// kindTargets maps each kind to its errors.Is target.
var kindTargets = map[string]error{
	KindAPI:              ErrAPI,
	KindTransport:        ErrTransport,
	KindTimeout:          ErrTimeout,
	KindDecode:           ErrDecode,
	KindResponseTooLarge: ErrResponseTooLarge,
	KindInvalidParams:    ErrInvalidParams,
	KindUnknownOperation: ErrUnknownOperation,
	KindConfig:           ErrConfig,
	KindVerification:     ErrVerification,
	KindWebhook:          ErrWebhook,
	KindNullParameter:    ErrInvalidArgument,
	KindInvalidUTF8:      ErrInvalidArgument,
	KindInvalidJSON:      ErrInvalidArgument,
	KindPanic:            ErrPanic,
	KindUnexpected:       ErrUnexpected,
	KindClosed:           ErrClosed,
	KindInvalidArgument:  ErrInvalidArgument,
}

// statusTargets maps HTTP statuses of KindAPI errors to their errors.Is target.
var statusTargets = map[int]error{
	400: ErrBadRequest,
	401: ErrUnauthorized,
	403: ErrForbidden,
	404: ErrNotFound,
	409: ErrConflict,
	422: ErrUnprocessable,
	429: ErrRateLimited,
}

// reasonTargets maps KindVerification reasons to their errors.Is target.
var reasonTargets = map[string]error{
	"token-expired":                    ErrTokenExpired,
	"token-not-active-yet":             ErrTokenNotActiveYet,
	"token-invalid-signature":          ErrTokenSignature,
	"token-invalid-authorized-parties": ErrTokenAuthorizedParty,
}

// Is reports whether target is the errors.Is target of e's kind, HTTP status or reason.
func (e *Error) Is(target error) bool {
	if target == nil {
		return false
	}
	if kindTargets[e.Kind] == target {
		return true
	}
	switch e.Kind {
	case KindAPI:
		if target == ErrServer {
			return e.Status >= 500 && e.Status <= 599
		}
		return statusTargets[e.Status] == target
	case KindVerification:
		return reasonTargets[e.Reason] == target
	}
	return false
}

func newError(kind, message string) *Error { return &Error{Kind: kind, Message: message} }

// errorFromC is the *Error for a failed C call: its result code and error JSON.
func errorFromC(code uint32, text []byte) error {
	var wire struct {
		Kind         string     `json:"kind"`
		Message      string     `json:"message"`
		Status       int        `json:"status"`
		Reason       string     `json:"reason"`
		Errors       []APIError `json:"errors"`
		ClerkTraceID string     `json:"clerk_trace_id"`
		RetryAfterMS int64      `json:"retry_after_ms"`
	}
	e := &Error{Code: code, JSON: text}
	if err := json.Unmarshal(text, &wire); err != nil || wire.Kind == "" {
		e.Kind = KindUnexpected
		e.Message = cResultName(code) + ": " + string(text)
		return e
	}
	e.Kind = wire.Kind
	e.Message = wire.Message
	e.Status = wire.Status
	e.Reason = wire.Reason
	e.Errors = wire.Errors
	e.TraceID = wire.ClerkTraceID
	e.RetryAfter = time.Duration(wire.RetryAfterMS) * time.Millisecond
	return e
}
