package oauth2flowstest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Endpoint names of the device authorization grant (RFC 8628), for
// [Request.Endpoint], [Server.RequestsTo] and [Server.InjectFault].
const (
	// EndpointDeviceAuthorization is the RFC 8628 §3.1 device authorization
	// endpoint, where a device asks for a device code and a user code.
	EndpointDeviceAuthorization = "device_authorization"
	// EndpointDeviceVerification is the RFC 8628 §3.3 verification page,
	// where the user enters the user code.
	EndpointDeviceVerification = "device"
)

// grantTypeDeviceCode is the RFC 8628 §3.4 grant_type.
const grantTypeDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// Defaults of RFC 8628 §3.2: 5 seconds is the interval a client uses when
// none is given; device codes live as long as authorization codes do on
// most servers' consent screens.
const (
	defaultDeviceInterval = 5 * time.Second
	defaultDeviceLifetime = 10 * time.Minute
	// slowDownStep is what RFC 8628 §3.5 adds to the interval on slow_down.
	slowDownStep = 5 * time.Second
)

// deviceConfig is what the device options set; zero values mean the
// defaults.
type deviceConfig struct {
	interval    time.Duration
	intervalSet bool
	lifetime    time.Duration
}

func (d deviceConfig) pollInterval() time.Duration {
	if !d.intervalSet {
		return defaultDeviceInterval
	}
	return d.interval
}

func (d deviceConfig) codeLifetime() time.Duration {
	if d.lifetime <= 0 {
		return defaultDeviceLifetime
	}
	return d.lifetime
}

// WithDeviceInterval sets the minimum polling interval of the device
// authorization grant (RFC 8628 §3.2 "interval"), 5 seconds by default,
// so tests can poll fast. The response carries it in whole seconds,
// rounded up; the server enforces d itself, answering slow_down to a poll
// that comes sooner after the previous one (or after the device
// authorization) and adding 5 seconds to the interval each time (§3.5).
// Zero sends "interval": 0 and never answers slow_down. Clients still wait
// between polls: this SDK's DeviceAccessToken and x/oauth2 read an interval
// of 0 as absent and wait RFC 8628's default of 5 seconds, so a test that
// polls through them gains nothing under one second; a test that posts its
// polls itself, as the example does, polls at once.
func WithDeviceInterval(d time.Duration) Option {
	return func(cfg *config) { cfg.device.interval, cfg.device.intervalSet = max(d, 0), true }
}

// WithDeviceCodeLifetime sets how long device and user codes stay valid
// (RFC 8628 §3.2 "expires_in"), 10 minutes by default. Polling after that
// answers expired_token.
func WithDeviceCodeLifetime(d time.Duration) Option {
	return func(cfg *config) { cfg.device.lifetime = d }
}

// deviceStatus is where a device authorization stands.
type deviceStatus int

const (
	devicePending deviceStatus = iota
	deviceApproved
	deviceDenied
	deviceRedeemed
)

// deviceEntry is an outstanding device authorization (RFC 8628 §3.2).
type deviceEntry struct {
	clientID  string
	userCode  string
	scope     string
	resources []string
	expires   time.Time
	interval  time.Duration // grows by 5 s on each slow_down
	lastPoll  time.Time     // the previous poll, or the device authorization
	status    deviceStatus
	subject   string // who approved
}

// handleDeviceAuthorization is the device authorization endpoint (RFC 8628
// §3.1): POST, client authentication as at the token endpoint (a public
// client names itself with client_id), then a device code, a user code and
// where the user goes to enter it (§3.2).
func (s *Server) handleDeviceAuthorization(w http.ResponseWriter, r *http.Request, rec *Request) {
	form, c, e := s.postWithClient(w, r, rec, pathDeviceAuthorization)
	if e == nil && !c.allowsGrant(grantTypeDeviceCode) {
		e = errUnauthorizedClient("client is not registered for the device authorization grant")
	}
	if e != nil {
		s.writeError(w, e)
		return
	}
	scope := form.Get("scope")
	if _, _, e := resourceScopes(scope); e != nil {
		s.writeError(w, e)
		return
	}
	if e := checkResources(form["resource"]); e != nil {
		s.writeError(w, e)
		return
	}
	now := s.now()
	deviceCode, userCode := randomString(), newUserCode()
	lifetime, interval := s.cfg.device.codeLifetime(), s.cfg.device.pollInterval()
	s.mu.Lock()
	s.store.devices[deviceCode] = &deviceEntry{
		clientID:  c.ID,
		userCode:  userCode,
		scope:     scope,
		resources: form["resource"],
		expires:   now.Add(lifetime),
		interval:  interval,
		lastPoll:  now,
	}
	s.store.userCodes[normalizeUserCode(userCode)] = deviceCode
	s.mu.Unlock()
	verify := s.URL() + pathDeviceVerification
	s.writeBody(w, http.StatusOK, map[string]any{
		"device_code":               deviceCode,
		"user_code":                 userCode,
		"verification_uri":          verify,
		"verification_uri_complete": verify + "?" + url.Values{"user_code": {userCode}}.Encode(),
		"expires_in":                int64(lifetime / time.Second),
		"interval":                  int64((interval + time.Second - 1) / time.Second),
	})
}

// grantDeviceCode is the device access token request (RFC 8628 §3.4) and
// its answers (§3.5): authorization_pending until the user decides,
// slow_down for a poll sooner than the interval (which then grows by
// 5 seconds), access_denied, expired_token, and the tokens once, after
// approval. The device code is bound to the client it was issued to.
func (s *Server) grantDeviceCode(c *Client, form url.Values) (*tokenResponse, *oauthError) {
	code := form.Get("device_code")
	if code == "" {
		return nil, errInvalidRequest("device_code missing")
	}
	now := s.now()
	s.mu.Lock()
	d := s.store.devices[code]
	switch {
	case d == nil:
		s.mu.Unlock()
		return nil, errInvalidGrant("unknown device code")
	case d.clientID != c.ID:
		s.mu.Unlock()
		return nil, errInvalidGrant("device code was issued to another client")
	case d.status == deviceRedeemed:
		s.mu.Unlock()
		return nil, errInvalidGrant("device code already used")
	case !now.Before(d.expires):
		s.mu.Unlock()
		return nil, deviceError("expired_token", "the device code has expired")
	}
	early := now.Sub(d.lastPoll) < d.interval
	d.lastPoll = now
	if early {
		d.interval += slowDownStep
		s.mu.Unlock()
		return nil, deviceError("slow_down", "polling too fast: wait 5 seconds more between requests")
	}
	switch d.status {
	case devicePending:
		s.mu.Unlock()
		return nil, deviceError("authorization_pending", "the user has not yet approved or denied the request")
	case deviceDenied:
		s.mu.Unlock()
		return nil, deviceError("access_denied", "the user denied the request")
	}
	d.status = deviceRedeemed
	delete(s.store.userCodes, normalizeUserCode(d.userCode))
	is := issuance{
		subject:   d.subject,
		client:    c,
		scope:     d.scope,
		resources: d.resources,
		refresh:   true,
		idToken:   hasScope(d.scope, "openid"),
	}
	s.mu.Unlock()
	return s.issue(is)
}

// deviceError is one of RFC 8628 §3.5's error codes, all status 400.
func deviceError(code, desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: code, description: desc}
}

// ErrUnknownUserCode is returned by [Server.ApproveDevice] and
// [Server.DenyDevice] for a user code the server did not issue, or one
// already decided, redeemed or expired.
var ErrUnknownUserCode = errors.New("oauth2flowstest: unknown, decided or expired user code")

// ApproveDevice plays the user who enters userCode at the verification URI
// (RFC 8628 §3.3), signs in as user (a registered user's username or
// subject) and approves: the device's next poll gets the tokens, issued for
// that user. Case and dashes in userCode are ignored, as §6.1 suggests.
func (s *Server) ApproveDevice(userCode, user string) error {
	u := s.userByName(user)
	if u == nil {
		return fmt.Errorf("oauth2flowstest: ApproveDevice: no registered user %q", user)
	}
	return s.decideDevice(userCode, deviceApproved, u.subject())
}

// DenyDevice plays the user who enters userCode and denies the request:
// the device's next poll gets access_denied (RFC 8628 §3.5).
func (s *Server) DenyDevice(userCode string) error {
	return s.decideDevice(userCode, deviceDenied, "")
}

func (s *Server) decideDevice(userCode string, status deviceStatus, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.store.devices[s.store.userCodes[normalizeUserCode(userCode)]]
	if d == nil || d.status != devicePending || !s.now().Before(d.expires) {
		return ErrUnknownUserCode
	}
	d.status, d.subject = status, subject
	return nil
}

// userByName finds a registered user by username or subject.
func (s *Server) userByName(name string) *User {
	for i := range s.cfg.users {
		if u := &s.cfg.users[i]; name != "" && (u.Username == name || u.subject() == name) {
			return u
		}
	}
	return nil
}

// handleDeviceVerification is the verification page (RFC 8628 §3.3). As
// at the authorization endpoint there is no login page: with a user_code
// (from verification_uri_complete, or the page's form), the first
// registered user, or the one login_hint names, signs in and approves at
// once. Tests that want a denial, or another user, call
// [Server.DenyDevice] or [Server.ApproveDevice].
func (s *Server) handleDeviceVerification(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		authorizePage(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if err := r.ParseForm(); err != nil {
		authorizePage(w, http.StatusBadRequest, "malformed request")
		return
	}
	code := r.Form.Get("user_code")
	if code == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>Device sign-in</title><form method="post">` +
			`<label>Code <input name="user_code"></label><button>Continue</button></form>` + "\n"))
		return
	}
	u, desc := s.signedInUser(r.Form.Get("login_hint"))
	if u == nil {
		authorizePage(w, http.StatusBadRequest, desc)
		return
	}
	if err := s.decideDevice(code, deviceApproved, u.subject()); err != nil {
		authorizePage(w, http.StatusBadRequest, "unknown, used or expired code")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte("<!doctype html><title>Device approved</title><p>" +
		html.EscapeString(u.Username) + " approved the device. You may close this page.</p>\n"))
}

// userCodeAlphabet is RFC 8628 §6.1's example: 20 consonants, no vowels
// (no words), no look-alikes.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// newUserCode returns a user code such as "WDJB-MJHT": 8 characters of 20
// possible each, about 34.5 bits, as RFC 8628 §6.1 shows.
func newUserCode() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, 0, 9)
	for i, x := range b {
		if i == 4 {
			out = append(out, '-')
		}
		// 256 = 12*20 + 16: the modulo bias is negligible for a test server.
		out = append(out, userCodeAlphabet[int(x)%len(userCodeAlphabet)])
	}
	return string(out)
}

// normalizeUserCode ignores case and punctuation in what a user typed
// (RFC 8628 §6.1).
func normalizeUserCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		case 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return r
		}
		return -1
	}, code)
}

// deviceMetadata adds RFC 8628 §4's device_authorization_endpoint and the
// grant type to the server metadata.
func (s *Server) deviceMetadata(meta map[string]any) {
	meta["device_authorization_endpoint"] = s.URL() + pathDeviceAuthorization
	meta["grant_types_supported"] = append(meta["grant_types_supported"].([]string), grantTypeDeviceCode)
}
