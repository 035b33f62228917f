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
//   - /device_authorization and /device: the device authorization grant
//     (RFC 8628). [Server.ApproveDevice] and [Server.DenyDevice] play the
//     user; [WithDeviceInterval] makes polling fast.
//   - /par: pushed authorization requests (RFC 9126), required with
//     [WithPARRequired].
//   - Azure managed identity with [WithManagedIdentity]: IMDS at
//     /metadata/identity/oauth2/token (reached through [Server.Client] as
//     http://169.254.169.254) and App Service at /msi/token
//     ([Server.AppServiceEnv]).
//   - /userinfo (OpenID Connect Core §5.3) and /session/end
//     (RP-Initiated Logout 1.0, to [Client.PostLogoutRedirectURIs]). ID
//     tokens carry nonce, at_hash, c_hash and auth_time.
//   - FAPI 2.0: [WithFAPI2] requires PAR, PKCE, private_key_jwt or mTLS,
//     sender-constrained tokens and PS256/ES256; [WithFAPI2MessageSigning]
//     adds request objects and JARM.
//
// Clients authenticate with client_secret_basic, client_secret_post,
// client_secret_jwt, private_key_jwt, tls_client_auth and
// self_signed_tls_client_auth ([WithMTLS]), or as public clients ("none"); see
// [Client.AuthMethod]. Access and ID tokens are ES256 JWTs; codes and refresh
// tokens are opaque.
//
// # Mutual TLS (RFC 8705)
//
// [WithMTLS] adds an HTTPS listener that asks for client certificates and
// serves the token, revocation, introspection, device authorization and
// pushed authorization request endpoints as the mtls_endpoint_aliases.
// [NewCertificateAuthority] and [NewSelfSignedCertificate] make
// certificates at test time; tokens issued to a client that authenticated
// with one carry cnf "x5t#S256", and [Server.Protect] behind
// [NewMTLSResourceServer] accepts them only with that certificate:
//
//	ca, _ := oauth2flowstest.NewCertificateAuthority("test CA")
//	cert, _ := ca.IssueClientCertificate("svc")
//	srv := oauth2flowstest.NewServer(oauth2flowstest.WithMTLS(ca.Certificate),
//		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "svc", TLSSubjectDN: "CN=svc"}))
//	cfg := &oauth2flows.Config{ClientID: "svc", Certificate: cert,
//		Endpoint: srv.Endpoint(), HTTPClient: srv.Client()}
//
// # DPoP (RFC 9449)
//
// A token request with a DPoP proof gets a DPoP-bound token (token_type
// DPoP, cnf.jkt); [Server.Protect] then wants the DPoP scheme and a proof
// with ath, and refuses the token as Bearer. [WithDPoPRequired] refuses
// requests without proofs, [WithDPoPNonce] asks for server nonces.
// Proofs are checked strictly: typ dpop+jwt, ES256/PS256/RS256, a public
// JWK, htm, htu without query or fragment, iat within 60 s back and 5 s
// ahead of the server's clock (so a test using WithClock must date its
// proofs by that clock), and a jti used once.
//
// # Assertions from elsewhere (RFC 7523)
//
// [WithTrustedIssuer] accepts an outside issuer's assertions as the
// jwt-bearer grant; [WithFederatedCredential] lets a client authenticate
// with a Kubernetes, GitHub or Entra federated token.
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
//
// # Refresh tokens
//
// [WithRefreshTokenPolicy] chooses what a refresh does with the token it
// was given: [RotateRevokeFamily] (the default: reuse of a rotated token
// revokes its family, RFC 9700 §4.14.2), [RotateKeepOld] (Entra's: the old
// one stays valid) or [NoRotation].
//
// # Token exchange
//
// On-Behalf-Of and RFC 8693 token exchange accept an incoming token only
// when it was issued for the calling client: its aud is the client's ID,
// "api://"+ID or one of its [Client.Audiences].
//
// # Auth0
//
// [WithAuth0] adds Auth0's layout: the token endpoint is also at
// /oauth/token, token exchange requires an audience, and a refused
// exchange is 403 access_denied, with RFC 6749's
// {"error","error_description"} errors. Auth0's other rules (an audience
// for client credentials, its /authorize parameters, rules and actions)
// are not reproduced.
//
// # Microsoft Entra ID
//
// [WithEntra] serves Entra's paths over TLS, next to the generic ones, so
// that MSAL and code written for Entra run against it unchanged:
//
//	srv := oauth2flowstest.NewServer(oauth2flowstest.WithEntra(tenantID),
//		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: appID, Secret: secret}))
//	cfg := &oauth2flows.Config{ClientID: appID, ClientSecret: secret,
//		Endpoint: srv.EntraEndpoint(tenantID), HTTPClient: srv.Client()}
//	// MSAL Go: confidential.New(srv.URL()+"/"+tenantID, appID, cred,
//	//	confidential.WithHTTPClient(srv.Client()))
//
// Where the test server ends and Entra begins:
//
//	Entra behaviour                                          here   what a user's test would miss where not
//	-------------------------------------------------------  -----  ----------------------------------------
//	/{tenant}/oauth2/v2.0/{authorize,token,logout}           yes
//	v1 /{tenant}/oauth2/{authorize,token}                    yes
//	v2 and v1 openid-configuration, /discovery/v2.0/keys     yes
//	/{tenant}/oauth2/v2.0/devicecode                         yes    (served by the generic device endpoint)
//	/common, /organizations; unknown tenant: AADSTS90002     yes
//	/consumers, regional and sovereign hosts, aliases        no     authority and cloud configuration errors
//	AAD instance discovery (/common/discovery/instance)      yes    (via Client(), which routes MSAL's GET)
//	issuer {URL}/{tid}/v2.0, "{tenantid}" for common         yes
//	RFC 9207 iss of authorization responses: that issuer     yes
//	per-key "issuer" {URL}/{tenantid}/v2.0 in v2 key sets    yes    (not in v1's /discovery/keys)
//	userinfo_endpoint, end_session_endpoint                  yes    userinfo takes any user token, not only Graph's;
//	                                                                sign-out keeps no session, only redirects
//	cloud_instance_name, msgraph_host, tenant_region_scope   yes
//	client credentials need {resource}/.default (1002012)    yes
//	bare scope is Graph's; two resources: AADSTS28000        yes
//	granted scopes in scope; none for client credentials     yes
//	consent, app permissions, resource registrations         no     AADSTS65001 consent_required, 500011 unknown
//	                                                                resource, scopes the app was never granted
//	AADSTS error_codes on every token-endpoint refusal       yes    (one code per refusal; Entra may send more)
//	trace_id, correlation_id (client-request-id), timestamp  yes
//	suberror                                                 some   only bad_token and client_mismatch; others
//	                                                                (basic_action, consent_required) via Fault
//	AADSTS codes in authorization-endpoint redirects         no     redirect errors carry RFC 6749 fields only
//	conditional access, MFA                                  no     inject them with Fault and EntraError
//	CAE: claims xms_cc "cp1" gives tokens with xms_cc        yes    CAE tokens live as long as others (Entra: 28 h)
//	CAE revocation: resource answers insufficient_claims     yes    Server.RevokeUser; tokens without cp1 stay valid
//	throttling (429, Retry-After), outages                   no     inject them with Fault
//	ext_expires_in; v1 string numbers and resource           yes
//	client_info when client_info=1                           yes
//	refresh_in                                               no     MSAL's early refresh; it refreshes on expiry
//	oid, tid, ver; preferred_username, name (user)           yes
//	roles (Client.Roles), sub=oid, idtyp=app (app-only)      yes
//	pairwise sub, appid, uti, rh, amr, acr, wids, groups     no     code reading those claims gets nothing
//	RS256 signatures, signing-key rollover                   no     tokens are ES256; rollover is not exercised
//	v1 tokens (iss https://sts.windows.net/{tid}/)           no     v1 paths issue v2-shaped tokens
//	old refresh token valid after use (RotateKeepOld)        yes
//	refresh-token inactivity expiry, revocation by admin     no     AADSTS700082/50173 only with WithClock or Fault
//	OBO: user token for the calling client (50013, 500131)   yes
//	client secret; certificate assertion, aud = token URL    yes
//	federated credentials (WithFederatedCredential)          yes
//	managed identity: IMDS, App Service endpoints            yes    WithManagedIdentity; 410, 429, 5xx via Fault
//	managed identity as a federated credential               yes    (ManagedIdentity.FederatedWith)
//	managed identity on Arc, Azure ML, Cloud Shell, Fabric   no     their request shapes are not checked here
//	PoP tokens                                               no     that flow cannot run against the server
package oauth2flowstest
