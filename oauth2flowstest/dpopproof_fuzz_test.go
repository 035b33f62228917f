package oauth2flowstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerifyProof feeds arbitrary DPoP headers to the proof verifier: it
// must refuse or accept, never panic, and never accept without a key.
func FuzzVerifyProof(f *testing.F) {
	s := NewServer()
	f.Cleanup(s.Close)
	const htu = "http://127.0.0.1/token"
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk := publicJWK(&k.PublicKey, "")
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"jti": "seed", "htm": "POST", "htu": htu, "iat": time.Now().Unix()})
	tok.Header["typ"], tok.Header["jwk"] = "dpop+jwt", jwk
	seed, _ := tok.SignedString(k)
	f.Add(seed)
	f.Add("a.b.c")
	f.Add("eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2In0.e30.")
	f.Fuzz(func(t *testing.T, proof string) {
		r := httptest.NewRequest("POST", htu, nil)
		r.Header.Set("DPoP", proof)
		p, refusal := s.verifyProof(r, proofCheck{htu: htu}, s.store.asNonces, false)
		if !p.present {
			t.Fatal("a DPoP header was not seen")
		}
		if refusal == nil && p.jkt == "" {
			t.Fatal("accepted a proof without a key thumbprint")
		}
	})
}

// FuzzProofKey feeds arbitrary jwk headers to the key reader.
func FuzzProofKey(f *testing.F) {
	f.Add(`{"kty":"EC","crv":"P-256","x":"` + base64.RawURLEncoding.EncodeToString(make([]byte, 32)) + `","y":"AA"}`)
	f.Add(`{"kty":"RSA","n":"AQAB","e":"AQAB"}`)
	f.Add(`{"kty":"oct","k":"AA"}`)
	f.Fuzz(func(t *testing.T, raw string) {
		var v any
		if json.Unmarshal([]byte(raw), &v) != nil {
			return
		}
		key, thumb, reason := proofKey(v)
		if reason == "" && (key == nil || len(thumb) != 43) {
			t.Fatalf("accepted %s without a key or thumbprint", raw)
		}
	})
}
