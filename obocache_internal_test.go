package oauth2flows

import (
	"encoding/base64"
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
