package clerk

import (
	"context"
	"errors"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

func TestUseAfterClose(t *testing.T) {
	c := newTestClient(t)
	v, err := NewVerifier(VerifierConfig{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	token := mint(t, nil)
	it := c.Pages(context.Background(), OpUsersList, Params{"limit": 1})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := context.Background()
	closed := func(name string, err error) {
		t.Helper()
		var e *Error
		if !errors.Is(err, ErrClosed) || !errors.As(err, &e) || e.Kind != KindClosed {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
	_, err = c.Call(ctx, OpUsersList, nil)
	closed("Call", err)
	closed("CallInto", c.CallInto(ctx, OpUsersList, nil, &[]User{}))
	_, err = c.CallMultipart(ctx, OpUsersSetProfileImage, Params{"user_id": "u"}, File{Field: "file", Filename: "f"})
	closed("CallMultipart", err)
	_, err = c.Request(ctx, "GET", "/users", nil, nil)
	closed("Request", err)
	pages := c.Pages(ctx, OpUsersList, nil)
	if pages.Next() {
		t.Error("Pages after Close")
	}
	closed("Pages", pages.Err())
	_, err = NewVerifier(VerifierConfig{Client: c})
	closed("NewVerifier", err)

	// A pager and a verifier made before keep working without the client.
	if !it.Next() {
		t.Errorf("pager after the client's Close: %v", it.Err())
	}
	it.Close()
	if _, err := v.Verify(token); err != nil {
		t.Errorf("verifier after the client's Close: %v", err)
	}

	v.Close()
	v.Close()
	_, err = v.Verify(token)
	closed("Verify", err)
	_, err = v.VerifyMachineToken(ctx, "ak_x")
	closed("VerifyMachineToken", err)
	_, err = v.AuthenticateRequest(httptest.NewRequest("GET", "/", nil))
	closed("AuthenticateRequest", err)
	if code, _ := serve(v.RequireHeaderAuthorization()(whoami), httptest.NewRequest("GET", "/", nil)); code != 401 {
		t.Errorf("middleware of a closed verifier: %d", code)
	}

	// Nil handles fail the same way instead of panicking.
	var none *Client
	_, err = none.Call(ctx, OpUsersList, nil)
	closed("nil Client", err)
	var noVerifier *Verifier
	_, err = noVerifier.Verify(token)
	closed("nil Verifier", err)
	_, err = noVerifier.AuthenticateRequest(httptest.NewRequest("GET", "/", nil))
	closed("nil Verifier AuthenticateRequest", err)
}

// A client, verifier or pager nobody closed is freed by its finalizer.
func TestFinalizersFreeForgottenHandles(t *testing.T) {
	c := newTestClient(t)
	before := freedHandles.Load()
	func() {
		for i := 0; i < 3; i++ {
			if _, err := NewClient(Config{SecretKey: "sk_test_x", APIURL: emulator.APIURL}); err != nil {
				t.Fatal(err)
			}
			if _, err := NewVerifier(VerifierConfig{JWTKey: publicKeyPEM(t)}); err != nil {
				t.Fatal(err)
			}
			c.Pages(context.Background(), OpUsersList, nil)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for freedHandles.Load()-before < 9 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if freed := freedHandles.Load() - before; freed < 9 {
		t.Fatalf("%d of 9 forgotten handles freed", freed)
	}
}
