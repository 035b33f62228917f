package oauth2flows_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/oauth2flows/oauth2flows"
)

// tokenFake is the one hand-made token endpoint of the root tests, for
// answers oauth2flowstest would never give (malformed, hostile or canned
// bodies). Anything a real server would say is asked of oauth2flowstest.
// It answers with a fixed status, content type, header and body, or with
// what respond returns for the raw request body, and records the last
// request it saw.
type tokenFake struct {
	status  int
	ctype   string
	body    string
	header  http.Header
	respond func(r *http.Request, rawBody string) (status int, body string)

	url string // set by newTokenFake

	mu   sync.Mutex
	form url.Values
	auth string
	hits int
}

// newTokenFake starts f on loopback until the test ends.
func newTokenFake(tb testing.TB, f *tokenFake) *tokenFake {
	tb.Helper()
	srv := httptest.NewServer(f)
	tb.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *tokenFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(raw))
	f.mu.Lock()
	f.form, f.auth = form, r.Header.Get("Authorization")
	f.hits++
	f.mu.Unlock()
	for k, v := range f.header {
		w.Header()[k] = v
	}
	if f.ctype != "" {
		w.Header().Set("Content-Type", f.ctype)
	}
	status, body := f.status, f.body
	if f.respond != nil {
		status, body = f.respond(r, string(raw))
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// fakeConfig starts f and returns a confidential client's Config for it,
// without retries, its token endpoint at /token and revocation at /revoke.
func fakeConfig(tb testing.TB, f *tokenFake) *oauth2flows.Config {
	tb.Helper()
	newTokenFake(tb, f)
	return &oauth2flows.Config{
		ClientID:     "client-1",
		ClientSecret: "s3cr3t-p@ss:w+rd/=%&?",
		Endpoint:     oauth2flows.Endpoint{TokenURL: f.url + "/token", RevocationURL: f.url + "/revoke"},
		Retry:        oauth2flows.RetryPolicy{MaxAttempts: 1},
	}
}
