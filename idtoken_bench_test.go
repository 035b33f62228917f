package oauth2flows_test

import (
	"context"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows"
)

// BenchmarkVerifyIDToken compares VerifyIDToken, with a cached KeySet, to
// the bare ES256 signature check golang-jwt does with the key in hand: the
// ratio is the cost of the key lookup and of every §3.1.3.7 check.
//
//	go test -run '^$' -bench VerifyIDToken -benchmem -count 6 .
func BenchmarkVerifyIDToken(b *testing.B) {
	iss := newOIDCIssuer(b)
	cfg := iss.config()
	cfg.KeySet = oauth2flows.NewKeySet(cfg.Endpoint.JWKSURL, nil)
	tok := tokenWith(iss.sign(b, jwt.SigningMethodES256, "ec", iss.claims()))
	ctx := context.Background()
	if _, err := tok.VerifyIDToken(ctx, cfg, oidcNonce); err != nil {
		b.Fatal(err)
	}
	b.Run("bare-golang-jwt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jwt.Parse(tok.IDToken, func(*jwt.Token) (any, error) { return &iss.ec.PublicKey, nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("VerifyIDToken", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tok.VerifyIDToken(ctx, cfg, oidcNonce); err != nil {
				b.Fatal(err)
			}
		}
	})
}
