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
