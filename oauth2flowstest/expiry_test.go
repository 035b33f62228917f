package oauth2flowstest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// TestTokensLiveAsLongAsAnnounced issues tokens at sub-second offsets of
// the server's clock: every token's exp (access, ID, managed identity)
// is no earlier than its issue time + the expires_in announced with it, and
// Protect accepts the access token until then.
func TestTokensLiveAsLongAsAnnounced(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	var clock atomic.Int64 // nanoseconds after base
	now := func() time.Time { return base.Add(time.Duration(clock.Load())) }
	offsets := []time.Duration{0, time.Nanosecond, time.Millisecond, 100 * time.Millisecond,
		500 * time.Millisecond, 700 * time.Millisecond, 999 * time.Millisecond, time.Second - time.Nanosecond}
	for _, lifetime := range []time.Duration{time.Second, 4 * time.Second, time.Hour} {
		srv := newServer(t, oauth2flowstest.WithClock(now), oauth2flowstest.WithAccessTokenLifetime(lifetime),
			oauth2flowstest.WithManagedIdentity(oauth2flowstest.ManagedIdentity{ClientID: "mi"}))
		api := srv.Protect("api://res", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		for _, off := range offsets {
			t.Run(fmt.Sprintf("%v+%v", lifetime, off), func(t *testing.T) {
				clock.Store(int64(off))
				issued := now()
				code := getCode(t, srv, "conf", nil)
				got := token(t, srv, codeForm(code, nil), confAuth)
				require.Equal(t, http.StatusOK, got.Status, got.Raw)
				in, ok := got.Body["expires_in"].(float64)
				require.True(t, ok, got.Raw)
				assert.Equal(t, lifetime/time.Second, time.Duration(in), "expires_in is the whole lifetime")
				announced := issued.Add(time.Duration(in) * time.Second)

				at := got.str("access_token")
				assertExpNotBefore(t, at, announced)
				assertExpNotBefore(t, got.str("id_token"), announced)
				clock.Store(int64(announced.Sub(base) - time.Nanosecond))
				assert.Equal(t, http.StatusOK, protectStatus(api, at), "accepted until issue+expires_in")
				clock.Store(int64(announced.Sub(base) + time.Second))
				assert.Equal(t, http.StatusUnauthorized, protectStatus(api, at), "refused a second after")

				clock.Store(int64(off) + int64(2*lifetime)) // past any cached managed identity token
				issued = now()
				mi := imdsToken(t, srv)
				in, err := strconv.ParseFloat(mi["expires_in"].(string), 64)
				require.NoError(t, err)
				assertExpNotBefore(t, mi["access_token"].(string), issued.Add(time.Duration(in)*time.Second))
			})
		}
	}
}

// assertExpNotBefore asserts that the JWT tok's exp is at or after at.
func assertExpNotBefore(t *testing.T, tok string, at time.Time) {
	t.Helper()
	exp, err := parseJWT(t, tok).GetExpirationTime()
	require.NoError(t, err)
	assert.False(t, exp.Before(at), "exp %v is before issue + expires_in %v", exp.UnixMilli(), at.UnixMilli())
}

// protectStatus is the status api answers a request with access token at.
func protectStatus(api http.Handler, at string) int {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+at)
	w := httptest.NewRecorder()
	api.ServeHTTP(w, r)
	return w.Code
}

// imdsToken gets a token for api://res from the server's emulated IMDS.
func imdsToken(t *testing.T, srv *oauth2flowstest.Server) map[string]any {
	t.Helper()
	q := url.Values{"api-version": {"2018-02-01"}, "resource": {"api://res"}}
	req, err := http.NewRequest(http.MethodGet, "http://169.254.169.254/metadata/identity/oauth2/token?"+q.Encode(), nil)
	require.NoError(t, err)
	req.Header.Set("Metadata", "true")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	return m
}
