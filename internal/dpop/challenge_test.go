package dpop_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/internal/dpop"
)

func TestParseChallenges(t *testing.T) {
	p := func(kv ...string) []dpop.Param {
		var ps []dpop.Param
		for i := 0; i < len(kv); i += 2 {
			ps = append(ps, dpop.Param{Name: kv[i], Value: kv[i+1]})
		}
		return ps
	}
	tests := []struct {
		name   string
		values []string
		want   []dpop.Challenge
		bad    bool
	}{
		{"RFC 9449 §9 resource nonce",
			[]string{`DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`},
			[]dpop.Challenge{{Scheme: "DPoP", Params: p("error", "use_dpop_nonce", "error_description", "Resource server requires nonce in DPoP proof")}}, false},
		{"RFC 9449 §7.1 algs",
			[]string{`DPoP algs="ES256 PS256"`},
			[]dpop.Challenge{{Scheme: "DPoP", Params: p("algs", "ES256 PS256")}}, false},
		{"RFC 9110 §11.6.1 example",
			[]string{`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`},
			[]dpop.Challenge{
				{Scheme: "Newauth", Params: p("realm", "apps", "type", "1", "title", `Login to "apps"`)},
				{Scheme: "Basic", Params: p("realm", "simple")}}, false},
		{"bearer and DPoP in one line",
			[]string{`Bearer realm="api", DPoP error="use_dpop_nonce", algs="ES256"`},
			[]dpop.Challenge{
				{Scheme: "Bearer", Params: p("realm", "api")},
				{Scheme: "DPoP", Params: p("error", "use_dpop_nonce", "algs", "ES256")}}, false},
		{"two field lines",
			[]string{`Bearer`, `dpop ERROR = use_dpop_nonce`},
			[]dpop.Challenge{{Scheme: "Bearer"}, {Scheme: "dpop", Params: p("error", "use_dpop_nonce")}}, false},
		{"bare schemes and empty elements",
			[]string{` , Basic, , Bearer ,`},
			[]dpop.Challenge{{Scheme: "Basic"}, {Scheme: "Bearer"}}, false},
		{"token68",
			[]string{`Negotiate abc+/==, DPoP error=x`},
			[]dpop.Challenge{{Scheme: "Negotiate", Token68: "abc+/=="}, {Scheme: "DPoP", Params: p("error", "x")}}, false},
		{"empty", nil, nil, false},
		{"unterminated quote", []string{`DPoP error="use_dpop_nonce`}, nil, true},
		{"a lone name= is a token68", []string{`DPoP error=`}, []dpop.Challenge{{Scheme: "DPoP", Token68: "error="}}, false},
		{"missing value", []string{`DPoP a=b, error=`}, nil, true},
		{"junk after param", []string{`DPoP error=a b`}, nil, true},
		{"no space after scheme", []string{`DPoP"x"`}, nil, true},
		{"bad quoted-pair", []string{"DPoP error=\"a\\\x01\""}, nil, true},
		{"control in quoted", []string{"DPoP error=\"a\x00\""}, nil, true},
		{"too long", []string{"DPoP error=\"" + strings.Repeat("a", 9000) + "\""}, nil, true},
		{"too many challenges", []string{strings.Repeat("Basic, ", 17)}, nil, true},
		{"too many params", []string{"DPoP " + strings.Repeat("a=b, ", 33)}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dpop.ParseChallenges(tt.values)
			if tt.bad {
				require.ErrorIs(t, err, dpop.ErrChallenge)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestUseNonce(t *testing.T) {
	const challenge = `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`
	tests := []struct {
		name      string
		status    int
		challenge []string
		nonce     []string
		want      string // "" when no retry is due
	}{
		{"RFC 9449 §9", 401, []string{challenge}, []string{"eyJ7S_zG.eyJH0-Z.HX4w-7v"}, "eyJ7S_zG.eyJH0-Z.HX4w-7v"},
		{"among other challenges", 401, []string{`Bearer realm="x"`, `DPoP algs="ES256", error="use_dpop_nonce"`}, []string{"n"}, "n"},
		{"not 401", 400, []string{challenge}, []string{"n"}, ""},
		{"no nonce header", 401, []string{challenge}, nil, ""},
		{"invalid nonce", 401, []string{challenge}, []string{`"n"`}, ""},
		{"other error", 401, []string{`DPoP error="invalid_token"`}, []string{"n"}, ""},
		{"bearer challenge", 401, []string{`Bearer error="use_dpop_nonce"`}, []string{"n"}, ""},
		{"malformed challenge", 401, []string{`DPoP error="use_dpop_nonce`}, []string{"n"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}}
			for _, c := range tt.challenge {
				resp.Header.Add("WWW-Authenticate", c)
			}
			for _, n := range tt.nonce {
				resp.Header.Add("DPoP-Nonce", n)
			}
			got, ok := dpop.UseNonce(resp)
			assert.Equal(t, tt.want != "", ok)
			assert.Equal(t, tt.want, got)
		})
	}
	_, ok := dpop.UseNonce(nil)
	assert.False(t, ok)
}

func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{
		`DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`,
		`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`,
		`Negotiate abc+/==, DPoP error=x`, ` , Basic, ,`, `DPoP error="a\"b\\c"`, `Bearer realm=`,
	} {
		f.Add(s, "")
	}
	f.Add(`Bearer`, `DPoP algs="ES256"`)
	f.Fuzz(func(t *testing.T, a, b string) {
		cs, err := dpop.ParseChallenges([]string{a, b})
		if err != nil {
			if cs != nil {
				t.Fatal("challenges with an error")
			}
			return
		}
		if len(cs) > 32 {
			t.Fatalf("%d challenges", len(cs))
		}
		for _, c := range cs {
			if c.Scheme == "" || strings.ContainsAny(c.Scheme, " \t,=\"") {
				t.Fatalf("bad scheme %q", c.Scheme)
			}
			if len(c.Params) > 32 || (c.Token68 != "" && len(c.Params) > 0) {
				t.Fatalf("bad challenge %+v", c)
			}
			for _, p := range c.Params {
				if p.Name == "" || p.Name != strings.ToLower(p.Name) || strings.ContainsAny(p.Name, " \t,=\"") {
					t.Fatalf("bad param name %q", p.Name)
				}
				if len(p.Value) > len(a)+len(b) {
					t.Fatalf("value longer than the input")
				}
			}
		}
		// UseNonce on the same input never panics and agrees with the parse.
		h := http.Header{"Www-Authenticate": {a, b}, "Dpop-Nonce": {"n"}}
		_, ok := dpop.UseNonce(&http.Response{StatusCode: 401, Header: h})
		want := false
		for _, c := range cs {
			if strings.EqualFold(c.Scheme, "dpop") && c.Param("error") == dpop.UseNonceError {
				want = true
			}
		}
		if ok != want {
			t.Fatalf("UseNonce %v, parse says %v", ok, want)
		}
	})
}
