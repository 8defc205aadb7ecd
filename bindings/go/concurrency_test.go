package clerk

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// One client and one verifier shared by many goroutines (run with -race too).
func TestSharedClientAndVerifier(t *testing.T) {
	c := newTestClient(t)
	v, err := NewVerifier(VerifierConfig{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	users := make([]User, 4)
	tokens := make([]string, len(users))
	for i := range users {
		users[i] = createUser(t, c)
		_, tokens[i] = sessionToken(t, c, users[i].ID)
	}
	const goroutines, rounds = 8, 25
	errs := make(chan error, goroutines*rounds*3)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				i := (g + r) % len(users)
				var got User
				if err := c.CallInto(context.Background(), OpUsersGet, Params{"user_id": users[i].ID}, &got); err != nil || got.ID != users[i].ID {
					errs <- fmt.Errorf("users.get: %v %s", err, got.ID)
				}
				claims, err := v.Verify(tokens[i])
				if err != nil || claims.Subject != users[i].ID {
					errs <- fmt.Errorf("Verify: %v", err)
				}
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Authorization", "Bearer "+tokens[i])
				state, err := v.AuthenticateRequest(r)
				if err != nil || !state.SignedIn() || state.Claims.Subject != users[i].ID {
					errs <- fmt.Errorf("AuthenticateRequest: %+v %v", state, err)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Closing a client and a verifier while goroutines use them: every call either succeeds
// or fails with ErrClosed, and nothing touches freed memory.
func TestCloseWhileInUse(t *testing.T) {
	c := newTestClient(t)
	v, err := NewVerifier(VerifierConfig{JWTKey: publicKeyPEM(t)})
	if err != nil {
		t.Fatal(err)
	}
	token := mint(t, nil)
	var wg sync.WaitGroup
	results := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(5 * time.Second)
			for i := 0; i < 5000 && time.Now().Before(deadline); i++ {
				if _, err := c.Call(context.Background(), OpUsersList, Params{"limit": 1}); err != nil {
					results <- err
					return
				}
			}
			results <- nil
		}()
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(5 * time.Second)
			for i := 0; i < 50000 && time.Now().Before(deadline); i++ {
				if _, err := v.Verify(token); err != nil {
					results <- err
					return
				}
			}
			results <- nil
		}()
	}
	time.Sleep(50 * time.Millisecond)
	c.Close()
	v.Close()
	wg.Wait()
	close(results)
	for err := range results {
		if err == nil {
			t.Error("a goroutine never saw the Close")
		} else if !errors.Is(err, ErrClosed) {
			t.Errorf("after Close: %v", err)
		}
	}
}
