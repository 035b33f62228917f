// Package resource is the side of OAuth 2.0 that receives access tokens: a
// resource server, or the API half of a middle tier. It validates JWT
// access tokens (RFC 9068, and those of Entra ID v1 and v2, zitadel, fosite
// and oidc-provider) against the issuer's published keys, answers refused
// requests with RFC 6750 Bearer challenges, and hands the handler a
// [Principal]: who the token speaks for.
//
// # Validating requests
//
// Make one [Validator] at start-up, with the issuer and the API's own
// audiences, and put its middleware in front of the handlers:
//
//	v, err := resource.NewValidator(ctx, resource.Config{
//		Issuer:         "https://login.microsoftonline.com/" + tenant + "/v2.0",
//		Audiences:      []string{apiClientID, "api://orders"},
//		RequiredScopes: []string{"orders.read"},
//		Logger:         slog.Default(), // one record per refused token
//	})
//	if err != nil {
//		log.Fatal(err) // a wrong issuer or key set fails here, not per request
//	}
//	http.Handle("/orders", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		p, _ := resource.PrincipalFromContext(r.Context())
//		fmt.Fprintln(w, "orders of", p.Subject)
//	})))
//
// The middleware answers 401 when the token is missing or invalid, 403
// when it lacks the required scopes or roles, and 503 when the key set
// cannot be fetched. Code that is not an http.Handler calls
// [BearerToken] and [Validator.Validate] itself.
//
// # A middle tier
//
// An API that calls another API on the user's behalf puts the root
// package's On-Behalf-Of cache behind the Validator; the cache exchanges
// only tokens the Validator accepted:
//
//	obo := oauth2flows.NewOBOCache(cfg)
//	http.Handle("/orders", v.Middleware(obo.Middleware(orders)))
//
// # What is checked, and what is remembered
//
// [Validator.Validate] lists the checks. Keys are fetched from the
// issuer's key set (found through its discovery document unless
// Config.JWKSURL is set), cached, and fetched again when a token names a
// key not yet seen, at most once per Config.KeyRefetchInterval. A token
// that validated is remembered by its exact bytes, so that the signature
// of a token used for a hundred requests is checked once; every later use
// still checks its lifetime and that its signing key is still published.
// Config.DisableVerificationCache turns that off.
//
// # Sender-constrained tokens
//
// A resource server that accepts mutual-TLS bound tokens (RFC 8705)
// calls [VerifyCertificateBinding] with the client certificate of the
// request's connection, after validating the token.
package resource
