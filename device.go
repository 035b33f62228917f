package oauth2flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/oauth2flows/oauth2flows/internal/redact"
)

// GrantTypeDeviceCode is the grant_type of the device access token request
// (RFC 8628 §3.4).
const GrantTypeDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// Defaults of the device flow's polling (RFC 8628 §3.2, §3.5).
const (
	defaultDeviceInterval = 5 * time.Second // "interval" absent: 5 seconds
	slowDownStep          = 5 * time.Second // each slow_down adds 5 seconds
)

// DeviceAuthResponse is the device authorization response (RFC 8628 §3.2).
// It has the fields of golang.org/x/oauth2's DeviceAuthResponse. Show the
// user UserCode and VerificationURI (or VerificationURIComplete, which
// carries the code), then call [DeviceAccessToken]. DeviceCode is a
// credential: it is never printed in an error or log line of this package,
// and must not be in the caller's either.
type DeviceAuthResponse struct {
	// DeviceCode is the device verification code (§3.2 device_code).
	DeviceCode string
	// UserCode is what the user types at VerificationURI (§3.2 user_code).
	UserCode string
	// VerificationURI is where the user goes (§3.2 verification_uri;
	// Google's verification_url is read here too).
	VerificationURI string
	// VerificationURIComplete carries the user code already (§3.2
	// verification_uri_complete), e.g. for a QR code. Empty when the server
	// sent none.
	VerificationURIComplete string
	// Expiry is when the device code expires (§3.2 expires_in, counted
	// from when the request was sent); zero when the server sent none.
	Expiry time.Time
	// Interval is the minimum number of seconds between polls (§3.2
	// interval); 0 means the default, 5 seconds.
	Interval int64
}

// ErrDeviceAccessDenied matches, with errors.Is, the [*Error] with Code
// "access_denied" that ends [DeviceAccessToken] when the user denies the
// request (RFC 8628 §3.5).
var ErrDeviceAccessDenied = errors.New("oauth2flows: the user denied the device authorization")

// ErrDeviceCodeExpired matches, with errors.Is, the [*Error] with Code
// "expired_token" that ends [DeviceAccessToken] when the device code
// expires before the user decided (RFC 8628 §3.5), whether the server said
// so or the client saw DeviceAuthResponse.Expiry pass.
var ErrDeviceCodeExpired = errors.New("oauth2flows: the device code expired")

// DeviceAuth starts the device authorization grant (RFC 8628 §3.1): it posts
// to Endpoint.DeviceAuthURL with Config.Scopes (or [WithScopes]), the
// client authenticated as at the token endpoint (a public client sends its
// client_id), and returns the codes to show the user. [WithAudience]
// (Auth0), [WithResource] and [WithParam] add theirs; other options are
// refused. With a certificate it posts to Endpoint.MTLSDeviceAuthURL when
// that is set (RFC 8705 §5).
func DeviceAuth(ctx context.Context, cfg *Config, opts ...Option) (*DeviceAuthResponse, error) {
	const op = "DeviceAuth"
	resp, secrets, err := post(ctx, cfg, &request{
		op:            op,
		kind:          deviceAuthEndpoint,
		defaultScopes: true,
	}, collect(opts))
	if err != nil {
		return nil, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, decodeError(resp, secrets)
	}
	return decodeDeviceAuth(resp.Status, resp.Header.Get("Content-Type"), resp.Body, resp.TooLarge, secrets, resp.Sent)
}

// decodeDeviceAuth reads a device authorization response (RFC 8628 §3.2).
// expires_in and interval may be numbers or numeric strings.
func decodeDeviceAuth(status int, contentType string, body []byte, tooLarge bool, secrets []string, now time.Time) (*DeviceAuthResponse, error) {
	bad := func(reason string) error {
		return &InvalidResponseError{StatusCode: status, ContentType: redact.SafeText(contentType, secrets, 64),
			Reason: reason + " (RFC 8628 §3.2)"}
	}
	if tooLarge {
		return nil, bad("body exceeds 1 MiB")
	}
	var m struct {
		DeviceCode              string          `json:"device_code"`
		UserCode                string          `json:"user_code"`
		VerificationURI         string          `json:"verification_uri"`
		VerificationURL         string          `json:"verification_url"` // Google
		VerificationURIComplete string          `json:"verification_uri_complete"`
		ExpiresIn               json.RawMessage `json:"expires_in"`
		Interval                json.RawMessage `json:"interval"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, bad("not a device authorization response")
	}
	da := &DeviceAuthResponse{
		DeviceCode:              m.DeviceCode,
		UserCode:                m.UserCode,
		VerificationURI:         m.VerificationURI,
		VerificationURIComplete: m.VerificationURIComplete,
	}
	if da.VerificationURI == "" {
		da.VerificationURI = m.VerificationURL
	}
	switch {
	case da.DeviceCode == "":
		return nil, bad("no device_code")
	case da.UserCode == "":
		return nil, bad("no user_code")
	case da.VerificationURI == "":
		return nil, bad("no verification_uri")
	}
	exp, ok := jsonSeconds(m.ExpiresIn)
	if !ok {
		return nil, bad("malformed expires_in")
	}
	if exp > 0 {
		da.Expiry = now.Add(time.Duration(exp) * time.Second)
	}
	if da.Interval, ok = jsonSeconds(m.Interval); !ok {
		return nil, bad("malformed interval")
	}
	return da, nil
}

// maxDeviceSeconds bounds expires_in and interval: a day is far more than
// any server uses, and keeps durations from overflowing.
const maxDeviceSeconds = 86400

// jsonSeconds reads a count of seconds sent as a JSON number or numeric
// string; absent or null is 0.
func jsonSeconds(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, true
	}
	var s string
	if raw[0] == '"' {
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
	} else {
		s = string(raw)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxDeviceSeconds {
		return 0, false
	}
	return n, true
}

// DeviceAccessToken polls the token endpoint (RFC 8628 §3.4) until the user
// approves, denies, the device code expires or ctx ends. It waits
// da.Interval seconds (5 when 0) before each poll; authorization_pending
// goes on polling, slow_down adds 5 seconds to the wait for this and every
// later poll (§3.5). It ends with:
//
//   - the token, once the user approved;
//   - an [*Error] with Code "access_denied", matching [ErrDeviceAccessDenied];
//   - an [*Error] with Code "expired_token", matching [ErrDeviceCodeExpired],
//     when the server says so or when da.Expiry has passed (then StatusCode
//     is 0 and nothing more is sent);
//   - any other error of the server ([*Error]) or of the network;
//   - ctx's error, wrapped, as soon as ctx ends, also in the middle of a wait.
//
// The client authenticates as for [DeviceAuth]. Only [WithParam] is taken.
func DeviceAccessToken(ctx context.Context, cfg *Config, da *DeviceAuthResponse, opts ...Option) (*Token, error) {
	const op = "DeviceAccessToken"
	if ctx == nil {
		return nil, &ConfigError{Op: op, Field: "ctx", Reason: "nil context"}
	}
	if da == nil || da.DeviceCode == "" {
		return nil, &ConfigError{Op: op, Field: "DeviceAuthResponse.DeviceCode", Reason: "empty"}
	}
	if cfg == nil {
		return nil, &ConfigError{Op: op, Field: "cfg", Reason: "nil Config"}
	}
	o := collect(opts)
	if err := checkOptions(op, o); err != nil {
		return nil, withOp(op, err)
	}
	// Refuse what can be known now, not after the first wait.
	method, err := cfg.authMethod()
	if err == nil {
		_, err = cfg.endpointURL(tokenEndpoint, method)
	}
	if err != nil {
		return nil, withOp(op, err)
	}
	if cfg.DPoPKey != nil {
		// One DPoP session for every poll (RFC 9449 §8): the nonce the
		// server gave one poll goes with the next, instead of costing each
		// poll a use_dpop_nonce refusal and a second request.
		if o.dpop == nil || o.dpop.cfg != cfg {
			o.dpop = newDPoPSession(cfg)
		}
	}
	clock := pollClockFrom(ctx)
	interval := defaultDeviceInterval
	if da.Interval > 0 {
		interval = time.Duration(min(da.Interval, maxDeviceSeconds)) * time.Second
	}
	for {
		wait := interval
		if !da.Expiry.IsZero() {
			wait = min(wait, da.Expiry.Sub(clock.now()))
		}
		if err := clock.wait(ctx, max(wait, 0)); err != nil {
			return nil, fmt.Errorf("oauth2flows: %s: stopped polling: %w", op, err)
		}
		if !da.Expiry.IsZero() && !clock.now().Before(da.Expiry) {
			return nil, &Error{Code: "expired_token", Description: "the device code expired before the user approved (checked by the client)"}
		}
		tok, err := exchangeToken(ctx, cfg, &request{
			op:    op,
			grant: GrantTypeDeviceCode,
			form:  url.Values{"device_code": {da.DeviceCode}},
		}, o)
		var e *Error
		if !errors.As(err, &e) {
			return tok, err
		}
		switch e.Code {
		case "authorization_pending":
		case "slow_down":
			interval += slowDownStep
		default:
			return nil, err
		}
	}
}

// pollClock is how DeviceAccessToken reads the time and waits. Tests
// replace it through the context (export_test.go), so that no test waits
// in real time; the package itself holds no mutable state for it.
type pollClock struct {
	now  func() time.Time
	wait func(ctx context.Context, d time.Duration) error
}

type pollClockKey struct{}

func pollClockFrom(ctx context.Context) pollClock {
	if c, ok := ctx.Value(pollClockKey{}).(pollClock); ok {
		return c
	}
	return pollClock{now: time.Now, wait: sleepCtx}
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
