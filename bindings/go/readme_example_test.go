package clerk

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The README's request authentication example, compiled and run.
func TestReadmeRequestAuthExample(t *testing.T) {
	c := newTestClient(t)
	verifier, err := NewVerifier(VerifierConfig{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	defer verifier.Close()
	pk := emulator.PublishableKey
	mux := http.NewServeMux()

	opts := AuthenticateOptions{PublishableKey: pk, ProxyURL: "/__clerk"}
	mux.Handle("/billing", verifier.RequireHeaderAuthorization(WithOptions(opts))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			state, _ := RequestStateFromContext(r.Context())
			if !state.HasRole("org:admin") && !state.HasPermission("org:invoices:read") {
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
			recent := state.Has(Check{Reverification: &Reverification{Preset: "strict"}})
			fmt.Fprintln(w, "invoices; recently reverified:", recent)
		})))

	admin := httptest.NewRequest("GET", "https://app.example.com/billing", nil)
	admin.Header.Set("Authorization", "Bearer "+orgToken(t, map[string]any{"fva": []int{1, 1}}))
	if code, body := serve(mux, admin); code != 200 || body != "invoices; recently reverified: true\n" {
		t.Errorf("admin: %d %q", code, body)
	}
	plain := httptest.NewRequest("GET", "https://app.example.com/billing", nil)
	plain.Header.Set("Authorization", "Bearer "+mint(t, nil))
	if code, _ := serve(mux, plain); code != http.StatusForbidden {
		t.Errorf("no role: %d", code)
	}
	user := createUser(t, c)
	_, token := sessionToken(t, c, user.ID)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, pageLoad(t, "https://app.example.com/billing", token))
	if w.Code != http.StatusTemporaryRedirect || !strings.HasPrefix(w.Header().Get("Location"), "https://app.example.com/__clerk/v1/client/handshake?") {
		t.Errorf("handshake through the proxy: %d %v", w.Code, w.Header())
	}

	// Without the middleware.
	r := httptest.NewRequest("GET", "https://app.example.com/", nil)
	r.Header.Set("Authorization", "Bearer "+orgToken(t, nil))
	state, err := verifier.AuthenticateRequestWith(r, AuthenticateOptions{
		PublishableKey: pk, Has: []Check{{Role: "org:admin"}}})
	if err != nil || fmt.Sprint(state.HasResults) != "[true]" {
		t.Errorf("has results: %+v %v", state, err)
	}
	w = httptest.NewRecorder()
	r = pageLoad(t, "https://app.example.com/", token)
	state, err = verifier.AuthenticateRequestWith(r, AuthenticateOptions{PublishableKey: pk})
	if err == nil && state.Status == AuthHandshake {
		state.Headers.WriteTo(w.Header())
		http.Redirect(w, r, state.Headers.Location(), http.StatusTemporaryRedirect)
	}
	if w.Code != http.StatusTemporaryRedirect || len(w.Header().Values("Set-Cookie")) != 1 {
		t.Errorf("manual redirect: %d %v", w.Code, w.Header())
	}
}
