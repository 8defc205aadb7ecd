package clerk

import (
	"context"
	"encoding/json"
	"runtime"
	"time"
	"unsafe"
)

// Version is the C library's version, e.g. "0.1.0".
func Version() string { return cVersion() }

// Operation names one Backend API operation: use the generated Op* constants (a typo is
// a compile error), or convert an operationId ("GetUserList") or "resource.method" name.
type Operation string

// Params are one operation's parameters as one flat object: path parameters, query
// parameters and body fields by their spec names ("$body" for a whole non-object body,
// "$extra_body" for body fields the spec does not list). Values are anything
// encoding/json marshals.
type Params map[string]any

// Config configures a Client. Zero fields keep the library's defaults (connect timeout
// 10 s, request timeout 30 s, 3 attempts with backoff, 16 MiB responses, Mozilla roots).
type Config struct {
	// SecretKey is the instance's secret key (sk_...). Required unless FromEnv.
	SecretKey string
	// APIURL is the Backend API root (default https://api.clerk.com; https required
	// except for loopback hosts).
	APIURL string
	// APIVersion is the Clerk-API-Version header (default: the spec's version).
	APIVersion string
	// UserAgent replaces the User-Agent header.
	UserAgent string
	// ConnectTimeout bounds connecting; RequestTimeout bounds each whole request.
	ConnectTimeout time.Duration
	RequestTimeout time.Duration
	// MaxResponseBytes bounds a response body.
	MaxResponseBytes int64
	// Retry replaces the retry policy (nil: the default).
	Retry *RetryPolicy
	// RootCertificates is "webpki" (compiled-in Mozilla roots, the default) or "system".
	RootCertificates string
	// RootCertificatesPEM trusts these PEM certificates instead.
	RootCertificatesPEM string
	// Proxy is a proxy URL for every request.
	Proxy string
	// ProxyFromEnv uses the environment's proxy settings (HTTPS_PROXY, ...).
	ProxyFromEnv bool
	// FromEnv starts from the environment (CLERK_SECRET_KEY, CLERK_API_URL,
	// CLERK_API_VERSION) and applies the other fields on top.
	FromEnv bool
	// Headers are sent with every request (a gateway, tracing); the client's own
	// headers (Authorization, Clerk-API-Version, User-Agent, Content-Type, ...) and
	// values with CR/LF are refused with KindConfig.
	Headers map[string]string
}

// RetryPolicy sets how failed requests are retried; zero fields keep the defaults.
// MaxAttempts 1 turns retries off.
type RetryPolicy struct {
	MaxAttempts    int
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	MaxElapsed     time.Duration
}

// millis is d in whole milliseconds, rounded away from zero (so a non-zero duration never
// becomes 0).
func millis(d time.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond > 0 {
		ms++
	} else if d%time.Millisecond < 0 {
		ms--
	}
	return ms
}

// json is the clerk_client_new config object.
func (c Config) json() ([]byte, error) {
	type retry struct {
		MaxAttempts      int   `json:"max_attempts,omitempty"`
		InitialBackoffMS int64 `json:"initial_backoff_ms,omitempty"`
		MaxBackoffMS     int64 `json:"max_backoff_ms,omitempty"`
		MaxElapsedMS     int64 `json:"max_elapsed_ms,omitempty"`
	}
	wire := struct {
		FromEnv             bool              `json:"from_env,omitempty"`
		SecretKey           string            `json:"secret_key,omitempty"`
		APIURL              string            `json:"api_url,omitempty"`
		APIVersion          string            `json:"api_version,omitempty"`
		UserAgent           string            `json:"user_agent,omitempty"`
		ConnectTimeoutMS    int64             `json:"timeout_connect_ms,omitempty"`
		RequestTimeoutMS    int64             `json:"timeout_request_ms,omitempty"`
		MaxResponseBytes    int64             `json:"max_response_bytes,omitempty"`
		Retry               *retry            `json:"retry,omitempty"`
		RootCertificates    string            `json:"root_certificates,omitempty"`
		RootCertificatesPEM string            `json:"root_certificates_pem,omitempty"`
		Proxy               string            `json:"proxy,omitempty"`
		ProxyFromEnv        bool              `json:"proxy_from_env,omitempty"`
		Headers             map[string]string `json:"headers,omitempty"`
	}{
		FromEnv:             c.FromEnv,
		SecretKey:           c.SecretKey,
		APIURL:              c.APIURL,
		APIVersion:          c.APIVersion,
		UserAgent:           c.UserAgent,
		ConnectTimeoutMS:    millis(c.ConnectTimeout),
		RequestTimeoutMS:    millis(c.RequestTimeout),
		MaxResponseBytes:    c.MaxResponseBytes,
		RootCertificates:    c.RootCertificates,
		RootCertificatesPEM: c.RootCertificatesPEM,
		Proxy:               c.Proxy,
		Headers:             c.Headers,
		ProxyFromEnv:        c.ProxyFromEnv,
	}
	if r := c.Retry; r != nil {
		wire.Retry = &retry{
			MaxAttempts:      r.MaxAttempts,
			InitialBackoffMS: millis(r.InitialBackoff),
			MaxBackoffMS:     millis(r.MaxBackoff),
			MaxElapsedMS:     millis(r.MaxElapsed),
		}
	}
	return json.Marshal(wire)
}

// Client calls the Backend API. One client is safe for concurrent use by any number of
// goroutines and pools its connections: share it. Close it when done (a finalizer
// closes a forgotten one).
type Client struct {
	h *handle
}

// NewClient makes a client from cfg.
func NewClient(cfg Config) (*Client, error) {
	config, err := cfg.json()
	if err != nil {
		return nil, invalidArgument("config", err)
	}
	text, err := newCText(string(config), "config")
	if err != nil {
		return nil, err
	}
	return newClient(text)
}

// NewClientFromEnv makes a client from CLERK_SECRET_KEY (required), CLERK_API_URL and
// CLERK_API_VERSION.
func NewClientFromEnv() (*Client, error) { return newClient(nil) }

func newClient(config cText) (*Client, error) {
	p, o := cClientNew(config)
	if err := o.err(); err != nil {
		return nil, err
	}
	c := &Client{h: newHandle(p, "client", cClientFree)}
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

// Close frees the client; calls in flight finish first (in the background). Later calls
// return an error matching ErrClosed. Closing twice is fine. Pagers and verifiers made
// from the client keep working.
func (c *Client) Close() error {
	if c != nil {
		c.h.close()
	}
	return nil
}

func (c *Client) handle() *handle {
	if c == nil {
		return nil
	}
	return c.h
}

func invalidArgument(argument string, err error) *Error {
	return &Error{Kind: KindInvalidArgument, Message: "argument `" + argument + "`: " + err.Error(), cause: err}
}

// paramsText is the params JSON (NULL for nil params).
func paramsText(params Params) (cText, error) {
	if params == nil {
		return nil, nil
	}
	b, err := json.Marshal(params)
	if err != nil {
		return nil, invalidArgument("params", err)
	}
	return newCText(string(b), "params")
}

// Call calls one operation and returns the response body as the server sent it (null for
// an empty body). A non-2xx answer is an *Error of KindAPI. ctx bounds the call: an
// ended context returns ctx.Err() without a request; one that ends during the call
// returns ctx.Err() at once (see the package documentation).
func (c *Client) Call(ctx context.Context, op Operation, params Params) (json.RawMessage, error) {
	name, err := newCText(string(op), "op")
	if err != nil {
		return nil, err
	}
	p, err := paramsText(params)
	if err != nil {
		return nil, err
	}
	o := c.handle().call(ctx, c, func(ptr unsafe.Pointer, options cText) outcome {
		return cClientCall(ptr, name, p, options)
	})
	if err := o.err(); err != nil {
		return nil, err
	}
	return o.text, nil
}

// CallInto calls one operation and decodes the response body into out (for example a
// *User for OpUsersGet, or a *[]User for OpUsersList).
func (c *Client) CallInto(ctx context.Context, op Operation, params Params, out any) error {
	body, err := c.Call(ctx, op, params)
	if err != nil {
		return err
	}
	return decodeInto(body, out)
}

func decodeInto(body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		return &Error{Kind: KindDecode, Message: "cannot decode the response: " + err.Error(), cause: err}
	}
	return nil
}

// File is the file part of a multipart operation (a profile image, a logo).
type File struct {
	// Field is the operation's file parameter, e.g. "file".
	Field string
	// Filename is sent as the part's file name.
	Filename string
	// ContentType defaults to application/octet-stream.
	ContentType string
	// Data is the file's content.
	Data []byte
}

// CallMultipart calls a multipart operation with file's bytes as its file parameter and
// params as the other parameters. ctx's deadline is not passed to the C library (it has
// no multipart call with options): an ended ctx returns at once, the upload finishes in
// the background within the client's timeouts.
func (c *Client) CallMultipart(ctx context.Context, op Operation, params Params, file File) (json.RawMessage, error) {
	name, err := newCText(string(op), "op")
	if err != nil {
		return nil, err
	}
	p, err := paramsText(params)
	if err != nil {
		return nil, err
	}
	field, err := newCText(file.Field, "file.Field")
	if err != nil {
		return nil, err
	}
	filename, err := newCText(file.Filename, "file.Filename")
	if err != nil {
		return nil, err
	}
	var contentType cText
	if file.ContentType != "" {
		if contentType, err = newCText(file.ContentType, "file.ContentType"); err != nil {
			return nil, err
		}
	}
	data := file.Data
	// The C library has no multipart call with options: a deadline is not passed down,
	// the call returns at ctx's end and finishes in the background.
	o := c.handle().call(ctx, c, func(ptr unsafe.Pointer, _ cText) outcome {
		return cClientCallMultipart(ptr, name, p, field, filename, contentType, data)
	})
	if err := o.err(); err != nil {
		return nil, err
	}
	return o.text, nil
}

// Response is the answer to Client.Request.
type Response struct {
	// Status is the HTTP status (a 2xx: other statuses are errors).
	Status int
	// Body is the response body (null for an empty body).
	Body json.RawMessage
}

// Request sends a raw request, the escape hatch for endpoints the operation table lacks:
// method GET, POST, PUT, PATCH or DELETE, path relative to the API root ("/users"),
// query values strings, numbers, booleans or arrays of those, and body any value
// encoding/json marshals (nil for no body; a json.RawMessage is sent as is).
func (c *Client) Request(ctx context.Context, method, path string, query Params, body any) (*Response, error) {
	m, err := newCText(method, "method")
	if err != nil {
		return nil, err
	}
	pt, err := newCText(path, "path")
	if err != nil {
		return nil, err
	}
	q, err := paramsText(query)
	if err != nil {
		return nil, err
	}
	var b cText
	if body != nil {
		text, err := json.Marshal(body)
		if err != nil {
			return nil, invalidArgument("body", err)
		}
		if b, err = newCText(string(text), "body"); err != nil {
			return nil, err
		}
	}
	var status int
	o := c.handle().call(ctx, c, func(ptr unsafe.Pointer, options cText) outcome {
		var o outcome
		status, o = cClientRequest(ptr, m, pt, q, b, options)
		return o
	})
	if err := o.err(); err != nil {
		return nil, err
	}
	return &Response{Status: status, Body: o.text}, nil
}

// OperationInfo describes one operation of the C library's operation table.
type OperationInfo struct {
	OperationID string           `json:"operation_id"`
	Name        Operation        `json:"name"`
	Method      string           `json:"method"`
	Path        string           `json:"path"`
	Params      []OperationParam `json:"params"`
	// Body is {"kind": "none" | "object" | "whole" | "multipart", "required": bool}.
	Body json.RawMessage `json:"body"`
	// Pagination is "none", "data_total_count" or "bare_array".
	Pagination string `json:"pagination"`
	Deprecated bool   `json:"deprecated"`
	Summary    string `json:"summary"`
}

// OperationParam is one parameter of an operation.
type OperationParam struct {
	Name     string `json:"name"`
	In       string `json:"in"`
	Required bool   `json:"required"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
}

// Operations is the C library's whole operation table.
func Operations() ([]OperationInfo, error) {
	o := cOperationsJSON()
	if err := o.err(); err != nil {
		return nil, err
	}
	var ops []OperationInfo
	if err := decodeInto(o.text, &ops); err != nil {
		return nil, err
	}
	return ops, nil
}
