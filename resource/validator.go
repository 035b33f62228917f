package resource

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/internal/jwks"
)

// Defaults of [Config].
const (
	// DefaultLeeway is the clock skew allowed on "exp" and "nbf" (RFC 7519
	// §4.1.4: "some small leeway, usually no more than a few minutes").
	// One minute covers NTP-synchronised hosts with room to spare, and
	// lets an expired token be used for at most a minute more.
	DefaultLeeway = time.Minute
	// DefaultMaxTokenSize bounds a token before it is parsed. An Entra
	// access token at the group claim's 200-group limit is about 12 KiB.
	DefaultMaxTokenSize = 16 << 10
	// DefaultVerificationCacheSize is how many validated tokens a
	// Validator remembers: one per user active within a token's lifetime,
	// for most APIs.
	DefaultVerificationCacheSize = 10000
)

// defaultAlgorithms is the RFC 7518 §3.1 allow-list when
// Config.Algorithms is empty: what Entra, zitadel, fosite and
// oidc-provider sign access tokens with.
var defaultAlgorithms = []string{"RS256", "PS256", "ES256"}

// asymmetricAlgorithms are the algorithms a Validator can be configured
// with: signatures with public keys only. HMAC ("HS256"...) and "none" are
// not among them, so a public key can never serve as an HMAC secret
// (RFC 8725 §2.1, §3.1).
var asymmetricAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// tenantPlaceholder in Config.Issuer stands for the token's "tid".
const tenantPlaceholder = "{tenantid}"

// Config configures a [Validator]. Issuer and Audiences are required;
// every other field has a safe default.
type Config struct {
	// Issuer is the exact "iss" the tokens must carry (RFC 9068 §4, RFC 7519
	// §4.1.1), e.g. "https://login.microsoftonline.com/<tenant>/v2.0" for
	// Entra v2 tokens or "https://sts.windows.net/<tenant>/" for v1.
	// For an Entra multi-tenant API, "{tenantid}" in it stands for the
	// token's own "tid" claim: the token's "iss" must be the issuer with
	// its "tid" in that place, so a token whose issuer names a tenant
	// other than its "tid" is refused. Tenants can narrow the tenants
	// accepted.
	Issuer string
	// Audiences are the values of which at least one must be in the
	// token's "aud" (RFC 9068 §4, RFC 7519 §4.1.3): for Entra the API's
	// application ID URI ("api://...", v1 tokens) and its client ID (v2).
	Audiences []string
	// JWKSURL is the key set (RFC 7517 §5) the tokens are signed with.
	// Empty means the jwks_uri of the issuer's metadata, found with
	// [oauth2flows.Discover] when the Validator is made; it must then be set for an
	// Issuer holding "{tenantid}", whose metadata has no single URL (for
	// Entra: "https://login.microsoftonline.com/common/discovery/v2.0/keys").
	// It must be https, except on loopback.
	JWKSURL string

	// Algorithms is the allow-list of signature algorithms (RFC 8725
	// §3.1); empty means RS256, PS256 and ES256. Only asymmetric
	// algorithms can be listed: "none" and HMAC are always refused.
	Algorithms []string
	// Leeway is the clock skew allowed on "exp" and "nbf". Zero means
	// [DefaultLeeway]; a negative value means none.
	Leeway time.Duration
	// MaxTokenSize is the largest token, in bytes, that is parsed at all.
	// Zero means [DefaultMaxTokenSize].
	MaxTokenSize int
	// RequireATJWT refuses tokens whose "typ" header is not "at+jwt"
	// (RFC 9068 §4). By default "at+jwt", "JWT" and no "typ" are accepted,
	// since Entra, zitadel and fosite issue "JWT"; any other "typ", such as
	// an ID token's or a DPoP proof's, is refused either way.
	RequireATJWT bool

	// RequiredScopes are the delegated permissions the token must all
	// carry in "scp" or "scope" (RFC 9068 §2.2.3).
	// RequiredRoles are the roles (app permissions) it must all carry in
	// "roles" (RFC 9068 §7.2.1). When both are set, either set suffices,
	// as Microsoft.Identity.Web's RequiredScopeOrAppPermission does: a
	// user's token has scopes, a daemon's has roles. A token lacking them
	// fails with [ReasonInsufficientScope], which
	// [Validator.Middleware] answers with 403 (RFC 6750 §3.1). Setting
	// one of them is advised: an ID token issued to the API's own client
	// ID has the right "iss" and "aud", and "typ" "JWT" like most access
	// tokens, but carries neither scopes nor roles.
	RequiredScopes []string
	RequiredRoles  []string
	// Tenants, when not empty, are the only "tid" values accepted.
	Tenants []string

	// Realm is the realm of the Bearer challenge of [Validator.Middleware]
	// (RFC 6750 §3); empty means the first of Audiences.
	Realm string

	// HTTPClient fetches the metadata and the key set. Nil means a
	// default client with a 10-second timeout. Redirects are never
	// followed.
	HTTPClient *http.Client
	// KeyCacheTTL is how long the key set is used before it is fetched
	// again; zero means one hour. A token signed with a key not yet in the
	// set causes a fetch at once, unless one ran within KeyRefetchInterval,
	// so rotation needs no restart.
	KeyCacheTTL time.Duration
	// KeyRefetchInterval is the least time between two fetches of the key
	// set, whatever causes them, so that tokens with forged "kid"s cannot
	// make the Validator hammer the key set's host; zero means one minute.
	KeyRefetchInterval time.Duration

	// Logger receives one record per refused token: its reason and what
	// was wrong (a claim value, quoted and shortened), never the token.
	// Nil means no logging.
	Logger *slog.Logger

	// Observer receives an [oauth2flows.EventValidatorRefusal] per refused
	// token, with its reason, for metrics (package
	// github.com/oauth2flows/oauth2flows/otel). Nil means none.
	Observer oauth2flows.Observer

	// DisableVerificationCache makes every Validate verify the signature
	// again. By default a token that validated is remembered, keyed by a
	// hash of its exact bytes, and a later Validate of the same bytes
	// checks only what can change: "exp" and "nbf" against the clock, with
	// the leeway, and that the key that signed it is still published. A
	// refusal is never remembered.
	DisableVerificationCache bool
	// VerificationCacheSize bounds the tokens remembered; zero means
	// [DefaultVerificationCacheSize]. Their memory is bounded too: each
	// entry is counted as twice its token plus 256 bytes, and all of them
	// at most VerificationCacheSize × 8 KiB (80 MB by default).
	VerificationCacheSize int
}

// Validator validates JWT access tokens (RFC 9068, and the JWT access
// tokens of Entra v1 and v2, zitadel, fosite and oidc-provider): the
// signature with the issuer's published keys, the issuer, the audience,
// the lifetime, and optionally scopes and roles. Make one with
// [NewValidator] and share it: it is safe for concurrent use, and keeps
// the key set cached.
type Validator struct {
	cfg       Config
	algs      []string
	leeway    time.Duration
	maxSize   int
	issPrefix string // Issuer before "{tenantid}", or all of it
	issSuffix string // Issuer after "{tenantid}"
	tenantTpl bool   // Issuer holds "{tenantid}"
	realm     string
	keys      *jwks.Cache
	parser    *jwt.Parser
	now       func() time.Time
	cache     *verified // nil when DisableVerificationCache
	logger    *slog.Logger
	observer  oauth2flows.Observer
}

// NewValidator checks cfg, finds the key set URL through discovery when
// cfg.JWKSURL is empty, and fetches the key set once, so that a wrong
// configuration fails here rather than on the first request. Errors are an
// [*oauth2flows.ConfigError] for cfg, an [*oauth2flows.DiscoveryError]
// when the metadata or the key set cannot be fetched or used.
func NewValidator(ctx context.Context, cfg Config) (*Validator, error) {
	v, err := newValidatorWithKeys(ctx, cfg)
	if err != nil {
		if ce := (*oauth2flows.ConfigError)(nil); errors.As(err, &ce) && ce.Op == "" {
			ce.Op = "NewValidator"
		}
		return nil, err
	}
	return v, nil
}

// newValidatorWithKeys is NewValidator but for the Op of its ConfigErrors.
func newValidatorWithKeys(ctx context.Context, cfg Config) (*Validator, error) {
	if ctx == nil {
		return nil, &oauth2flows.ConfigError{Field: "ctx", Reason: "nil context"}
	}
	v, err := newValidator(cfg)
	if err != nil {
		return nil, err
	}
	hc := validatorClient(cfg.HTTPClient)
	jwksURL := cfg.JWKSURL
	if jwksURL == "" {
		md, err := (&oauth2flows.DiscoveryCache{HTTPClient: hc}).Discover(ctx, cfg.Issuer)
		if err != nil {
			return nil, err
		}
		if md.JWKSURI == "" {
			return nil, &oauth2flows.DiscoveryError{Issuer: cfg.Issuer, Reason: "metadata has no jwks_uri"}
		}
		if err := checkHTTPS("jwks_uri", md.JWKSURI); err != nil {
			return nil, &oauth2flows.DiscoveryError{Issuer: cfg.Issuer, Reason: "unusable jwks_uri", Err: err}
		}
		jwksURL = md.JWKSURI
	}
	v.keys = jwks.New(jwks.Config{
		URL:         jwksURL,
		Client:      hc,
		TTL:         cfg.KeyCacheTTL,
		MinInterval: cfg.KeyRefetchInterval,
		Now:         v.clock,
	})
	if err := v.keys.Load(ctx); err != nil {
		de := &oauth2flows.DiscoveryError{Issuer: cfg.Issuer, URL: jwksURL, Reason: "key set unusable", Err: err}
		if fe := (*jwks.FetchError)(nil); errors.As(err, &fe) {
			de.StatusCode = fe.StatusCode
		}
		return nil, de
	}
	return v, nil
}

// newValidator checks cfg and builds a Validator without its key cache.
func newValidator(cfg Config) (*Validator, error) {
	field := func(name, reason string) error {
		return &oauth2flows.ConfigError{Field: "resource.Config." + name, Reason: reason}
	}
	v := &Validator{cfg: cfg, now: time.Now, logger: cfg.Logger, observer: cfg.Observer}
	switch n := strings.Count(cfg.Issuer, tenantPlaceholder); {
	case cfg.Issuer == "":
		return nil, field("Issuer", "not set")
	case n > 1:
		return nil, field("Issuer", `"{tenantid}" more than once`)
	case n == 1:
		if cfg.JWKSURL == "" {
			return nil, field("JWKSURL", `must be set when Issuer holds "{tenantid}": its metadata has no single key set URL`)
		}
		v.tenantTpl = true
		v.issPrefix, v.issSuffix, _ = strings.Cut(cfg.Issuer, tenantPlaceholder)
	default:
		v.issPrefix = cfg.Issuer
	}
	if len(cfg.Audiences) == 0 || slices.Contains(cfg.Audiences, "") {
		return nil, field("Audiences", "at least one non-empty audience is required (RFC 9068 §4)")
	}
	if cfg.JWKSURL != "" {
		if err := checkHTTPS("resource.Config.JWKSURL", cfg.JWKSURL); err != nil {
			return nil, err
		}
	}
	v.algs = defaultAlgorithms
	if len(cfg.Algorithms) > 0 {
		for _, a := range cfg.Algorithms {
			if !slices.Contains(asymmetricAlgorithms, a) {
				return nil, field("Algorithms", strconv.Quote(a)+" is not an asymmetric signature algorithm; none and HMAC are never accepted (RFC 8725 §3.1)")
			}
		}
		v.algs = slices.Clone(cfg.Algorithms)
	}
	for _, s := range append(slices.Clone(cfg.RequiredScopes), cfg.RequiredRoles...) {
		if !validScopeToken(s) {
			return nil, field("RequiredScopes", "a scope or role must be a non-empty RFC 6749 §3.3 scope-token")
		}
	}
	v.leeway = cfg.Leeway
	if v.leeway == 0 {
		v.leeway = DefaultLeeway
	} else if v.leeway < 0 {
		v.leeway = 0
	}
	v.maxSize = cfg.MaxTokenSize
	if v.maxSize <= 0 {
		v.maxSize = DefaultMaxTokenSize
	}
	v.realm = cfg.Realm
	if v.realm == "" {
		v.realm = cfg.Audiences[0]
	}
	v.cfg.Audiences = slices.Clone(cfg.Audiences)
	v.cfg.RequiredScopes = slices.Clone(cfg.RequiredScopes)
	v.cfg.RequiredRoles = slices.Clone(cfg.RequiredRoles)
	v.cfg.Tenants = slices.Clone(cfg.Tenants)
	v.parser = jwt.NewParser(
		jwt.WithLeeway(v.leeway),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(v.clock),
		// RFC 7515 §2 and RFC 4648 §3.5: the unused low bits of a
		// segment's last character must be zero, so a token has one
		// spelling and one cache key.
		jwt.WithStrictDecoding(),
	)
	if cfg.VerificationCacheSize < 0 {
		return nil, field("VerificationCacheSize", "negative; set DisableVerificationCache to turn the cache off")
	}
	if !cfg.DisableVerificationCache {
		v.cache = newVerified(cfg.VerificationCacheSize)
	}
	return v, nil
}

// clock is the Validator's time source, replaceable by tests.
func (v *Validator) clock() time.Time { return v.now() }

// validatorClient copies hc, or makes a default client, that never follows
// redirects: a redirected key set request would trust another host's keys.
func validatorClient(hc *http.Client) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	}
	if c.Timeout == 0 {
		c.Timeout = jwks.DefaultFetchTimeout
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// checkHTTPS refuses a key set URL that is not https, except on loopback:
// keys fetched over plain http could be anyone's.
func checkHTTPS(field, raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		return &oauth2flows.ConfigError{Field: field, Reason: "not an absolute URL"}
	case strings.EqualFold(u.Scheme, "https"):
		return nil
	case strings.EqualFold(u.Scheme, "http"):
		if ip := net.ParseIP(u.Hostname()); strings.EqualFold(u.Hostname(), "localhost") || ip != nil && ip.IsLoopback() {
			return nil
		}
		return &oauth2flows.ConfigError{Field: field, Reason: "plain http is refused except on loopback"}
	}
	return &oauth2flows.ConfigError{Field: field, Reason: "scheme must be https"}
}

// validScopeToken reports whether s is an RFC 6749 §3.3 scope-token, so it
// can be quoted in a challenge without escaping.
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
