package clerk

import (
	"encoding/json"
	"net/http"
	"time"
)

// WebhookEvent is a verified webhook delivery.
type WebhookEvent struct {
	// Type is the event type, e.g. "user.created".
	Type string `json:"type"`
	// Data is the event's data object.
	Data json.RawMessage `json:"data"`
	// Timestamp is the event's own timestamp in milliseconds, when present.
	Timestamp int64 `json:"timestamp,omitempty"`
	// InstanceID is the instance the event concerns, when present.
	InstanceID string `json:"instance_id,omitempty"`
	// MessageID is the svix-id header: unique per message, for idempotency.
	MessageID string `json:"message_id"`
	// SignedAt is the svix-timestamp header, seconds since the epoch.
	SignedAt int64 `json:"signed_at"`
	// Raw is the whole event object.
	Raw json.RawMessage `json:"raw"`
}

// VerifyWebhook verifies a webhook delivery (Svix signing) with the endpoint's whsec_
// secret, the request's headers and its raw body exactly as received. A refused delivery
// is an *Error of KindWebhook whose Reason says why ("no-matching-signature",
// "timestamp-too-old", ...).
func VerifyWebhook(secret string, header http.Header, body []byte) (*WebhookEvent, error) {
	s, err := newCText(secret, "secret")
	if err != nil {
		return nil, err
	}
	pairs := make([][2]string, 0, len(header))
	for name, values := range header {
		for _, value := range values {
			pairs = append(pairs, [2]string{name, value})
		}
	}
	headers, err := json.Marshal(pairs)
	if err != nil {
		return nil, invalidArgument("header", err)
	}
	h, err := newCText(string(headers), "header")
	if err != nil {
		return nil, err
	}
	o := cWebhookVerify(s, h, body)
	if err := o.err(); err != nil {
		return nil, err
	}
	event := new(WebhookEvent)
	if err := decodeInto(o.text, event); err != nil {
		return nil, err
	}
	return event, nil
}

// SignTestWebhook is for tests: the svix-signature header value ("v1,<base64>") Clerk
// would send for body with messageID (svix-id) and timestamp (svix-timestamp).
func SignTestWebhook(secret, messageID string, timestamp time.Time, body []byte) (string, error) {
	s, err := newCText(secret, "secret")
	if err != nil {
		return "", err
	}
	id, err := newCText(messageID, "messageID")
	if err != nil {
		return "", err
	}
	signature, o := cSignWebhook(s, id, timestamp.Unix(), body)
	if err := o.err(); err != nil {
		return "", err
	}
	return string(signature), nil
}

// MintTestSessionToken is for tests: an RS256 session token signed with privateKeyPEM
// (PKCS#8 or PKCS#1) whose header carries kid. The claims are those of a session issued
// now (sub user_test, exp in 60 s, azp http://localhost:3000, ...) overlaid with claims
// (a nil value removes a claim); header likewise overlays the header (alg, typ, kid).
func MintTestSessionToken(privateKeyPEM, kid string, claims, header map[string]any) (string, error) {
	key, err := newCText(privateKeyPEM, "privateKeyPEM")
	if err != nil {
		return "", err
	}
	k, err := newCText(kid, "kid")
	if err != nil {
		return "", err
	}
	overlay := func(m map[string]any, argument string) (cText, error) {
		if m == nil {
			return nil, nil
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, invalidArgument(argument, err)
		}
		return newCText(string(b), argument)
	}
	c, err := overlay(claims, "claims")
	if err != nil {
		return "", err
	}
	h, err := overlay(header, "header")
	if err != nil {
		return "", err
	}
	token, o := cMintSessionToken(key, k, c, h)
	if err := o.err(); err != nil {
		return "", err
	}
	return string(token), nil
}
