package clerk

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// emulator is the clerk-emulator the tests run against (started by TestMain).
var emulator struct {
	APIURL         string `json:"api_url"`
	SecretKey      string `json:"secret_key"`
	PublishableKey string `json:"publishable_key"`
	JWKSURL        string `json:"jwks_url"`
	Issuer         string `json:"issuer"`
	KID            string `json:"kid"`
}

// TestMain starts the emulator binary (CLERK_EMULATOR_BIN, default
// ../../target/debug/clerk-emulator) on 127.0.0.1 and stops it after the tests.
func TestMain(m *testing.M) {
	bin := os.Getenv("CLERK_EMULATOR_BIN")
	if bin == "" {
		bin = filepath.Join("..", "..", "target", "debug", "clerk-emulator")
	}
	cmd := exec.Command(bin, "--port", "0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "emulator stdout:", err)
		os.Exit(2)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "cannot start the emulator %s: %v\n"+
			"build it with `cargo build -p clerk-emulator` or set CLERK_EMULATOR_BIN\n", bin, err)
		os.Exit(2)
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	lines := make(chan string, 1)
	go func() {
		reader := bufio.NewReader(stdout)
		line, _ := reader.ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, reader)
	}()
	select {
	case line := <-lines:
		if err := json.Unmarshal([]byte(line), &emulator); err != nil || emulator.APIURL == "" {
			fmt.Fprintf(os.Stderr, "the emulator printed %q (%v); stderr: %s\n", line, err, stderr.String())
			stop()
			os.Exit(2)
		}
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "the emulator printed nothing in 30 s")
		stop()
		os.Exit(2)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// newTestClient is a client of the emulator, closed when the test ends; retries are off
// so injected faults surface at once.
func newTestClient(t testing.TB) *Client {
	t.Helper()
	c, err := NewClient(Config{
		SecretKey: emulator.SecretKey,
		APIURL:    emulator.APIURL,
		Retry:     &RetryPolicy{MaxAttempts: 1},
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// control sends a request to the emulator's control surface (/__emulator/...).
func control(t testing.TB, method, path string, body any) []byte {
	t.Helper()
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, emulator.APIURL+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s (%v)", method, path, resp.StatusCode, out, err)
	}
	return out
}

// injectFault scripts one emulator fault and clears the faults when the test ends.
func injectFault(t testing.TB, fault map[string]any) {
	t.Helper()
	control(t, "POST", "/__emulator/faults", fault)
	t.Cleanup(func() { control(t, "DELETE", "/__emulator/faults", nil) })
}

// requestCount is the number of Backend API requests the emulator has served.
func requestCount(t testing.TB) int {
	t.Helper()
	var counters struct {
		Requests int `json:"requests"`
	}
	if err := json.Unmarshal(control(t, "GET", "/__emulator/counters", nil), &counters); err != nil {
		t.Fatal(err)
	}
	return counters.Requests
}

var userSeq atomic.Int64

// createUser makes a user with a unique email address and returns it.
func createUser(t testing.TB, c *Client) User {
	t.Helper()
	email := fmt.Sprintf("go-%d-%d@example.com", time.Now().UnixNano(), userSeq.Add(1))
	var user User
	if err := c.CallInto(context.Background(), OpUsersCreate, Params{
		"email_address": []string{email},
		"first_name":    "Gopher",
	}, &user); err != nil {
		t.Fatalf("users.create: %v", err)
	}
	return user
}

// sessionToken makes a session for the user and returns its id and a session token the
// emulator signed.
func sessionToken(t testing.TB, c *Client, userID string) (string, string) {
	t.Helper()
	var session Session
	if err := c.CallInto(context.Background(), OpSessionsCreate, Params{"user_id": userID}, &session); err != nil {
		t.Fatalf("sessions.create: %v", err)
	}
	var token Token
	if err := c.CallInto(context.Background(), OpSessionsCreateToken, Params{"session_id": session.ID}, &token); err != nil {
		t.Fatalf("sessions.create_token: %v", err)
	}
	return session.ID, token.JWT
}

// signingKey is the emulator's committed private key for its first kid.
func signingKey(t testing.TB) string {
	t.Helper()
	path := os.Getenv("CLERK_TEST_SIGNING_KEY")
	if path == "" {
		path = filepath.Join("..", "..", "tests", "emulator", "fixtures", "signing_key_1.pem")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// publicKeyPEM is the emulator's current public key as PEM, from its JWKS.
func publicKeyPEM(t testing.TB) string {
	t.Helper()
	resp, err := http.Get(emulator.JWKSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jwks struct {
		Keys []struct {
			Kid string `json:"kid"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil || len(jwks.Keys) == 0 {
		t.Fatalf("JWKS: %v", err)
	}
	n, err1 := base64.RawURLEncoding.DecodeString(jwks.Keys[0].N)
	e, err2 := base64.RawURLEncoding.DecodeString(jwks.Keys[0].E)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	key := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// mint signs a session token with the emulator's key, claims overlaid.
func mint(t testing.TB, claims map[string]any) string {
	t.Helper()
	token, err := MintTestSessionToken(signingKey(t), emulator.KID, claims, nil)
	if err != nil {
		t.Fatalf("MintTestSessionToken: %v", err)
	}
	return token
}

// ctxTimeout is a context with a timeout, cancelled when the test ends.
func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
