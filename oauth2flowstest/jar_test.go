package oauth2flowstest_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// Request objects (RFC 9101 §4) pushed by a client that must send them
// (require_signed_request_object): verified with the client's registered
// key, and refused whatever is wrong.
func TestPARRequestObjects(t *testing.T) {
	k := keys()
	jarClient := oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "jar", Secret: "s", PublicKey: &k.ec.PublicKey,
		RedirectURIs: []string{redirect}, RequireSignedRequestObject: true})
	sign := func(method jwt.SigningMethod, key any, edit func(c jwt.MapClaims, h map[string]any)) string {
		now := time.Now()
		c := jwt.MapClaims{"iss": "jar", "client_id": "jar", "response_type": "code", "redirect_uri": redirect,
			"scope": "openid", "state": "st", "code_challenge": challenge, "code_challenge_method": "S256",
			"nbf": now.Unix(), "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": "j1"}
		tok := jwt.NewWithClaims(method, c)
		tok.Header["typ"] = "oauth-authz-req+jwt"
		if edit != nil {
			edit(c, tok.Header)
		}
		s, err := tok.SignedString(key)
		require.NoError(t, err)
		return s
	}
	tests := []struct {
		name    string
		request func(aud string) string
		wantErr string
	}{
		{"Good", func(aud string) string {
			return sign(jwt.SigningMethodES256, k.ec, func(c jwt.MapClaims, _ map[string]any) { c["aud"] = aud })
		}, ""},
		{"None", func(aud string) string {
			return sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, func(c jwt.MapClaims, _ map[string]any) { c["aud"] = aud })
		}, "invalid_request_object"},
		{"OtherKey", func(aud string) string {
			return sign(jwt.SigningMethodRS256, k.rsa, func(c jwt.MapClaims, _ map[string]any) { c["aud"] = aud })
		}, "invalid_request_object"},
		{"WrongAudience", func(string) string {
			return sign(jwt.SigningMethodES256, k.ec, func(c jwt.MapClaims, _ map[string]any) { c["aud"] = "https://elsewhere" })
		}, "invalid_request_object"},
		{"NoNbf", func(aud string) string {
			return sign(jwt.SigningMethodES256, k.ec, func(c jwt.MapClaims, _ map[string]any) { c["aud"] = aud; delete(c, "nbf") })
		}, "invalid_request_object"},
		{"NoExp", func(aud string) string {
			return sign(jwt.SigningMethodES256, k.ec, func(c jwt.MapClaims, _ map[string]any) { c["aud"] = aud; delete(c, "exp") })
		}, "invalid_request_object"},
		{"WrongTyp", func(aud string) string {
			return sign(jwt.SigningMethodES256, k.ec, func(c jwt.MapClaims, h map[string]any) { c["aud"] = aud; h["typ"] = "JWT" })
		}, "invalid_request_object"},
		{"AnotherClientID", func(aud string) string {
			return sign(jwt.SigningMethodES256, k.ec, func(c jwt.MapClaims, _ map[string]any) { c["aud"] = aud; c["client_id"] = "conf" })
		}, "invalid_request_object"},
		{"Missing", nil, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, jarClient)
			form := url.Values{"client_id": {"jar"}}
			if tt.request != nil {
				form.Set("request", tt.request(srv.URL()))
			} else {
				form = pushedParams(url.Values{"client_id": {"jar"}})
			}
			got := post(t, srv, "/par", form, basic("jar", "s"))
			if tt.wantErr == "" {
				assert.Equal(t, 201, got.Status, got.Raw)
				assert.NotEmpty(t, got.str("request_uri"))
				return
			}
			assert.Equal(t, 400, got.Status, got.Raw)
			assert.Equal(t, tt.wantErr, got.str("error"))
		})
	}
}
