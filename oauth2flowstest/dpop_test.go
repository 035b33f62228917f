package oauth2flowstest_test

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

var ccForm = url.Values{"grant_type": {"client_credentials"}, "scope": {"api://res/read"}}

func TestDPoPTokenIsBoundToTheProofKey(t *testing.T) {
	rk := keys().rsa
	tests := []struct {
		name string
		key  func(t *testing.T) dpopKey
	}{
		{"ES256", newECDPoPKey},
		{"PS256", func(*testing.T) dpopKey { return rsaDPoPKey(rk, jwt.SigningMethodPS256) }},
		{"RS256", func(*testing.T) dpopKey { return rsaDPoPKey(rk, jwt.SigningMethodRS256) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			k := tt.key(t)
			got := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", srv.URL()+"/token"))
			require.Equal(t, http.StatusOK, got.Status, got.Raw)
			assert.Equal(t, "DPoP", got.str("token_type"))
			claims, err := srv.VerifyAccessToken(got.str("access_token"))
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"jkt": k.jkt}, claims.Cnf)
			assert.NotEmpty(t, srv.RequestsTo(oauth2flowstest.EndpointToken)[0].Header.Get("DPoP"))

			intro := post(t, srv, "/introspect", url.Values{"token": {got.str("access_token")}}, confAuth)
			assert.Equal(t, "DPoP", intro.str("token_type"))
			assert.Equal(t, map[string]any{"jkt": k.jkt}, intro.Body["cnf"])
		})
	}
}

func TestDPoPWithoutProofIsBearer(t *testing.T) {
	srv := newServer(t)
	got := token(t, srv, ccForm, confAuth)
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	assert.Equal(t, "Bearer", got.str("token_type"))
	assert.Nil(t, parseJWT(t, got.str("access_token"))["cnf"])
}

func TestDPoPMetadata(t *testing.T) {
	srv := newServer(t)
	got := do(t, srv, mustGet(t, srv.URL()+"/.well-known/openid-configuration"))
	assert.Equal(t, []any{"ES256", "PS256", "RS256"}, got.Body["dpop_signing_alg_values_supported"])
}

func TestDPoPProofRefusals(t *testing.T) {
	k := newECDPoPKey(t)
	other := newECDPoPKey(t)
	small, err := rsa.GenerateKey(randReader, 1024)
	require.NoError(t, err)
	edit := func(f func(h map[string]any, c jwt.MapClaims)) []proofEdit { return []proofEdit{f} }
	tests := []struct {
		name   string
		proofs func(t *testing.T, htu string) []string
		want   string
	}{
		{"TypJWT", func(t *testing.T, u string) []string {
			return []string{k.proof(t, "POST", u, edit(func(h map[string]any, _ jwt.MapClaims) { h["typ"] = "JWT" })...)}
		}, "typ"},
		{"TypUpperCase", func(t *testing.T, u string) []string {
			return []string{k.proof(t, "POST", u, edit(func(h map[string]any, _ jwt.MapClaims) { h["typ"] = "DPoP+JWT" })...)}
		}, "typ"},
		{"NoJWK", func(t *testing.T, u string) []string {
			return []string{k.proof(t, "POST", u, edit(func(h map[string]any, _ jwt.MapClaims) { delete(h, "jwk") })...)}
		}, "jwk"},
		{"PrivateKeyInJWK", func(t *testing.T, u string) []string {
			d, err := k.priv.(*ecdsa.PrivateKey).Bytes()
			require.NoError(t, err)
			return []string{k.proof(t, "POST", u, edit(func(h map[string]any, _ jwt.MapClaims) { h["jwk"].(map[string]any)["d"] = enc(d) })...)}
		}, "private"},
		{"SignedByAnotherKey", func(t *testing.T, u string) []string {
			return []string{other.proof(t, "POST", u, edit(func(h map[string]any, _ jwt.MapClaims) { h["jwk"] = k.jwk })...)}
		}, "signature"},
		{"WrongCurve", func(t *testing.T, u string) []string {
			return []string{k.proof(t, "POST", u, edit(func(h map[string]any, _ jwt.MapClaims) { h["jwk"].(map[string]any)["crv"] = "P-384" })...)}
		}, "P-256"},
		{"SmallRSAKey", func(t *testing.T, u string) []string {
			return []string{rsaDPoPKey(small, jwt.SigningMethodRS256).proof(t, "POST", u)}
		}, "too small"},
		{"HS256", func(t *testing.T, u string) []string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"jti": "j", "htm": "POST", "htu": u, "iat": time.Now().Unix()})
			tok.Header["typ"], tok.Header["jwk"] = "dpop+jwt", k.jwk
			s, err := tok.SignedString([]byte("0123456789abcdef0123456789abcdef"))
			require.NoError(t, err)
			return []string{s}
		}, "alg"},
		{"AlgNone", func(t *testing.T, u string) []string {
			tok := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"jti": "j", "htm": "POST", "htu": u, "iat": time.Now().Unix()})
			tok.Header["typ"], tok.Header["jwk"] = "dpop+jwt", k.jwk
			s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
			require.NoError(t, err)
			return []string{s}
		}, "alg"},
		{"WrongMethod", func(t *testing.T, u string) []string { return []string{k.proof(t, "GET", u)} }, "htm"},
		{"OtherURL", func(t *testing.T, u string) []string { return []string{k.proof(t, "POST", u+"x")} }, "htu"},
		{"HTUWithQuery", func(t *testing.T, u string) []string { return []string{k.proof(t, "POST", u+"?a=b")} }, "htu"},
		{"HTUWithFragment", func(t *testing.T, u string) []string { return []string{k.proof(t, "POST", u+"#f")} }, "htu"},
		{"NoHTU", func(t *testing.T, u string) []string {
			return []string{k.proof(t, "POST", u, edit(func(_ map[string]any, c jwt.MapClaims) { delete(c, "htu") })...)}
		}, "htu"},
		{"NoJTI", func(t *testing.T, u string) []string {
			return []string{k.proof(t, "POST", u, edit(func(_ map[string]any, c jwt.MapClaims) { delete(c, "jti") })...)}
		}, "jti"},
		{"NoIAT", func(t *testing.T, u string) []string {
			return []string{k.proof(t, "POST", u, edit(func(_ map[string]any, c jwt.MapClaims) { delete(c, "iat") })...)}
		}, "iat"},
		{"OldIAT", func(t *testing.T, u string) []string {
			return []string{k.proof(t, "POST", u, edit(func(_ map[string]any, c jwt.MapClaims) { c["iat"] = time.Now().Add(-2 * time.Minute).Unix() })...)}
		}, "iat"},
		{"FutureIAT", func(t *testing.T, u string) []string {
			return []string{k.proof(t, "POST", u, edit(func(_ map[string]any, c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Minute).Unix() })...)}
		}, "iat"},
		{"TwoHeaders", func(t *testing.T, u string) []string {
			return []string{k.proof(t, "POST", u), k.proof(t, "POST", u)}
		}, "more than one"},
		{"Garbage", func(*testing.T, string) []string { return []string{"not.a.jwt"} }, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			got := postWithProofs(t, srv, "/token", ccForm, confAuth, tt.proofs(t, srv.URL()+"/token")...)
			assert.Equal(t, http.StatusBadRequest, got.Status, got.Raw)
			assert.Equal(t, "invalid_dpop_proof", got.str("error"))
			assert.Contains(t, got.str("error_description"), tt.want)
			assert.Empty(t, got.Header.Get("DPoP-Nonce"))
		})
	}
}

func TestDPoPProofReplayIsRefused(t *testing.T) {
	srv := newServer(t)
	k := newECDPoPKey(t)
	p := k.proof(t, "POST", srv.URL()+"/token")
	first := postWithProofs(t, srv, "/token", ccForm, confAuth, p)
	require.Equal(t, http.StatusOK, first.Status, first.Raw)
	again := postWithProofs(t, srv, "/token", ccForm, confAuth, p)
	assert.Equal(t, "invalid_dpop_proof", again.str("error"))
	assert.Contains(t, again.str("error_description"), "replayed")
}

func TestDPoPHTUIsNormalised(t *testing.T) {
	srv := newServer(t)
	k := newECDPoPKey(t)
	htu := strings.Replace(srv.URL(), "http://", "HTTP://", 1) + "/token"
	got := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", htu))
	assert.Equal(t, http.StatusOK, got.Status, got.Raw)
}

func TestDPoPRequired(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithDPoPRequired())
	got := token(t, srv, ccForm, confAuth)
	assert.Equal(t, http.StatusBadRequest, got.Status)
	assert.Equal(t, "invalid_dpop_proof", got.str("error"))

	k := newECDPoPKey(t)
	ok := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", srv.URL()+"/token"))
	assert.Equal(t, http.StatusOK, ok.Status, ok.Raw)
}

func TestDPoPNonceAtTheTokenEndpoint(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithDPoPNonce())
	k := newECDPoPKey(t)
	htu := srv.URL() + "/token"

	first := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", htu))
	assert.Equal(t, http.StatusBadRequest, first.Status)
	assert.Equal(t, "use_dpop_nonce", first.str("error"))
	nonce := first.Header.Get("DPoP-Nonce")
	require.NotEmpty(t, nonce)

	wrong := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", htu, withNonce("made-up")))
	assert.Equal(t, "use_dpop_nonce", wrong.str("error"))
	assert.Equal(t, nonce, wrong.Header.Get("DPoP-Nonce"), "the current nonce is handed out again")

	ok := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", htu, withNonce(nonce)))
	require.Equal(t, http.StatusOK, ok.Status, ok.Raw)
	assert.Equal(t, "DPoP", ok.str("token_type"))

	srv.RotateDPoPNonces()
	stale := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", htu, withNonce(nonce)))
	assert.Equal(t, "use_dpop_nonce", stale.str("error"))
	assert.NotEqual(t, nonce, stale.Header.Get("DPoP-Nonce"))

	// Without a proof there is nothing to put a nonce in: a bearer token.
	// (A nonce is checked whenever a proof carries one: see
	// TestDPoPUnknownNonceRefusedEvenWhenNotRequired.)
	plain := token(t, srv, ccForm, confAuth)
	assert.Equal(t, "Bearer", plain.str("token_type"))
}

func TestDPoPNonceExpires(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, oauth2flowstest.WithDPoPNonce(), clock.option())
	k := newECDPoPKey(t)
	htu := srv.URL() + "/token"
	nonce := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", htu)).Header.Get("DPoP-Nonce")
	clock.advance(5 * time.Minute)
	// The proof's iat is real time; move it with the server's clock.
	late := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", htu, withNonce(nonce),
		func(_ map[string]any, c jwt.MapClaims) { c["iat"] = clock.now().Unix() }))
	assert.Equal(t, "use_dpop_nonce", late.str("error"))
}

// resource starts a real HTTP resource server behind srv.Protect.
func resource(t *testing.T, srv *oauth2flowstest.Server) *httptest.Server {
	t.Helper()
	rs := httptest.NewServer(srv.Protect("api://res", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		_, _ = w.Write([]byte(c.Subject))
	})))
	t.Cleanup(rs.Close)
	return rs
}

type rsResult struct {
	status int
	chal   []string
	nonce  string
	body   string
}

func callResource(t *testing.T, url, auth string, proofs ...string) rsResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", auth)
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rsResult{resp.StatusCode, resp.Header.Values("WWW-Authenticate"), resp.Header.Get("DPoP-Nonce"), string(b)}
}

func TestProtectDPoP(t *testing.T) {
	srv := newServer(t)
	rs := resource(t, srv)
	k, other := newECDPoPKey(t), newECDPoPKey(t)
	bound := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", srv.URL()+"/token")).str("access_token")
	bearer := token(t, srv, ccForm, confAuth).str("access_token")
	u := rs.URL + "/data"
	tests := []struct {
		name     string
		auth     string
		proofs   func(t *testing.T) []string
		status   int
		wantChal string
	}{
		{"BoundWithProof", "DPoP " + bound, func(t *testing.T) []string { return []string{k.proof(t, "GET", u, withAccessToken(bound))} }, 200, ""},
		{"BoundAsBearer", "Bearer " + bound, nil, 401, `DPoP algs="ES256 PS256 RS256", error="invalid_token"`},
		{"BoundAsBearerWithProof", "Bearer " + bound, func(t *testing.T) []string { return []string{k.proof(t, "GET", u, withAccessToken(bound))} }, 401, `error="invalid_token"`},
		{"NoProof", "DPoP " + bound, nil, 401, `error="invalid_dpop_proof"`},
		{"NoATH", "DPoP " + bound, func(t *testing.T) []string { return []string{k.proof(t, "GET", u)} }, 401, `error="invalid_dpop_proof"`},
		{"ATHOfAnotherToken", "DPoP " + bound, func(t *testing.T) []string { return []string{k.proof(t, "GET", u, withAccessToken(bearer))} }, 401, `error="invalid_dpop_proof"`},
		{"AnotherKey", "DPoP " + bound, func(t *testing.T) []string { return []string{other.proof(t, "GET", u, withAccessToken(bound))} }, 401, `error="invalid_token"`},
		{"ProofForAnotherURL", "DPoP " + bound, func(t *testing.T) []string {
			return []string{k.proof(t, "GET", rs.URL+"/other", withAccessToken(bound))}
		}, 401, `error="invalid_dpop_proof"`},
		{"BearerTokenWithDPoPScheme", "DPoP " + bearer, func(t *testing.T) []string { return []string{k.proof(t, "GET", u, withAccessToken(bearer))} }, 401, `error="invalid_token"`},
		{"BearerTokenAsBearer", "Bearer " + bearer, nil, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var proofs []string
			if tt.proofs != nil {
				proofs = tt.proofs(t)
			}
			got := callResource(t, u, tt.auth, proofs...)
			assert.Equal(t, tt.status, got.status, got.body)
			if tt.status == 200 {
				assert.Equal(t, "conf", got.body)
				return
			}
			assert.Contains(t, strings.Join(got.chal, "\n"), tt.wantChal)
		})
	}
	t.Run("Missing", func(t *testing.T) {
		got := callResource(t, u, "")
		assert.Equal(t, 401, got.status)
		assert.Equal(t, []string{`Bearer realm="oauth2flowstest"`, `DPoP algs="ES256 PS256 RS256"`}, got.chal)
	})
	t.Run("ReplayedProof", func(t *testing.T) {
		p := k.proof(t, "GET", u, withAccessToken(bound))
		require.Equal(t, 200, callResource(t, u, "DPoP "+bound, p).status)
		got := callResource(t, u, "DPoP "+bound, p)
		assert.Equal(t, 401, got.status)
		assert.Contains(t, got.chal[0], "replayed")
	})
}

func TestProtectDPoPRequiredRefusesBearer(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithDPoPRequired())
	rs := resource(t, srv)
	got := callResource(t, rs.URL, "Bearer "+srv.IssueAccessToken("alice", "api://res"))
	assert.Equal(t, 401, got.status)
	assert.Contains(t, got.chal[0], `DPoP algs=`)
	assert.Contains(t, got.chal[0], `error="invalid_token"`)

	missing := callResource(t, rs.URL, "")
	assert.Equal(t, []string{`DPoP algs="ES256 PS256 RS256"`}, missing.chal, "Bearer is not on offer")
}

func TestProtectDPoPSchemeRefusalsAreDPoPChallenges(t *testing.T) {
	srv := newServer(t)
	rs := resource(t, srv)
	got := callResource(t, rs.URL, "DPoP garbage")
	assert.Equal(t, 401, got.status)
	assert.Equal(t, []string{`DPoP algs="ES256 PS256 RS256", error="invalid_token", error_description="the access token is invalid, expired or revoked"`}, got.chal)
}

func TestDPoPRequiredLeavesTheProofAtPAROptional(t *testing.T) {
	// RFC 9449 §10.1: at PAR a client may bind the code with dpop_jkt, or
	// not at all; the proof is required at the token endpoint.
	srv := newServer(t, oauth2flowstest.WithDPoPRequired())
	k := newECDPoPKey(t)
	pushed := post(t, srv, "/par", pushedParams(url.Values{"dpop_jkt": {k.jkt}}), confAuth)
	require.Equal(t, http.StatusCreated, pushed.Status, pushed.Raw)
	_, loc := authorizePushed(t, srv, "conf", pushed.str("request_uri"), nil)
	require.NotNil(t, loc)
	noProof := token(t, srv, codeForm(loc.Query().Get("code"), nil), confAuth)
	assert.Equal(t, "invalid_dpop_proof", noProof.str("error"))
}

func TestProtectDPoPNonce(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithDPoPNonce())
	rs := resource(t, srv)
	k := newECDPoPKey(t)
	htu := srv.URL() + "/token"
	asNonce := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", htu)).Header.Get("DPoP-Nonce")
	at := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", htu, withNonce(asNonce))).str("access_token")
	require.NotEmpty(t, at)

	first := callResource(t, rs.URL, "DPoP "+at, k.proof(t, "GET", rs.URL, withAccessToken(at)))
	assert.Equal(t, 401, first.status)
	assert.Equal(t, []string{`DPoP algs="ES256 PS256 RS256", error="use_dpop_nonce", error_description="a DPoP proof with the server's current nonce is required"`}, first.chal)
	require.NotEmpty(t, first.nonce)
	assert.NotEqual(t, asNonce, first.nonce, "the resource's nonces are its own")

	withAS := callResource(t, rs.URL, "DPoP "+at, k.proof(t, "GET", rs.URL, withAccessToken(at), withNonce(asNonce)))
	assert.Equal(t, 401, withAS.status, "an authorization server nonce is no good at the resource")

	ok := callResource(t, rs.URL, "DPoP "+at, k.proof(t, "GET", rs.URL, withAccessToken(at), withNonce(first.nonce)))
	assert.Equal(t, 200, ok.status, ok.body)
}

func TestDPoPBindsTheAuthorizationCode(t *testing.T) {
	k, other := newECDPoPKey(t), newECDPoPKey(t)
	tests := []struct {
		name    string
		proof   func(t *testing.T, htu string) []string
		wantErr string
	}{
		{"SameKey", func(t *testing.T, u string) []string { return []string{k.proof(t, "POST", u)} }, ""},
		{"OtherKey", func(t *testing.T, u string) []string { return []string{other.proof(t, "POST", u)} }, "invalid_grant"},
		{"NoProof", func(*testing.T, string) []string { return nil }, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			code := getCode(t, srv, "conf", url.Values{"dpop_jkt": {k.jkt}})
			got := postWithProofs(t, srv, "/token", codeForm(code, nil), confAuth, tt.proof(t, srv.URL()+"/token")...)
			assert.Equal(t, tt.wantErr, got.str("error"), got.Raw)
			if tt.wantErr == "" {
				assert.Equal(t, "DPoP", got.str("token_type"))
			}
		})
	}
	t.Run("MalformedDPoPJKT", func(t *testing.T) {
		srv := newServer(t)
		_, loc := authorize(t, srv, url.Values{"response_type": {"code"}, "client_id": {"conf"}, "redirect_uri": {redirect},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "dpop_jkt": {"short"}})
		require.NotNil(t, loc)
		assert.Equal(t, "invalid_request", loc.Query().Get("error"))
	})
}

func TestDPoPBindsPublicClientRefreshTokens(t *testing.T) {
	k, other := newECDPoPKey(t), newECDPoPKey(t)
	tests := []struct {
		name    string
		client  string
		auth    string
		refresh func(t *testing.T, htu string) []string
		wantErr string
	}{
		{"PublicSameKey", "public", "", func(t *testing.T, u string) []string { return []string{k.proof(t, "POST", u)} }, ""},
		{"PublicOtherKey", "public", "", func(t *testing.T, u string) []string { return []string{other.proof(t, "POST", u)} }, "invalid_grant"},
		{"PublicNoProof", "public", "", func(*testing.T, string) []string { return nil }, "invalid_grant"},
		// RFC 9449 §5: a confidential client's refresh token is bound by its
		// client authentication, not to the key.
		{"ConfidentialNoProof", "conf", confAuth, func(*testing.T, string) []string { return nil }, ""},
		{"ConfidentialOtherKey", "conf", confAuth, func(t *testing.T, u string) []string { return []string{other.proof(t, "POST", u)} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			htu := srv.URL() + "/token"
			code := getCode(t, srv, tt.client, nil)
			extra := url.Values{}
			if tt.auth == "" {
				extra.Set("client_id", tt.client)
			}
			first := postWithProofs(t, srv, "/token", codeForm(code, extra), tt.auth, k.proof(t, "POST", htu))
			require.Equal(t, http.StatusOK, first.Status, first.Raw)
			form := merge(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.str("refresh_token")}}, extra)
			got := postWithProofs(t, srv, "/token", form, tt.auth, tt.refresh(t, htu)...)
			assert.Equal(t, tt.wantErr, got.str("error"), got.Raw)
		})
	}
}

// TestDPoPUnknownNonceRefusedEvenWhenNotRequired: a proof carrying a nonce
// the server never handed out is refused with use_dpop_nonce, as
// oidc-provider refuses it, even when nonces are not required.
func TestDPoPUnknownNonceRefusedEvenWhenNotRequired(t *testing.T) {
	srv := newServer(t)
	k := newECDPoPKey(t)
	got := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", srv.URL()+"/token", withNonce("made-up")))
	assert.Equal(t, http.StatusBadRequest, got.Status)
	assert.Equal(t, "use_dpop_nonce", got.str("error"))
	nonce := got.Header.Get("DPoP-Nonce")
	require.NotEmpty(t, nonce)
	ok := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", srv.URL()+"/token", withNonce(nonce)))
	assert.Equal(t, http.StatusOK, ok.Status, ok.Raw)
}

// TestDPoPNonceRenewedInSuccessfulResponses: before a nonce runs out, a
// successful response offers the next one (RFC 9449 §8.2), so a client
// that reads DPoP-Nonce on every response never meets use_dpop_nonce.
func TestDPoPNonceRenewedInSuccessfulResponses(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, oauth2flowstest.WithDPoPNonce(), clock.option())
	k := newECDPoPKey(t)
	htu := srv.URL() + "/token"
	atClock := func(_ map[string]any, c jwt.MapClaims) { c["iat"] = clock.now().Unix() }
	first := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", htu, atClock)).Header.Get("DPoP-Nonce")
	require.NotEmpty(t, first)

	fresh := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", htu, atClock, withNonce(first)))
	require.Equal(t, http.StatusOK, fresh.Status, fresh.Raw)
	assert.Empty(t, fresh.Header.Get("DPoP-Nonce"), "the nonce used is the current one")

	clock.advance(3 * time.Minute) // the nonce has 2 minutes left
	old := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", htu, atClock, withNonce(first)))
	require.Equal(t, http.StatusOK, old.Status, old.Raw)
	next := old.Header.Get("DPoP-Nonce")
	require.NotEmpty(t, next)
	assert.NotEqual(t, first, next)

	clock.advance(3 * time.Minute) // the first nonce has expired, the next has not
	ok := postWithProofs(t, srv, "/token", ccForm, confAuth, k.proof(t, "POST", htu, atClock, withNonce(next)))
	assert.Equal(t, http.StatusOK, ok.Status, ok.Raw)
}
