package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// The first step of the device flow: the code to show the user, and where
// they enter it (RFC 8628 §3.2).
func ExampleDeviceAuth() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "tv-app", AuthMethod: oauth2flowstest.AuthNone}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "tv-app", Endpoint: srv.Endpoint(), Scopes: []string{"profile"}}

	da, err := oauth2flows.DeviceAuth(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(da.UserCode != "", da.VerificationURI == srv.URL()+"/device", da.Interval, !da.Expiry.IsZero())
	// Output:
	// true true 5 true
}

// The x5t#S256 thumbprint of a certificate (RFC 8705 §3.1): what a bound
// token's cnf claim holds.
func ExampleCertificateThumbprint() {
	cert, err := oauth2flowstest.NewSelfSignedCertificate("kiosk-7")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(oauth2flows.CertificateThumbprint(cert.Leaf)))
	// Output:
	// 43
}

// A client certificate and key from PEM files, for Config.Certificate.
func ExampleLoadClientCertificate() {
	cert, _ := oauth2flowstest.NewSelfSignedCertificate("kiosk-7")
	certPEM, keyPEM, _ := oauth2flowstest.CertificatePEM(cert)
	dir, _ := os.MkdirTemp("", "certs")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "client.crt"), certPEM, 0o600)
	_ = os.WriteFile(filepath.Join(dir, "client.key"), keyPEM, 0o600)

	loaded, err := oauth2flows.LoadClientCertificate(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
	fmt.Println(err, loaded.Leaf.Subject.CommonName)
	// Output:
	// <nil> kiosk-7
}

// A TokenSource of one user's exchanged tokens, served from the cache: a
// Transport over it calls the downstream API.
func ExampleOBOCache_Source() {
	srv, cfg := optionsServer()
	defer srv.Close()
	cache := oauth2flows.NewOBOCache(cfg)
	incoming := srv.IssueAccessToken("alice", "api://api-a")

	for range 3 {
		if _, err := cache.Source(incoming).Token(context.Background()); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("token requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// token requests: 1
}

// Any TokenSource drives the Transport: here one of your own.
func ExampleTokenSource() {
	api := echoAuth()
	defer api.Close()
	var src oauth2flows.TokenSource = vaultSource{AccessToken: "from-a-vault"}

	resp, err := (&http.Client{Transport: oauth2flows.NewTransport(src)}).Get(api.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(readAll(resp))
	// Output:
	// Bearer
}

// vaultSource is a TokenSource of one bearer token.
type vaultSource struct{ AccessToken string }

func (s vaultSource) Token(context.Context) (*oauth2flows.Token, error) {
	tok := &oauth2flows.Token{}
	tok.AccessToken, tok.TokenType, tok.Expiry = s.AccessToken, "Bearer", time.Now().Add(time.Hour)
	return tok, nil
}

// An Endpoint by hand, for a server without discovery.
func ExampleEndpoint() {
	cfg := &oauth2flows.Config{
		ClientID: "web",
		Endpoint: oauth2flows.Endpoint{
			AuthURL:  "https://login.example.com/oauth2/authorize",
			TokenURL: "https://login.example.com/oauth2/token",
			Issuer:   "https://login.example.com", // checked against the callback's iss (RFC 9207)
		},
		RedirectURL: "https://app.example.com/callback",
	}
	_, err := oauth2flows.BuildAuthCodeURL(cfg, "st")
	fmt.Println(err)
	// Output:
	// <nil>
}

// Options of one call; the same Option type serves every grant, and a
// grant refuses an option it cannot send.
func ExampleOption() {
	srv, cfg := optionsServer()
	defer srv.Close()
	opts := []oauth2flows.Option{oauth2flows.WithScopes("a"), oauth2flows.WithParam("tenant_hint", "eu")}

	_, err := oauth2flows.ClientCredentials(context.Background(), cfg, opts...)
	fmt.Println(err, lastForm(srv, oauth2flowstest.EndpointToken).Get("tenant_hint"))
	_, err = oauth2flows.ClientCredentials(context.Background(), cfg, oauth2flows.WithPKCE(oauth2flows.NewVerifier()))
	var ce *oauth2flows.ConfigError
	fmt.Println(errors.As(err, &ce), ce.Field)
	// Output:
	// <nil> eu
	// true WithPKCE
}

// TransportOptions configure a Transport at its creation.
func ExampleTransportOption() {
	opts := []oauth2flows.TransportOption{
		oauth2flows.WithRefreshSkew(2 * time.Minute),
		oauth2flows.WithAllowedHosts("api.example.com"),
	}
	_ = oauth2flows.NewTransport(vaultSource{AccessToken: "t"}, opts...)
	fmt.Println(len(opts))
	// Output:
	// 2
}

// CacheOptions configure an OBOCache at its creation.
func ExampleCacheOption() {
	opts := []oauth2flows.CacheOption{oauth2flows.WithCacheSize(10_000), oauth2flows.WithTokenExchangeGrant()}
	_ = oauth2flows.NewOBOCache(&oauth2flows.Config{ClientID: "api-a"}, opts...)
	fmt.Println(len(opts))
	// Output:
	// 2
}

// A callback whose state is not the one the session holds: a forged or
// replayed redirect, refused before any code is redeemed.
func ExampleCallbackError() {
	cfg := &oauth2flows.Config{ClientID: "web"}
	_, err := oauth2flows.ParseCallbackURL(cfg, "https://app.example.com/callback?code=abc&state=forged", "the-session-state")

	var cbe *oauth2flows.CallbackError
	fmt.Println(errors.As(err, &cbe), cbe.Param, errors.Is(err, oauth2flows.ErrStateMismatch))
	// Output:
	// true state true
}

// Discovery of an issuer that is not there.
func ExampleDiscoveryError() {
	srv := oauth2flowstest.NewServer()
	defer srv.Close()

	_, err := oauth2flows.Discover(context.Background(), srv.URL()+"/no-such-tenant")
	var de *oauth2flows.DiscoveryError
	fmt.Println(errors.As(err, &de), de.StatusCode)
	// Output:
	// true 404
}

// A saver that fails keeps the token from use, and the request says why.
func ExampleSaveError() {
	srv, cfg := optionsServer()
	defer srv.Close()
	api := echoAuth()
	defer api.Close()

	client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg),
		oauth2flows.WithTokenSaver(func(context.Context, *oauth2flows.Token) error { return errors.New("database down") }))}
	_, err := client.Get(api.URL)
	var se *oauth2flows.SaveError
	fmt.Println(errors.As(err, &se), se.Err)
	// Output:
	// true database down
}

// A panic in code the SDK calls on its own goroutine comes back as an
// error of the request, with its stack.
func ExamplePanicError() {
	api := echoAuth()
	defer api.Close()
	broken := tokenSourceFunc(func(context.Context) (*oauth2flows.Token, error) { panic("source broke") })

	_, err := (&http.Client{Transport: oauth2flows.NewTransport(broken)}).Get(api.URL)
	var pe *oauth2flows.PanicError
	fmt.Println(errors.As(err, &pe), pe.Value, len(pe.Stack) > 0)
	// Output:
	// true source broke true
}

// A token that cannot be sent as a bearer, such as an exchange's N_A
// token, is never sent.
func ExampleTokenTypeError() {
	api := echoAuth()
	defer api.Close()
	na := tokenSourceFunc(func(context.Context) (*oauth2flows.Token, error) {
		tok := &oauth2flows.Token{}
		tok.AccessToken, tok.TokenType, tok.Expiry = "opaque", "N_A", time.Now().Add(time.Hour)
		return tok, nil
	})

	_, err := (&http.Client{Transport: oauth2flows.NewTransport(na)}).Get(api.URL)
	var tte *oauth2flows.TokenTypeError
	fmt.Println(errors.As(err, &tte), tte.TokenType)
	// Output:
	// true N_A
}
