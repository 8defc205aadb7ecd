package clerk

import (
	"context"
	"net/http"
)

type contextKey int

const (
	stateKey contextKey = iota
)

// AuthorizationOption configures WithHeaderAuthorization and RequireHeaderAuthorization.
type AuthorizationOption func(*authorization)

type authorization struct {
	options AuthenticateOptions
	failure http.Handler
}

// AuthorizedPartyMatches overrides the verifier's authorized parties (the origins allowed
// in azp) for the middleware.
func AuthorizedPartyMatches(parties ...string) AuthorizationOption {
	return func(a *authorization) { a.options.AuthorizedParties = parties }
}

// AcceptsToken sets the token types the middleware accepts (default: the verifier's).
func AcceptsToken(types ...TokenType) AuthorizationOption {
	return func(a *authorization) { a.options.AcceptsToken = types }
}

// PublishableKey sets the publishable key that selects the suffixed session cookies.
func PublishableKey(key string) AuthorizationOption {
	return func(a *authorization) { a.options.PublishableKey = key }
}

// WithOptions sets every request authentication option of the middleware (publishable
// key, satellite domain, proxy URL, organization sync, Has checks, ...); options after
// it change single fields.
func WithOptions(options AuthenticateOptions) AuthorizationOption {
	return func(a *authorization) { a.options = options }
}

// AuthorizationFailureHandler replaces RequireHeaderAuthorization's 401 answer to a
// request that is not signed in; the request's context carries the RequestState
// (RequestStateFromContext). A handshake never reaches it: the middleware redirects.
func AuthorizationFailureHandler(h http.Handler) AuthorizationOption {
	return func(a *authorization) { a.failure = h }
}

// WithHeaderAuthorization is middleware that authenticates each request (bearer token,
// else session cookies) and, when it is signed in, puts its claims on the request's
// context (SessionClaimsFromContext). As @clerk/express does, the state's response
// headers are added to every response, and a state with a Location (a handshake, a
// satellite sync) is answered with a 307 redirect there, carrying those headers; a
// handshake without one is a 500. Other requests that are not signed in pass through
// without claims. The RequestState is on the context either way.
func (v *Verifier) WithHeaderAuthorization(opts ...AuthorizationOption) func(http.Handler) http.Handler {
	a := v.authorization(opts)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, state := v.authenticate(r, a)
			if answered(w, state) {
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RequireHeaderAuthorization is WithHeaderAuthorization that also refuses requests that
// are not signed in (signed out, or a closed verifier): 401 Unauthorized, or the
// AuthorizationFailureHandler's answer. Handshakes are redirected as by
// WithHeaderAuthorization.
func (v *Verifier) RequireHeaderAuthorization(opts ...AuthorizationOption) func(http.Handler) http.Handler {
	a := v.authorization(opts)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, state := v.authenticate(r, a)
			if answered(w, state) {
				return
			}
			if !state.SignedIn() {
				a.failure.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// answered sets the state's response headers on w and answers a redirect (307 to the
// Location the core gave) or a handshake without one (500), as @clerk/express's
// setResponseHeaders; false when the handler should run.
func answered(w http.ResponseWriter, state *RequestState) bool {
	if state == nil {
		return false
	}
	state.Headers.WriteTo(w.Header())
	if state.Headers.Location() != "" {
		w.WriteHeader(http.StatusTemporaryRedirect)
		return true
	}
	if state.Status == AuthHandshake {
		http.Error(w, "Clerk: unexpected handshake without redirect", http.StatusInternalServerError)
		return true
	}
	return false
}

func (v *Verifier) authorization(opts []AuthorizationOption) *authorization {
	a := &authorization{failure: http.HandlerFunc(unauthorized)}
	for _, opt := range opts {
		opt(a)
	}
	return a
}

func unauthorized(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
}

// authenticate returns r with the request state on its context (nil state on an error).
func (v *Verifier) authenticate(r *http.Request, a *authorization) (*http.Request, *RequestState) {
	state, err := v.AuthenticateRequestWith(r, a.options)
	if err != nil {
		return r, nil
	}
	return r.WithContext(context.WithValue(r.Context(), stateKey, state)), state
}

// RequestStateFromContext is the RequestState the middleware put on a request's context.
func RequestStateFromContext(ctx context.Context) (*RequestState, bool) {
	state, ok := ctx.Value(stateKey).(*RequestState)
	return state, ok
}

// SessionClaimsFromContext is the verified session claims the middleware put on a
// request's context; false when the request is not signed in with a session token.
func SessionClaimsFromContext(ctx context.Context) (*Claims, bool) {
	state, ok := RequestStateFromContext(ctx)
	if !ok || !state.SignedIn() || state.Claims == nil {
		return nil, false
	}
	return state.Claims, true
}
