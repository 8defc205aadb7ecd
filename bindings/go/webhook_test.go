package clerk

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestWebhooks(t *testing.T) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	secret := "whsec_" + base64.StdEncoding.EncodeToString(raw)
	body := []byte(`{"type":"user.created","data":{"id":"user_1"},"object":"event","timestamp":1700000000000,"instance_id":"ins_1"}`)
	now := time.Now()

	headers := func(id string, at time.Time, payload []byte) http.Header {
		t.Helper()
		signature, err := SignTestWebhook(secret, id, at, payload)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set("svix-id", id)
		h.Set("svix-timestamp", strconv.FormatInt(at.Unix(), 10))
		h.Set("svix-signature", signature)
		h.Set("content-type", "application/json")
		return h
	}

	event, err := VerifyWebhook(secret, headers("msg_1", now, body), body)
	if err != nil {
		t.Fatal(err)
	}
	var data struct {
		ID string `json:"id"`
	}
	if event.Type != "user.created" || json.Unmarshal(event.Data, &data) != nil || data.ID != "user_1" ||
		event.MessageID != "msg_1" || event.SignedAt != now.Unix() || event.Timestamp != 1700000000000 ||
		event.InstanceID != "ins_1" || len(event.Raw) == 0 {
		t.Fatalf("event %+v", event)
	}

	refused := func(name string, h http.Header, payload []byte, reason string) {
		t.Helper()
		_, err := VerifyWebhook(secret, h, payload)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrWebhook) || e.Reason != reason {
			t.Errorf("%s: %v, want %s", name, err, reason)
		}
	}
	tampered := []byte(`{"type":"user.deleted","data":{"id":"user_1"}}`)
	refused("tampered body", headers("msg_2", now, body), tampered, "no-matching-signature")
	refused("old", headers("msg_3", now.Add(-time.Hour), body), body, "timestamp-too-old")
	refused("from the future", headers("msg_4", now.Add(time.Hour), body), body, "timestamp-too-new")
	missing := headers("msg_5", now, body)
	missing.Del("svix-signature")
	refused("no signature header", missing, body, "missing-headers")
	if _, err := VerifyWebhook("not-a-secret", headers("msg_6", now, body), body); !errors.Is(err, ErrWebhook) {
		t.Errorf("bad secret: %v", err)
	}
	if _, err := SignTestWebhook("whsec_!!!", "msg", now, body); !errors.Is(err, ErrWebhook) {
		t.Errorf("signing with a bad secret: %v", err)
	}
}
