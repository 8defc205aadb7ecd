// Package clerk is a Go client for Clerk's Backend API and local session verification,
// over libclerk (the C library of this repository, linked statically).
//
// Every behaviour comes from the C library: the Go code converts types and errors and
// reaches every operation through the library's operation table (the Op* constants).
//
//	client, err := clerk.NewClient(clerk.Config{SecretKey: sk})
//	defer client.Close()
//	var user clerk.User
//	err = client.CallInto(ctx, clerk.OpUsersGet, clerk.Params{"user_id": id}, &user)
//
//	verifier, err := clerk.NewVerifier(clerk.VerifierConfig{Client: client})
//	claims, err := verifier.Verify(token)
//
// # Contexts
//
// A call's context bounds it. A context that has already ended returns ctx.Err() and
// makes no request. A context that ends during a call returns ctx.Err() at once, while
// the C call finishes in the background within the client's own timeouts (connect 10 s,
// request 30 s by default; Config.ConnectTimeout, Config.RequestTimeout) and then frees
// what it used. Verify has no context: once the JWKS is cached it is local.
//
// # Errors
//
// Every error is an *Error (errors.As) with the library's kind, HTTP status, reason
// code, Clerk errors, trace id and Retry-After; errors.Is matches ErrNotFound,
// ErrUnauthorized, ErrRateLimited, ErrTokenExpired, ... and one target per kind.
// Context errors are returned as they are (context.Canceled, context.DeadlineExceeded).
//
// # Lifetimes
//
// A Client, Verifier and PageIterator own a C handle: Close frees it (a finalizer does
// it for a forgotten one). Closing twice is fine; a call after Close returns an error
// matching ErrClosed. A Client and a Verifier are safe for concurrent use: share one of
// each per process.
package clerk
