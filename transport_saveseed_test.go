package oauth2flows_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// The token a Transport starts with, straight from ExchangeCode, reaches the
// saver with WithSaveInitialToken, once and before its first use; without
// the option it does not (it is the caller's, and usually saved already).
func TestTransportSaveInitialToken(t *testing.T) {
	tests := []struct {
		name      string
		opts      []oauth2flows.TransportOption
		saverErr  error
		wantSaved int
		wantErr   bool
	}{
		{name: "default: not saved", wantSaved: 0},
		{name: "WithSaveInitialToken: saved once", opts: []oauth2flows.TransportOption{oauth2flows.WithSaveInitialToken()}, wantSaved: 1},
		{name: "a failing saver keeps it from use", opts: []oauth2flows.TransportOption{oauth2flows.WithSaveInitialToken()}, saverErr: errors.New("disk full"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRenewalFixture(t)
			seed := f.valid()
			var mu sync.Mutex
			var saved []string
			base := &recordingBase{}
			opts := append([]oauth2flows.TransportOption{oauth2flows.WithBase(base),
				oauth2flows.WithTokenSaver(func(_ context.Context, tok *oauth2flows.Token) error {
					mu.Lock()
					defer mu.Unlock()
					if tt.saverErr != nil {
						return tt.saverErr
					}
					saved = append(saved, tok.AccessToken)
					return nil
				})}, tt.opts...)
			client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, seed), opts...)}

			for range 3 {
				resp, err := get(t.Context(), client, resourceURL)
				if tt.wantErr {
					var se *oauth2flows.SaveError
					require.ErrorAs(t, err, &se)
					continue
				}
				require.NoError(t, err)
				resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			assert.Len(t, saved, tt.wantSaved)
			for _, s := range saved {
				assert.True(t, s == seed.AccessToken, "the initial token is what was saved")
			}
			if tt.wantErr {
				assert.Empty(t, base.seen(), "an unsaved token is never sent")
			} else {
				assert.Len(t, base.seen(), 3)
			}
			count, _ := f.refreshes()
			assert.Zero(t, count, "saving the initial token renews nothing")
		})
	}
}
