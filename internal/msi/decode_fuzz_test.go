package msi

import (
	"net/http"
	"testing"
	"time"

	"github.com/oauth2flows/oauth2flows/internal/wire"
)

// FuzzDecode feeds token responses of any shape to Decode: it must never
// panic, and a token it accepts has an access token and an expiry.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"a","expires_in":"86399","expires_on":"1700000000","token_type":"Bearer"}`,
		`{"access_token":"a","expires_on":1700000000,"token_type":"Bearer"}`,
		`{"access_token":"a","expires_on":"09/14/2017 00:00:00"}`,
		`{"access_token":"a","expires_in":-1}`,
		`{"access_token":1}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	now := time.Unix(1_600_000_000, 0)
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, err := Decode(&wire.Response{Status: 200, Header: http.Header{}, Body: body}, now)
		if err != nil {
			return
		}
		if tok.AccessToken == "" || tok.Expiry.IsZero() || tok.ExpiresIn < 0 {
			t.Fatalf("accepted %q as %+v", body, tok)
		}
	})
}
