package resource_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/resource"
)

// newTestValidator makes a Validator for iss with cfg's other fields.
func newTestValidator(t testing.TB, iss *vIssuer, cfg resource.Config) *resource.Validator {
	t.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer = iss.URL()
	}
	if cfg.Audiences == nil {
		cfg.Audiences = []string{vAudience}
	}
	if cfg.JWKSURL == "" && strings.Contains(cfg.Issuer, "{tenantid}") {
		cfg.JWKSURL = iss.JWKSURL()
	}
	v, err := resource.NewValidator(context.Background(), cfg)
	require.NoError(t, err)
	return v
}

// requireRefused checks err is a *ValidationError with reason, prefixed,
// and without the token in its message.
func requireRefused(t *testing.T, err error, reason resource.Reason, token string) {
	t.Helper()
	var ve *resource.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, reason, ve.Reason, "error: %v", err)
	assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: "), err.Error())
	if len(token) > 10 {
		assert.NotContains(t, err.Error(), token, "the error echoes the token")
		for _, seg := range strings.Split(token, ".") {
			if len(seg) > 16 {
				assert.NotContains(t, err.Error(), seg, "the error echoes a token segment")
			}
		}
	}
}

// A token issued by oauth2flowstest validates with keys from its discovery.
func TestValidatorAcceptsTestServerTokenWithDiscoveredKeys(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "daemon", Secret: "daemon-s3cret"}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	tok, err := oauth2flows.ClientCredentials(ctx, &oauth2flows.Config{
		ClientID: "daemon", ClientSecret: "daemon-s3cret", Endpoint: srv.Endpoint(),
		Scopes: []string{"api://orders/read"},
	})
	require.NoError(t, err)

	v, err := resource.NewValidator(ctx, resource.Config{
		Issuer: srv.URL(), Audiences: []string{"api://orders"}, RequiredScopes: []string{"read"}, RequireATJWT: true,
	})
	require.NoError(t, err)
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointDiscovery), 1, "metadata fetched once")
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointJWKS), 1, "key set fetched once, at NewValidator")

	for range 3 {
		p, err := v.Validate(ctx, tok.AccessToken)
		require.NoError(t, err)
		assert.Equal(t, srv.URL(), p.Issuer)
		assert.Equal(t, "daemon", p.Subject)
		assert.Equal(t, "daemon", p.ClientID)
		assert.Equal(t, []string{"api://orders"}, p.Audience)
		assert.Equal(t, []string{"read"}, p.Scopes)
		assert.Equal(t, tok.AccessToken, p.Raw)
		assert.WithinDuration(t, tok.Expiry, p.Expiry, 2*time.Second)
	}
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointJWKS), 1, "the key is cached")

	// The same server's token for another API is refused.
	other, err := oauth2flows.ClientCredentials(ctx, &oauth2flows.Config{
		ClientID: "daemon", ClientSecret: "daemon-s3cret", Endpoint: srv.Endpoint(),
		Scopes: []string{"api://billing/read"},
	})
	require.NoError(t, err)
	_, err = v.Validate(ctx, other.AccessToken)
	requireRefused(t, err, resource.ReasonAudience, other.AccessToken)
}

func TestValidatorChecksSignatureHeaderAndClaims(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{})
	pubDER, err := x509.MarshalPKIXPublicKey(&vRSAKey().PublicKey)
	require.NoError(t, err)
	with := func(mod func(c jwt.MapClaims)) jwt.MapClaims {
		c := vClaims(iss.URL())
		mod(c)
		return c
	}
	b64 := base64.RawURLEncoding.EncodeToString
	unsigned := func(header string, claims jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
		s, err := tok.SigningString()
		require.NoError(t, err)
		return b64([]byte(header)) + s[strings.Index(s, "."):] + "."
	}
	now := time.Now()
	tests := []struct {
		name   string
		token  func() string
		reason resource.Reason // "" means valid
	}{
		{"RS256", func() string { return mintRS256(t, vClaims(iss.URL())) }, ""},
		{"PS256", func() string {
			return mint(t, jwt.SigningMethodPS256, vRSAKey(), map[string]any{"kid": vKidRSA}, vClaims(iss.URL()))
		}, ""},
		{"ES256", func() string {
			return mint(t, jwt.SigningMethodES256, vECKey(), map[string]any{"kid": vKidEC}, vClaims(iss.URL()))
		}, ""},
		{"typ JWT, as Entra and zitadel issue", func() string {
			return mint(t, jwt.SigningMethodRS256, vRSAKey(), map[string]any{"kid": vKidRSA, "typ": "JWT"}, vClaims(iss.URL()))
		}, ""},
		{"typ application/at+jwt", func() string {
			return mint(t, jwt.SigningMethodRS256, vRSAKey(), map[string]any{"kid": vKidRSA, "typ": "application/AT+JWT"}, vClaims(iss.URL()))
		}, ""},
		{"no typ", func() string {
			return mint(t, jwt.SigningMethodRS256, vRSAKey(), map[string]any{"kid": vKidRSA, "typ": nil}, vClaims(iss.URL()))
		}, ""},
		{"expired within the leeway", func() string {
			return mintRS256(t, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-30 * time.Second).Unix() }))
		}, ""},
		{"aud array holding the audience", func() string {
			return mintRS256(t, with(func(c jwt.MapClaims) { c["aud"] = []string{"other", vAudience} }))
		}, ""},

		{"alg none with a signature", func() string { return unsigned(`{"alg":"none","kid":"rsa-1"}`, vClaims(iss.URL())) + "c2ln" }, resource.ReasonAlgorithm},
		{"alg none without a signature", func() string { return unsigned(`{"alg":"none"}`, vClaims(iss.URL())) + "" }, resource.ReasonMalformed},
		{"HS256 keyed with the RSA public key", func() string {
			return mint(t, jwt.SigningMethodHS256, pubDER, map[string]any{"kid": vKidRSA}, vClaims(iss.URL()))
		}, resource.ReasonAlgorithm},
		{"HS256 keyed with the JWK's modulus", func() string {
			return mint(t, jwt.SigningMethodHS256, vRSAKey().N.Bytes(), map[string]any{"kid": vKidRSA}, vClaims(iss.URL()))
		}, resource.ReasonAlgorithm},
		{"RS384 is not in the default allow-list", func() string {
			return mint(t, jwt.SigningMethodRS384, vRSAKey(), map[string]any{"kid": vKidRSA}, vClaims(iss.URL()))
		}, resource.ReasonAlgorithm},
		{"alg unknown to golang-jwt", func() string { return unsigned(`{"alg":"XX999","kid":"rsa-1"}`, vClaims(iss.URL())) + "c2ln" }, resource.ReasonAlgorithm},
		{"ES256 naming the RSA key's kid", func() string {
			return mint(t, jwt.SigningMethodES256, vECKey(), map[string]any{"kid": vKidRSA}, vClaims(iss.URL()))
		}, resource.ReasonUnknownKey},
		{"signed by another key under a known kid", func() string {
			return mint(t, jwt.SigningMethodRS256, vRSAKey2(), map[string]any{"kid": vKidRSA}, vClaims(iss.URL()))
		}, resource.ReasonSignature},
		{"payload changed after signing", func() string {
			tok := mintRS256(t, vClaims(iss.URL()))
			parts := strings.Split(tok, ".")
			parts[1] = b64([]byte(`{"iss":"` + iss.URL() + `","sub":"admin","aud":"` + vAudience + `","exp":4102444800}`))
			return strings.Join(parts, ".")
		}, resource.ReasonSignature},
		{"typ of a DPoP proof", func() string {
			return mint(t, jwt.SigningMethodRS256, vRSAKey(), map[string]any{"kid": vKidRSA, "typ": "dpop+jwt"}, vClaims(iss.URL()))
		}, resource.ReasonTokenType},
		{"crit header", func() string {
			return mint(t, jwt.SigningMethodRS256, vRSAKey(), map[string]any{"kid": vKidRSA, "crit": []string{"exp"}}, vClaims(iss.URL()))
		}, resource.ReasonMalformed},
		{"kid not a string", func() string {
			return mint(t, jwt.SigningMethodRS256, vRSAKey(), map[string]any{"kid": 7}, vClaims(iss.URL()))
		}, resource.ReasonMalformed},
		{"another issuer", func() string { return mintRS256(t, vClaims("https://evil.example")) }, resource.ReasonIssuer},
		{"issuer with a trailing slash", func() string { return mintRS256(t, vClaims(iss.URL()+"/")) }, resource.ReasonIssuer},
		{"another audience", func() string {
			return mintRS256(t, with(func(c jwt.MapClaims) { c["aud"] = "api://billing" }))
		}, resource.ReasonAudience},
		{"no audience", func() string { return mintRS256(t, with(func(c jwt.MapClaims) { delete(c, "aud") })) }, resource.ReasonAudience},
		{"expired beyond the leeway", func() string {
			return mintRS256(t, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-2 * time.Minute).Unix() }))
		}, resource.ReasonExpired},
		{"no exp", func() string { return mintRS256(t, with(func(c jwt.MapClaims) { delete(c, "exp") })) }, resource.ReasonMalformed},
		{"nbf beyond the leeway", func() string {
			return mintRS256(t, with(func(c jwt.MapClaims) { c["nbf"] = now.Add(5 * time.Minute).Unix() }))
		}, resource.ReasonNotYetValid},
		{"exp a string", func() string { return mintRS256(t, with(func(c jwt.MapClaims) { c["exp"] = "tomorrow" })) }, resource.ReasonMalformed},
		{"scp a number", func() string { return mintRS256(t, with(func(c jwt.MapClaims) { c["scp"] = 42 })) }, resource.ReasonMalformed},
		{"not a JWT", func() string { return "opaque-token-value-123" }, resource.ReasonMalformed},
		{"four segments", func() string { return mintRS256(t, vClaims(iss.URL())) + ".x" }, resource.ReasonMalformed},
		{"whitespace inside", func() string { return " " + mintRS256(t, vClaims(iss.URL())) }, resource.ReasonMalformed},
		{"empty", func() string { return "" }, resource.ReasonMalformed},
		{"oversized", func() string {
			return mintRS256(t, with(func(c jwt.MapClaims) { c["pad"] = strings.Repeat("a", resource.DefaultMaxTokenSize) }))
		}, resource.ReasonTooLarge},
		{"a megabyte of dots", func() string { return strings.Repeat(".", 1<<20) }, resource.ReasonTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := tt.token()
			p, err := v.Validate(context.Background(), token)
			if tt.reason == "" {
				require.NoError(t, err)
				assert.Equal(t, "user-1", p.Subject)
				assert.Equal(t, []string{"orders.read", "orders.write"}, p.Scopes)
				assert.Equal(t, "web-app", p.ClientID)
				return
			}
			assert.Nil(t, p)
			requireRefused(t, err, tt.reason, token)
		})
	}
	assert.EqualValues(t, 2, iss.jwksHits.Load(), "one fetch at NewValidator, one refetch for the first unknown kid; the others are rate-limited")
}

// The default leeway is one minute; Leeway changes it, and a negative
// value removes it.
func TestValidatorLeeway(t *testing.T) {
	iss := newVIssuer(t)
	exp := func(ago time.Duration) string {
		c := vClaims(iss.URL())
		c["exp"] = time.Now().Add(-ago).Unix()
		return mintRS256(t, c)
	}
	tests := []struct {
		leeway time.Duration
		ago    time.Duration
		ok     bool
	}{
		{0, 50 * time.Second, true},
		{0, 70 * time.Second, false},
		{5 * time.Minute, 4 * time.Minute, true},
		{-1, 5 * time.Second, false},
	}
	for _, tt := range tests {
		v := newTestValidator(t, iss, resource.Config{Leeway: tt.leeway})
		tok := exp(tt.ago)
		_, err := v.Validate(context.Background(), tok)
		if tt.ok {
			assert.NoError(t, err, "leeway %v, expired %v ago", tt.leeway, tt.ago)
		} else {
			requireRefused(t, err, resource.ReasonExpired, tok)
		}
	}
}

// A megabyte of dots, or of anything, costs one pass and no copy, even
// when the size limit lets it through.
func TestValidatorMegabyteOfDotsIsCheap(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{MaxTokenSize: 4 << 20})
	ctx := context.Background()
	for _, tok := range []string{
		strings.Repeat(".", 1<<20),
		"a" + strings.Repeat(".a", 1<<19),
		strings.Repeat("a", 1<<20) + "..",
	} {
		_, err := v.Validate(ctx, tok)
		requireRefused(t, err, resource.ReasonMalformed, "")
		allocs := testing.AllocsPerRun(5, func() { _, _ = v.Validate(ctx, tok) })
		assert.LessOrEqual(t, allocs, 3.0, "refusing a 1 MB token must not allocate per byte")
	}
}

func TestValidatorEntraTenantTemplate(t *testing.T) {
	iss := newVIssuer(t)
	const (
		tenantA = "72f988bf-86f1-41af-91ab-2d7cd011db47"
		tenantB = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
		v2      = "https://login.microsoftonline.com/{tenantid}/v2.0"
		v1      = "https://sts.windows.net/{tenantid}/"
	)
	token := func(issuer, tid string) string {
		c := vClaims(issuer)
		if tid != "" {
			c["tid"] = tid
		}
		return mintRS256(t, c)
	}
	tests := []struct {
		name    string
		issuer  string
		tenants []string
		token   string
		reason  resource.Reason
	}{
		{"v2 token of its own tenant", v2, nil, token("https://login.microsoftonline.com/"+tenantA+"/v2.0", tenantA), ""},
		{"v1 token of its own tenant", v1, nil, token("https://sts.windows.net/"+tenantB+"/", tenantB), ""},
		{"tenant in the allow-list", v2, []string{tenantB, tenantA}, token("https://login.microsoftonline.com/"+tenantA+"/v2.0", tenantA), ""},
		{"iss names another tenant than tid", v2, nil, token("https://login.microsoftonline.com/"+tenantB+"/v2.0", tenantA), resource.ReasonTenant},
		{"no tid", v2, nil, token("https://login.microsoftonline.com/"+tenantA+"/v2.0", ""), resource.ReasonTenant},
		{"tid not a GUID", v2, nil, token("https://login.microsoftonline.com/x/../v2.0", "x/.."), resource.ReasonTenant},
		{"tenant outside the allow-list", v2, []string{tenantB}, token("https://login.microsoftonline.com/"+tenantA+"/v2.0", tenantA), resource.ReasonTenant},
		{"v1 issuer where v2 is configured", v2, nil, token("https://sts.windows.net/"+tenantA+"/", tenantA), resource.ReasonIssuer},
		{"issuer on another host", v2, nil, token("https://login.evil.example/"+tenantA+"/v2.0", tenantA), resource.ReasonIssuer},
		{"literal template as issuer", v2, nil, token(v2, tenantA), resource.ReasonIssuer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newTestValidator(t, iss, resource.Config{Issuer: tt.issuer, Tenants: tt.tenants})
			p, err := v.Validate(context.Background(), tt.token)
			if tt.reason == "" {
				require.NoError(t, err)
				assert.NotEmpty(t, p.TenantID)
				assert.Contains(t, p.Issuer, p.TenantID)
				return
			}
			requireRefused(t, err, tt.reason, tt.token)
		})
	}
}

func TestValidatorScopesAndRoles(t *testing.T) {
	iss := newVIssuer(t)
	user := func(scp any) string {
		c := vClaims(iss.URL())
		c["scp"] = scp
		return mintRS256(t, c)
	}
	app := func(roles ...string) string {
		c := vClaims(iss.URL())
		delete(c, "scp")
		c["roles"] = roles
		return mintRS256(t, c)
	}
	rfc9068 := func(scope string) string {
		c := vClaims(iss.URL())
		delete(c, "scp")
		c["scope"] = scope
		return mintRS256(t, c)
	}
	tests := []struct {
		name   string
		scopes []string
		roles  []string
		token  string
		ok     bool
	}{
		{"scp string holds the scope", []string{"orders.read"}, nil, user("orders.read orders.write"), true},
		{"scp array (fosite)", []string{"orders.read"}, nil, user([]string{"orders.read"}), true},
		{"RFC 9068 scope claim", []string{"orders.read", "orders.write"}, nil, rfc9068("orders.write orders.read"), true},
		{"missing one of two scopes", []string{"orders.read", "orders.admin"}, nil, user("orders.read"), false},
		{"a role where a scope is required", []string{"orders.read"}, nil, app("orders.read"), false},
		{"role required and held", nil, []string{"Orders.Sync"}, app("Orders.Sync"), true},
		{"role required, user token", nil, []string{"Orders.Sync"}, user("orders.read"), false},
		{"scope or role: user token", []string{"orders.read"}, []string{"Orders.Sync"}, user("orders.read"), true},
		{"scope or role: daemon token", []string{"orders.read"}, []string{"Orders.Sync"}, app("Orders.Sync"), true},
		{"scope or role: neither", []string{"orders.read"}, []string{"Orders.Sync"}, app("Other"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newTestValidator(t, iss, resource.Config{RequiredScopes: tt.scopes, RequiredRoles: tt.roles})
			_, err := v.Validate(context.Background(), tt.token)
			if tt.ok {
				require.NoError(t, err)
			} else {
				requireRefused(t, err, resource.ReasonInsufficientScope, tt.token)
			}
		})
	}
}

func TestNewValidatorRefusesUnsafeConfig(t *testing.T) {
	iss := newVIssuer(t)
	ok := resource.Config{Issuer: iss.URL(), Audiences: []string{vAudience}}
	tests := []struct {
		name  string
		mod   func(c *resource.Config)
		field string
	}{
		{"no issuer", func(c *resource.Config) { c.Issuer = "" }, "resource.Config.Issuer"},
		{"no audience", func(c *resource.Config) { c.Audiences = nil }, "resource.Config.Audiences"},
		{"empty audience", func(c *resource.Config) { c.Audiences = []string{""} }, "resource.Config.Audiences"},
		{"HS256 allowed", func(c *resource.Config) { c.Algorithms = []string{"RS256", "HS256"} }, "resource.Config.Algorithms"},
		{"none allowed", func(c *resource.Config) { c.Algorithms = []string{"none"} }, "resource.Config.Algorithms"},
		{"template without JWKSURL", func(c *resource.Config) {
			c.Issuer = "https://login.microsoftonline.com/{tenantid}/v2.0"
		}, "resource.Config.JWKSURL"},
		{"template twice", func(c *resource.Config) {
			c.Issuer, c.JWKSURL = "https://x/{tenantid}/{tenantid}", iss.JWKSURL()
		}, "resource.Config.Issuer"},
		{"plain http key set off loopback", func(c *resource.Config) { c.JWKSURL = "http://keys.example.com/jwks" }, "resource.Config.JWKSURL"},
		{"scope with a quote", func(c *resource.Config) { c.RequiredScopes = []string{`a"b`} }, "resource.Config.RequiredScopes"},
		{"plain http issuer off loopback", func(c *resource.Config) { c.Issuer = "http://idp.example.com" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mod(&cfg)
			v, err := resource.NewValidator(context.Background(), cfg)
			require.Error(t, err)
			assert.Nil(t, v)
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, err, &ce)
			if tt.field != "" {
				assert.Equal(t, tt.field, ce.Field)
				assert.Equal(t, "NewValidator", ce.Op)
			}
			assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: "), err.Error())
			assert.NotContains(t, err.Error(), "Config.InsecureAllowHTTP", "a setting resource.Config does not have")
		})
	}
	assert.Zero(t, iss.jwksHits.Load(), "nothing fetched for a refused config")
	var nilCtx context.Context // a nil context is what is tested
	_, err := resource.NewValidator(nilCtx, ok)
	var ce *oauth2flows.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "NewValidator", ce.Op)
	assert.Equal(t, "ctx", ce.Field)
}

// A key set that cannot be fetched or used fails NewValidator with a
// DiscoveryError, not later at the first request.
func TestNewValidatorKeySetFailures(t *testing.T) {
	iss := newVIssuer(t)
	tests := []struct {
		name   string
		status int32
		keys   []map[string]string
	}{
		{"server error", 500, nil},
		{"not found", 404, nil},
		{"no usable key: encryption key only", 0, []map[string]string{{"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"}}},
		{"no usable key: symmetric", 0, []map[string]string{{"kty": "oct", "k": "c2VjcmV0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss.jwksFault.Store(tt.status)
			if tt.keys != nil {
				iss.setKeys(tt.keys...)
			}
			_, err := resource.NewValidator(context.Background(), resource.Config{Issuer: iss.URL(), Audiences: []string{vAudience}})
			var de *oauth2flows.DiscoveryError
			require.ErrorAs(t, err, &de, "got %v", err)
			assert.Equal(t, iss.JWKSURL(), de.URL)
			if tt.status != 0 {
				assert.EqualValues(t, tt.status, de.StatusCode)
			}
		})
	}
}

// A canceled context fails a lookup that must fetch, with the context's
// error, and the Validator calls it keys_unavailable.
func TestValidatorHonoursContextWhileFetchingKeys(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{})
	clock := newFakeClock()
	resource.SetValidatorClock(v, clock.Now)
	clock.Advance(2 * time.Minute) // a refetch is allowed
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tok := mint(t, jwt.SigningMethodRS256, vRSAKey2(), map[string]any{"kid": "new"}, vClaims(iss.URL()))
	_, err := v.Validate(ctx, tok)
	requireRefused(t, err, resource.ReasonKeysUnavailable, tok)
	assert.True(t, errors.Is(err, context.Canceled))
}

func TestPrincipalHidesTheTokenAndDecodesClaims(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{})
	c := vClaims(iss.URL())
	c["tid"], c["oid"], c["name"] = "72f988bf-86f1-41af-91ab-2d7cd011db47", "oid-1", "Alice"
	tok := mintRS256(t, c)
	p, err := v.Validate(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, "oid-1", p.ObjectID)
	assert.Equal(t, "id-1", p.ID)
	for _, s := range []string{p.String(), p.LogValue().String()} {
		assert.NotContains(t, s, tok)
		assert.Contains(t, s, "user-1")
	}
	var extra struct {
		Name string `json:"name"`
	}
	require.NoError(t, p.Claims(&extra))
	assert.Equal(t, "Alice", extra.Name)
}

// Entra's v1 and v2 access tokens carry the client in "appid" and "azp";
// RFC 9068 tokens in "client_id".
func TestValidatorReadsEntraV1AndV2Claims(t *testing.T) {
	iss := newVIssuer(t)
	const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	v1 := newTestValidator(t, iss, resource.Config{Issuer: "https://sts.windows.net/{tenantid}/"})
	v2 := newTestValidator(t, iss, resource.Config{Issuer: "https://login.microsoftonline.com/{tenantid}/v2.0"})
	entra := func(issuer string, extra jwt.MapClaims) string {
		c := vClaims(issuer)
		delete(c, "client_id")
		c["tid"], c["oid"] = tid, "5f0f5c5e-0000-0000-0000-000000000001"
		for k, v := range extra {
			c[k] = v
		}
		return mint(t, jwt.SigningMethodRS256, vRSAKey(), map[string]any{"kid": vKidRSA, "typ": "JWT"}, c)
	}
	tests := []struct {
		name   string
		v      *resource.Validator
		token  string
		client string
		roles  []string
	}{
		{"v1 user token", v1, entra("https://sts.windows.net/"+tid+"/", jwt.MapClaims{"ver": "1.0", "appid": "app-v1"}), "app-v1", nil},
		{"v2 daemon token", v2, entra("https://login.microsoftonline.com/"+tid+"/v2.0",
			jwt.MapClaims{"ver": "2.0", "azp": "app-v2", "roles": []string{"Orders.Sync"}, "scp": nil}), "app-v2", []string{"Orders.Sync"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.v.Validate(context.Background(), tt.token)
			require.NoError(t, err)
			assert.Equal(t, tt.client, p.ClientID)
			assert.Equal(t, tid, p.TenantID)
			assert.Equal(t, "5f0f5c5e-0000-0000-0000-000000000001", p.ObjectID)
			assert.Equal(t, tt.roles, p.Roles)
		})
	}
}
