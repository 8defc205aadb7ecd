package clerk

import (
	"context"
	"encoding/json"
	"runtime"
	"time"
	"unsafe"
)

// VerifierConfig configures a Verifier. Zero fields keep the library's defaults.
type VerifierConfig struct {
	// JWTKey is the instance's PEM public key: tokens are verified without any network.
	JWTKey string
	// Client is the JWKS source when JWTKey is empty (keys fetched once, then cached) and
	// the Backend API for opaque machine tokens. The verifier keeps what it needs: the
	// client may be closed first.
	Client *Client
	// AuthorizedParties are the origins allowed in azp (empty: any).
	AuthorizedParties []string
	// Audience and Issuer, when set, are required to match.
	Audience []string
	Issuer   []string
	// ClockSkew is the leeway for exp, nbf and iat (0: the default, 5 s; negative: none).
	ClockSkew time.Duration
	// JWKSTTL, KIDRefetchInterval and MaxStale tune the JWKS cache (defaults 5 min, 10 s,
	// 1 h).
	JWKSTTL            time.Duration
	KIDRefetchInterval time.Duration
	MaxStale           time.Duration
	// PublishableKey (pk_...) is AuthenticateRequest's and the middleware's default
	// publishable key: the Frontend API of handshake redirects, the instance type and the
	// suffixed cookie names.
	PublishableKey string
	// AcceptsToken are the token types AuthenticateRequest and the middleware accept
	// (default: session tokens only).
	AcceptsToken []TokenType
}

// TokenType is a kind of token AuthenticateRequest accepts.
type TokenType string

// The token types.
const (
	TokenTypeSessionToken TokenType = "session_token"
	TokenTypeAPIKey       TokenType = "api_key"
	TokenTypeM2MToken     TokenType = "m2m_token"
	TokenTypeOAuthToken   TokenType = "oauth_token"
)

// Verifier verifies session tokens, machine tokens and requests. One verifier is safe
// for concurrent use by any number of goroutines and shares its JWKS cache: share it.
// Close it when done (a finalizer closes a forgotten one).
type Verifier struct {
	h              *handle
	publishableKey string
	acceptsToken   []TokenType
}

// NewVerifier makes a verifier from cfg.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	skew := millis(cfg.ClockSkew)
	wire := struct {
		JWTKey               string   `json:"jwt_key,omitempty"`
		AuthorizedParties    []string `json:"authorized_parties,omitempty"`
		Audience             []string `json:"audience,omitempty"`
		Issuer               []string `json:"issuer,omitempty"`
		ClockSkewMS          *int64   `json:"clock_skew_ms,omitempty"`
		JWKSTTLMS            int64    `json:"jwks_ttl_ms,omitempty"`
		KIDRefetchIntervalMS int64    `json:"kid_refetch_interval_ms,omitempty"`
		MaxStaleMS           int64    `json:"max_stale_ms,omitempty"`
	}{
		JWTKey:               cfg.JWTKey,
		AuthorizedParties:    cfg.AuthorizedParties,
		Audience:             cfg.Audience,
		Issuer:               cfg.Issuer,
		JWKSTTLMS:            millis(cfg.JWKSTTL),
		KIDRefetchIntervalMS: millis(cfg.KIDRefetchInterval),
		MaxStaleMS:           millis(cfg.MaxStale),
	}
	switch {
	case skew > 0:
		wire.ClockSkewMS = &skew
	case skew < 0:
		none := int64(0)
		wire.ClockSkewMS = &none
	}
	config, err := json.Marshal(wire)
	if err != nil {
		return nil, invalidArgument("config", err)
	}
	text, err := newCText(string(config), "config")
	if err != nil {
		return nil, err
	}
	var p unsafe.Pointer
	var o outcome
	if cfg.Client != nil {
		h := cfg.Client.handle()
		client, ok := h.acquire()
		if !ok {
			return nil, h.closedError()
		}
		p, o = cVerifierNew(text, client)
		runtime.KeepAlive(cfg.Client)
		h.release()
	} else {
		p, o = cVerifierNew(text, nil)
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	return newVerifier(p, cfg.PublishableKey, cfg.AcceptsToken), nil
}

// NewVerifierFromEnv makes a verifier from CLERK_JWT_KEY, else CLERK_SECRET_KEY and
// CLERK_API_URL (JWKS from the Backend API).
func NewVerifierFromEnv() (*Verifier, error) {
	p, o := cVerifierNew(nil, nil)
	if err := o.err(); err != nil {
		return nil, err
	}
	return newVerifier(p, "", nil), nil
}

func newVerifier(p unsafe.Pointer, publishableKey string, accepts []TokenType) *Verifier {
	v := &Verifier{
		h:              newHandle(p, "verifier", cVerifierFree),
		publishableKey: publishableKey,
		acceptsToken:   append([]TokenType(nil), accepts...),
	}
	runtime.SetFinalizer(v, (*Verifier).Close)
	return v
}

// Close frees the verifier; calls in flight finish first. Later calls return an error
// matching ErrClosed. Closing twice is fine.
func (v *Verifier) Close() error {
	if v != nil {
		v.h.close()
	}
	return nil
}

func (v *Verifier) handle() *handle {
	if v == nil {
		return nil
	}
	return v.h
}

// Claims are a verified session token's claims.
type Claims struct {
	// Subject is the user id (sub).
	Subject string `json:"sub"`
	// SessionID is the session id (sid).
	SessionID string `json:"sid,omitempty"`
	// AuthorizedParty is the origin the token was minted for (azp).
	AuthorizedParty string `json:"azp,omitempty"`
	// Issuer is the instance's Frontend API URL (iss).
	Issuer string `json:"iss,omitempty"`
	// Expiry, IssuedAt and NotBefore are seconds since the epoch (exp, iat, nbf).
	Expiry    int64 `json:"exp"`
	IssuedAt  int64 `json:"iat,omitempty"`
	NotBefore int64 `json:"nbf,omitempty"`
	// SessionStatus is "active" or "pending" (sts).
	SessionStatus string `json:"sts,omitempty"`
	// Actor is the impersonator (act), when the session is an impersonation.
	Actor json.RawMessage `json:"act,omitempty"`
	// FactorVerificationAge is [first factor, second factor] in minutes, -1 for a factor
	// not enabled (fva).
	FactorVerificationAge []int64 `json:"fva,omitempty"`
	// Version is the claims version: 0 for v1, 2 for v2 (v).
	Version int `json:"version,omitempty"`
	// Organization is the session's active organization.
	Organization *OrganizationClaims `json:"organization,omitempty"`
	// Features and Plans are the session's features and plans, by scope.
	Features ScopedNames `json:"features"`
	Plans    ScopedNames `json:"plans"`
	// Raw is every claim as the token carried it (a JSON object).
	Raw json.RawMessage `json:"raw"`
}

// OrganizationClaims are the active organization of a session.
type OrganizationClaims struct {
	ID          string   `json:"id"`
	Slug        string   `json:"slug,omitempty"`
	Role        string   `json:"role,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
}

// ScopedNames are names granted to the organization and to the user.
type ScopedNames struct {
	Org  []string `json:"org"`
	User []string `json:"user"`
}

// Custom decodes the raw claims into v, for custom session claims.
func (c *Claims) Custom(v any) error { return decodeInto(c.Raw, v) }

// Verify verifies a session token (the __session cookie or the Authorization: Bearer
// value). A refused token is an *Error of KindVerification whose Reason is the
// reference's code (errors.Is(err, ErrTokenExpired), ...). Once the JWKS is cached,
// verification is local; the first call with a client may fetch it.
func (v *Verifier) Verify(token string) (*Claims, error) {
	t, err := newCText(token, "token")
	if err != nil {
		return nil, err
	}
	h := v.handle()
	p, ok := h.acquire()
	if !ok {
		return nil, h.closedError()
	}
	text, err := cVerify(p, t)
	runtime.KeepAlive(v)
	h.release()
	if err != nil {
		return nil, err
	}
	claims := new(Claims)
	if err := decodeClaims(text, claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// MachineToken is a verified machine token.
type MachineToken struct {
	// TokenType is TokenTypeAPIKey, TokenTypeM2MToken or TokenTypeOAuthToken.
	TokenType TokenType `json:"token_type"`
	// Data is the Backend API's answer (opaque tokens) or the JWT's claims.
	Data json.RawMessage `json:"data"`
}

// VerifyMachineToken verifies an API key (ak_), M2M token (mt_) or OAuth access token
// (oat_) through the Backend API with the verifier's client, or a JWT machine token
// locally. ctx bounds the wait as for Client.Call.
func (v *Verifier) VerifyMachineToken(ctx context.Context, token string) (*MachineToken, error) {
	t, err := newCText(token, "token")
	if err != nil {
		return nil, err
	}
	o := v.handle().call(ctx, v, func(p unsafe.Pointer, _ cText) outcome {
		return cVerifyMachineToken(p, t)
	})
	if err := o.err(); err != nil {
		return nil, err
	}
	machine := new(MachineToken)
	if err := decodeInto(o.text, machine); err != nil {
		return nil, err
	}
	return machine, nil
}
