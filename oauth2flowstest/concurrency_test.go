package oauth2flowstest_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A stolen refresh token raced against its owner: exactly one wins, and
// the family is revoked for the others (RFC 9700 §4.14.2).
func TestConcurrentRefreshOfOneTokenLetsOneWin(t *testing.T) {
	srv := newServer(t)
	first := passwordTokens(t, srv, "read")
	const n = 8
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for range n {
		wg.Go(func() {
			form := refreshForm(first.str("refresh_token"), nil)
			req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", confAuth)
			resp, err := srv.Client().Do(req)
			if err == nil {
				statuses <- resp.StatusCode
				resp.Body.Close()
			}
			_ = srv.Requests()
		})
	}
	srv.InjectFault(oauth2flowstest.EndpointJWKS, 1, oauth2flowstest.Fault{})
	wg.Wait()
	close(statuses)
	ok := 0
	for s := range statuses {
		if s == http.StatusOK {
			ok++
		}
	}
	assert.Equal(t, 1, ok)
	require.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), n+1)
}

func TestUnknownPathIsRecordedAs404(t *testing.T) {
	srv := newServer(t)
	got := do(t, srv, mustGet(t, srv.URL()+"/nowhere"))
	assert.Equal(t, http.StatusNotFound, got.Status)
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "", reqs[0].Endpoint)
	assert.Equal(t, http.StatusNotFound, reqs[0].Status)
	srv.ResetRequests()
	assert.Empty(t, srv.Requests())
}
