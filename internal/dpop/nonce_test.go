package dpop_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/internal/dpop"
)

func TestParseNonce(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string // "" when refused
	}{
		{"valid", []string{"eyJ7S_zG.eyJH0-Z.HX4w-7v"}, "eyJ7S_zG.eyJH0-Z.HX4w-7v"},
		{"OWS trimmed", []string{" \tabc \t"}, "abc"},
		{"all NQCHAR", []string{"!#[]~"}, "!#[]~"},
		{"absent", nil, ""},
		{"empty", []string{""}, ""},
		{"twice", []string{"a", "b"}, ""},
		{"quote", []string{`a"b`}, ""},
		{"backslash", []string{`a\b`}, ""},
		{"space inside", []string{"a b"}, ""},
		{"control", []string{"a\x01b"}, ""},
		{"non-ASCII", []string{"nonce\xc3\xa9"}, ""},
		{"longest", []string{strings.Repeat("n", dpop.MaxNonceLen)}, strings.Repeat("n", dpop.MaxNonceLen)},
		{"too long", []string{strings.Repeat("n", dpop.MaxNonceLen+1)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.values {
				h.Add("DPoP-Nonce", v)
			}
			got, ok := dpop.ParseNonce(h)
			assert.Equal(t, tt.want != "", ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNoncesPerOrigin(t *testing.T) {
	var n dpop.Nonces
	as := mustURL(t, "https://as.example/token")
	h := http.Header{"Dpop-Nonce": {"as-1"}}
	got, ok := n.Remember(as, h)
	require.True(t, ok)
	assert.Equal(t, "as-1", got)

	// Same origin, spelled differently, other path: same nonce (RFC 9449
	// §8: the nonce belongs to the server, not the endpoint).
	assert.Equal(t, "as-1", n.Nonce(mustURL(t, "HTTPS://AS.example:443/par?x=1")))
	// Other origins: none.
	for _, other := range []string{"http://as.example/token", "https://as.example:8443/token", "https://rs.example/api"} {
		assert.Empty(t, n.Nonce(mustURL(t, other)), other)
	}

	n.Set(mustURL(t, "https://rs.example/api"), "rs-1")
	assert.Equal(t, "rs-1", n.Nonce(mustURL(t, "https://rs.example/other")))
	assert.Equal(t, "as-1", n.Nonce(as))

	// A newer nonce replaces the old; junk is ignored and keeps it.
	_, ok = n.Remember(as, http.Header{"Dpop-Nonce": {"as-2"}})
	require.True(t, ok)
	_, ok = n.Remember(as, http.Header{"Dpop-Nonce": {`bad"nonce`}})
	require.False(t, ok)
	_, ok = n.Remember(as, http.Header{})
	require.False(t, ok)
	assert.Equal(t, "as-2", n.Nonce(as))

	// Unusable URLs are ignored.
	n.Set(nil, "x")
	n.Set(mustURL(t, "/relative"), "x")
	assert.Empty(t, n.Nonce(nil))
	assert.Empty(t, n.Nonce(mustURL(t, "/relative")))
}

func TestNoncesBounded(t *testing.T) {
	n := dpop.Nonces{MaxOrigins: 4}
	origin := func(i int) string { return fmt.Sprintf("https://s%d.example/", i) }
	for i := range 10 {
		n.Set(mustURL(t, origin(i)), fmt.Sprintf("n%d", i))
	}
	// The four newest origins remain, the older ones are forgotten.
	for i := range 10 {
		got := n.Nonce(mustURL(t, origin(i)))
		if i < 6 {
			assert.Empty(t, got, origin(i))
		} else {
			assert.Equal(t, fmt.Sprintf("n%d", i), got, origin(i))
		}
	}
	// Updating a remembered origin evicts nothing.
	n.Set(mustURL(t, origin(6)), "again")
	for i := 6; i < 10; i++ {
		assert.NotEmpty(t, n.Nonce(mustURL(t, origin(i))))
	}
}

// TestNoncesConcurrent runs under -race: requests to several servers read
// and replace nonces at once.
func TestNoncesConcurrent(t *testing.T) {
	n := dpop.Nonces{MaxOrigins: 8}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				u := mustURL(t, fmt.Sprintf("https://s%d.example/token", (g+i)%12))
				n.Set(u, fmt.Sprintf("n-%d-%d", g, i))
				if got := n.Nonce(u); got != "" && got != "r" && !strings.HasPrefix(got, "n-") {
					t.Errorf("nonce %q", got)
				}
				n.Remember(u, http.Header{"Dpop-Nonce": {"r"}})
			}
		}()
	}
	wg.Wait()
	count := 0
	for i := range 12 {
		if n.Nonce(mustURL(t, fmt.Sprintf("https://s%d.example/", i))) != "" {
			count++
		}
	}
	assert.LessOrEqual(t, count, 8)
}

func FuzzParseNonce(f *testing.F) {
	for _, s := range []string{"eyJ7S_zG.eyJH0-Z.HX4w-7v", " a ", `a"b`, "", "\x00", strings.Repeat("x", 600)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := dpop.ParseNonce(http.Header{"Dpop-Nonce": {v}})
		if !ok {
			if got != "" {
				t.Fatal("value with ok false")
			}
			return
		}
		if len(got) == 0 || len(got) > dpop.MaxNonceLen || !strings.Contains(v, got) {
			t.Fatalf("bad nonce %q from %q", got, v)
		}
		for _, c := range []byte(got) {
			if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				t.Fatalf("non-NQCHAR %q in %q", c, got)
			}
		}
		// An accepted nonce goes into a proof as is.
		var n dpop.Nonces
		u := mustURL(t, "https://as.example/token")
		n.Set(u, got)
		if n.Nonce(u) != got {
			t.Fatal("accepted nonce not remembered")
		}
	})
}
