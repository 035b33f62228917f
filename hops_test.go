package oauth2flows_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// TestExchangeCodeHops is the path whose length CHANGELOG.md counts:
// ExchangeCode with DPoP and private_key_jwt through a use_dpop_nonce
// retry, against a hand-written server that runs no code of this module.
// Count the functions it runs with
//
//	go test -run TestExchangeCodeHops -coverpkg=./,./internal/... -coverprofile=/tmp/hops.out . &&
//	go tool cover -func=/tmp/hops.out | awk '$NF!="0.0%"' | grep -v '^total'
func TestExchangeCodeHops(t *testing.T) {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "application/json")
		if n == 1 {
			w.Header().Set("DPoP-Nonce", "n-1")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"use_dpop_nonce"}`))
			return
		}
		w.Header().Set("DPoP-Nonce", "n-2")
		_, _ = w.Write([]byte(`{"access_token":"at","token_type":"DPoP","expires_in":60}`))
	}))
	defer srv.Close()
	cfg := &oauth2flows.Config{
		ClientID:   "c",
		PrivateKey: ecKey(t),
		DPoPKey:    ecKey(t),
		Endpoint:   oauth2flows.Endpoint{TokenURL: srv.URL + "/token"},
	}
	tok, err := oauth2flows.ExchangeCode(context.Background(), cfg, "code")
	require.NoError(t, err)
	require.Equal(t, "DPoP", tok.TokenType)
	require.Equal(t, 2, n)
}
