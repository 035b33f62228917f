package resource_test

import (
	"context"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/resource"
)

// Entra's multi-tenant key set states each key's "issuer"
// ("https://login.microsoftonline.com/{tenantid}/v2.0"); as
// Microsoft.IdentityModel does, the token's "iss" must be that issuer with
// the token's "tid" in place of "{tenantid}".
func TestValidatorChecksTheSigningKeysIssuer(t *testing.T) {
	const tenantA, tenantB = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
	const v2 = "https://login.microsoftonline.com/{tenantid}/v2.0"
	const v1 = "https://sts.windows.net/{tenantid}/"
	tests := []struct {
		name      string
		keyIssuer string // "" publishes none
		issuer    string // the Validator's
		tokenIss  string // template of the token's "iss"
		tid       string
		reason    resource.Reason // "" accepts
	}{
		{"no key issuer", "", v2, v2, tenantA, ""},
		{"multi-tenant key", v2, v2, v2, tenantA, ""},
		{"multi-tenant key, other tenant", v2, v2, v2, tenantB, ""},
		{"key of tenant B, token of A", strings.Replace(v2, "{tenantid}", tenantB, 1), v2, v2, tenantA, resource.ReasonIssuer},
		{"key of tenant B, token of B", strings.Replace(v2, "{tenantid}", tenantB, 1), v2, v2, tenantB, ""},
		{"key of another cloud", "https://login.microsoftonline.us/{tenantid}/v2.0", v2, v2, tenantA, resource.ReasonIssuer},
		{"v1 token, v2 key issuer", v2, v1, v1, tenantA, ""},
		{"v1 token, key of tenant B", strings.Replace(v2, "{tenantid}", tenantB, 1), v1, v1, tenantA, resource.ReasonIssuer},
		{"no tid", v2, strings.Replace(v2, "{tenantid}", tenantA, 1), v2, "", resource.ReasonTenant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss := newVIssuer(t)
			k := jwkOf(vKidRSA, &vRSAKey().PublicKey)
			if tt.keyIssuer != "" {
				k["issuer"] = tt.keyIssuer
			}
			iss.setKeys(k)
			v := newTestValidator(t, iss, resource.Config{Issuer: tt.issuer, JWKSURL: iss.JWKSURL()})
			claims := vClaims(strings.Replace(tt.tokenIss, "{tenantid}", tt.tid, 1))
			if tt.tid == "" {
				claims["iss"] = tt.issuer
			} else {
				claims["tid"] = tt.tid
			}
			tok := mint(t, jwt.SigningMethodRS256, vRSAKey(), map[string]any{"kid": vKidRSA}, claims)
			for range 2 { // verified, then cached
				_, err := v.Validate(context.Background(), tok)
				if tt.reason == "" {
					require.NoError(t, err)
				} else {
					requireRefused(t, err, tt.reason, tok)
				}
			}
		})
	}
}
