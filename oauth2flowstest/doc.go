// Package oauth2flowstest runs an OAuth 2.0 authorization server in the test
// process, on a loopback port, as net/http/httptest runs an HTTP server.
// It is strict: it refuses whatever a careful real server would refuse, so a
// client that works against it has a fair chance against production.
//
// # Starting a server
//
// Register clients and users, then point an [oauth2flows.Config] at
// [Server.Endpoint]:
//
//	srv := oauth2flowstest.NewServer(
//		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "app", Secret: "s3cret"}),
//		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw"}),
//	)
//	defer srv.Close()
//	cfg := &oauth2flows.Config{ClientID: "app", ClientSecret: "s3cret", Endpoint: srv.Endpoint()}
//
// # What it serves
//
//   - /authorize: the code grant with PKCE (S256 only, required for public
//     clients) and the implicit grant; the first user (or login_hint) consents
//     at once. Responses carry the RFC 9207 iss.
//   - /token: authorization_code, password, client_credentials,
//     refresh_token (rotating by default), Entra On-Behalf-Of (jwt-bearer with
//     requested_token_use=on_behalf_of, SAML included) and RFC 8693 token
//     exchange (with actor tokens and act claims).
//   - /revoke (RFC 7009), /introspect (RFC 7662), /jwks, and metadata at
//     /.well-known/oauth-authorization-server and
//     /.well-known/openid-configuration.
//
// Clients authenticate with client_secret_basic, client_secret_post,
// client_secret_jwt, private_key_jwt, or as public clients ("none"); see
// [Client.AuthMethod]. Access and ID tokens are ES256 JWTs; codes and refresh
// tokens are opaque.
//
// # Tokens for resource-server tests
//
// [Server.IssueAccessToken] mints a token as if the server had issued it, for
// example the incoming token of an On-Behalf-Of call; [Server.Protect] guards
// a handler with it and [Server.VerifyAccessToken] checks one:
//
//	tok := srv.IssueAccessToken("alice", "api://middle", "access")
//	api := srv.Protect("api://middle", handler) // 401 without a valid token
//
// # Asserting the wire, and failing on purpose
//
// Every request is recorded: [Server.RequestsTo] returns the form, headers,
// client and authentication method each endpoint saw. [Server.InjectFault]
// makes the next requests fail with a status, a body (see [EntraError] for
// Entra's shape), a Retry-After or a delay:
//
//	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{
//		Status:     http.StatusTooManyRequests,
//		RetryAfter: "1",
//	})
//
// [WithEntraV1Responses] and [WithFormResponses] reshape successful token
// responses like Entra's v1 endpoint and GitHub; [WithClock] controls time.
package oauth2flowstest
