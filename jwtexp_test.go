package oauth2flows

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expReference is what jwtExpiry must read: the claim named exactly "exp"
// (RFC 7519 §4), by encoding/json.
func expReference(raw []byte) (time.Time, bool) {
	num, ok := expByUnmarshal(raw)
	if !ok {
		return time.Time{}, false
	}
	exp, err := strconv.ParseFloat(num, 64)
	if err != nil || exp <= 0 || exp > 1<<40 {
		return time.Time{}, false
	}
	return time.Unix(int64(exp), 0), true
}

// requireSameExp checks jwtExpiry of a JWT whose payload is raw against
// json.Unmarshal of raw.
func requireSameExp(t *testing.T, raw []byte) {
	t.Helper()
	want, wantOK := expReference(raw)
	got, gotOK := jwtExpiry("eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(raw) + ".c2ln")
	require.Equal(t, wantOK, gotOK, "ok for %q", raw)
	require.Equal(t, want, got, "exp of %q", raw)
}

// TestJWTExpiryReadsWhatUnmarshalReads: the one-pass reader of exp agrees
// with json.Unmarshal on every corner of JSON a forged token may try.
func TestJWTExpiryReadsWhatUnmarshalReads(t *testing.T) {
	for _, payload := range []string{
		`{"exp":1900000000}`,
		` { "sub" : "alice" , "exp" : 1900000000 , "nbf" : 1 } `,
		`{"exp":1900000000,"exp":1800000000}`, // the last one counts
		`{"exp":1800000000,"exp":null}`,       // the last one counts, even null
		`{"exp":1800000000,"EXP":1900000000}`, // "EXP" is another claim (RFC 7519 §4)
		`{"exp":true,"exp":1900000000}`, `{"exp":"x","exp":1900000000}`, `{"exp":1900000000,"exp":"x"}`,
		`{"exp":null}`,
		`{"EXP":1900000000}`, `{"eXp":1900000000}`, // not exp
		`{"\u0065xp":1900000000}`, // an escaped name
		`{"exp":"1900000000"}`,    // a string holding a number
		`{"exp":"19e8"}`, `{"exp":" 1900000000"}`, `{"exp":"1900000000x"}`, `{"exp":""}`,
		`{"exp":"\u0031900000000"}`,
		`{"exp":true}`, `{"exp":false}`, `{"exp":{}}`, `{"exp":[1900000000]}`,
		`{"exp":1.9e9}`, `{"exp":1.9E+9}`, `{"exp":-0}`, `{"exp":0.5}`, `{"exp":1e400}`,
		`{"exp":01}`, `{"exp":1.}`, `{"exp":.5}`, `{"exp":1e}`, `{"exp":+1}`, `{"exp":--1}`,
		`{"exp":1900000000,}`, `{"exp":1900000000`, `{"exp" 1}`, `{exp:1}`, `{"exp":1}}`, `{"exp":1} x`,
		`{"exp":1900000000,"nested":{"exp":1,"a":[1,{"b":"\n"}]}}`, // only the top level counts
		`{"exp":1900000000,"bad":"` + "\x01" + `"}`,                // a control character
		`{"exp":1900000000,"bad":"\x"}`, `{"exp":1900000000,"u":"\u12G4"}`, `{"exp":1900000000,"u":"\u12"}`,
		`{"exp":1900000000,"t":tru}`, `{"exp":1900000000,"n":nul}`, `{"exp":1900000000,"a":[1,]}`,
		`{"exp":1900000000,"utf8":"` + "\xff\xfe" + `"}`,
		`{"exp":1900000000,"deep":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}`,
		`{"exp":1900000000,"deep":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
		`{"exp":1900000000,"deep":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
		`{}`, `[]`, `null`, `1900000000`, `"exp"`, ``, ` `, `{`, `}`, "\ufeff" + `{"exp":1900000000}`,
	} {
		requireSameExp(t, []byte(payload))
	}
}

// FuzzJWTExpiryReadsWhatUnmarshalReads: whatever the payload, the one-pass
// reader agrees with json.Unmarshal. Only then can it replace it: the exp
// decides how long a downstream token is served.
func FuzzJWTExpiryReadsWhatUnmarshalReads(f *testing.F) {
	for _, seed := range []string{`{"exp":1900000000}`, `{"EXP":"19e8","exp":null}`, `{"a":[{"exp":1}],"exp":2e9}`,
		`{"\u0065xp":1}`, `{"exp":1,}`, `[{"exp":1}]`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if base64.RawURLEncoding.EncodedLen(len(raw)) > maxJWTPayload {
			return
		}
		requireSameExp(t, raw)
	})
}

// BenchmarkJWTExpiry: the exp of an Entra-sized (1.5 KB) access token,
// read on every store hit of an OBOCache.
func BenchmarkJWTExpiry(b *testing.B) {
	claims := map[string]any{"aud": "api://middle", "iss": "https://login.microsoftonline.com/tid/v2.0",
		"iat": 1900000000, "nbf": 1900000000, "exp": 1900003600, "name": "Alice", "oid": "00000000-0000-0000-0000-000000000000",
		"scp": strings.Repeat("access_as_user ", 60), "sub": "alice", "tid": "tid", "ver": "2.0"}
	raw, err := json.Marshal(claims)
	require.NoError(b, err)
	token := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(raw) + ".c2ln"
	b.Run("one-pass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := jwtExpiry(token); !ok {
				b.Fatal("no exp")
			}
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := expReference(raw); !ok {
				b.Fatal("no exp")
			}
		}
	})
	exp, ok := jwtExpiry(token)
	assert.True(b, ok)
	assert.Equal(b, time.Unix(1900003600, 0), exp)
}
