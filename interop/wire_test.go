package interop

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// wireRequest is what a client sent to one endpoint.
type wireRequest struct {
	Form          url.Values
	Authorization string
	ContentType   string
}

// wire records the last request to each path of a server, so tests can
// assert what the SDK put on the wire as well as what came back.
type wire struct {
	mu   sync.Mutex
	last map[string]wireRequest
}

// record wraps next, recording POST bodies before next reads them.
func (w *wire) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, _ := url.ParseQuery(string(body))
			w.mu.Lock()
			if w.last == nil {
				w.last = map[string]wireRequest{}
			}
			w.last[r.URL.Path] = wireRequest{Form: form, Authorization: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type")}
			w.mu.Unlock()
		}
		next.ServeHTTP(rw, r)
	})
}

// lastTo returns the last POST to endpoint (a URL or a path).
func (w *wire) lastTo(t testing.TB, endpoint string) wireRequest {
	t.Helper()
	u, err := url.Parse(endpoint)
	require.NoError(t, err)
	w.mu.Lock()
	defer w.mu.Unlock()
	got, ok := w.last[u.Path]
	require.True(t, ok, "nothing was posted to %s", u.Path)
	return got
}
