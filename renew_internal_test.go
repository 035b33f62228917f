package oauth2flows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRefreshSkewRenewsHalfwayThroughShortLifetimes(t *testing.T) {
	tests := []struct {
		name     string
		lifetime time.Duration
		skew     time.Duration
		want     time.Duration // renewal starts this long before expiry
	}{
		{name: "LongToken", lifetime: time.Hour, skew: time.Minute, want: time.Minute},
		{name: "ExactlyTwiceTheSkew", lifetime: 2 * time.Minute, skew: time.Minute, want: time.Minute},
		{name: "ShortTokenHalfway", lifetime: 30 * time.Second, skew: time.Minute, want: 15 * time.Second},
		{name: "NoSkew", lifetime: time.Hour, skew: 0, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := &Token{}
			tok.AccessToken, tok.RefreshToken, tok.TokenType = "at", "rt", "Bearer"
			tok.Expiry = time.Now().Add(tt.lifetime)
			st := newTokenState(tok, tt.skew, true, nil)
			assert.InDelta(t, tt.want.Seconds(), tok.Expiry.Sub(st.refreshAt).Seconds(), 0.05)
			assert.True(t, !st.refreshAt.After(st.expireAt) || tt.skew == 0, "renewed before it stops being sent")
		})
	}
}
