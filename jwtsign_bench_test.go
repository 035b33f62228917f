package oauth2flows

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows/internal/dpop"
	"github.com/oauth2flows/oauth2flows/internal/jws"
)

// Whether DPoP proofs could be built the way client assertions and request
// objects are (signJWT: golang-jwt encodes, crypto.Signer signs): the same
// proof (header typ, alg, jwk; claims jti, htm, htu, iat, ath) both ways,
// interleaved, ES256. The ratio is golang-jwt over the hand-built encoder.
//
//	go test -run '^$' -bench 'DPoPProofEncoders' -benchtime 2000x -count 3
func BenchmarkDPoPProofEncoders(b *testing.B) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	p, err := dpop.NewProver(key, "")
	if err != nil {
		b.Fatal(err)
	}
	jwk, _ := jws.PublicJWK(key.Public())
	u, _ := url.Parse("https://rs.example/api?x=1")
	ath := dpop.ATH("access-token")
	hand := func() {
		if _, err := p.Proof(dpop.Claims{Method: "GET", URL: u, ATH: ath}); err != nil {
			b.Fatal(err)
		}
	}
	viaJWT := func() {
		t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"jti": newJTI(), "htm": "GET", "htu": "https://rs.example/api", "iat": time.Now().Unix(), "ath": ath})
		t.Header["typ"] = "dpop+jwt"
		t.Header["jwk"] = json.RawMessage(jwk)
		if _, err := signJWT(t, key, "ES256", "DPoPKey"); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hand()
		}
	})
	b.Run("golang-jwt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			viaJWT()
		}
	})
	b.Run("ratio", func(b *testing.B) {
		var h, j []time.Duration
		for b.Loop() {
			t0 := time.Now()
			hand()
			t1 := time.Now()
			viaJWT()
			j = append(j, time.Since(t1))
			h = append(h, t1.Sub(t0))
		}
		b.ReportMetric(float64(medianDuration(j))/float64(medianDuration(h)), "golang-jwt/hand")
	})
}
