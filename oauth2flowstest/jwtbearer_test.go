package oauth2flowstest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

const (
	jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	upstream       = "https://idp.example"
)

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

// signJWT signs claims; edits may change them first.
func signJWT(t *testing.T, method jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	require.NoError(t, err)
	return s
}

// grantClaims are good RFC 7523 §2.1 assertion claims for srv.
func grantClaims(t *testing.T, srv *oauth2flowstest.Server) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"iss": upstream, "sub": "svc@example", "aud": srv.URL() + "/token",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": randomID(t)}
}

func TestJWTBearerGrant(t *testing.T) {
	issuerKey := newECKey(t)
	trusted := oauth2flowstest.WithTrustedIssuer(oauth2flowstest.TrustedIssuer{Issuer: upstream, PublicKey: &issuerKey.PublicKey})
	t.Run("AuthenticatedClient", func(t *testing.T) {
		srv := newServer(t, trusted)
		a := signJWT(t, jwt.SigningMethodES256, issuerKey, grantClaims(t, srv))
		got := token(t, srv, url.Values{"grant_type": {jwtBearerGrant}, "assertion": {a}, "scope": {"api://res/read"}}, confAuth)
		require.Equal(t, http.StatusOK, got.Status, got.Raw)
		assert.Equal(t, "Bearer", got.str("token_type"))
		assert.Empty(t, got.str("refresh_token"))
		claims, err := srv.VerifyAccessToken(got.str("access_token"))
		require.NoError(t, err)
		assert.Equal(t, "svc@example", claims.Subject)
		assert.Equal(t, "conf", claims.ClientID)
		assert.Equal(t, []string{"api://res"}, []string(claims.Audience))
		assert.Equal(t, a, srv.RequestsTo(oauth2flowstest.EndpointToken)[0].Form.Get("assertion"))
	})
	t.Run("NoClientAtAll", func(t *testing.T) {
		srv := newServer(t, trusted)
		a := signJWT(t, jwt.SigningMethodES256, issuerKey, grantClaims(t, srv))
		got := token(t, srv, url.Values{"grant_type": {jwtBearerGrant}, "assertion": {a}, "scope": {"api://res/read"}}, "")
		require.Equal(t, http.StatusOK, got.Status, got.Raw)
		claims, err := srv.VerifyAccessToken(got.str("access_token"))
		require.NoError(t, err)
		assert.Equal(t, "svc@example", claims.Subject)
		assert.Empty(t, claims.ClientID)
		assert.Equal(t, oauth2flowstest.AuthNone, srv.RequestsTo(oauth2flowstest.EndpointToken)[0].AuthMethod)

		noScope := token(t, srv, url.Values{"grant_type": {jwtBearerGrant}, "assertion": {signJWT(t, jwt.SigningMethodES256, issuerKey, grantClaims(t, srv))}}, "")
		assert.Equal(t, "invalid_scope", noScope.str("error"))
	})
	t.Run("IssuerAsAudience", func(t *testing.T) {
		srv := newServer(t, trusted)
		c := grantClaims(t, srv)
		c["aud"] = []string{"https://other.example", srv.URL()}
		got := token(t, srv, url.Values{"grant_type": {jwtBearerGrant}, "assertion": {signJWT(t, jwt.SigningMethodES256, issuerKey, c)}}, confAuth)
		assert.Equal(t, http.StatusOK, got.Status, got.Raw)
	})
	t.Run("OnBehalfOfStillServed", func(t *testing.T) {
		srv := newServer(t, trusted)
		got := token(t, srv, oboForm(srv.IssueAccessToken("alice", "api://mid"), url.Values{"scope": {"api://b/.default"}}), midAuth)
		assert.Equal(t, http.StatusOK, got.Status, got.Raw)
	})
}

func TestJWTBearerGrantRefusals(t *testing.T) {
	issuerKey, otherKey := newECKey(t), newECKey(t)
	tests := []struct {
		name    string
		edit    func(c jwt.MapClaims)
		key     *ecdsa.PrivateKey
		wantErr string
	}{
		{"UntrustedIssuer", func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }, issuerKey, "invalid_grant"},
		{"SignedByAnotherKey", nil, otherKey, "invalid_grant"},
		{"Expired", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() }, issuerKey, "invalid_grant"},
		{"NoExp", func(c jwt.MapClaims) { delete(c, "exp") }, issuerKey, "invalid_grant"},
		{"ExpTooFar", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(2 * time.Hour).Unix() }, issuerKey, "invalid_grant"},
		{"NotYetValid", func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Minute).Unix() }, issuerKey, "invalid_grant"},
		{"IssuedInTheFuture", func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Minute).Unix() }, issuerKey, "invalid_grant"},
		{"OtherAudience", func(c jwt.MapClaims) { c["aud"] = "https://other.example/token" }, issuerKey, "invalid_grant"},
		{"NoAudience", func(c jwt.MapClaims) { delete(c, "aud") }, issuerKey, "invalid_grant"},
		{"NoSubject", func(c jwt.MapClaims) { delete(c, "sub") }, issuerKey, "invalid_grant"},
		{"NoJTI", func(c jwt.MapClaims) { delete(c, "jti") }, issuerKey, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, oauth2flowstest.WithTrustedIssuer(oauth2flowstest.TrustedIssuer{Issuer: upstream, PublicKey: &issuerKey.PublicKey}))
			c := grantClaims(t, srv)
			if tt.edit != nil {
				tt.edit(c)
			}
			a := signJWT(t, jwt.SigningMethodES256, tt.key, c)
			got := token(t, srv, url.Values{"grant_type": {jwtBearerGrant}, "assertion": {a}}, confAuth)
			assert.Equal(t, http.StatusBadRequest, got.Status, got.Raw)
			assert.Equal(t, tt.wantErr, got.str("error"))
			assert.NotContains(t, got.Raw, a, "no assertion in an error")
		})
	}
	t.Run("Replayed", func(t *testing.T) {
		srv := newServer(t, oauth2flowstest.WithTrustedIssuer(oauth2flowstest.TrustedIssuer{Issuer: upstream, PublicKey: &issuerKey.PublicKey}))
		a := signJWT(t, jwt.SigningMethodES256, issuerKey, grantClaims(t, srv))
		form := url.Values{"grant_type": {jwtBearerGrant}, "assertion": {a}}
		require.Equal(t, http.StatusOK, token(t, srv, form, confAuth).Status)
		assert.Equal(t, "invalid_grant", token(t, srv, form, confAuth).str("error"))
	})
	t.Run("HS256", func(t *testing.T) {
		srv := newServer(t, oauth2flowstest.WithTrustedIssuer(oauth2flowstest.TrustedIssuer{Issuer: upstream, PublicKey: &issuerKey.PublicKey}))
		a := signJWT(t, jwt.SigningMethodHS256, []byte("0123456789abcdef0123456789abcdef"), grantClaims(t, srv))
		assert.Equal(t, "invalid_grant", token(t, srv, url.Values{"grant_type": {jwtBearerGrant}, "assertion": {a}}, confAuth).str("error"))
	})
	t.Run("MissingAssertion", func(t *testing.T) {
		srv := newServer(t, oauth2flowstest.WithTrustedIssuer(oauth2flowstest.TrustedIssuer{Issuer: upstream, PublicKey: &issuerKey.PublicKey}))
		assert.Equal(t, "invalid_request", token(t, srv, url.Values{"grant_type": {jwtBearerGrant}}, confAuth).str("error"))
	})
	t.Run("UnknownClientIDIsNotAnonymous", func(t *testing.T) {
		srv := newServer(t, oauth2flowstest.WithTrustedIssuer(oauth2flowstest.TrustedIssuer{Issuer: upstream, PublicKey: &issuerKey.PublicKey}))
		a := signJWT(t, jwt.SigningMethodES256, issuerKey, grantClaims(t, srv))
		got := token(t, srv, url.Values{"grant_type": {jwtBearerGrant}, "assertion": {a}, "client_id": {"nobody"}}, "")
		assert.Equal(t, "invalid_client", got.str("error"))
	})
}

const (
	k8sIssuer   = "https://oidc.cluster.example"
	k8sSubject  = "system:serviceaccount:payments:api"
	entraFedAud = "api://AzureADTokenExchange"
)

// workloadToken is a Kubernetes-style projected service-account token.
func workloadToken(t *testing.T, key *ecdsa.PrivateKey, edit func(jwt.MapClaims)) string {
	now := time.Now()
	c := jwt.MapClaims{"iss": k8sIssuer, "sub": k8sSubject, "aud": []string{entraFedAud},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"kubernetes.io": map[string]any{"namespace": "payments"}}
	if edit != nil {
		edit(c)
	}
	return signJWT(t, jwt.SigningMethodES256, key, c)
}

func TestFederatedClientAssertion(t *testing.T) {
	clusterKey := newECKey(t)
	ghKey := keys().rsa
	fed := []oauth2flowstest.Option{
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "workload"}),
		oauth2flowstest.WithFederatedCredential("workload", oauth2flowstest.FederatedCredential{
			Issuer: k8sIssuer, Subject: k8sSubject, Audience: entraFedAud, PublicKey: &clusterKey.PublicKey}),
		oauth2flowstest.WithFederatedCredential("workload", oauth2flowstest.FederatedCredential{
			Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:org/app:ref:refs/heads/main", PublicKey: &ghKey.PublicKey}),
	}
	ccFed := func(a, client string) url.Values {
		f := merge(url.Values{"grant_type": {"client_credentials"}, "scope": {"api://res/.default"}}, assertionForm(a))
		if client != "" {
			f.Set("client_id", client)
		}
		return f
	}
	t.Run("KubernetesTokenReusedUntilExpiry", func(t *testing.T) {
		srv := newServer(t, fed...)
		a := workloadToken(t, clusterKey, nil)
		for range 2 { // a pod re-reads the same token file
			got := token(t, srv, ccFed(a, "workload"), "")
			require.Equal(t, http.StatusOK, got.Status, got.Raw)
			claims, err := srv.VerifyAccessToken(got.str("access_token"))
			require.NoError(t, err)
			assert.Equal(t, "workload", claims.Subject)
		}
		rec := srv.RequestsTo(oauth2flowstest.EndpointToken)[0]
		assert.Equal(t, "workload", rec.ClientID)
		assert.Equal(t, oauth2flowstest.AuthPrivateKeyJWT, rec.AuthMethod)
		assert.Equal(t, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", rec.Form.Get("client_assertion_type"))
	})
	t.Run("GitHubTokenForThisServer", func(t *testing.T) {
		srv := newServer(t, fed...)
		now := time.Now()
		a := signJWT(t, jwt.SigningMethodRS256, ghKey, jwt.MapClaims{
			"iss": "https://token.actions.githubusercontent.com", "sub": "repo:org/app:ref:refs/heads/main",
			"aud": srv.URL() + "/token", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": "gh-1"})
		got := token(t, srv, ccFed(a, "workload"), "")
		assert.Equal(t, http.StatusOK, got.Status, got.Raw)
	})
	otherKey := newECKey(t)
	tests := []struct {
		name   string
		token  func(t *testing.T) string
		client string
	}{
		{"OtherSubject", func(t *testing.T) string {
			return workloadToken(t, clusterKey, func(c jwt.MapClaims) { c["sub"] = "system:serviceaccount:payments:other" })
		}, "workload"},
		{"OtherAudience", func(t *testing.T) string {
			return workloadToken(t, clusterKey, func(c jwt.MapClaims) { c["aud"] = "https://kubernetes.default.svc" })
		}, "workload"},
		{"Expired", func(t *testing.T) string {
			return workloadToken(t, clusterKey, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Second).Unix() })
		}, "workload"},
		{"NoExp", func(t *testing.T) string {
			return workloadToken(t, clusterKey, func(c jwt.MapClaims) { delete(c, "exp") })
		}, "workload"},
		{"SignedByAnotherKey", func(t *testing.T) string { return workloadToken(t, otherKey, nil) }, "workload"},
		{"NoClientID", func(t *testing.T) string { return workloadToken(t, clusterKey, nil) }, ""},
		{"ClientWithoutFederation", func(t *testing.T) string { return workloadToken(t, clusterKey, nil) }, "conf"},
		{"GitHubAudienceNotThisServer", func(t *testing.T) string {
			now := time.Now()
			return signJWT(t, jwt.SigningMethodRS256, ghKey, jwt.MapClaims{
				"iss": "https://token.actions.githubusercontent.com", "sub": "repo:org/app:ref:refs/heads/main",
				"aud": "https://github.com/org", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()})
		}, "workload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, fed...)
			a := tt.token(t)
			got := token(t, srv, ccFed(a, tt.client), "")
			assert.Equal(t, http.StatusBadRequest, got.Status, got.Raw)
			assert.Equal(t, "invalid_client", got.str("error"))
			assert.NotContains(t, got.Raw, a)
		})
	}
}
