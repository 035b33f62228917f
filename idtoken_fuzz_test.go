package oauth2flows_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows"
)

// FuzzVerifyIDToken feeds untrusted ID tokens to the verifier: it must
// never panic, must refuse with an *IDTokenError that does not repeat the
// token, and may accept only a token the issuer signed.
func FuzzVerifyIDToken(f *testing.F) {
	iss := newOIDCIssuer(f)
	cfg := iss.config()
	cfg.KeySet = oauth2flows.NewKeySet(cfg.Endpoint.JWKSURL, nil)
	f.Add(iss.sign(f, jwt.SigningMethodES256, "ec", iss.claims()))
	f.Add(iss.sign(f, jwt.SigningMethodPS256, "rsa", iss.claims()))
	f.Add(unsigned(f, map[string]any{"alg": "none"}, iss.claims(), ""))
	f.Add(unsigned(f, map[string]any{"alg": "ES256", "kid": 7, "crit": []string{"x"}}, jwt.MapClaims{"aud": []any{1, "x"}, "exp": "soon"}, "AAAA"))
	f.Add(strings.Repeat(".", 1000))
	f.Add("eyJhbGciOiJFUzI1NiJ9..")
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := (&oauth2flows.Token{IDToken: raw}).VerifyIDToken(context.Background(), cfg, "")
		if err == nil {
			if c.Subject != "user-1" || c.Issuer != iss.srv.URL {
				t.Fatalf("accepted claims the issuer did not sign")
			}
			return
		}
		var ie *oauth2flows.IDTokenError
		if !errors.As(err, &ie) {
			t.Fatalf("error %T is not an *IDTokenError: %v", err, err)
		}
		if len(raw) > 16 && strings.Contains(err.Error(), raw) {
			t.Fatalf("the error repeats the token")
		}
	})
}
