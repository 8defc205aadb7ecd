package clerk

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Each kind the C library emits, produced by the real library where a test can cause it.
func TestErrorKindsFromTheLibrary(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	user := createUser(t, c)
	userPath := "/v1/users/" + user.ID

	check := func(name string, err error, kind string, targets ...error) *Error {
		t.Helper()
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: %v (%T), want an *Error", name, err, err)
		}
		if e.Kind != kind || e.Message == "" || e.Error() == "" {
			t.Fatalf("%s: kind %q message %q, want kind %q", name, e.Kind, e.Message, kind)
		}
		for _, target := range append(targets, kindTargets[kind]) {
			if !errors.Is(err, target) {
				t.Errorf("%s: %v does not match %v", name, err, target)
			}
		}
		return e
	}

	// api, by status.
	_, err := c.Call(ctx, OpUsersGet, Params{"user_id": "user_missing"})
	check("404", err, KindAPI, ErrNotFound)
	bad, err := NewClient(Config{SecretKey: "sk_test_wrong", APIURL: emulator.APIURL})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	_, err = bad.Call(ctx, OpUsersList, nil)
	if e := check("401", err, KindAPI, ErrUnauthorized); e.Status != 401 {
		t.Errorf("401 status %d", e.Status)
	}
	injectFault(t, map[string]any{"method": "GET", "path": userPath, "status": 429, "retry_after": "7"})
	_, err = c.Call(ctx, OpUsersGet, Params{"user_id": user.ID})
	if e := check("429", err, KindAPI, ErrRateLimited); e.RetryAfter != 7*time.Second {
		t.Errorf("429 RetryAfter %v, want 7s", e.RetryAfter)
	}
	injectFault(t, map[string]any{"method": "GET", "path": userPath, "status": 503})
	_, err = c.Call(ctx, OpUsersGet, Params{"user_id": user.ID})
	check("503", err, KindAPI, ErrServer)
	_, err = c.Call(ctx, OpUsersCreate, Params{"email_address": []string{user.EmailAddresses[0].EmailAddress}})
	check("422", err, KindAPI, ErrUnprocessable)

	// transport: nothing listens on port 1.
	closed, err := NewClient(Config{SecretKey: "sk_test_x", APIURL: "http://127.0.0.1:1", Retry: &RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer closed.Close()
	_, err = closed.Call(ctx, OpUsersList, nil)
	check("connection refused", err, KindTransport)

	// timeout: the client's own request timeout against a delayed answer.
	quick, err := NewClient(Config{SecretKey: emulator.SecretKey, APIURL: emulator.APIURL,
		RequestTimeout: 200 * time.Millisecond, Retry: &RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer quick.Close()
	injectFault(t, map[string]any{"method": "GET", "path": userPath, "delay_ms": 1500})
	_, err = quick.Call(ctx, OpUsersGet, Params{"user_id": user.ID})
	check("request timeout", err, KindTimeout)

	// response_too_large.
	small, err := NewClient(Config{SecretKey: emulator.SecretKey, APIURL: emulator.APIURL, MaxResponseBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	_, err = small.Call(ctx, OpUsersGet, Params{"user_id": user.ID})
	check("64-byte limit", err, KindResponseTooLarge)

	// decode: a page that is not JSON (a pager must read it to go on).
	injectFault(t, map[string]any{"method": "GET", "path": "/v1/users", "action": "invalid_json"})
	it := c.Pages(ctx, OpUsersList, Params{"limit": 1})
	if it.Next() {
		t.Fatal("a broken page was handed out")
	}
	check("invalid JSON page", it.Err(), KindDecode)

	// invalid_params, unknown_operation.
	_, err = c.Call(ctx, OpUsersGet, nil)
	check("missing user_id", err, KindInvalidParams)
	_, err = c.Call(ctx, "users.fly", nil)
	check("users.fly", err, KindUnknownOperation)

	// config.
	_, err = NewClient(Config{SecretKey: "sk_test_x", APIURL: "http://example.com"})
	check("http to a non-loopback host", err, KindConfig)
	_, err = NewVerifier(VerifierConfig{JWTKey: "not a PEM key"})
	check("bad PEM", err, KindConfig)

	// invalid_json (a setting the library refuses), invalid_utf8.
	_, err = NewClient(Config{SecretKey: "sk_test_x", RootCertificates: "mine"})
	check("root certificates", err, KindInvalidJSON, ErrInvalidArgument)
	v, err := NewVerifier(VerifierConfig{JWTKey: publicKeyPEM(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	_, err = v.Verify("\xff\xfe")
	check("invalid UTF-8 token", err, KindInvalidUTF8, ErrInvalidArgument)

	// verification and webhook.
	_, err = v.Verify("not.a.jwt")
	if e := check("garbage token", err, KindVerification); e.Reason == "" {
		t.Errorf("verification error without a reason: %+v", e)
	}
	_, err = VerifyWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", nil, []byte("{}"))
	if e := check("unsigned webhook", err, KindWebhook); e.Reason != "missing-headers" {
		t.Errorf("webhook reason %q", e.Reason)
	}

	// The Go layer's own kinds.
	_, err = c.Call(ctx, "users.get\x00", nil)
	check("NUL byte", err, KindInvalidArgument)
	_, err = c.Call(ctx, OpUsersList, Params{"limit": make(chan int)})
	check("params that do not marshal", err, KindInvalidArgument)
}

// The mapping itself, for the kinds no test can provoke (null_parameter, panic,
// unexpected) and for what a newer library might send.
func TestErrorMapping(t *testing.T) {
	cases := []struct {
		code   uint32
		json   string
		kind   string
		target error
	}{
		{101, `{"kind":"null_parameter","message":"argument ` + "`token`" + ` is NULL"}`, KindNullParameter, ErrInvalidArgument},
		{102, `{"kind":"invalid_utf8","message":"m"}`, KindInvalidUTF8, ErrInvalidArgument},
		{103, `{"kind":"invalid_json","message":"m"}`, KindInvalidJSON, ErrInvalidArgument},
		{104, `{"kind":"invalid_params","message":"m"}`, KindInvalidParams, ErrInvalidParams},
		{105, `{"kind":"unknown_operation","message":"m"}`, KindUnknownOperation, ErrUnknownOperation},
		{106, `{"kind":"config","message":"m"}`, KindConfig, ErrConfig},
		{100, `{"kind":"panic","message":"libclerk panicked: x"}`, KindPanic, ErrPanic},
		{200, `{"kind":"api","message":"409 conflict","status":409,"errors":[{"code":"c","message":"m","meta":{"a":1}}],"clerk_trace_id":"t","retry_after_ms":1500}`, KindAPI, ErrConflict},
		{200, `{"kind":"api","message":"400","status":400,"errors":[]}`, KindAPI, ErrBadRequest},
		{200, `{"kind":"api","message":"403","status":403}`, KindAPI, ErrForbidden},
		{200, `{"kind":"api","message":"502","status":502}`, KindAPI, ErrServer},
		{201, `{"kind":"transport","message":"m"}`, KindTransport, ErrTransport},
		{202, `{"kind":"timeout","message":"m"}`, KindTimeout, ErrTimeout},
		{203, `{"kind":"decode","message":"m"}`, KindDecode, ErrDecode},
		{204, `{"kind":"response_too_large","message":"m"}`, KindResponseTooLarge, ErrResponseTooLarge},
		{300, `{"kind":"verification","reason":"token-expired","message":"m"}`, KindVerification, ErrTokenExpired},
		{300, `{"kind":"verification","reason":"token-not-active-yet","message":"m"}`, KindVerification, ErrTokenNotActiveYet},
		{300, `{"kind":"verification","reason":"token-invalid-signature","message":"m"}`, KindVerification, ErrTokenSignature},
		{300, `{"kind":"verification","reason":"token-invalid-authorized-parties","message":"m"}`, KindVerification, ErrTokenAuthorizedParty},
		{301, `{"kind":"webhook","reason":"timestamp-too-old","message":"m"}`, KindWebhook, ErrWebhook},
		{999, `{"kind":"unexpected","message":"m"}`, KindUnexpected, ErrUnexpected},
	}
	for _, tc := range cases {
		err := errorFromC(tc.code, []byte(tc.json))
		var e *Error
		if !errors.As(err, &e) || e.Kind != tc.kind || e.Code != tc.code || string(e.JSON) != tc.json {
			t.Errorf("%s: %+v", tc.json, err)
			continue
		}
		if !errors.Is(err, tc.target) {
			t.Errorf("%s does not match %v", tc.json, tc.target)
		}
		if tc.kind != KindAPI && (errors.Is(err, ErrNotFound) || errors.Is(err, ErrAPI)) {
			t.Errorf("%s matches an API target", tc.json)
		}
		if e.CodeName() == "" || e.CodeName() == "CLERK_RESULT_UNKNOWN" {
			t.Errorf("%s: code name %q", tc.json, e.CodeName())
		}
	}
	e := errorFromC(200, []byte(cases[7].json)).(*Error)
	if e.Status != 409 || e.TraceID != "t" || e.RetryAfter != 1500*time.Millisecond ||
		len(e.Errors) != 1 || e.Errors[0].Code != "c" || string(e.Errors[0].Meta) != `{"a":1}` {
		t.Errorf("API error fields: %+v", e)
	}
	if got := errorFromC(300, []byte(cases[15].json)).Error(); got != "clerk: token-expired: m" {
		t.Errorf("Error() = %q", got)
	}

	// A kind this package does not know is still an *Error with that kind.
	err := errorFromC(998, []byte(`{"kind":"brand_new","message":"from the future","extra":1}`))
	var fresh *Error
	if !errors.As(err, &fresh) || fresh.Kind != "brand_new" || fresh.Message != "from the future" {
		t.Fatalf("unknown kind: %+v", err)
	}
	for _, target := range kindTargets {
		if errors.Is(err, target) {
			t.Errorf("an unknown kind matches %v", target)
		}
	}
	// Text that is no error object at all.
	for _, text := range []string{``, `nonsense`, `{"message":"no kind"}`, `[1]`} {
		err := errorFromC(999, []byte(text))
		if !errors.Is(err, ErrUnexpected) {
			t.Errorf("%q: %v", text, err)
		}
	}
}
