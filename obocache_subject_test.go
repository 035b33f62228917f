package oauth2flows_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// samlSubject is a base64 SAML assertion for user: of one length for every
// user, and alike in its first and last kilobyte, where the XML is the
// same.
func samlSubject(user string) string {
	xml := `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_` + fmt.Sprintf("%040x", user) + `">` +
		fmt.Sprintf("%01024d", 0) + `<saml:Subject><saml:NameID>` + user + `</saml:NameID></saml:Subject>` +
		fmt.Sprintf("%01024d", 0) + `</saml:AttributeStatement></saml:Assertion>`
	return base64.StdEncoding.EncodeToString([]byte(xml))
}

// Non-JWT subject tokens that end alike (SAML's closing tags) keep an entry
// each: two users taking turns cost 2 exchanges, not 6. (The index keyed
// them by their last 64 bytes, so each evicted the other.)
func TestOBOCacheNonJWTSubjectTokensKeepAnEntryEach(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		mu.Lock()
		sent = append(sent, r.PostForm.Get("subject_token"))
		n := len(sent)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":"downstream-%d","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":3600}`, n)
	}))
	t.Cleanup(srv.Close)
	cfg := &oauth2flows.Config{ClientID: "middle", ClientSecret: "middle-secret", Scopes: []string{"api://b/.default"},
		Endpoint: oauth2flows.Endpoint{TokenURL: srv.URL + "/token"}}
	cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithTokenExchangeGrant())
	alice, bob := samlSubject("alice"), samlSubject("bobby")
	require.Equal(t, len(alice), len(bob))
	require.Equal(t, alice[len(alice)-128:], bob[len(bob)-128:], "they end alike")
	require.Equal(t, alice[:64], bob[:64], "and start alike")

	ctx := context.Background()
	opt := oauth2flows.WithSubjectTokenType(oauth2flows.TokenTypeSAML2)
	got := map[string]string{}
	for range 3 {
		for _, user := range []string{alice, bob} {
			tok, err := cache.Token(ctx, user, opt)
			require.NoError(t, err)
			if first, ok := got[user]; ok {
				assert.Equal(t, first, tok.AccessToken, "served from the cache")
			}
			got[user] = tok.AccessToken
		}
	}
	assert.Equal(t, []string{alice, bob}, sent, "one exchange per user, each of its own token")
	assert.NotEqual(t, got[alice], got[bob])
}
