package oauth2flows_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
)

func TestTransportSendsBearerWithoutChangingTheRequest(t *testing.T) {
	f := newRenewalFixture(t)
	base := &recordingBase{}
	tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.valid()), oauth2flows.WithBase(base))
	req, err := http.NewRequest(http.MethodGet, resourceURL, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")

	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()

	assert.Equal(t, []string{"Bearer " + f.seed.AccessToken}, base.seen())
	assert.Equal(t, "application/json", resp.Request.Header.Get("Accept"), "other headers are kept")
	assert.Empty(t, req.Header.Get("Authorization"), "the caller's request must not be modified")
	assert.Len(t, req.Header, 1)
	count, _ := f.refreshes()
	assert.Zero(t, count, "a valid token is sent as it is")
}

func TestTransportRefusesTokensThatAreNotBearer(t *testing.T) {
	tests := []struct {
		name            string
		tokenType       string
		issuedTokenType string
	}{
		{name: "NA", tokenType: "N_A"},
		{name: "SAML2Assertion", tokenType: "Bearer", issuedTokenType: oauth2flows.TokenTypeSAML2},
		{name: "DPoP", tokenType: "DPoP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRenewalFixture(t)
			tok := f.valid()
			tok.TokenType, tok.IssuedTokenType = tt.tokenType, tt.issuedTokenType
			base := &recordingBase{}
			client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, tok), oauth2flows.WithBase(base))}
			for range 2 {
				_, err := get(t.Context(), client, resourceURL)
				var tte *oauth2flows.TokenTypeError
				require.ErrorAs(t, err, &tte)
				assert.Equal(t, tt.tokenType, tte.TokenType)
				assert.Equal(t, tt.issuedTokenType, tte.IssuedTokenType)
				assert.NotContains(t, err.Error(), tok.AccessToken)
			}
			assert.Empty(t, base.seen(), "never sent")
			count, _ := f.refreshes()
			assert.Zero(t, count, "refused until it expires, not renewed")
		})
	}
}

func TestTransportWithForeignSource(t *testing.T) {
	tok := &oauth2.Token{AccessToken: "static", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	base := &recordingBase{answer: invalidToken}
	var saves atomic.Int32
	client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.FromOAuth2(oauth2.StaticTokenSource(tok)), oauth2flows.WithBase(base),
		oauth2flows.WithTokenSaver(func(context.Context, *oauth2flows.Token) error { saves.Add(1); return nil }))}

	resp, err := get(t.Context(), client, resourceURL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no newer token: the 401 is returned, not retried")
	assert.Equal(t, []string{"Bearer static"}, base.seen())
	assert.Equal(t, int32(1), saves.Load(), "the first token of a foreign source is new")
}

func TestTransportWithoutSourceFails(t *testing.T) {
	base := &recordingBase{}
	_, err := get(t.Context(), &http.Client{Transport: oauth2flows.NewTransport(nil, oauth2flows.WithBase(base))}, resourceURL)
	var ce *oauth2flows.ConfigError
	assert.ErrorAs(t, err, &ce)
	assert.Empty(t, base.seen())
}

func TestTransportSurvivesAPanicInUserCode(t *testing.T) {
	tests := []struct {
		name          string
		src           func(f *renewalFixture) oauth2flows.TokenSource
		opts          []oauth2flows.TransportOption
		wantRefreshes int
	}{
		{
			name: "TokenSource",
			src: func(*renewalFixture) oauth2flows.TokenSource {
				return tokenSourceFunc(func(context.Context) (*oauth2flows.Token, error) { panic("source broke") })
			},
		},
		{
			name: "Saver",
			src: func(f *renewalFixture) oauth2flows.TokenSource {
				return oauth2flows.RefreshTokenSource(f.cfg, f.expired())
			},
			opts: []oauth2flows.TransportOption{oauth2flows.WithTokenSaver(func(context.Context, *oauth2flows.Token) error { panic("saver broke") })},
			// The token is kept, unsaved: each caller retries the saver, not the refresh.
			wantRefreshes: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRenewalFixture(t)
			base := &recordingBase{}
			tr := oauth2flows.NewTransport(tt.src(f), append(tt.opts, oauth2flows.WithBase(base))...)
			client := &http.Client{Transport: tr}
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(func() {
					_, err := get(t.Context(), client, resourceURL)
					var pe *oauth2flows.PanicError
					assert.ErrorAs(t, err, &pe, "the panic reaches every caller as an error")
				})
			}
			wg.Wait()
			assert.Empty(t, base.seen())
			count, _ := f.refreshes()
			assert.Equal(t, tt.wantRefreshes, count)
		})
	}
}
