// Package oauth2flows is an OAuth 2.0 client (RFC 6749) for every grant a Go
// program meets: the authorization code grant with PKCE and RFC 9126 pushed
// authorization requests, client credentials, refresh, On-Behalf-Of and
// RFC 8693 token exchange, the RFC 8628 device authorization grant, the
// RFC 7523 JWT bearer grant, RFC 7009 revocation, RFC 7662 introspection,
// RFC 8705 mutual-TLS client authentication, RFC 9449 DPoP and RFC 8414
// discovery, plus the deprecated implicit and password grants. The
// resource server's side, validating JWT access tokens (RFC 9068), is
// package [github.com/oauth2flows/oauth2flows/resource].
// A [Config] describes the client; each grant is one function that takes it.
//
// # Which flow do I need
//
//   - An API receiving access tokens: package resource's NewValidator
//     once, then Validator.Middleware around the handlers; the handler
//     reads resource.PrincipalFromContext.
//   - A middle-tier API calling a downstream API on behalf of the signed-in
//     user: [OBOCache.Middleware] over [OnBehalfOf] for Microsoft Entra, or
//     [TokenExchange] (RFC 8693) for Auth0 and other servers, cached by an
//     [OBOCache] built with [WithTokenExchangeGrant], behind
//     resource.Validator.Middleware.
//   - Several replicas of one service: [WithCacheStore] for the OBO cache
//     and [WithTokenStore] for a [Transport] share tokens, and one renewal,
//     through a [TokenStore] such as the Redis one of module
//     github.com/oauth2flows/oauth2flows/redisstore.
//   - A web app signing users in: [AuthCodeURL] with [NewState] and
//     [WithPKCE], [ParseCallback] in the redirect handler, then
//     [ExchangeCode].
//   - A web app whose server requires pushed authorization requests, or
//     FAPI 2.0: [PushAuthCodeURL] instead of [AuthCodeURL], with [WithPKCE]
//     and a [Config.DPoPKey]; the callback and [ExchangeCode] are the same.
//     FAPI 2.0 clients authenticate with [Config.PrivateKey] (PS256 or
//     ES256) and [Config.AssertionAudience] set to [AudienceIssuer], with
//     Endpoint.Issuer set: a FAPI 2.0 server refuses the default audience,
//     the token URL. FAPI 2.0 Message Signing adds
//     [Config.RequestObjectKey] (JAR) and [Config.ResponseMode] "jwt" (JARM).
//   - Knowing who signed in (OpenID Connect): [WithNonce] on the
//     authorization request, then [Token.VerifyIDToken]; [UserInfo] and
//     [LogoutURL] after. See "OpenID Connect sign-in and FAPI 2.0" below.
//   - A CLI, a TV or any device without a browser: [DeviceAuth], show the
//     user UserCode and VerificationURI, then [DeviceAccessToken] polls;
//     denial and expiry match [ErrDeviceAccessDenied] and
//     [ErrDeviceCodeExpired].
//   - A service or daemon acting as itself: [ClientCredentials], or
//     [ClientCredentialsSource] under [NewTransport] for an *http.Client
//     that renews its own token.
//   - A service account trading a JWT it signed (Google's two-legged
//     OAuth, golang.org/x/oauth2/jwt): [JWTBearer], or [JWTBearerSource]
//     under [NewTransport], which asks for a new assertion for every token.
//   - No client secret at all (workload identity: Entra's
//     AZURE_FEDERATED_TOKEN_FILE, a Kubernetes projected service-account
//     token, a GitHub Actions OIDC token): set [Config.ClientAssertion],
//     for a file with [AssertionFromFile]; every grant, On-Behalf-Of
//     included, then authenticates with it.
//   - On Azure, with no secret and no file: [ManagedIdentitySource] for the
//     host's managed identity (IMDS, App Service, Arc, Azure ML, Cloud
//     Shell, Service Fabric), and [ManagedIdentityAssertion] as
//     [Config.ClientAssertion] when the app trusts that identity. Declare
//     continuous access evaluation with [Config.ClientCapabilities].
//   - Tokens bound to a key, so that a stolen token is useless without it: set
//     [Config.DPoPKey] (RFC 9449); every request to the authorization
//     server carries a proof, and a [Transport] over a source of this
//     package sends the DPoP token with a fresh proof per request.
//   - Keeping a user's session alive: [NewClient], or [RefreshTokenSource]
//     under [NewTransport], with [WithTokenSaver] to persist every new
//     (possibly rotated) refresh token.
//   - A certificate instead of a secret: set [Config.Certificate]
//     (RFC 8705 §2); [NewMTLSClient] takes a *tls.Config, pools connections,
//     and rotates certificates through tls.Config.GetClientCertificate.
//   - A legacy server that offers nothing better: [PasswordCredentials] and
//     [ImplicitURL], both deprecated by RFC 9700.
//   - Signing out: [Revoke]. Asking the server about a token: [Introspect].
//   - Where the server is: [EntraEndpoint], [Auth0Endpoint],
//     [GoogleEndpoint], or [Discover] (and [DiscoveryCache]) for any other
//     issuer.
//
// # Validating the incoming token
//
// Package resource's Validator checks a JWT access token's signature with
// the issuer's published keys (cached, fetched again at most once a
// minute), its exact issuer, its audience and its lifetime, and optionally
// scopes or roles. Its middleware answers RFC 6750 §3 challenges and puts
// the Principal in the request's context.
//
//	v, err := resource.NewValidator(ctx, resource.Config{
//		Issuer:         "https://login.microsoftonline.com/" + tenantID + "/v2.0",
//		Audiences:      []string{apiClientID},
//		RequiredScopes: []string{"access_as_user"},
//	})
//	if err != nil {
//		return err // a *ConfigError, or a *DiscoveryError: the keys could not be fetched
//	}
//	mux.Handle("/orders", v.Middleware(http.HandlerFunc(
//		func(w http.ResponseWriter, r *http.Request) {
//			p, _ := resource.PrincipalFromContext(r.Context())
//			fmt.Fprintf(w, "hello %s", p.Subject)
//		})))
//
// # A middle tier
//
// The OBO middleware takes the caller's bearer token, exchanges it through
// the cache (one request per user, token and scope, not one per call) and
// hands the handler a client for the downstream API. It exchanges only a
// token that resource's Validator.Middleware in front of it validated; without one it
// refuses, unless [WithInsecureUnvalidatedTokens] says a gateway validated.
//
//	cache := oauth2flows.NewOBOCache(&oauth2flows.Config{
//		ClientID:     apiClientID,
//		ClientSecret: apiSecret,
//		Endpoint:     oauth2flows.EntraEndpoint(tenantID),
//		Scopes:       []string{"https://graph.microsoft.com/.default"},
//	})
//	mux.Handle("/me", v.Middleware(cache.Middleware(http.HandlerFunc(
//		func(w http.ResponseWriter, r *http.Request) {
//			client, _ := oauth2flows.DownstreamClient(r.Context())
//			resp, err := client.Get("https://graph.microsoft.com/v1.0/me")
//			// ...
//		}))))
//
// # Signing users in
//
// Keep state and verifier in the user's session between the two requests.
// Any non-empty state works; [NewState] makes an unguessable one.
// [BuildAuthCodeURL] says why it refuses its inputs, as a [*ConfigError];
// [AuthCodeURL] returns "" instead, for constant inputs.
//
//	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
//	u, err := oauth2flows.BuildAuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier))
//	if err != nil {
//		return err
//	}
//	http.Redirect(w, r, u, http.StatusFound)
//
//	// In the redirect handler:
//	code, err := oauth2flows.ParseCallback(cfg, r, state)
//	if err != nil {
//		return err // ErrStateMismatch, ErrIssuerMismatch, a *CallbackError, or the server's *Error
//	}
//	tok, err := oauth2flows.ExchangeCode(r.Context(), cfg, code, oauth2flows.WithPKCE(verifier))
//
// # OpenID Connect sign-in and FAPI 2.0
//
// A sign-in is the flow above plus a nonce, and a check of the ID token
// (OpenID Connect Core §3.1.3.7) before trusting anything in it. Discover
// fills Endpoint.Issuer, JWKSURL, UserInfoURL and EndSessionURL. Make the
// Config once at start-up; its [KeySet] caches the issuer's keys:
//
//	md, err := oauth2flows.Discover(ctx, "https://issuer.example.com")
//	if err != nil {
//		return err
//	}
//	cfg := &oauth2flows.Config{
//		ClientID:    "my-app",
//		Endpoint:    md.Endpoint(),
//		RedirectURL: "https://app.example.com/callback",
//		Scopes:      []string{"openid"},
//		KeySet:      oauth2flows.NewKeySet(md.JWKSURI, nil),
//		// FAPI 2.0 (open banking, open finance, health) adds:
//		PrivateKey:        clientKey, // ECDSA P-256 (ES256) or RSA with AssertionAlg "PS256"
//		AssertionAudience: oauth2flows.AudienceIssuer,
//		DPoPKey:           dpopKey, // or Certificate, for mTLS-bound tokens
//		IDTokenAlgs:       oauth2flows.FAPI2Algs(),
//		// FAPI 2.0 Message Signing adds RequestObjectKey (JAR) and ResponseMode "jwt" (JARM).
//	}
//
// Keep state, verifier and nonce in the user's session:
//
//	state, verifier, nonce := oauth2flows.NewState(), oauth2flows.NewVerifier(), oauth2flows.NewNonce()
//	u, err := oauth2flows.PushAuthCodeURL(ctx, cfg, state, // BuildAuthCodeURL without FAPI
//		oauth2flows.WithPKCE(verifier), oauth2flows.WithNonce(nonce))
//
//	// In the redirect handler:
//	code, err := oauth2flows.ParseCallback(cfg, r, state) // checks iss, and a JARM response's signature
//	tok, err := oauth2flows.ExchangeCode(r.Context(), cfg, code, oauth2flows.WithPKCE(verifier))
//	claims, err := tok.VerifyIDToken(r.Context(), cfg, nonce)
//	if err != nil {
//		return err // an *IDTokenError: its Reason says which check failed
//	}
//	// claims.Subject is the user, unique within claims.Issuer.
//
// [UserInfo] fetches the user's claims and checks they are about
// claims.Subject. [LogoutURL] ends the session at the server
// (RP-Initiated Logout). oauth2flowstest.WithFAPI2 plays a FAPI 2.0 server
// in tests; ExampleToken_VerifyIDToken runs this sign-in against it.
//
// # Devices, DPoP and workload identity
//
// The device grant shows a code, then polls until the user answers on
// another device:
//
//	da, err := oauth2flows.DeviceAuth(ctx, cfg) // cfg.Endpoint.DeviceAuthURL
//	if err != nil {
//		return err
//	}
//	fmt.Printf("Open %s and enter %s\n", da.VerificationURI, da.UserCode)
//	tok, err := oauth2flows.DeviceAccessToken(ctx, cfg, da)
//
// With a DPoP key, server nonces are handled (one retry on use_dpop_nonce)
// and a DPoP-bound token is never sent as a bearer. A client with no secret
// gets its client assertion from elsewhere, afresh for every request:
//
//	cfg.DPoPKey = key // *ecdsa.PrivateKey (P-256), RSA, or a KMS key: any crypto.Signer
//	cfg.ClientAssertion = oauth2flows.AssertionFromFile(os.Getenv("AZURE_FEDERATED_TOKEN_FILE"))
//	api := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg))}
//
// # Clients that renew their token
//
// A [Transport] adds the bearer to each request and renews the token before
// it expires, with one request to the server however many goroutines wait.
//
//	svc := &http.Client{Transport: oauth2flows.NewTransport(
//		oauth2flows.ClientCredentialsSource(cfg, oauth2flows.WithScopes("api://billing/.default")))}
//
//	user := oauth2flows.NewClient(cfg, storedTok, oauth2flows.WithTokenSaver(
//		func(ctx context.Context, tok *oauth2flows.Token) error {
//			return store.Save(ctx, userID, tok) // a rotated refresh token must not be lost
//		}))
//
// # Errors
//
// An error response of the server is an [*Error], with the Entra members
// (ErrorCodes, TraceID, Claims) when present. [ErrReauthRequired] matches
// the codes that mean the user must sign in again (invalid_grant,
// interaction_required, login_required, consent_required). A middle tier
// passes an Entra claims challenge back to its caller with [ClaimsFromError]
// and [WriteClaimsChallenge]; the caller's retry sends it with [WithClaims].
//
//	tok, err := oauth2flows.Refresh(ctx, cfg, refreshToken)
//	var oe *oauth2flows.Error
//	switch {
//	case errors.Is(err, oauth2flows.ErrReauthRequired):
//		// send the user to AuthCodeURL again
//	case errors.As(err, &oe):
//		log.Printf("token endpoint: %s %v trace=%s", oe.Code, oe.ErrorCodes, oe.TraceID)
//	}
//
// The other types say where it failed: a [*ConfigError] was refused before
// anything was sent (missing, contradictory or unsafe settings, an option
// the call does not take), and names the function (Op) and what the caller
// set (Field, e.g. "Config.Endpoint.TokenURL" or "WithPKCE"); an
// [*InvalidResponseError] is a 2xx that is not a usable token; a
// [*NetworkError] got no HTTP response and wraps the cause, so
// errors.Is(err, context.DeadlineExceeded) works; a [*CallbackError] is an
// authorization response that cannot be trusted; a [*DiscoveryError] is
// metadata that could not be fetched or used; a [*SAMLError] is a token
// [SAMLAssertion] cannot read; a [*TokenTypeError] is a token the
// [Transport] will not send as a bearer (a DPoP token without the key
// among them); an [*AssertionError] is a [Config.ClientAssertion] or
// [JWTBearerSource] callback that failed; a [*SaveError] is a failed
// [WithTokenSaver] saver; a [*PanicError] is a panic, recovered, in a
// token source, saver, token store or HTTP client run by a renewal. A [*StoreError]
// never fails a call: the OBO cache treats a store failure as a miss and
// reports it to [WithStoreErrorHandler]. No error message holds a
// credential.
//
// # Safety defaults
//
// Endpoints must be https, except http on loopback for development;
// [Config.InsecureAllowHTTP] lifts that for other hosts, never for
// certificate authentication. Token, revocation and discovery requests do
// not follow redirects, and their responses are read up to 1 MiB. Secrets,
// codes, assertions and tokens are redacted from errors and logs. A
// [Transport] never sends its bearer to another origin when a redirect is
// followed, nor over plain http to a host other than loopback (unless
// [WithInsecureBearerOverHTTP]), nor sends a token that is not a bearer
// token (see [TokenTypeError]); [WithAllowedHosts] restricts it further.
// SECURITY.md lists every refusal and its reason.
//
//	client := &http.Client{Transport: oauth2flows.NewTransport(src,
//		oauth2flows.WithAllowedHosts("api.example.com"))}
//
// # Retries
//
// Requests to the authorization server are retried, a bounded number of
// times, on 429 and on connection failures before the request was written,
// honouring Retry-After within ctx's deadline, else with exponential backoff
// and jitter. Requests without a one-time credential are also retried on 503
// and after a connection failure once sent. A request carrying an
// authorization code or a refresh token is never re-sent once it may have
// reached the server, since the server may have consumed it; nor is any
// request after a 500. A Retry-After longer than [RetryPolicy.MaxDelay]
// returns the [*Error], with RetryAfter set, instead of sending early.
// [RetryPolicy] tunes this.
//
//	cfg.Retry = oauth2flows.RetryPolicy{MaxAttempts: 5, MaxDelay: 30 * time.Second}
//	cfg.Retry = oauth2flows.RetryPolicy{MaxAttempts: 1} // no retries
//
// # Observability
//
// [Config.Logger] records each attempt at the authorization server
// (endpoint, grant, status, attempt, duration; never a secret): successes at
// Debug level, error statuses at Info, connection failures at Warn. A
// [net/http/httptrace.ClientTrace] in ctx sees every attempt. For
// OpenTelemetry, wrap [Config.HTTPClient]'s transport, for example with
// otelhttp; this package does not depend on it. [NewClient] and the
// downstream client of [OBOCache.Middleware] send resource requests through
// that transport too. Certificate authentication needs the
// *http.Transport itself, so do not wrap it there.
//
//	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
//	cfg.HTTPClient = &http.Client{
//		Timeout:   30 * time.Second,
//		Transport: otelhttp.NewTransport(http.DefaultTransport),
//	}
//
// # Testing
//
// Package [github.com/oauth2flows/oauth2flows/oauth2flowstest] runs a strict
// authorization server in the test process, as net/http/httptest runs an
// HTTP server. It serves every grant of this package, records each request
// for assertions on the wire, injects faults such as 429 with Retry-After,
// and plays the browser of the code flow. With
// [github.com/oauth2flows/oauth2flows/oauth2flowstest.WithEntra] it speaks
// Microsoft Entra ID's layout and rules over TLS.
//
//	srv := oauth2flowstest.NewServer(
//		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "app", Secret: "s3cret"}),
//	)
//	defer srv.Close()
//	cfg := &oauth2flows.Config{ClientID: "app", ClientSecret: "s3cret", Endpoint: srv.Endpoint()}
//	tok, err := oauth2flows.ClientCredentials(ctx, cfg)
//	form := srv.RequestsTo(oauth2flowstest.EndpointToken)[0].Form
package oauth2flows
