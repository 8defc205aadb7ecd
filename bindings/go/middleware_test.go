package clerk

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// whoami answers the session's user id, or "anonymous", and the request state's status.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	user := "anonymous"
	if claims, ok := SessionClaimsFromContext(r.Context()); ok {
		user = claims.Subject
	}
	status := "none"
	if state, ok := RequestStateFromContext(r.Context()); ok {
		status = string(state.Status) + "/" + state.Reason
	}
	fmt.Fprintf(w, "%s %s", user, status)
})

func serve(h http.Handler, r *http.Request) (int, string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func TestMiddleware(t *testing.T) {
	c := newTestClient(t)
	v, err := NewVerifier(VerifierConfig{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	user := createUser(t, c)
	_, token := sessionToken(t, c, user.ID)
	with := v.WithHeaderAuthorization()(whoami)
	require := v.RequireHeaderAuthorization()(whoami)

	bearer := func() *http.Request {
		r := httptest.NewRequest("GET", "/api/me", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}
	// Signed in.
	for name, h := range map[string]http.Handler{"with": with, "require": require} {
		if code, body := serve(h, bearer()); code != 200 || body != user.ID+" signed-in/" {
			t.Errorf("%s, signed in: %d %q", name, code, body)
		}
	}

	// Signed out: no token at all.
	anonymous := httptest.NewRequest("GET", "/api/me", nil)
	if code, body := serve(with, anonymous); code != 200 || body != "anonymous signed-out/session-token-and-uat-missing" {
		t.Errorf("with, signed out: %d %q", code, body)
	}
	if code, body := serve(require, anonymous); code != 401 || body != "Unauthorized\n" {
		t.Errorf("require, signed out: %d %q", code, body)
	}

	// Signed out: an expired bearer token from an API client (with the reason a page load
	// would hand to the handshake, as @clerk/backend reports it).
	expired := httptest.NewRequest("POST", "/api/me", nil)
	expired.Header.Set("Authorization", "Bearer "+mint(t, map[string]any{"exp": time.Now().Unix() - 3600, "iat": time.Now().Unix() - 4000}))
	if code, body := serve(with, expired); code != 200 || body != "anonymous signed-out/session-token-expired-refresh-non-eligible-non-get" {
		t.Errorf("with, expired: %d %q", code, body)
	}

	// Handshake: a browser page load with a session cookie but no client_uat is
	// redirected (307) by both middlewares; the failure handler is for signed out.
	// Without a publishable key the core has no Frontend API to redirect to: a 500, as
	// @clerk/express answers a handshake without a location.
	page := httptest.NewRequest("GET", "/dashboard", nil)
	page.Header.Set("Accept", "text/html,application/xhtml+xml")
	page.Header.Set("Cookie", "__session="+token+"; __clerk_db_jwt=dvb_test")
	pk := PublishableKey(emulator.PublishableKey)
	for name, h := range map[string]http.Handler{"with": v.WithHeaderAuthorization(pk)(whoami), "require": v.RequireHeaderAuthorization(pk)(whoami)} {
		if code, body := serve(h, page); code != http.StatusTemporaryRedirect || body != "" {
			t.Errorf("%s, handshake: %d %q", name, code, body)
		}
	}
	if code, _ := serve(with, page); code != http.StatusInternalServerError {
		t.Errorf("with, handshake without a publishable key: %d", code)
	}
	failure := AuthorizationFailureHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "go away", http.StatusForbidden)
	}))
	requireOrForbid := v.RequireHeaderAuthorization(failure, pk)(whoami)
	if code, _ := serve(requireOrForbid, page); code != http.StatusTemporaryRedirect {
		t.Errorf("require with a failure handler, handshake: %d", code)
	}
	if code, _ := serve(requireOrForbid, httptest.NewRequest("GET", "/", nil)); code != http.StatusForbidden {
		t.Errorf("require with a failure handler, signed out: %d", code)
	}

	// Cookies: session and client_uat, also as two Cookie headers (HTTP/2 sends them so).
	uat := strconv.FormatInt(time.Now().Unix()-60, 10)
	cookies := httptest.NewRequest("GET", "/dashboard", nil)
	cookies.Header["Cookie"] = []string{"__session=" + token, "__client_uat=" + uat}
	if code, body := serve(require, cookies); code != 200 || body != user.ID+" signed-in/" {
		t.Errorf("require, cookies: %d %q", code, body)
	}

	// Suffixed cookies need the publishable key; the emulator's is a development key, so
	// the (suffixed) dev-browser cookie must be there too (as for @clerk/backend).
	sum := sha1.Sum([]byte(emulator.PublishableKey))
	suffix := base64.URLEncoding.EncodeToString(sum[:])[:8]
	suffixed := httptest.NewRequest("GET", "/dashboard", nil)
	suffixed.Header.Set("Cookie", "__session_"+suffix+"="+token+"; __client_uat_"+suffix+"="+uat+"; __clerk_db_jwt_"+suffix+"=dvb_test")
	if code, body := serve(v.RequireHeaderAuthorization(PublishableKey(emulator.PublishableKey))(whoami), suffixed); code != 200 || body != user.ID+" signed-in/" {
		t.Errorf("require, suffixed cookies: %d %q", code, body)
	}

	// Authorized parties: the token's azp is not the one allowed.
	strict := v.RequireHeaderAuthorization(AuthorizedPartyMatches("https://other.example.com"))(whoami)
	if code, _ := serve(strict, bearer()); code != 401 {
		t.Errorf("require, wrong azp: %d", code)
	}
	state, err := v.AuthenticateRequestWith(bearer(), AuthenticateOptions{AuthorizedParties: []string{"https://other.example.com"}})
	if err != nil || state.SignedIn() || state.Reason != "token-invalid-authorized-parties" {
		t.Errorf("wrong azp: %+v %v", state, err)
	}

	// Machine tokens, when accepted.
	var key struct {
		Secret string `json:"secret"`
	}
	if err := c.CallInto(context.Background(), OpAPIKeysCreate, Params{"name": "mw key", "subject": user.ID}, &key); err != nil {
		t.Fatal(err)
	}
	machine := httptest.NewRequest("GET", "/api/jobs", nil)
	machine.Header.Set("Authorization", "Bearer "+key.Secret)
	if code, _ := serve(require, machine); code != 401 {
		t.Errorf("an API key where only session tokens are accepted: %d", code)
	}
	var gotMachine bool
	machineHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		state, _ := RequestStateFromContext(r.Context())
		_, hasClaims := SessionClaimsFromContext(r.Context())
		gotMachine = state.TokenType == TokenTypeAPIKey && len(state.Machine) > 0 && !hasClaims
	})
	acceptKeys := v.RequireHeaderAuthorization(AcceptsToken(TokenTypeSessionToken, TokenTypeAPIKey))(machineHandler)
	if code, _ := serve(acceptKeys, machine); code != 200 || !gotMachine {
		t.Errorf("an accepted API key: %d, machine state %v", code, gotMachine)
	}
}

// The middleware in a real server on 127.0.0.1, as the README's example uses it.
func TestMiddlewareServer(t *testing.T) {
	c := newTestClient(t)
	v, err := NewVerifier(VerifierConfig{Client: c, AuthorizedParties: []string{"http://localhost:3000"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	mux := http.NewServeMux()
	mux.Handle("/me", v.RequireHeaderAuthorization()(whoami))
	server := httptest.NewServer(mux)
	defer server.Close()
	user := createUser(t, c)
	_, token := sessionToken(t, c, user.ID)
	for _, tc := range []struct {
		auth string
		code int
		body string
	}{
		{"Bearer " + token, 200, user.ID + " signed-in/"},
		{"", 401, "Unauthorized\n"},
		{"Bearer " + token + "x", 401, "Unauthorized\n"},
	} {
		req, _ := http.NewRequest("GET", server.URL+"/me", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || string(body) != tc.body {
			t.Errorf("%q: %d %q, want %d %q", tc.auth, resp.StatusCode, body, tc.code, tc.body)
		}
	}
}
