package resource_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/resource"
)

// exampleToken starts a test authorization server and gets an access token
// for the API "api://orders" with scope "read", as a client would.
func exampleToken() (*oauth2flowstest.Server, string) {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "web-app", Secret: "web-secret"}),
	)
	tok, err := oauth2flows.ClientCredentials(context.Background(), &oauth2flows.Config{
		ClientID: "web-app", ClientSecret: "web-secret", Endpoint: srv.Endpoint(),
		Scopes: []string{"api://orders/read"},
	})
	if err != nil {
		panic(err)
	}
	return srv, tok.AccessToken
}

// An API makes one Validator at start-up: its issuer and its own audience.
// The key set comes from the issuer's discovery document and is cached.
// For an Entra API, the issuer is
// "https://login.microsoftonline.com/<tenant>/v2.0" and the audiences are
// the API's client ID and application ID URI.
func ExampleNewValidator() {
	srv, _ := exampleToken()
	defer srv.Close()

	v, err := resource.NewValidator(context.Background(), resource.Config{
		Issuer:    srv.URL(),
		Audiences: []string{"api://orders"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("validator ready:", v != nil)
	fmt.Println("key set fetched:", len(srv.RequestsTo(oauth2flowstest.EndpointJWKS)))
	// Output:
	// validator ready: true
	// key set fetched: 1
}

// Validate returns the token's Principal, or a *ValidationError whose
// Reason says what to answer.
func ExampleValidator_Validate() {
	srv, token := exampleToken()
	defer srv.Close()
	ctx := context.Background()
	v, err := resource.NewValidator(ctx, resource.Config{
		Issuer:         srv.URL(),
		Audiences:      []string{"api://orders"},
		RequiredScopes: []string{"read"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	p, err := v.Validate(ctx, token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("subject:", p.Subject, "client:", p.ClientID, "scopes:", p.Scopes)

	_, err = v.Validate(ctx, "eyJhbGciOiJub25lIn0.e30.")
	var ve *resource.ValidationError
	if errors.As(err, &ve) {
		fmt.Println("refused:", ve.Reason)
	}
	// Output:
	// subject: web-app client: web-app scopes: [read]
	// refused: malformed
}

// The middle tier's handler chain: the Validator answers 401 or 403 itself
// and hands the Principal to the handler. An On-Behalf-Of middleware goes
// between the two: v.Middleware(obo.Middleware(handler)).
func ExampleValidator_Middleware() {
	srv, token := exampleToken()
	defer srv.Close()
	v, err := resource.NewValidator(context.Background(), resource.Config{
		Issuer:    srv.URL(),
		Audiences: []string{"api://orders"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := resource.PrincipalFromContext(r.Context())
		fmt.Fprintln(w, "orders of", p.Subject)
	})
	api := httptest.NewServer(v.Middleware(handler))
	defer api.Close()

	for _, auth := range []string{"Bearer " + token, ""} {
		req, _ := http.NewRequest(http.MethodGet, api.URL+"/orders", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%d %q\n", resp.StatusCode, strings.TrimSpace(string(body)))
		if c := resp.Header.Get("WWW-Authenticate"); c != "" {
			fmt.Println("WWW-Authenticate:", c)
		}
	}
	// Output:
	// 200 "orders of web-app"
	// 401 "Unauthorized"
	// WWW-Authenticate: Bearer realm="api://orders"
}

// A handler behind Validator.Middleware reads who called it. Without the
// middleware in front there is no Principal.
func ExamplePrincipalFromContext() {
	srv, token := exampleToken()
	defer srv.Close()
	v, err := resource.NewValidator(context.Background(), resource.Config{Issuer: srv.URL(), Audiences: []string{"api://orders"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := resource.PrincipalFromContext(r.Context()); ok {
			fmt.Println("client:", p.ClientID, "scopes:", p.Scopes)
			return
		}
		fmt.Println("no principal")
	})
	r := httptest.NewRequest(http.MethodGet, "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	v.Middleware(handler).ServeHTTP(httptest.NewRecorder(), r)
	handler.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// client: web-app scopes: [read]
	// no principal
}

// BearerToken reads the Authorization header only (RFC 6750 §2.1), and
// tells a missing token from a malformed header.
func ExampleBearerToken() {
	for _, auth := range []string{"Bearer 2YotnFZFEjr1zCsicMWpAA", "Basic dXNlcjpwYXNz", "Bearer "} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", auth)
		token, err := resource.BearerToken(r)
		switch {
		case errors.Is(err, resource.ErrNoToken):
			fmt.Println("no bearer token: answer 401")
		case err != nil:
			fmt.Println("malformed: answer 400")
		default:
			fmt.Println("token:", token)
		}
	}
	// Output:
	// token: 2YotnFZFEjr1zCsicMWpAA
	// no bearer token: answer 401
	// malformed: answer 400
}

// A resource server that accepts certificate-bound tokens (RFC 8705)
// checks, after validating the token, that its cnf names the certificate
// the client presented on this TLS connection.
func ExampleVerifyCertificateBinding() {
	cert, other := exampleCertificate("client"), exampleCertificate("someone else")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	token, _ := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"sub": "web-app",
		"cnf": map[string]string{"x5t#S256": oauth2flows.CertificateThumbprint(cert)},
	}).SignedString(key)

	// In a handler: cert is r.TLS.PeerCertificates[0].
	fmt.Println(resource.VerifyCertificateBinding(token, cert))
	fmt.Println(errors.Is(resource.VerifyCertificateBinding(token, other), resource.ErrCertificateMismatch))
	fmt.Println(errors.Is(resource.VerifyCertificateBinding("2YotnFZFEjr1zCsicMWpAA", cert), resource.ErrTokenNotJWT))
	// Output:
	// <nil>
	// true
	// true
}

// exampleCertificate makes a self-signed certificate.
func exampleCertificate(name string) *x509.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert, _ := x509.ParseCertificate(der)
	return cert
}
