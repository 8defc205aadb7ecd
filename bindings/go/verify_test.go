package clerk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestVerifyWithClientJWKS(t *testing.T) {
	c := newTestClient(t)
	v, err := NewVerifier(VerifierConfig{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	user := createUser(t, c)
	sessionID, token := sessionToken(t, c, user.ID)
	claims, err := v.Verify(token)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Subject != user.ID || claims.SessionID != sessionID || claims.Issuer != emulator.Issuer ||
		claims.SessionStatus != "active" || claims.Version != 2 || claims.Expiry <= time.Now().Unix() ||
		claims.IssuedAt == 0 || claims.NotBefore == 0 || claims.AuthorizedParty == "" {
		t.Fatalf("claims %+v", claims)
	}
	var raw map[string]any
	if err := claims.Custom(&raw); err != nil || raw["sub"] != user.ID || raw["jti"] == nil {
		t.Fatalf("raw claims %v (%v)", raw, err)
	}
	// The client may go first: the verifier keeps what it needs.
	c.Close()
	if _, err := v.Verify(token); err != nil {
		t.Fatalf("after closing the client: %v", err)
	}
}

func TestVerifyDecisions(t *testing.T) {
	v, err := NewVerifier(VerifierConfig{JWTKey: publicKeyPEM(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	now := time.Now().Unix()

	claims, err := v.Verify(mint(t, map[string]any{
		"sub": "user_go", "o": map[string]any{"id": "org_1", "slg": "acme", "rol": "admin", "per": "read,write", "fpm": "3"},
		"fea": "o:reports,u:beta", "custom": map[string]any{"tier": "gold"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	var custom struct {
		Custom struct {
			Tier string `json:"tier"`
		} `json:"custom"`
	}
	if err := claims.Custom(&custom); err != nil || custom.Custom.Tier != "gold" {
		t.Fatalf("custom claims %+v (%v)", custom, err)
	}
	if claims.Subject != "user_go" || claims.Organization == nil || claims.Organization.ID != "org_1" ||
		claims.Organization.Slug != "acme" || claims.Organization.Role != "org:admin" {
		t.Fatalf("claims %+v org %+v", claims, claims.Organization)
	}
	if len(claims.Features.Org) != 1 || len(claims.Features.User) != 1 {
		t.Errorf("features %+v", claims.Features)
	}

	refused := func(name, token string, target error, reason string) {
		t.Helper()
		_, err := v.Verify(token)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, target) || !errors.Is(err, ErrVerification) || e.Reason != reason {
			t.Errorf("%s: %v, want reason %s", name, err, reason)
		}
	}
	refused("expired", mint(t, map[string]any{"exp": now - 3600, "iat": now - 4000, "nbf": now - 4000}),
		ErrTokenExpired, "token-expired")
	refused("not yet valid", mint(t, map[string]any{"nbf": now + 3600}), ErrTokenNotActiveYet, "token-not-active-yet")

	token := mint(t, nil)
	parts := strings.Split(token, ".")
	signature := []byte(parts[2])
	if signature[10] == 'A' {
		signature[10] = 'B'
	} else {
		signature[10] = 'A'
	}
	refused("tampered signature", parts[0]+"."+parts[1]+"."+string(signature), ErrTokenSignature, "token-invalid-signature")
	other, _ := json.Marshal(map[string]any{"sub": "user_admin", "exp": now + 60, "iat": now, "nbf": now})
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(other) + "." + parts[2]
	refused("tampered payload", forged, ErrTokenSignature, "token-invalid-signature")
	otherKey, err := os.ReadFile(filepath.Join("..", "..", "tests", "c", "fixtures", "other_signing_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	wrongKey, err := MintTestSessionToken(string(otherKey), emulator.KID, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	refused("signed with another key", wrongKey, ErrTokenSignature, "token-invalid-signature")
	refused("not a JWT", "abc", ErrVerification, "token-invalid")

	// Authorized parties.
	strict, err := NewVerifier(VerifierConfig{JWTKey: publicKeyPEM(t), AuthorizedParties: []string{"https://app.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Close()
	if _, err := strict.Verify(mint(t, map[string]any{"azp": "https://evil.example.com"})); !errors.Is(err, ErrTokenAuthorizedParty) {
		t.Errorf("wrong azp: %v", err)
	}
	if _, err := strict.Verify(mint(t, map[string]any{"azp": "https://app.example.com"})); err != nil {
		t.Errorf("right azp: %v", err)
	}

	// Clock skew: 30 s past exp passes with a minute of skew, fails with none.
	late := mint(t, map[string]any{"exp": now - 30, "iat": now - 90, "nbf": now - 90})
	lenient, err := NewVerifier(VerifierConfig{JWTKey: publicKeyPEM(t), ClockSkew: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer lenient.Close()
	if _, err := lenient.Verify(late); err != nil {
		t.Errorf("within a minute of skew: %v", err)
	}
	none, err := NewVerifier(VerifierConfig{JWTKey: publicKeyPEM(t), ClockSkew: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer none.Close()
	if _, err := none.Verify(mint(t, map[string]any{"exp": now - 2, "iat": now - 60, "nbf": now - 60})); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("no skew, 2 s late: %v", err)
	}
}

func TestVerifierFromEnv(t *testing.T) {
	t.Setenv("CLERK_JWT_KEY", publicKeyPEM(t))
	v, err := NewVerifierFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if claims, err := v.Verify(mint(t, nil)); err != nil || claims.Subject != "user_test" {
		t.Fatalf("%+v %v", claims, err)
	}
}

func TestVerifyMachineToken(t *testing.T) {
	c := newTestClient(t)
	v, err := NewVerifier(VerifierConfig{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	user := createUser(t, c)
	var key struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if err := c.CallInto(context.Background(), OpAPIKeysCreate, Params{"name": "go key", "subject": user.ID}, &key); err != nil {
		t.Fatal(err)
	}
	machine, err := v.VerifyMachineToken(context.Background(), key.Secret)
	if err != nil {
		t.Fatal(err)
	}
	var data struct {
		ID string `json:"id"`
	}
	if machine.TokenType != TokenTypeAPIKey || json.Unmarshal(machine.Data, &data) != nil || data.ID != key.ID {
		t.Fatalf("machine token %+v", machine)
	}
	if _, err := v.VerifyMachineToken(context.Background(), "ak_unknown"); !errors.Is(err, ErrVerification) {
		t.Fatalf("unknown API key: %v", err)
	}
}
