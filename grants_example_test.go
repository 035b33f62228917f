package oauth2flows_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A CLI on a machine without a browser: show the code, then poll until the
// user approved it on their phone.
func ExampleDeviceAccessToken() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "tv-app", AuthMethod: oauth2flowstest.AuthNone}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}),
		oauth2flowstest.WithDeviceInterval(time.Second),
	)
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "tv-app", Endpoint: srv.Endpoint(), Scopes: []string{"profile"}}
	ctx := context.Background()

	da, err := oauth2flows.DeviceAuth(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	// A real CLI prints da.VerificationURI and da.UserCode; here the
	// test server plays the user who enters the code.
	_ = srv.ApproveDevice(da.UserCode, "alice")

	tok, err := oauth2flows.DeviceAccessToken(ctx, cfg, da)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("go to:", da.VerificationURI == srv.URL()+"/device", "poll every", da.Interval, "s")
	fmt.Println("scope:", tok.Scope, "bearer:", tok.IsBearer())
	// Output:
	// go to: true poll every 1 s
	// scope: profile bearer: true
}

// A FAPI 2.0 web app pushes its authorization request, PKCE included, and
// sends the user to a URL that carries only a reference to it.
func ExamplePushAuthCodeURL() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "bank-app", Secret: "app-secret",
			RedirectURIs: []string{"https://app.example/callback"}}),
		oauth2flowstest.WithPARRequired(),
	)
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "bank-app", ClientSecret: "app-secret", Endpoint: srv.Endpoint(),
		RedirectURL: "https://app.example/callback", Scopes: []string{"accounts"}}

	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
	authURL, err := oauth2flows.PushAuthCodeURL(context.Background(), cfg, state, oauth2flows.WithPKCE(verifier))
	if err != nil {
		fmt.Println(err)
		return
	}
	u, _ := url.Parse(authURL)
	pushed := srv.RequestsTo(oauth2flowstest.EndpointPAR)[0].Form
	fmt.Println("pushed:", pushed.Get("scope"), pushed.Get("code_challenge_method"), pushed.Get("state") == state)
	fmt.Println("in the URL:", len(u.Query()), "parameters, client_id", u.Query().Get("client_id"))
	fmt.Println("AuthCodeURL on this server:", oauth2flows.AuthCodeURL(cfg, state) == "")
	// Output:
	// pushed: accounts S256 true
	// in the URL: 2 parameters, client_id bank-app
	// AuthCodeURL on this server: true
}

// A service account signs its own assertion and trades it for a token,
// as with Google's two-legged OAuth.
func ExampleJWTBearer() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // the service account's key
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithTrustedIssuer(oauth2flowstest.TrustedIssuer{
		Issuer: "reports@project.example", PublicKey: &key.PublicKey}))
	defer srv.Close()
	cfg := &oauth2flows.Config{Endpoint: srv.Endpoint(), Scopes: []string{"reports.read"}}

	now := time.Now()
	assertion, _ := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": "reports@project.example", "sub": "reports@project.example", "aud": cfg.Endpoint.TokenURL,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": oauth2flows.NewState(),
	}).SignedString(key)

	tok, err := oauth2flows.JWTBearer(context.Background(), cfg, assertion)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("scope:", tok.Scope, "bearer:", tok.IsBearer())
	// Output:
	// scope: reports.read bearer: true
}

// A pod with Entra workload identity has no client secret: it
// authenticates with the token the kubelet keeps fresh in
// AZURE_FEDERATED_TOKEN_FILE.
func ExampleAssertionFromFile() {
	cluster, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // the cluster's service-account issuer
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "orders-api"}),
		oauth2flowstest.WithFederatedCredential("orders-api", oauth2flowstest.FederatedCredential{
			Issuer: "https://oidc.cluster.example", Subject: "system:serviceaccount:shop:orders",
			Audience: "api://AzureADTokenExchange", PublicKey: &cluster.PublicKey,
		}))
	defer srv.Close()

	// What the kubelet writes (here: a temporary file).
	dir, _ := os.MkdirTemp("", "token")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "azure-identity-token")
	projected, _ := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": "https://oidc.cluster.example", "sub": "system:serviceaccount:shop:orders",
		"aud": "api://AzureADTokenExchange", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(cluster)
	_ = os.WriteFile(file, []byte(projected), 0o600)

	cfg := &oauth2flows.Config{
		ClientID:        "orders-api",
		Endpoint:        srv.Endpoint(),
		ClientAssertion: oauth2flows.AssertionFromFile(file), // e.g. os.Getenv("AZURE_FEDERATED_TOKEN_FILE")
	}
	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg, oauth2flows.WithScopes("payments.write"))
	if err != nil {
		fmt.Println(err)
		return
	}
	req := srv.RequestsTo(oauth2flowstest.EndpointToken)[0]
	fmt.Println("client auth:", req.AuthMethod, req.Form.Get("client_assertion_type"))
	fmt.Println("scope:", tok.Scope)
	// Output:
	// client auth: private_key_jwt urn:ietf:params:oauth:client-assertion-type:jwt-bearer
	// scope: payments.write
}

// A service account's Transport: the source signs a new assertion (fresh
// exp and jti) each time it needs a token.
func ExampleJWTBearerSource() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithTrustedIssuer(oauth2flowstest.TrustedIssuer{
		Issuer: "reports@project.example", PublicKey: &key.PublicKey}))
	defer srv.Close()
	cfg := &oauth2flows.Config{Endpoint: srv.Endpoint(), Scopes: []string{"reports.read"}}

	mint := func(context.Context) (string, error) {
		now := time.Now()
		return jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": "reports@project.example", "sub": "reports@project.example", "aud": cfg.Endpoint.TokenURL,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": oauth2flows.NewState(),
		}).SignedString(key)
	}
	src := oauth2flows.JWTBearerSource(cfg, mint)
	client := &http.Client{Transport: oauth2flows.NewTransport(src)}
	_ = client // calls the API with a bearer token, renewed before it expires

	tok, err := src.Token(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("scope:", tok.Scope, "requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// scope: reports.read requests: 1
}
