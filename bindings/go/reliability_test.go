package clerk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// panicOperation is the core's test hook (clerk_core::testing::PANIC_OPERATION): a call
// to it panics inside the core, which the C library reports as CLERK_RESULT_PANIC.
const panicOperation Operation = "$testing.panic"

func TestPanicInTheCoreIsAnErrorAndTheClientStaysUsable(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	for round := 0; round < 3; round++ {
		_, err := c.Call(ctx, panicOperation, nil)
		var clerkErr *Error
		if !errors.As(err, &clerkErr) {
			t.Fatalf("round %d: want a *clerk.Error, got %v", round, err)
		}
		if clerkErr.Kind != KindPanic || clerkErr.CodeName() != "CLERK_RESULT_PANIC" || !errors.Is(err, ErrPanic) {
			t.Fatalf("round %d: want a panic error, got kind %q code %s: %v", round, clerkErr.Kind, clerkErr.CodeName(), err)
		}
		if !strings.Contains(err.Error(), "forced panic") {
			t.Fatalf("round %d: message %q", round, err.Error())
		}
		// The same client serves the next calls, from other goroutines too.
		done := make(chan error, 4)
		for i := 0; i < 4; i++ {
			go func() {
				_, err := c.Call(ctx, OpUsersList, Params{"limit": 1})
				done <- err
			}()
		}
		for i := 0; i < 4; i++ {
			if err := <-done; err != nil {
				t.Fatalf("round %d: a call after the panic failed: %v", round, err)
			}
		}
	}
}

func TestSecretsNeverAppearInErrors(t *testing.T) {
	const wrongKey = "sk_test_WrongKeyWrongKeyWrong0123456789"
	const webhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	ctx := context.Background()
	valid := mint(t, map[string]any{"sub": "user_secret"})
	expired := mint(t, map[string]any{"exp": 1000, "iat": 900, "nbf": 900})
	signature := func(token string) string { return token[strings.LastIndex(token, ".")+1:] }
	secrets := []string{emulator.SecretKey, wrongKey, webhookSecret, expired, signature(valid), signature(expired)}
	var errs []error
	collect := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: want an error", what)
		}
		errs = append(errs, err)
	}

	wrong, err := NewClient(Config{SecretKey: wrongKey, APIURL: emulator.APIURL, Retry: &RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	_, err = wrong.Call(ctx, OpUsersList, nil)
	collect("401", err)
	_, err = wrong.Request(ctx, "GET", "/users", nil, nil)
	collect("raw 401", err)
	_, err = NewClient(Config{SecretKey: wrongKey + " x", APIURL: emulator.APIURL})
	collect("secret key with a space", err)
	_, err = NewClient(Config{SecretKey: wrongKey, APIURL: "https://u:" + wrongKey + "@x"})
	collect("api_url with userinfo", err)
	refused, err := NewVerifier(VerifierConfig{Client: wrong})
	if err != nil {
		t.Fatal(err)
	}
	defer refused.Close()
	_, err = refused.Verify(valid)
	collect("JWKS fetch with a refused key", err)

	c := newTestClient(t)
	_, err = c.Call(ctx, OpUsersGet, Params{"user_id": "user_missing"})
	collect("404", err)
	v, err := NewVerifier(VerifierConfig{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Verify(valid); err != nil {
		t.Fatalf("the valid token: %v", err)
	}
	for _, token := range []string{expired, valid[:strings.LastIndex(valid, ".")] + ".AAAA", "eyJhbGciOiJub25lIn0.e30."} {
		_, err = v.Verify(token)
		collect("refused token", err)
	}
	_, err = v.VerifyMachineToken(ctx, "mt_unknownSecretToken")
	collect("unknown machine token", err)
	header := http.Header{}
	header.Set("svix-id", "msg_1")
	header.Set("svix-timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	header.Set("svix-signature", "v1,AAAA")
	_, err = VerifyWebhook(webhookSecret, header, []byte("{}"))
	collect("webhook signature", err)
	_, err = VerifyWebhook(webhookSecret+"!", header, []byte("{}"))
	collect("webhook secret", err)

	for _, err := range errs {
		shown := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
		for _, text := range shown {
			for _, secret := range secrets {
				if strings.Contains(text, secret) || strings.Contains(text, secret[len(secret)-16:]) {
					t.Errorf("an error shows a secret (%s): %s", secret[len(secret)-16:], text)
				}
			}
		}
	}
	if len(errs) < 12 {
		t.Fatalf("only %d errors checked", len(errs))
	}
}
