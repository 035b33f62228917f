package oauth2flows

import (
	"encoding/base64"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func jwtWithPayload(payload string) string {
	return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
}

func TestJWTExpiryReadsOnlyAWellFormedExp(t *testing.T) {
	tests := []struct {
		name  string
		token string
		want  int64 // 0: not read
	}{
		{name: "Integer", token: jwtWithPayload(`{"exp":1900000000}`), want: 1900000000},
		{name: "Float", token: jwtWithPayload(`{"exp":1900000000.5}`), want: 1900000000},
		{name: "Padded", token: "eyJhbGciOiJSUzI1NiJ9." + base64.URLEncoding.EncodeToString([]byte(`{"exp":1900000000}`)) + ".c2ln", want: 1900000000},
		{name: "NoExp", token: jwtWithPayload(`{"sub":"alice"}`)},
		{name: "Negative", token: jwtWithPayload(`{"exp":-1}`)},
		{name: "Huge", token: jwtWithPayload(`{"exp":1e300}`)},
		{name: "TwoParts", token: "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"exp":1900000000}`))},
		{name: "FourParts", token: jwtWithPayload(`{"exp":1900000000}`) + ".x"},
		{name: "Opaque", token: "opaque-reference-token"},
		{name: "NotBase64", token: "a.!!!.c"},
		{name: "PayloadTooLong", token: jwtWithPayload(`{"exp":1900000000,"pad":"` + strings.Repeat("x", 40<<10) + `"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, ok := jwtExpiry(tt.token)
			assert.Equal(t, tt.want != 0, ok)
			if tt.want != 0 {
				assert.Equal(t, time.Unix(tt.want, 0), exp)
			}
		})
	}
}

// TestJWTExpiryOfAMegabyteOfDotsAllocatesLittle: strings.Split on untrusted
// input allocated 16 MiB for 1 MiB of dots (CVE-2025-30204's bug class).
func TestJWTExpiryOfAMegabyteOfDotsAllocatesLittle(t *testing.T) {
	dots := strings.Repeat(".", 1<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		_, ok := jwtExpiry(dots)
		assert.False(t, ok)
	}
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<10), "bytes allocated for 10 reads")
}

// FuzzJWTExpiry: whatever the assertion, reading its exp never panics, and
// an exp is read only from a token of three parts, within range.
func FuzzJWTExpiry(f *testing.F) {
	f.Add(jwtWithPayload(`{"exp":1900000000}`))
	f.Add(jwtWithPayload(`{"exp":1.9e9,"exp":2}`))
	f.Add("a..b")
	f.Add("...")
	f.Add("opaque")
	f.Fuzz(func(t *testing.T, token string) {
		exp, ok := jwtExpiry(token)
		if !ok {
			return
		}
		if strings.Count(token, ".") != 2 {
			t.Fatalf("exp read from a token of %d parts", strings.Count(token, ".")+1)
		}
		if exp.Unix() <= 0 || exp.Unix() > 1<<40 {
			t.Fatalf("exp %d out of range", exp.Unix())
		}
	})
}

// bearerReference is bearerToken as it was written before its table: the
// fuzz target checks the two agree.
func bearerReference(h []string) (string, bool) {
	if len(h) != 1 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(h[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	s := strings.TrimRight(tok, "=")
	if s == "" {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			return "", false
		}
	}
	return tok, true
}

// bearerToken is what OBOCache.Middleware exchanges under
// WithInsecureUnvalidatedTokens: bearerCredentials, then isB64Token.
func bearerToken(r *http.Request) (string, error) {
	tok, err := bearerCredentials(r)
	if err == nil && !isB64Token(tok) {
		return "", errMalformedBearer
	}
	return tok, err
}

// FuzzBearerToken: the Authorization header is untrusted input. bearerToken
// never panics and accepts exactly what RFC 6750 §2.1's b64token allows.
func FuzzBearerToken(f *testing.F) {
	f.Add("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln")
	f.Add("bearer abc==")
	f.Add("Bearer a b")
	f.Add("Bearer ")
	f.Add("Basic YWxhZGRpbjpvcGVuc2VzYW1l")
	f.Add("Bearer \x80\xff")
	f.Fuzz(func(t *testing.T, header string) {
		r := &http.Request{Header: http.Header{"Authorization": {header}}}
		got, err := bearerToken(r)
		want, ok := bearerReference([]string{header})
		if ok != (err == nil) || got != want {
			t.Fatalf("bearerToken(%q) = %q, %v; want %q, %v", header, got, err, want, ok)
		}
	})
}

// BenchmarkBearerToken reads the bearer of a 1.5 KB token: "table" is
// bearerToken, "comparisons" the check it replaced, in the same run.
func BenchmarkBearerToken(b *testing.B) {
	tok := jwtWithPayload(`{"sub":"alice","exp":1900000000,"pad":"`+strings.Repeat("x", 1000)+`"}`) + strings.Repeat("s", 300)
	r := &http.Request{Header: http.Header{"Authorization": {"Bearer " + tok}}}
	b.Run("table", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(tok)))
		for b.Loop() {
			if _, err := bearerToken(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("comparisons", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(tok)))
		for b.Loop() {
			if _, ok := bearerReference(r.Header["Authorization"]); !ok {
				b.Fatal("refused")
			}
		}
	})
}
