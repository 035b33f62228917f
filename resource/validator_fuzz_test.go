package resource_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows/resource"
)

// FuzzValidateAccessToken feeds untrusted tokens to Validate: it must never
// panic or hang, accept only what the issuer signed, and refuse with a
// *ValidationError that does not echo the token.
func FuzzValidateAccessToken(f *testing.F) {
	iss := newVIssuer(f)
	v := newTestValidator(f, iss, resource.Config{})
	b64 := base64.RawURLEncoding.EncodeToString
	valid := mintRS256(f, vClaims(iss.URL()))
	parts := strings.Split(valid, ".")
	for _, seed := range []string{
		valid,
		mint(f, jwt.SigningMethodES256, vECKey(), map[string]any{"kid": vKidEC}, vClaims(iss.URL())),
		mint(f, jwt.SigningMethodHS256, []byte("secret"), map[string]any{"kid": vKidRSA}, vClaims(iss.URL())),
		b64([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".",
		b64([]byte(`{"alg":"RS256","kid":"rsa-1","crit":["x"]}`)) + "." + parts[1] + "." + parts[2],
		b64([]byte(`{"alg":"RS256","kid":{"a":1}}`)) + "." + parts[1] + "." + parts[2],
		parts[0] + "." + b64([]byte(`{"exp":1e309,"aud":[1],"scp":{}}`)) + "." + parts[2],
		"...", "a.b.c", "", strings.Repeat(".", 100), "Bearer " + valid,
	} {
		f.Add(seed)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, token string) {
		p, err := v.Validate(ctx, token)
		if err == nil {
			if p.Issuer != iss.URL() || p.Raw != token {
				t.Fatalf("accepted a token with issuer %q", p.Issuer)
			}
			return
		}
		var ve *resource.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("not a *ValidationError: %T %v", err, err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "oauth2flows: ") {
			t.Fatalf("unprefixed error %q", msg)
		}
		if len(token) >= 24 && strings.Contains(msg, token) {
			t.Fatalf("the error echoes the token")
		}
	})
}
