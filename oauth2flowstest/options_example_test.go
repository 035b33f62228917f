package oauth2flowstest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// daemon is the test server's confidential client of these examples.
var daemon = oauth2flowstest.Client{ID: "daemon", Secret: "daemon-secret"}

// daemonConfig is the SDK Config of daemon against srv.
func daemonConfig(srv *oauth2flowstest.Server) *oauth2flows.Config {
	return &oauth2flows.Config{ClientID: daemon.ID, ClientSecret: daemon.Secret, Endpoint: srv.Endpoint(),
		Retry: oauth2flows.RetryPolicy{MaxAttempts: 1}}
}

// A registered client: its ID, secret and what it may do.
func ExampleClient() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{
		ID: "reports", Secret: "reports-secret", AuthMethod: oauth2flowstest.AuthClientSecretPost,
		GrantTypes: []string{"client_credentials"},
	}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "reports", ClientSecret: "reports-secret", Endpoint: srv.Endpoint(),
		AuthMethod: oauth2flows.ClientSecretPost}

	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	fmt.Println(err, srv.Requests()[0].AuthMethod)
	// Output:
	// <nil> client_secret_post
}

// WithClient registers a client; a client the server does not know is
// refused, as a real server refuses it.
func ExampleWithClient() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon))
	defer srv.Close()
	cfg := daemonConfig(srv)

	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	fmt.Println("registered:", err == nil)
	cfg.ClientID = "stranger"
	_, err = oauth2flows.ClientCredentials(context.Background(), cfg)
	var oerr *oauth2flows.Error
	fmt.Println("unknown:", errors.As(err, &oerr) && oerr.Code == "invalid_client")
	// Output:
	// registered: true
	// unknown: true
}

// WithUser registers a resource owner, who signs in through Authorize or
// the password grant.
func ExampleWithUser() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw", Subject: "user-1"}))
	defer srv.Close()

	//lint:ignore SA1019 the password grant is the shortest way to a user's token here
	tok, err := oauth2flows.PasswordCredentials(context.Background(), daemonConfig(srv), "alice", "pw")
	if err != nil {
		fmt.Println(err)
		return
	}
	claims, _ := srv.VerifyAccessToken(tok.AccessToken)
	fmt.Println(claims.Subject)
	// Output:
	// user-1
}

// A user of the test server.
func ExampleUser() {
	u := oauth2flowstest.User{Username: "bob"} // Subject defaults to the Username
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithUser(u))
	defer srv.Close()
	fmt.Println(u.Username)
	// Output:
	// bob
}

// WithAccessTokenLifetime sets expires_in, for tests of renewal.
func ExampleWithAccessTokenLifetime() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon), oauth2flowstest.WithAccessTokenLifetime(90*time.Second))
	defer srv.Close()

	tok, err := oauth2flows.ClientCredentials(context.Background(), daemonConfig(srv))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.ExpiresIn)
	// Output:
	// 90
}

// WithClock runs the server on a test's clock: tokens expire when the test
// says so.
func ExampleWithClock() {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon), oauth2flowstest.WithClock(func() time.Time { return now }))
	defer srv.Close()

	tok := srv.IssueAccessToken("alice", "api://orders")
	_, err := srv.VerifyAccessToken(tok)
	fmt.Println("valid now:", err == nil)
	now = now.Add(2 * time.Hour)
	_, err = srv.VerifyAccessToken(tok)
	fmt.Println("valid two hours later:", err == nil, errors.Is(err, oauth2flowstest.ErrInvalidToken))
	// Output:
	// valid now: true
	// valid two hours later: false true
}

// VerifyAccessToken is what a resource server of the test would check.
func ExampleServer_VerifyAccessToken() {
	srv := oauth2flowstest.NewServer()
	defer srv.Close()

	claims, err := srv.VerifyAccessToken(srv.IssueAccessToken("alice", "api://orders", "orders.read"))
	fmt.Println(err, claims.Subject, claims.Audience, claims.Scope)
	// Output:
	// <nil> alice [api://orders] orders.read
}

// The claims of the server's access tokens, as a protected handler sees
// them.
func ExampleClaimsFromContext() {
	srv := oauth2flowstest.NewServer()
	defer srv.Close()
	h := srv.Protect("api://orders", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		fmt.Println("handler sees:", claims.Subject, claims.Scope)
	}))

	req, _ := http.NewRequest(http.MethodGet, "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+srv.IssueAccessToken("alice", "api://orders", "orders.read"))
	h.ServeHTTP(discard{}, req)
	// Output:
	// handler sees: alice orders.read
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// Claims of a delegated token name the actor (RFC 8693 §4.1).
func ExampleClaims() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon))
	defer srv.Close()
	user, actor := srv.IssueAccessToken("alice", "api://daemon"), srv.IssueAccessToken("daemon", "api://daemon")

	tok, err := oauth2flows.TokenExchange(context.Background(), daemonConfig(srv), user,
		oauth2flows.WithActorToken(actor, oauth2flows.TokenTypeAccessToken))
	if err != nil {
		fmt.Println(err)
		return
	}
	claims, _ := srv.VerifyAccessToken(tok.AccessToken)
	fmt.Println(claims.Subject, "acted for by", claims.Act.Subject)
	// Output:
	// alice acted for by daemon
}

// The refresh token policy: rotation with reuse detection by default, as
// RFC 9700 §4.14.2 asks.
func ExampleWithRefreshTokenPolicy() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw"}),
		oauth2flowstest.WithRefreshTokenPolicy(oauth2flowstest.RotateRevokeFamily))
	defer srv.Close()
	cfg := daemonConfig(srv)
	//lint:ignore SA1019 the password grant is the shortest way to a user's token here
	first, err := oauth2flows.PasswordCredentials(context.Background(), cfg, "alice", "pw")
	if err != nil {
		fmt.Println(err)
		return
	}

	second, err := oauth2flows.Refresh(context.Background(), cfg, first.RefreshToken)
	fmt.Println("rotated:", err == nil && second.RefreshToken != first.RefreshToken)
	_, err = oauth2flows.Refresh(context.Background(), cfg, first.RefreshToken) // reuse: theft
	fmt.Println("reuse refused:", errors.Is(err, oauth2flows.ErrReauthRequired))
	_, err = oauth2flows.Refresh(context.Background(), cfg, second.RefreshToken)
	fmt.Println("family revoked:", errors.Is(err, oauth2flows.ErrReauthRequired))
	// Output:
	// rotated: true
	// reuse refused: true
	// family revoked: true
}

// WithRefreshTokenLifetime makes refresh tokens expire, for tests of
// re-authentication.
func ExampleWithRefreshTokenLifetime() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw"}),
		oauth2flowstest.WithRefreshTokenLifetime(24*time.Hour))
	defer srv.Close()
	//lint:ignore SA1019 the password grant is the shortest way to a user's token here
	tok, err := oauth2flows.PasswordCredentials(context.Background(), daemonConfig(srv), "alice", "pw")
	fmt.Println(err, tok.RefreshToken != "")
	// Output:
	// <nil> true
}

// Every request the server got, in order, with what it carried.
func ExampleServer_Requests() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon))
	defer srv.Close()
	if _, err := oauth2flows.ClientCredentials(context.Background(), daemonConfig(srv)); err != nil {
		fmt.Println(err)
		return
	}

	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Endpoint, r.Form.Get("grant_type"), r.ClientID, r.Status)
	}
	srv.ResetRequests()
	fmt.Println(len(srv.Requests()))
	// Output:
	// POST token client_credentials daemon 200
	// 0
}

// One recorded request.
func ExampleRequest() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon))
	defer srv.Close()
	_, _ = oauth2flows.ClientCredentials(context.Background(), daemonConfig(srv), oauth2flows.WithScopes("a"))

	var r oauth2flowstest.Request = srv.RequestsTo(oauth2flowstest.EndpointToken)[0]
	fmt.Println(r.AuthMethod, r.Form.Get("scope"), r.Header.Get("Authorization") != "")
	// Output:
	// client_secret_basic a true
}

// ResetRequests forgets the requests recorded so far, between the phases of
// a test.
func ExampleServer_ResetRequests() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon))
	defer srv.Close()
	_, _ = oauth2flows.ClientCredentials(context.Background(), daemonConfig(srv))

	srv.ResetRequests()
	_, _ = oauth2flows.ClientCredentials(context.Background(), daemonConfig(srv))
	fmt.Println(len(srv.Requests()))
	// Output:
	// 1
}

// The endpoints of the server, for a Config.
func ExampleServer_Endpoint() {
	srv := oauth2flowstest.NewServer()
	defer srv.Close()

	ep := srv.Endpoint()
	fmt.Println(ep.TokenURL == srv.URL()+"/token", ep.AuthURL == srv.URL()+"/authorize")
	// Output:
	// true true
}

// URL is the server's base URL and issuer: loopback, a free port.
func ExampleServer_URL() {
	srv := oauth2flowstest.NewServer()
	defer srv.Close()

	md, err := oauth2flows.Discover(context.Background(), srv.URL())
	fmt.Println(err, md.Issuer == srv.URL())
	// Output:
	// <nil> true
}

// Close stops the server; a client then gets a network error.
func ExampleServer_Close() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon))
	cfg := daemonConfig(srv)
	srv.Close()

	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	var ne *oauth2flows.NetworkError
	fmt.Println(errors.As(err, &ne))
	// Output:
	// true
}

// A server that accepts assertions of an outside issuer as grants (RFC 7523
// §2.1), as Google accepts a service account's.
func ExampleWithTrustedIssuer() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon),
		oauth2flowstest.WithTrustedIssuer(oauth2flowstest.TrustedIssuer{Issuer: "https://issuer.example", PublicKey: &key.PublicKey}))
	defer srv.Close()
	assertion, _ := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{
		ID: "assertion-1", Issuer: "https://issuer.example", Subject: "svc-1", Audience: jwt.ClaimStrings{srv.Endpoint().TokenURL},
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(5 * time.Minute)), IssuedAt: jwt.NewNumericDate(time.Now()),
	}).SignedString(key)

	tok, err := oauth2flows.JWTBearer(context.Background(), daemonConfig(srv), assertion)
	if err != nil {
		fmt.Println(err)
		return
	}
	claims, _ := srv.VerifyAccessToken(tok.AccessToken)
	fmt.Println(claims.Subject)
	// Output:
	// svc-1
}

// An outside issuer the server trusts.
func ExampleTrustedIssuer() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ti := oauth2flowstest.TrustedIssuer{Issuer: "https://issuer.example", PublicKey: &key.PublicKey, MaxLifetime: 10 * time.Minute}
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithTrustedIssuer(ti))
	defer srv.Close()
	fmt.Println(ti.Issuer)
	// Output:
	// https://issuer.example
}

// The next n responses of an endpoint, replaced: here Entra's shape of a
// throttling error.
func ExampleFault() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon))
	defer srv.Close()
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{
		Status: http.StatusServiceUnavailable, RetryAfter: "120",
		Body: oauth2flowstest.EntraError("temporarily_unavailable", "AADSTS50196: too many requests", ""),
	})

	_, err := oauth2flows.ClientCredentials(context.Background(), daemonConfig(srv))
	var oerr *oauth2flows.Error
	if errors.As(err, &oerr) {
		fmt.Println(oerr.StatusCode, oerr.Code, oerr.ErrorCodes, oerr.RetryAfter)
	}
	// Output:
	// 503 temporarily_unavailable [50196] 2m0s
}

// An Entra error body, with its AADSTS code and claims challenge.
func ExampleEntraError() {
	body := oauth2flowstest.EntraError("invalid_grant", "AADSTS70008: the refresh token has expired", "")
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon))
	defer srv.Close()
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusBadRequest, Body: body})

	_, err := oauth2flows.Refresh(context.Background(), daemonConfig(srv), "rt")
	var oerr *oauth2flows.Error
	if errors.As(err, &oerr) {
		fmt.Println(oerr.Code, oerr.ErrorCodes)
	}
	// Output:
	// invalid_grant [70008]
}
