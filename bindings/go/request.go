package clerk

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unsafe"
)

// AuthStatus is the outcome of authenticating a request.
type AuthStatus string

// The outcomes.
const (
	// AuthSignedIn: a valid session or accepted machine token.
	AuthSignedIn AuthStatus = "signed-in"
	// AuthSignedOut: no token, or a refused one (Reason says which).
	AuthSignedOut AuthStatus = "signed-out"
	// AuthHandshake: the browser must be redirected (307) to Headers.Location with
	// Headers set: Clerk's handshake, or a satellite's sync with its primary domain.
	AuthHandshake AuthStatus = "handshake"
)

// ResponseHeaders are the headers a RequestState asks the server to set on its
// response: Location (handshake), Set-Cookie (one value per cookie), Cache-Control,
// X-Clerk-Auth-Status, ... Keys are canonical (http.CanonicalHeaderKey).
type ResponseHeaders http.Header

// UnmarshalJSON reads the C library's {"name": "value", "set-cookie": ["...", ...]}.
func (h *ResponseHeaders) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(ResponseHeaders, len(raw))
	for name, value := range raw {
		key := http.CanonicalHeaderKey(name)
		if bytes.HasPrefix(bytes.TrimSpace(value), []byte("[")) {
			var values []string
			if err := json.Unmarshal(value, &values); err != nil {
				return err
			}
			out[key] = append(out[key], values...)
			continue
		}
		var one string
		if err := json.Unmarshal(value, &one); err != nil {
			return err
		}
		out[key] = append(out[key], one)
	}
	*h = out
	return nil
}

// Location is the redirect target ("" when there is none).
func (h ResponseHeaders) Location() string { return http.Header(h).Get("Location") }

// SetCookies are the Set-Cookie values, one per cookie.
func (h ResponseHeaders) SetCookies() []string { return h["Set-Cookie"] }

// WriteTo adds every header to w (values appended, as @clerk/express does).
func (h ResponseHeaders) WriteTo(w http.Header) {
	for name, values := range h {
		for _, value := range values {
			w.Add(name, value)
		}
	}
}

// RequestState is what AuthenticateRequest found.
type RequestState struct {
	Status AuthStatus `json:"status"`
	// TokenType is the token type the outcome concerns (not set for a handshake).
	TokenType TokenType `json:"token_type,omitempty"`
	// Claims are the session's claims (signed in with a session token).
	Claims *Claims `json:"claims,omitempty"`
	// Machine is the machine token's data (signed in with a machine token).
	Machine json.RawMessage `json:"machine,omitempty"`
	// Reason and Message say why a request is signed out or needs a handshake.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Headers are to be set on the response; on a handshake, redirect (307) to
	// Headers.Location() with them (the middleware does).
	Headers ResponseHeaders `json:"headers,omitempty"`
	// HasResults are the results of AuthenticateOptions.Has, in order.
	HasResults []bool `json:"has,omitempty"`

	// What Has needs to ask the core again: the verifier, the request sent and its
	// context.
	verifier *Verifier
	request  *authRequest
	ctx      context.Context
}

// SignedIn reports whether the request is authenticated.
func (s *RequestState) SignedIn() bool { return s != nil && s.Status == AuthSignedIn }

// Check is an authorization check, as @clerk/backend's auth.has(...): set one or more
// fields (all must pass).
type Check struct {
	// Role is an organization role, e.g. "org:admin" ("admin" reads as "org:admin").
	Role string `json:"role,omitempty"`
	// Permission is an organization permission, e.g. "org:invoices:read".
	Permission string `json:"permission,omitempty"`
	// Feature and Plan are billing features and plans: "name" (either scope),
	// "org:name"/"o:name" or "user:name"/"u:name".
	Feature string `json:"feature,omitempty"`
	Plan    string `json:"plan,omitempty"`
	// Reverification requires a recent enough factor verification.
	Reverification *Reverification `json:"reverification,omitempty"`
}

// Reverification is a preset ("strict_mfa", "strict", "moderate", "lax") or a Level
// ("first_factor", "second_factor", "multi_factor") with AfterMinutes.
type Reverification struct {
	Preset       string
	Level        string
	AfterMinutes float64
}

// MarshalJSON writes the preset's name, else {"level", "after_minutes"}.
func (r Reverification) MarshalJSON() ([]byte, error) {
	if r.Preset != "" {
		return json.Marshal(r.Preset)
	}
	return json.Marshal(struct {
		Level        string  `json:"level"`
		AfterMinutes float64 `json:"after_minutes"`
	}{r.Level, r.AfterMinutes})
}

// Has evaluates check on the state in the core (one engine with the C library and the
// CLI): a check listed in AuthenticateOptions.Has answers from HasResults; any other
// asks the core again with the same request and its context (for a session token that is
// a local verification). False when the state is not signed in, or on an error (a closed
// verifier, an ended context).
func (s *RequestState) Has(check Check) bool {
	if s == nil || s.request == nil {
		return false
	}
	want, err := json.Marshal(check)
	if err != nil {
		return false
	}
	for i, asked := range s.request.Has {
		if i < len(s.HasResults) && bytes.Equal(asked, want) {
			return s.HasResults[i]
		}
	}
	again := *s.request
	again.Has = []json.RawMessage{want}
	state, err := s.verifier.send(s.ctx, &again)
	if err != nil || len(state.HasResults) != 1 {
		return false
	}
	return state.HasResults[0]
}

// HasRole is Has(Check{Role: role}).
func (s *RequestState) HasRole(role string) bool { return s.Has(Check{Role: role}) }

// HasPermission is Has(Check{Permission: permission}).
func (s *RequestState) HasPermission(permission string) bool {
	return s.Has(Check{Permission: permission})
}

// AuthenticateOptions are @clerk/backend's authenticateRequest options, sent to the core
// as they are (snake_case keys; the core refuses what it cannot use). Empty fields keep
// the verifier's settings or the core's defaults.
type AuthenticateOptions struct {
	// PublishableKey (pk_test_/pk_live_) gives the Frontend API of handshake redirects,
	// the instance type (development instances use the dev-browser token) and the
	// suffixed cookie names. Default: VerifierConfig.PublishableKey.
	PublishableKey string `json:"publishable_key,omitempty"`
	// SecretKey tells a development instance apart for satellite checks; the verifier's
	// keys verify.
	SecretKey string `json:"secret_key,omitempty"`
	// MachineSecretKey verifies opaque M2M tokens (mt_...).
	MachineSecretKey string `json:"machine_secret_key,omitempty"`
	// JWTKey is accepted for symmetry with the CLI; the verifier's keys are used.
	JWTKey string `json:"jwt_key,omitempty"`
	// AuthorizedParties and Audience override the verifier's.
	AuthorizedParties []string `json:"authorized_parties,omitempty"`
	Audience          []string `json:"audience,omitempty"`
	// ClockSkew overrides the verifier's leeway (0: keep it; negative: none; at most
	// 5 min).
	ClockSkew time.Duration `json:"-"`
	// Domain, IsSatellite and SatelliteAutoSync configure a satellite application.
	Domain            string `json:"domain,omitempty"`
	IsSatellite       bool   `json:"is_satellite,omitempty"`
	SatelliteAutoSync bool   `json:"satellite_auto_sync,omitempty"`
	// ProxyURL is a Frontend API proxy, absolute or relative to the request's origin.
	ProxyURL string `json:"proxy_url,omitempty"`
	// SignInURL and SignUpURL: development satellites redirect to the sign-in URL.
	SignInURL string `json:"sign_in_url,omitempty"`
	SignUpURL string `json:"sign_up_url,omitempty"`
	// AcceptsToken are the accepted token types (default: VerifierConfig.AcceptsToken,
	// else session tokens only).
	AcceptsToken []TokenType `json:"accepts_token,omitempty"`
	// OrganizationSyncOptions select the active organization from the URL path.
	OrganizationSyncOptions *OrganizationSyncOptions `json:"organization_sync_options,omitempty"`

	// Has are checks evaluated with the result (RequestState.HasResults, and answered by
	// RequestState.Has without another call).
	Has []Check `json:"-"`
	// AllowPending lets a pending session pass the Has checks (the reference's
	// treatPendingAsSignedOut: false).
	AllowPending bool `json:"-"`
}

// OrganizationSyncOptions are URL path patterns ("/orgs/:slug", "/orgs/:id/(.*)", "/me")
// that activate an organization or the personal account.
type OrganizationSyncOptions struct {
	OrganizationPatterns    []string `json:"organization_patterns,omitempty"`
	PersonalAccountPatterns []string `json:"personal_account_patterns,omitempty"`
}

// authRequest is clerk_authenticate_request's request_json.
type authRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Options wireOptions       `json:"options"`
	// Has holds each check already marshalled: Has compares them byte for byte.
	Has                     []json.RawMessage `json:"has,omitempty"`
	TreatPendingAsSignedOut *bool             `json:"treat_pending_as_signed_out,omitempty"`
}

type wireOptions struct {
	AuthenticateOptions
	ClockSkewMS *int64 `json:"clock_skew_ms,omitempty"`
}

// AuthenticateRequest authenticates an incoming request from its URL, method and headers
// (Authorization bearer token, else the session cookies) into signed in, signed out or
// handshake. Errors are for a closed verifier, unusable arguments, and configurations
// the reference refuses (an invalid publishable key, a satellite without a domain, ...:
// KindConfig).
func (v *Verifier) AuthenticateRequest(r *http.Request) (*RequestState, error) {
	return v.AuthenticateRequestWith(r, AuthenticateOptions{})
}

// AuthenticateRequestWith is AuthenticateRequest with per-request options.
//
// The URL sent is the one the server received (https when r.TLS is set, r.Host, the
// request URI); the core applies X-Forwarded-Proto, X-Forwarded-Host and Host over it,
// as @clerk/backend does.
func (v *Verifier) AuthenticateRequestWith(r *http.Request, opts AuthenticateOptions) (*RequestState, error) {
	if v == nil {
		return nil, (*handle)(nil).closedError()
	}
	if r == nil {
		return nil, newError(KindInvalidArgument, "argument `r` is nil")
	}
	if opts.PublishableKey == "" {
		opts.PublishableKey = v.publishableKey
	}
	if len(opts.AcceptsToken) == 0 {
		opts.AcceptsToken = v.acceptsToken
	}
	request := &authRequest{
		Method:  r.Method,
		URL:     requestURL(r),
		Headers: make(map[string]string, len(r.Header)+1),
		Options: wireOptions{AuthenticateOptions: opts},
	}
	switch skew := millis(opts.ClockSkew); {
	case skew > 0:
		request.Options.ClockSkewMS = &skew
	case skew < 0:
		none := int64(0)
		request.Options.ClockSkewMS = &none
	}
	if opts.AllowPending {
		no := false
		request.TreatPendingAsSignedOut = &no
	}
	for _, check := range opts.Has {
		b, err := json.Marshal(check)
		if err != nil {
			return nil, invalidArgument("has", err)
		}
		request.Has = append(request.Has, b)
	}
	if request.Method == "" {
		request.Method = http.MethodGet
	}
	for name, values := range r.Header {
		// One value per name: repeated Cookie headers (HTTP/2) join with "; ", others
		// with ", " as HTTP folds them.
		separator := ", "
		if name == "Cookie" {
			separator = "; "
		}
		request.Headers[name] = strings.Join(values, separator)
	}
	// A server's request carries Host in r.Host, not in r.Header.
	if _, ok := request.Headers["Host"]; !ok && r.Host != "" {
		request.Headers["Host"] = r.Host
	}
	return v.send(r.Context(), request)
}

// requestURL is the absolute URL the server received r at.
func requestURL(r *http.Request) string {
	if r.URL != nil && r.URL.IsAbs() {
		return r.URL.String()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	uri := "/"
	if r.URL != nil {
		uri = r.URL.RequestURI()
	}
	return scheme + "://" + host + uri
}

// send calls clerk_authenticate_request; the state keeps what Has needs.
func (v *Verifier) send(ctx context.Context, request *authRequest) (*RequestState, error) {
	body, err := json.Marshal(request)
	if err != nil {
		return nil, invalidArgument("request", err)
	}
	text, err := newCText(string(body), "request")
	if err != nil {
		return nil, err
	}
	o := v.handle().call(ctx, v, func(p unsafe.Pointer, _ cText) outcome {
		return cAuthenticateRequest(p, text)
	})
	if err := o.err(); err != nil {
		return nil, err
	}
	state := new(RequestState)
	if err := decodeInto(o.text, state); err != nil {
		return nil, err
	}
	state.verifier, state.request, state.ctx = v, request, ctx
	return state, nil
}
