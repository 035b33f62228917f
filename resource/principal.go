package resource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows/internal/ctxkey"
)

// Principal is who a validated access token speaks for: its claims
// (RFC 9068 §2.2, with Entra's), as [Validator.Validate] checked them.
// Its slices may be shared with other Principals of the same token: do
// not modify their elements.
// Raw is the token itself, a credential: the String and LogValue methods
// leave it out so that logging a Principal does not leak it.
type Principal struct {
	Issuer   string    // "iss"
	Subject  string    // "sub"
	Audience []string  // "aud"
	Scopes   []string  // "scp" (Entra, fosite) or "scope" (RFC 9068 §2.2.3), split on spaces
	Roles    []string  // "roles" (Entra app roles, RFC 9068 §7.2.1)
	TenantID string    // "tid", when present
	Expiry   time.Time // "exp"
	Raw      string    // the token as received: the assertion for On-Behalf-Of

	ClientID string    // the client the token was issued to: "client_id" (RFC 9068), "azp" (Entra v2), "appid" (Entra v1)
	ObjectID string    // "oid": Entra's stable ID of the user or service principal
	ID       string    // "jti"
	IssuedAt time.Time // "iat"; zero when absent
}

// Claims decodes every claim of the token into dst, such as a struct with
// the claims a caller needs beyond Principal's fields, or a
// map[string]any. The token was validated; decoding it again costs only
// when asked for. It is encoding/json's decoding: a struct field matches
// a claim name whatever its case, so decode into a map where names must
// match exactly (RFC 7519 §4).
func (p *Principal) Claims(dst any) error {
	payload, ok := jwtPayload(p.Raw)
	if !ok {
		return errors.New("oauth2flows: Principal.Raw is not a JWT")
	}
	if err := json.Unmarshal(payload, dst); err != nil {
		return fmt.Errorf("oauth2flows: decoding the token's claims: %w", err)
	}
	return nil
}

// String describes the principal without its token.
func (p *Principal) String() string {
	return "Principal{iss=" + p.Issuer + " sub=" + p.Subject + " tid=" + p.TenantID + " client=" + p.ClientID + "}"
}

// LogValue implements slog.LogValuer: the claims, without the token.
func (p *Principal) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("iss", p.Issuer),
		slog.String("sub", p.Subject),
		slog.String("tid", p.TenantID),
		slog.String("client_id", p.ClientID),
		slog.Any("scopes", p.Scopes),
		slog.Any("roles", p.Roles),
		slog.Time("exp", p.Expiry),
	)
}

// PrincipalFromContext returns the Principal that [Validator.Middleware]
// put in a request's context, and whether there is one.
func PrincipalFromContext(ctx context.Context) (*Principal, bool) {
	if v := ctxkey.ValidatedFrom(ctx); v != nil {
		p, ok := v.Principal.(*Principal)
		return p, ok && p != nil
	}
	return nil, false
}

// validated is the context value of a validated request: the Principal
// and what the root package's OBOCache.Middleware reads, in one
// allocation.
type validated struct {
	v ctxkey.Validated
	p Principal
}

// contextWithPrincipal returns ctx carrying a copy of p.
func contextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	val := &validated{p: *p}
	val.v = ctxkey.Validated{Token: p.Raw, Principal: &val.p}
	return ctxkey.WithValidated(ctx, &val.v)
}

// accessClaims are the claims Validate reads, decoded once, by names
// matched with their case (RFC 7519 §4; see UnmarshalJSON).
type accessClaims struct {
	jwt.RegisteredClaims
	Scp      spaceList `json:"scp"`
	Scope    spaceList `json:"scope"`
	Roles    spaceList `json:"roles"`
	TenantID string    `json:"tid"`
	ObjectID string    `json:"oid"`
	ClientID string    `json:"client_id"`
	AZP      string    `json:"azp"`
	AppID    string    `json:"appid"`
}

// UnmarshalJSON implements json.Unmarshaler: it reads each claim by its
// exact name. encoding/json's struct decoding matches names without case
// (and with Unicode folding: "ſub" is "sub" to it), so a signed private
// claim "AUD" placed after "aud" would replace the audience. A payload in
// which no string folds to a claim name without being it is decoded as a
// struct, the fast way; any other, through a map by exact names. Of a
// name given twice, the last counts, as in encoding/json.
func (c *accessClaims) UnmarshalJSON(b []byte) error {
	if !mayHaveCaseVariants(b) {
		type plain accessClaims // without this method
		return json.Unmarshal(b, (*plain)(c))
	}
	return c.unmarshalExact(b)
}

// unmarshalExact decodes the claims by their exact names.
func (c *accessClaims) unmarshalExact(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		dst  any
	}{
		{"iss", &c.Issuer}, {"sub", &c.Subject}, {"aud", &c.Audience}, {"jti", &c.ID},
		{"exp", &c.ExpiresAt}, {"nbf", &c.NotBefore}, {"iat", &c.IssuedAt},
		{"scp", &c.Scp}, {"scope", &c.Scope}, {"roles", &c.Roles}, {"tid", &c.TenantID},
		{"oid", &c.ObjectID}, {"client_id", &c.ClientID}, {"azp", &c.AZP}, {"appid", &c.AppID},
	} {
		if raw, ok := m[f.name]; ok {
			if err := json.Unmarshal(raw, f.dst); err != nil {
				return fmt.Errorf("claim %q: %w", f.name, err)
			}
		}
	}
	return nil
}

// claimNames are the names accessClaims reads.
var claimNames = [][]byte{[]byte("iss"), []byte("sub"), []byte("aud"), []byte("jti"), []byte("exp"),
	[]byte("nbf"), []byte("iat"), []byte("scp"), []byte("scope"), []byte("roles"), []byte("tid"),
	[]byte("oid"), []byte("client_id"), []byte("azp"), []byte("appid")}

// mayHaveCaseVariants reports whether a JSON text may hold a member whose
// name encoding/json would fold onto one of claimNames without being it:
// a string that folds to a claim name (bytes.EqualFold, encoding/json's
// own rule) but differs from it, or any backslash escape, behind which a
// name could hide. Without escapes every quote opens or closes a string,
// so the scan sees every member name.
func mayHaveCaseVariants(b []byte) bool {
	if bytes.IndexByte(b, '\\') >= 0 {
		return true
	}
	for {
		i := bytes.IndexByte(b, '"')
		if i < 0 {
			return false
		}
		b = b[i+1:]
		j := bytes.IndexByte(b, '"')
		if j < 0 {
			return true
		}
		str := b[:j]
		b = b[j+1:]
		if len(str) > 4*len("client_id") {
			continue // longer than any folding of a claim name
		}
		for _, n := range claimNames {
			if bytes.EqualFold(str, n) && !bytes.Equal(str, n) {
				return true
			}
		}
	}
}

// principal builds the Principal of validated claims.
func (c *accessClaims) principal(raw string) *Principal {
	p := &Principal{
		Issuer:   c.Issuer,
		Subject:  c.Subject,
		Audience: c.Audience,
		Scopes:   c.Scp,
		Roles:    c.Roles,
		TenantID: c.TenantID,
		Raw:      raw,
		ClientID: c.ClientID,
		ObjectID: c.ObjectID,
		ID:       c.ID,
	}
	if p.Scopes == nil {
		p.Scopes = c.Scope
	}
	if p.ClientID == "" {
		p.ClientID = c.AZP
	}
	if p.ClientID == "" {
		p.ClientID = c.AppID
	}
	if c.ExpiresAt != nil {
		p.Expiry = c.ExpiresAt.Time
	}
	if c.IssuedAt != nil {
		p.IssuedAt = c.IssuedAt.Time
	}
	return p
}

// spaceList is a claim that is either a space-separated string (Entra's
// "scp", RFC 9068's "scope") or an array of strings (fosite's "scp",
// Entra's "roles").
type spaceList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *spaceList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = strings.Fields(s)
		return nil
	}
	var a []string
	if err := json.Unmarshal(b, &a); err != nil {
		return errors.New("a list claim is neither a string nor an array of strings")
	}
	*l = a
	return nil
}
