package clerk

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// pageLoad is a browser's page load with a session cookie but no client_uat: @clerk/backend
// answers it with a handshake.
func pageLoad(t *testing.T, target, token string) *http.Request {
	t.Helper()
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("Accept", "text/html,application/xhtml+xml")
	r.Header.Set("Sec-Fetch-Dest", "document")
	r.Header.Set("Cookie", "__session="+token+"; __clerk_db_jwt=dvb_test")
	return r
}

// redirectURL is the redirect_url of a handshake Location.
func redirectURL(t *testing.T, location string) string {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatalf("location %q: %v", location, err)
	}
	return u.Query().Get("redirect_url")
}

// orgToken is a v1 session token of an org:admin with one permission.
func orgToken(t *testing.T, extra map[string]any) string {
	claims := map[string]any{"v": nil, "org_id": "org_1", "org_slug": "acme", "org_role": "org:admin", "org_permissions": []string{"org:invoices:read"}}
	for k, v := range extra {
		claims[k] = v
	}
	return mint(t, claims)
}

func TestAuthenticateRequestHandshakeState(t *testing.T) {
	c := newTestClient(t)
	v, err := NewVerifier(VerifierConfig{Client: c, PublishableKey: emulator.PublishableKey})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	user := createUser(t, c)
	_, token := sessionToken(t, c, user.ID)

	state, err := v.AuthenticateRequest(pageLoad(t, "https://app.example.com/dashboard?x=1", token))
	if err != nil {
		t.Fatal(err)
	}
	if state.Status != AuthHandshake || state.Reason != "session-token-but-no-client-uat" {
		t.Fatalf("state: %+v", state)
	}
	location := state.Headers.Location()
	if !strings.Contains(location, "/v1/client/handshake?") {
		t.Errorf("location: %q", location)
	}
	if got := redirectURL(t, location); got != "https://app.example.com/dashboard?x=1" {
		t.Errorf("redirect_url: %q", got)
	}
	if got := http.Header(state.Headers).Get("Cache-Control"); got != "no-store" {
		t.Errorf("cache-control: %q", got)
	}
	if got := http.Header(state.Headers).Get("X-Clerk-Auth-Status"); got != "handshake" {
		t.Errorf("x-clerk-auth-status: %q", got)
	}
	cookies := state.Headers.SetCookies()
	if len(cookies) != 1 || !strings.HasPrefix(cookies[0], "__clerk_redirect_count=1;") {
		t.Errorf("set-cookie: %q", cookies)
	}

	// The URL as a server received it: no TLS, Host from r.Host; the forwarded headers
	// (applied by the core) win over it.
	plain := pageLoad(t, "/dashboard", token)
	plain.Host = "internal:8080"
	state, err = v.AuthenticateRequest(plain)
	if err != nil || redirectURL(t, state.Headers.Location()) != "http://internal:8080/dashboard" {
		t.Errorf("plain: %+v %v", state, err)
	}
	plain.Header.Set("X-Forwarded-Proto", "https")
	plain.Header.Set("X-Forwarded-Host", "app.example.com")
	state, err = v.AuthenticateRequest(plain)
	if err != nil || redirectURL(t, state.Headers.Location()) != "https://app.example.com/dashboard" {
		t.Errorf("forwarded: %+v %v", state, err)
	}

	// A proxy URL relative to the request's origin becomes the handshake's origin.
	state, err = v.AuthenticateRequestWith(pageLoad(t, "https://app.example.com/page", token), AuthenticateOptions{ProxyURL: "/__clerk"})
	if err != nil || !strings.HasPrefix(state.Headers.Location(), "https://app.example.com/__clerk/v1/client/handshake?") {
		t.Errorf("proxy: %+v %v", state, err)
	}

	// Configurations the reference refuses are the core's KindConfig errors.
	_, err = v.AuthenticateRequestWith(pageLoad(t, "https://app.example.com/", token), AuthenticateOptions{IsSatellite: true})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindConfig {
		t.Errorf("satellite without a domain: %v", err)
	}
	_, err = v.AuthenticateRequestWith(pageLoad(t, "https://app.example.com/", token), AuthenticateOptions{PublishableKey: "pk_nonsense"})
	if !errors.As(err, &e) || e.Kind != KindConfig {
		t.Errorf("invalid publishable key: %v", err)
	}
}

func TestAuthenticateRequestOptions(t *testing.T) {
	c := newTestClient(t)
	v, err := NewVerifier(VerifierConfig{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	now := time.Now().Unix()
	expired := mint(t, map[string]any{"exp": now - 20, "iat": now - 80, "nbf": now - 80})
	bearer := httptest.NewRequest("GET", "/api", nil)
	bearer.Header.Set("Authorization", "Bearer "+expired)
	if state, err := v.AuthenticateRequest(bearer); err != nil || state.SignedIn() {
		t.Errorf("expired 20 s ago, default skew: %+v %v", state, err)
	}
	if state, err := v.AuthenticateRequestWith(bearer, AuthenticateOptions{ClockSkew: time.Minute}); err != nil || !state.SignedIn() {
		t.Errorf("expired 20 s ago, 1 min skew: %+v %v", state, err)
	}
	if state, err := v.AuthenticateRequestWith(bearer, AuthenticateOptions{ClockSkew: time.Hour}); err == nil {
		t.Errorf("a skew above 5 min is refused by the core: %+v", state)
	}
	other := httptest.NewRequest("GET", "/api", nil)
	other.Header.Set("Authorization", "Bearer "+mint(t, map[string]any{"aud": "aud-y"}))
	if state, err := v.AuthenticateRequestWith(other, AuthenticateOptions{Audience: []string{"aud-x"}}); err != nil || state.SignedIn() || state.Reason != "token-verification-failed" || !strings.Contains(state.Message, "audience") {
		t.Errorf("another audience: %+v %v", state, err)
	}
	if state, err := v.AuthenticateRequestWith(other, AuthenticateOptions{Audience: []string{"aud-x", "aud-y"}}); err != nil || !state.SignedIn() {
		t.Errorf("one of the audiences: %+v %v", state, err)
	}
}

func TestHas(t *testing.T) {
	c := newTestClient(t)
	v, err := NewVerifier(VerifierConfig{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	r := httptest.NewRequest("GET", "/api", nil)
	r.Header.Set("Authorization", "Bearer "+orgToken(t, map[string]any{"fva": []int{5, 20}}))
	state, err := v.AuthenticateRequestWith(r, AuthenticateOptions{Has: []Check{{Role: "org:admin"}, {Role: "org:member"}, {Permission: "org:invoices:read"}}})
	if err != nil || !state.SignedIn() {
		t.Fatalf("%+v %v", state, err)
	}
	if fmt.Sprint(state.HasResults) != "[true false true]" {
		t.Errorf("has results: %v", state.HasResults)
	}
	// Listed checks and others (asked again through the C library) alike.
	for _, tc := range []struct {
		check Check
		want  bool
	}{
		{Check{Role: "org:admin"}, true},
		{Check{Role: "admin"}, true},
		{Check{Role: "org:member"}, false},
		{Check{Permission: "org:invoices:read"}, true},
		{Check{Permission: "org:invoices:write"}, false},
		{Check{Role: "org:admin", Permission: "org:invoices:write"}, false},
		// fva [5, 20]: first factor 5 min ago, second 20 min ago.
		{Check{Reverification: &Reverification{Preset: "strict"}}, false},
		{Check{Reverification: &Reverification{Preset: "moderate"}}, true},
		{Check{Reverification: &Reverification{Level: "first_factor", AfterMinutes: 10}}, true},
		{Check{Reverification: &Reverification{Level: "second_factor", AfterMinutes: 10}}, false},
	} {
		if got := state.Has(tc.check); got != tc.want {
			t.Errorf("Has(%+v) = %v, want %v", tc.check, got, tc.want)
		}
	}
	if !state.HasRole("org:admin") || state.HasRole("org:member") || !state.HasPermission("org:invoices:read") || state.HasPermission("org:invoices:write") {
		t.Error("HasRole/HasPermission")
	}

	// A pending session fails the checks unless AllowPending.
	pending := httptest.NewRequest("GET", "/api", nil)
	pending.Header.Set("Authorization", "Bearer "+orgToken(t, map[string]any{"sts": "pending"}))
	state, err = v.AuthenticateRequestWith(pending, AuthenticateOptions{Has: []Check{{Role: "org:admin"}}})
	if err != nil || len(state.HasResults) != 1 || state.HasResults[0] || state.HasRole("org:admin") {
		t.Errorf("pending: %+v %v", state, err)
	}
	state, err = v.AuthenticateRequestWith(pending, AuthenticateOptions{Has: []Check{{Role: "org:admin"}}, AllowPending: true})
	if err != nil || len(state.HasResults) != 1 || !state.HasResults[0] || !state.HasRole("org:admin") {
		t.Errorf("pending allowed: %+v %v", state, err)
	}

	// Signed out: every check fails; after Close, Has answers false.
	out, err := v.AuthenticateRequest(httptest.NewRequest("GET", "/api", nil))
	if err != nil || out.SignedIn() || out.HasRole("org:admin") {
		t.Errorf("signed out: %+v %v", out, err)
	}
	r2 := httptest.NewRequest("GET", "/api", nil)
	r2.Header.Set("Authorization", "Bearer "+orgToken(t, nil))
	state, err = v.AuthenticateRequest(r2)
	if err != nil || !state.HasRole("org:admin") {
		t.Fatalf("%+v %v", state, err)
	}
	v.Close()
	if state.HasRole("org:admin") {
		t.Error("Has after Close")
	}
}

// The middleware answers a handshake with a 307 to the core's Location carrying its
// headers, in a real server on 127.0.0.1 (the redirect_url is the server's own URL).
func TestMiddlewareHandshakeRedirect(t *testing.T) {
	c := newTestClient(t)
	v, err := NewVerifier(VerifierConfig{Client: c, PublishableKey: emulator.PublishableKey})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	user := createUser(t, c)
	_, token := sessionToken(t, c, user.ID)
	reached := 0
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		whoami(w, r)
	})
	mux := http.NewServeMux()
	mux.Handle("/with/", v.WithHeaderAuthorization()(counted))
	mux.Handle("/require/", v.RequireHeaderAuthorization()(counted))
	server := httptest.NewServer(mux)
	defer server.Close()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/with/dashboard?tab=1", "/require/dashboard?tab=1"} {
		req, _ := http.NewRequest("GET", server.URL+path, nil)
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Sec-Fetch-Dest", "document")
		req.Header.Set("Cookie", "__session="+token+"; __clerk_db_jwt=dvb_test")
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		location := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusTemporaryRedirect || !strings.Contains(location, "/v1/client/handshake?") {
			t.Errorf("%s: %d %q", path, resp.StatusCode, location)
			continue
		}
		if got := redirectURL(t, location); got != server.URL+path {
			t.Errorf("%s: redirect_url %q, want %q", path, got, server.URL+path)
		}
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Clerk-Auth-Status") != "handshake" {
			t.Errorf("%s: headers %v", path, resp.Header)
		}
		if cookies := resp.Header.Values("Set-Cookie"); len(cookies) != 1 || !strings.HasPrefix(cookies[0], "__clerk_redirect_count=1;") {
			t.Errorf("%s: set-cookie %q", path, cookies)
		}
	}
	if reached != 0 {
		t.Errorf("the handler ran %d times on handshakes", reached)
	}

	// Signed in: the handler runs and the helpers work on the context's state.
	roles := v.RequireHeaderAuthorization()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		state, _ := RequestStateFromContext(r.Context())
		fmt.Fprintf(w, "%v %v", state.HasRole("org:admin"), state.HasPermission("org:invoices:write"))
	}))
	r := httptest.NewRequest("GET", "/api", nil)
	r.Header.Set("Authorization", "Bearer "+orgToken(t, nil))
	w := httptest.NewRecorder()
	roles.ServeHTTP(w, r)
	if w.Code != 200 || w.Body.String() != "true false" {
		t.Errorf("signed in: %d %q %v", w.Code, w.Body.String(), w.Header())
	}
}
