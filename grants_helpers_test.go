package oauth2flows_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// Fixtures of the grant tests. Each secret is distinctive so that a leak
// into an error string is found by [leakWatch].
const (
	gClientID   = "grants-app"
	gSecret     = "gr4nts-s3cret-value"
	gPublicID   = "grants-spa"
	gRedirect   = "http://127.0.0.1/callback"
	gUser       = "alice"
	gPassword   = "al1ce-p4ssw0rd-value"
	gScopeRead  = "read"
	gScopeWrite = "write"
)

// grantServer starts an oauth2flowstest server with a confidential client,
// a public client and a user, plus any extra options.
func grantServer(t *testing.T, opts ...oauth2flowstest.Option) *oauth2flowstest.Server {
	t.Helper()
	base := []oauth2flowstest.Option{
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: gClientID, Secret: gSecret, RedirectURIs: []string{gRedirect}}),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: gPublicID, AuthMethod: oauth2flowstest.AuthNone, RedirectURIs: []string{gRedirect}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: gUser, Password: gPassword}),
	}
	srv := oauth2flowstest.NewServer(append(base, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

// confidential is a Config for the confidential client, without retries so
// every request the server records is one the test made.
func confidential(srv *oauth2flowstest.Server) *oauth2flows.Config {
	return &oauth2flows.Config{
		ClientID:     gClientID,
		ClientSecret: gSecret,
		Endpoint:     srv.Endpoint(),
		RedirectURL:  gRedirect,
		Scopes:       []string{gScopeRead, gScopeWrite},
		Retry:        oauth2flows.RetryPolicy{MaxAttempts: 1},
	}
}

// public is a Config for the public client (RFC 6749 §2.1).
func public(srv *oauth2flowstest.Server) *oauth2flows.Config {
	cfg := confidential(srv)
	cfg.ClientID, cfg.ClientSecret = gPublicID, ""
	return cfg
}

// authorize sends the user agent to the authorization URL through the
// test server's own browser, oauth2flowstest.Server.Authorize, and returns
// the redirect it answered with.
func authorize(t *testing.T, srv *oauth2flowstest.Server, authURL string) string {
	t.Helper()
	require.NotEmpty(t, authURL, "AuthCodeURL refused")
	loc, err := srv.Authorize(context.Background(), authURL)
	require.NoError(t, err, "the authorization endpoint must redirect")
	require.True(t, strings.HasPrefix(loc.String(), gRedirect), "redirected to %q", loc)
	return loc.String()
}

// codeFor runs the authorization request with PKCE and returns a fresh code
// and its verifier.
func codeFor(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config) (code, verifier string) {
	t.Helper()
	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
	loc := authorize(t, srv, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier)))
	code, err := oauth2flows.ParseCallbackURL(cfg, loc, state)
	require.NoError(t, err)
	return code, verifier
}

// leakWatch collects the errors a test produced and, when the test ends,
// fails it if any error string holds a credential: the client secret, the
// password, or any code, verifier, token or assertion that crossed the wire
// according to the server's request log, or that the test registered.
type leakWatch struct {
	mu      sync.Mutex
	errs    []error
	secrets []string
}

// sensitiveWire are the form fields whose values must never be repeated.
var sensitiveWire = []string{
	"code", "code_verifier", "client_secret", "client_assertion", "refresh_token",
	"password", "token", "access_token", "assertion", "subject_token", "actor_token",
}

func watchLeaks(t *testing.T, srv *oauth2flowstest.Server) *leakWatch {
	t.Helper()
	w := &leakWatch{secrets: []string{gSecret, gPassword}}
	t.Cleanup(func() {
		for _, msg := range w.leaks(srv) {
			t.Errorf("error string %q leaks a credential", msg)
		}
	})
	return w
}

// leaks returns the recorded error strings that hold a credential.
func (w *leakWatch) leaks(srv *oauth2flowstest.Server) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	secrets := append([]string(nil), w.secrets...)
	if srv != nil {
		for _, r := range srv.Requests() {
			for _, f := range sensitiveWire {
				secrets = append(secrets, r.Form[f]...)
			}
			if a := r.Header.Get("Authorization"); a != "" {
				secrets = append(secrets, a, strings.TrimPrefix(a, "Basic "))
			}
		}
	}
	var out []string
	for _, err := range w.errs {
		msg := err.Error()
		for _, s := range secrets {
			if len(s) >= 6 && strings.Contains(msg, s) {
				out = append(out, msg)
				break
			}
		}
	}
	return out
}

// err records err for the leak check and returns it.
func (w *leakWatch) err(err error) error {
	if err != nil {
		w.mu.Lock()
		w.errs = append(w.errs, err)
		w.mu.Unlock()
	}
	return err
}

// secret registers values that never crossed the wire in a form, such as a
// code read from a redirect or a token that came back.
func (w *leakWatch) secret(vs ...string) {
	w.mu.Lock()
	w.secrets = append(w.secrets, vs...)
	w.mu.Unlock()
}
