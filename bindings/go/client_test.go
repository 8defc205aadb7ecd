package clerk

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	if v := Version(); !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(v) {
		t.Fatalf("Version() = %q, want a semantic version", v)
	}
}

// Every generated constant names an operation of the C library's table, and every
// operation of the table has a constant.
func TestOperationConstantsMatchTheTable(t *testing.T) {
	ops, err := Operations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 249 || len(generatedOperations) != 249 {
		t.Fatalf("%d operations in the table, %d constants; want 249 each", len(ops), len(generatedOperations))
	}
	table := map[Operation]OperationInfo{}
	for _, op := range ops {
		table[op.Name] = op
	}
	for _, op := range generatedOperations {
		info, ok := table[op]
		if !ok {
			t.Errorf("constant %q is not in the table", op)
			continue
		}
		if info.OperationID == "" || info.Method == "" || !strings.HasPrefix(info.Path, "/") {
			t.Errorf("%s: incomplete table entry %+v", op, info)
		}
		delete(table, op)
	}
	for name := range table {
		t.Errorf("operation %q has no constant", name)
	}
	if table := ops[0]; len(table.Body) == 0 || table.Pagination == "" {
		t.Errorf("first entry lacks body or pagination: %+v", table)
	}
}

// Each constant reaches its operation through the C library: an unknown parameter is
// refused as invalid params (before any request), never as an unknown operation.
func TestEveryOperationIsReachable(t *testing.T) {
	c := newTestClient(t)
	before := requestCount(t)
	for _, op := range generatedOperations {
		_, err := c.Call(context.Background(), op, Params{"not_a_parameter_of_any_operation": 1})
		if !errors.Is(err, ErrInvalidParams) || errors.Is(err, ErrUnknownOperation) {
			t.Errorf("%s: %v, want an invalid-params error", op, err)
		}
	}
	if after := requestCount(t); after != before {
		t.Errorf("%d requests were sent for refused params", after-before)
	}
	// The operationId works as well as the name.
	if _, err := c.Call(context.Background(), "GetUserList", Params{"limit": 1}); err != nil {
		t.Errorf("GetUserList: %v", err)
	}
}

func TestCallCreateGetUpdateDelete(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	user := createUser(t, c)
	if !strings.HasPrefix(user.ID, "user_") || len(user.EmailAddresses) != 1 || user.FirstName == nil || *user.FirstName != "Gopher" {
		t.Fatalf("created user %+v", user)
	}

	raw, err := c.Call(ctx, OpUsersGet, Params{"user_id": user.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil || got["id"] != user.ID {
		t.Fatalf("users.get gave %s (%v)", raw, err)
	}

	var updated User
	if err := c.CallInto(ctx, OpUsersUpdate, Params{"user_id": user.ID, "last_name": "Go"}, &updated); err != nil {
		t.Fatal(err)
	}
	if updated.LastName == nil || *updated.LastName != "Go" {
		t.Fatalf("updated user %+v", updated)
	}

	var deleted DeletedObject
	if err := c.CallInto(ctx, OpUsersDelete, Params{"user_id": user.ID}, &deleted); err != nil || !deleted.Deleted {
		t.Fatalf("users.delete: %+v %v", deleted, err)
	}
	_, err = c.Call(ctx, OpUsersGet, Params{"user_id": user.ID})
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrAPI) {
		t.Fatalf("get after delete: %v", err)
	}
	if e.Status != 404 || len(e.Errors) == 0 || e.Errors[0].Code != "resource_not_found" || e.TraceID == "" || e.Code != 200 || e.CodeName() != "CLERK_RESULT_API" {
		t.Fatalf("404 error %+v", e)
	}
}

func TestCallIntoDecodeError(t *testing.T) {
	c := newTestClient(t)
	var wrong struct {
		ID int `json:"id"`
	}
	err := c.CallInto(context.Background(), OpUsersGet, Params{"user_id": createUser(t, c).ID}, &wrong)
	var syntax *json.UnmarshalTypeError
	if !errors.Is(err, ErrDecode) || !errors.As(err, &syntax) {
		t.Fatalf("decoding into the wrong type: %v", err)
	}
}

func TestPagesOverSeveralPages(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		createUser(t, c)
	}
	var total int64
	if err := c.CallInto(ctx, OpUsersCount, nil, &struct {
		TotalCount *int64 `json:"total_count"`
	}{&total}); err != nil {
		t.Fatal(err)
	}
	it := c.Pages(ctx, OpUsersList, Params{"limit": 2})
	defer it.Close()
	pages, users := 0, map[string]bool{}
	for it.Next() {
		pages++
		var page []User
		if err := json.Unmarshal(it.Page(), &page); err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		if len(page) == 0 || len(page) > 2 {
			t.Fatalf("page %d has %d users", pages, len(page))
		}
		for _, u := range page {
			users[u.ID] = true
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if pages < 3 || int64(len(users)) != total {
		t.Fatalf("%d pages, %d distinct users, want >= 3 pages and %d users", pages, len(users), total)
	}
	if it.Next() || it.Page() != nil {
		t.Fatal("Next after the end")
	}

	// A {data, total_count} list pages too.
	it = c.Pages(ctx, OpOrganizationsList, Params{"limit": 1})
	for it.Next() {
		var page struct {
			Data []json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(it.Page(), &page); err != nil {
			t.Fatal(err)
		}
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
}

func TestPagesErrors(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	it := c.Pages(ctx, "users.nope", nil)
	if it.Next() || !errors.Is(it.Err(), ErrUnknownOperation) {
		t.Fatalf("unknown operation: %v", it.Err())
	}
	it = c.Pages(ctx, OpUsersGet, Params{"user_id": "user_1"})
	if it.Next() || it.Err() == nil {
		t.Fatalf("a non-list operation pages: %v", it.Err())
	}
	it = c.Pages(ctx, OpUsersList, Params{"limit": "ten"})
	if it.Next() || !errors.Is(it.Err(), ErrInvalidParams) {
		t.Fatalf("bad params: %v", it.Err())
	}
	// An API error ends the paging with that error.
	injectFault(t, map[string]any{"method": "GET", "path": "/v1/users", "status": 500})
	it = c.Pages(ctx, OpUsersList, Params{"limit": 1})
	if it.Next() || !errors.Is(it.Err(), ErrServer) {
		t.Fatalf("a 500: %v", it.Err())
	}
	// Closing in the middle ends the paging without an error.
	createUser(t, c)
	createUser(t, c)
	it = c.Pages(ctx, OpUsersList, Params{"limit": 1})
	if !it.Next() {
		t.Fatal(it.Err())
	}
	it.Close()
	it.Close()
	if it.Next() || it.Err() != nil {
		t.Fatalf("Next after Close: %v", it.Err())
	}
}

func TestRequest(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	resp, err := c.Request(ctx, "GET", "/users", Params{"limit": 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var users []User
	if resp.Status != 200 || json.Unmarshal(resp.Body, &users) != nil {
		t.Fatalf("GET /users: %d %s", resp.Status, resp.Body)
	}
	resp, err = c.Request(ctx, "post", "/users", nil, map[string]any{"email_address": []string{"raw@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	var user User
	if resp.Status != 200 || json.Unmarshal(resp.Body, &user) != nil || user.ID == "" {
		t.Fatalf("POST /users: %d %s", resp.Status, resp.Body)
	}
	resp, err = c.Request(ctx, "DELETE", "/users/"+user.ID, nil, nil)
	if err != nil || resp.Status != 200 {
		t.Fatalf("DELETE: %v %+v", err, resp)
	}
	if _, err := c.Request(ctx, "BREW", "/users", nil, nil); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("unknown method: %v", err)
	}
	if _, err := c.Request(ctx, "GET", "/users", nil, json.RawMessage(`{`)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a body that does not marshal: %v", err)
	}
}

func TestCallMultipart(t *testing.T) {
	c := newTestClient(t)
	user := createUser(t, c)
	png := []byte("\x89PNG\r\n\x1a\n fake image bytes")
	var updated User
	raw, err := c.CallMultipart(context.Background(), OpUsersSetProfileImage, Params{"user_id": user.ID},
		File{Field: "file", Filename: "me.png", ContentType: "image/png", Data: png})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &updated); err != nil || updated.ID != user.ID || !updated.HasImage {
		t.Fatalf("set_profile_image: %s (%v)", raw, err)
	}
	_, err = c.CallMultipart(context.Background(), OpUsersSetProfileImage, Params{"user_id": user.ID, "file": "x"},
		File{Field: "file", Filename: "me.png", Data: png})
	if !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("file given twice: %v", err)
	}
}

func TestClientFromConfigAndEnv(t *testing.T) {
	c, err := NewClient(Config{
		SecretKey:        emulator.SecretKey,
		APIURL:           emulator.APIURL,
		APIVersion:       "2025-11-10",
		UserAgent:        "clerk-go-test/1",
		ConnectTimeout:   2e9,
		RequestTimeout:   5e9,
		MaxResponseBytes: 1 << 20,
		Retry:            &RetryPolicy{MaxAttempts: 2, InitialBackoff: 1e6, MaxBackoff: 2e6, MaxElapsed: 1e9},
		RootCertificates: "webpki",
		Headers:          map[string]string{"X-Gateway": "edge-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The client's own headers cannot be replaced.
	if _, err := NewClient(Config{SecretKey: "sk_test_x", Headers: map[string]string{"Authorization": "x"}}); !errors.Is(err, ErrConfig) {
		t.Fatalf("Authorization as an extra header: %v", err)
	}
	if _, err := c.Call(context.Background(), OpUsersList, Params{"limit": 1}); err != nil {
		t.Fatal(err)
	}

	t.Setenv("CLERK_SECRET_KEY", emulator.SecretKey)
	t.Setenv("CLERK_API_URL", emulator.APIURL)
	fromEnv, err := NewClientFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer fromEnv.Close()
	if _, err := fromEnv.Call(context.Background(), OpUsersList, Params{"limit": 1}); err != nil {
		t.Fatal(err)
	}
	// FromEnv with a field on top: the wrong key from the config wins over the env.
	wrong, err := NewClient(Config{FromEnv: true, SecretKey: "sk_test_wrong"})
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	if _, err := wrong.Call(context.Background(), OpUsersList, nil); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("wrong key: %v", err)
	}

	t.Setenv("CLERK_SECRET_KEY", "")
	if _, err := NewClientFromEnv(); !errors.Is(err, ErrConfig) {
		t.Fatalf("no secret key: %v", err)
	}
}
