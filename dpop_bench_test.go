package oauth2flows

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The DPoP hot path: a request through the Transport with a DPoP token (a
// proof with ath, the DPoP Authorization header, a no-op base) against the
// bare operation inside it, an ES256 signature (SHA-256, then
// ecdsa.SignASN1) of the same signing input with the same key. Issue 14's
// goal: <= 1.15x bare in ns/op, with a fixed number of allocations.
//
//	go test -run '^$' -bench 'TransportDPoP' -benchtime 1s -count 5

// captureBase answers like noopBase and keeps the last proof it was sent.
type captureBase struct {
	noopBase
	proof *string
}

func (b captureBase) RoundTrip(r *http.Request) (*http.Response, error) {
	*b.proof = r.Header.Get("DPoP")
	return b.resp, nil
}

// benchDPoP returns a request, a DPoP Transport over a no-op base, its key,
// and the signing input of a proof it sends for that request.
func benchDPoP(b *testing.B) (*http.Request, http.RoundTripper, *ecdsa.PrivateKey, []byte) {
	req, base := benchRequest(b)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	tok := &Token{}
	tok.AccessToken, tok.TokenType, tok.Expiry = strings.Repeat("t", 800), "DPoP", time.Now().Add(time.Hour)
	cfg := &Config{DPoPKey: key}
	var proof string
	capture := NewTransport(newGrantSource(cfg, tok, nil), WithBase(captureBase{base.(noopBase), &proof}))
	if _, err := capture.RoundTrip(req); err != nil {
		b.Fatal(err)
	}
	if proof == "" {
		b.Fatal("no proof sent")
	}
	rt := NewTransport(newGrantSource(cfg, tok, nil), WithBase(base))
	return req, rt, key, []byte(proof[:strings.LastIndexByte(proof, '.')])
}

func bareES256(b *testing.B, key *ecdsa.PrivateKey, input []byte) {
	d := sha256.Sum256(input)
	if _, err := ecdsa.SignASN1(rand.Reader, key, d[:]); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkTransportDPoP(b *testing.B) {
	req, rt, key, input := benchDPoP(b)
	b.Run("bare-ES256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bareES256(b, key, input)
		}
	})
	b.Run("transport", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rt.RoundTrip(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTransportDPoPRatio interleaves the two operations of
// BenchmarkTransportDPoP and reports the ratio of their per-iteration
// medians (transport/bare): load from other processes weighs on both alike.
func BenchmarkTransportDPoPRatio(b *testing.B) {
	req, rt, key, input := benchDPoP(b)
	var bare, full []time.Duration
	for b.Loop() {
		t0 := time.Now()
		bareES256(b, key, input)
		t1 := time.Now()
		if _, err := rt.RoundTrip(req); err != nil {
			b.Fatal(err)
		}
		full = append(full, time.Since(t1))
		bare = append(bare, t1.Sub(t0))
	}
	mb, mf := medianDuration(bare), medianDuration(full)
	b.ReportMetric(float64(mf)/float64(mb), "transport/bare")
	b.ReportMetric(float64(mb), "bare-ns")
	b.ReportMetric(float64(mf), "transport-ns")
}

// BenchmarkDPoPProver is what a one-shot call (ClientCredentials(ctx,
// cfg), ...) pays to build its Prover, next to a round trip to the server:
// the long-lived objects build it once per key.
func BenchmarkDPoPProver(b *testing.B) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	cfg := &Config{DPoPKey: key}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := newProver(cfg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		s := newDPoPSession(cfg)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.proverFor(cfg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func medianDuration(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
