package clerk

import (
	"context"
	"errors"
	"testing"
	"time"
)

// An ended context makes no request.
func TestContextEndedBeforeTheCall(t *testing.T) {
	c := newTestClient(t)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	before := requestCount(t)
	for name, ctx := range map[string]context.Context{"canceled": canceled, "expired": expired} {
		want := ctx.Err()
		if _, err := c.Call(ctx, OpUsersList, nil); !errors.Is(err, want) {
			t.Errorf("%s Call: %v, want %v", name, err, want)
		}
		if _, err := c.Request(ctx, "GET", "/users", nil, nil); !errors.Is(err, want) {
			t.Errorf("%s Request: %v", name, err)
		}
		it := c.Pages(ctx, OpUsersList, nil)
		if it.Next() || !errors.Is(it.Err(), want) {
			t.Errorf("%s Pages: %v", name, it.Err())
		}
	}
	if after := requestCount(t); after != before {
		t.Errorf("%d requests made with ended contexts", after-before)
	}
}

// A deadline or a cancellation during a slow call (the emulator's delay fault) returns
// the context's error long before the answer would come.
func TestContextBoundsASlowCall(t *testing.T) {
	c := newTestClient(t)
	user := createUser(t, c)
	const delay = 3 * time.Second
	const generous = 2 * time.Second
	slow := func() {
		injectFault(t, map[string]any{"method": "GET", "path": "/v1/users/" + user.ID, "delay_ms": delay.Milliseconds()})
	}

	slow()
	started := time.Now()
	_, err := c.Call(ctxTimeout(t, 200*time.Millisecond), OpUsersGet, Params{"user_id": user.ID})
	if elapsed := time.Since(started); !errors.Is(err, context.DeadlineExceeded) || elapsed > generous {
		t.Errorf("deadline: %v after %v", err, elapsed)
	}

	slow()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(150*time.Millisecond, cancel)
	started = time.Now()
	_, err = c.Call(ctx, OpUsersGet, Params{"user_id": user.ID})
	if elapsed := time.Since(started); !errors.Is(err, context.Canceled) || elapsed > generous {
		t.Errorf("cancel: %v after %v", err, elapsed)
	}

	slow()
	injectFault(t, map[string]any{"method": "GET", "path": "/v1/users", "delay_ms": delay.Milliseconds()})
	started = time.Now()
	it := c.Pages(ctxTimeout(t, 200*time.Millisecond), OpUsersList, Params{"limit": 1})
	if it.Next() || !errors.Is(it.Err(), context.DeadlineExceeded) || time.Since(started) > generous {
		t.Errorf("pages: %v after %v", it.Err(), time.Since(started))
	}

	// The client still works, and closes while the abandoned calls finish.
	if _, err := c.Call(context.Background(), OpUsersList, Params{"limit": 1}); err != nil {
		t.Errorf("after abandoned calls: %v", err)
	}
	c.Close()
}

// A deadline reaches the C library as the call's timeout: the C call itself ends at the
// deadline instead of running on in the background until the delayed answer.
func TestDeadlineIsPassedToTheLibrary(t *testing.T) {
	c := newTestClient(t)
	user := createUser(t, c)
	const delay = 3 * time.Second
	inFlightEndsEarly := func(name string, h *handle) {
		t.Helper()
		limit := time.Now().Add(delay / 2)
		for h.state.Load()&^closedBit != 0 {
			if time.Now().After(limit) {
				t.Errorf("%s: the C call still runs %v after the deadline", name, delay/2)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	injectFault(t, map[string]any{"method": "GET", "path": "/v1/users/" + user.ID, "delay_ms": delay.Milliseconds()})
	if _, err := c.Call(ctxTimeout(t, 200*time.Millisecond), OpUsersGet, Params{"user_id": user.ID}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Call: %v", err)
	}
	inFlightEndsEarly("Call", c.h)

	injectFault(t, map[string]any{"method": "GET", "path": "/v1/users/" + user.ID, "delay_ms": delay.Milliseconds()})
	if _, err := c.Request(ctxTimeout(t, 200*time.Millisecond), "GET", "/users/"+user.ID, nil, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Request: %v", err)
	}
	inFlightEndsEarly("Request", c.h)

	injectFault(t, map[string]any{"method": "GET", "path": "/v1/users", "delay_ms": delay.Milliseconds()})
	it := c.Pages(ctxTimeout(t, 200*time.Millisecond), OpUsersList, Params{"limit": 1})
	if it.Next() || !errors.Is(it.Err(), context.DeadlineExceeded) {
		t.Errorf("Pages: %v", it.Err())
	}
	inFlightEndsEarly("Pages", it.h)

	// A deadline beyond the library's 10-minute bound leaves the call to the client's
	// own budget; Request reports the status with a deadline too.
	long := ctxTimeout(t, time.Hour)
	if _, err := c.Call(long, OpUsersGet, Params{"user_id": user.ID}); err != nil {
		t.Errorf("a one-hour deadline: %v", err)
	}
	if resp, err := c.Request(ctxTimeout(t, time.Minute), "GET", "/users/"+user.ID, nil, nil); err != nil || resp.Status != 200 || len(resp.Body) == 0 {
		t.Errorf("Request with a deadline: %+v %v", resp, err)
	}
	if resp, err := c.Request(context.Background(), "GET", "/users/"+user.ID, nil, nil); err != nil || resp.Status != 200 {
		t.Errorf("Request without a deadline: %+v %v", resp, err)
	}
}
