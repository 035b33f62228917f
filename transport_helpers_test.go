package oauth2flows_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// resourceURL is the API of the Transport tests, answered by a
// [recordingBase] without a network.
const resourceURL = "https://api.example.test/v1/items"

// renewalFixture is a signed-in user of an oauth2flowstest server, for the
// Transport's renewals: every token request goes through the real grant
// path, and the server's log shows what went on the wire.
type renewalFixture struct {
	srv  *oauth2flowstest.Server
	cfg  *oauth2flows.Config // without retries: each request logged is one a renewal made
	seed *oauth2flows.Token  // the user's token as the server issued it
}

func newRenewalFixture(t *testing.T, opts ...oauth2flowstest.Option) *renewalFixture {
	t.Helper()
	srv, cfg, seed := signedIn(t, opts...)
	cfg.Retry = oauth2flows.RetryPolicy{MaxAttempts: 1}
	return &renewalFixture{srv: srv, cfg: cfg, seed: seed}
}

// expired is the user's token as loaded from storage after it expired.
func (f *renewalFixture) expired() *oauth2flows.Token {
	return token(f.seed.AccessToken, f.seed.RefreshToken, time.Now().Add(-time.Minute))
}

// valid is the user's token, valid for an hour.
func (f *renewalFixture) valid() *oauth2flows.Token {
	return token(f.seed.AccessToken, f.seed.RefreshToken, time.Now().Add(time.Hour))
}

// refreshes returns how many refresh_token grants the server got, and the
// refresh tokens they carried, in order.
func (f *renewalFixture) refreshes() (int, []string) { return refreshRequests(f.srv) }

// hold puts a [tokenGate] between the client and the server.
func (f *renewalFixture) hold(t *testing.T) *tokenGate {
	g := &tokenGate{next: f.srv.Client().Transport, opened: make(chan struct{})}
	f.cfg.HTTPClient = &http.Client{Transport: g}
	t.Cleanup(g.open) // never leave a renewal hanging
	return g
}

// tokenGate holds every request to the authorization server on the
// client's side of the network until it is opened, as a slow network
// would, so that a test can line callers up behind one renewal. It counts
// the requests it held, then hands them unchanged to the server.
type tokenGate struct {
	next   http.RoundTripper
	opened chan struct{}
	once   sync.Once
	held   atomic.Int32
}

func (g *tokenGate) RoundTrip(req *http.Request) (*http.Response, error) {
	g.held.Add(1)
	select {
	case <-g.opened:
	case <-req.Context().Done():
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, req.Context().Err()
	}
	return g.next.RoundTrip(req)
}

// open lets the held requests and every later one through.
func (g *tokenGate) open() { g.once.Do(func() { close(g.opened) }) }

// recordingBase is a resource server without a network: it records the
// Authorization and the body of each request and answers 200, or what
// answer says.
type recordingBase struct {
	mu     sync.Mutex
	auths  []string
	bodies []string
	answer func(req *http.Request) *http.Response
}

func (b *recordingBase) RoundTrip(req *http.Request) (*http.Response, error) {
	var body string
	if req.Body != nil {
		raw, _ := io.ReadAll(req.Body)
		req.Body.Close()
		body = string(raw)
	}
	b.mu.Lock()
	b.auths = append(b.auths, req.Header.Get("Authorization"))
	b.bodies = append(b.bodies, body)
	answer := b.answer
	b.mu.Unlock()
	if answer != nil {
		if resp := answer(req); resp != nil {
			return resp, nil
		}
	}
	return testResponse(req, http.StatusOK, nil), nil
}

// seen returns the Authorization of each request, in order.
func (b *recordingBase) seen() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.auths...)
}

// testResponse is a response of recordingBase.
func testResponse(req *http.Request, status int, header http.Header) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Header: header,
		Body: http.NoBody, Request: req, ProtoMajor: 1, ProtoMinor: 1,
	}
}

// invalidToken is a resource server's answer to a token it refuses
// (RFC 6750 §3.1).
func invalidToken(req *http.Request) *http.Response {
	return testResponse(req, http.StatusUnauthorized, http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}})
}

// get sends one GET through c under ctx, closing any body.
func get(ctx context.Context, c *http.Client, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	return resp, err
}

// blockedCtx counts the callers that have started to wait on it: a caller
// of the Transport asks for Done only when it blocks on a renewal.
type blockedCtx struct {
	context.Context
	blocked *atomic.Int32
	once    sync.Once
}

func (c *blockedCtx) Done() <-chan struct{} {
	c.once.Do(func() { c.blocked.Add(1) })
	return c.Context.Done()
}

// tokenSourceFunc is a TokenSource of user code.
type tokenSourceFunc func(ctx context.Context) (*oauth2flows.Token, error)

func (f tokenSourceFunc) Token(ctx context.Context) (*oauth2flows.Token, error) { return f(ctx) }
