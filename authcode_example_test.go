package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func ExampleAuthCodeURL() {
	cfg := &oauth2flows.Config{
		ClientID:    "my-app",
		RedirectURL: "https://app.example.com/callback",
		Scopes:      []string{"openid", "profile"},
		Endpoint:    oauth2flows.Endpoint{AuthURL: "https://login.example.com/authorize"},
	}
	// In a real handler: state := oauth2flows.NewState(); verifier :=
	// oauth2flows.NewVerifier(), both kept in the user's session. Fixed
	// values here keep the output stable.
	state := "af0ifjsldkj-0123456789"
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	fmt.Println(oauth2flows.AuthCodeURL(cfg, state,
		oauth2flows.WithPKCE(verifier),
		oauth2flows.WithParam("prompt", "consent")))

	// An option the authorization request does not take is refused:
	// AuthCodeURL returns "", BuildAuthCodeURL says why.
	_, err := oauth2flows.BuildAuthCodeURL(cfg, state, oauth2flows.WithTokenTypeHint("access_token"))
	fmt.Println(err)
	// Output:
	// https://login.example.com/authorize?client_id=my-app&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&prompt=consent&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&response_type=code&scope=openid+profile&state=af0ifjsldkj-0123456789
	// oauth2flows: BuildAuthCodeURL: WithTokenTypeHint: not defined for BuildAuthCodeURL, so it is refused rather than sent or dropped (use WithParam to send a parameter anyway)
}

// The whole authorization code flow with PKCE against the in-process test
// server: build the URL, let the "browser" follow it, read the callback,
// redeem the code.
func ExampleExchangeCode() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{
			ID: "web-app", Secret: "web-secret", RedirectURIs: []string{"http://127.0.0.1/callback"},
		}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw"}),
	)
	defer srv.Close()
	cfg := &oauth2flows.Config{
		ClientID:     "web-app",
		ClientSecret: "web-secret",
		Endpoint:     srv.Endpoint(),
		RedirectURL:  "http://127.0.0.1/callback",
		Scopes:       []string{"openid", "read"},
	}

	// 1. Send the user to the authorization endpoint.
	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
	authURL := oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier))

	// 2. The user signs in; the browser comes back to the redirect URI.
	// srv.Authorize plays the browser.
	callback, err := srv.Authorize(context.Background(), authURL)
	if err != nil {
		log.Fatal(err)
	}

	// 3. The callback handler checks state and iss and takes the code.
	code, err := oauth2flows.ParseCallbackURL(cfg, callback.String(), state)
	if err != nil {
		log.Fatal(err)
	}

	// 4. Redeem it, with the same verifier.
	tok, err := oauth2flows.ExchangeCode(context.Background(), cfg, code, oauth2flows.WithPKCE(verifier))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token type:", tok.TokenType)
	fmt.Println("scope:", tok.Scope)
	fmt.Println("refresh token:", tok.RefreshToken != "")
	fmt.Println("id token:", tok.IDToken != "")

	// A code is single use.
	_, err = oauth2flows.ExchangeCode(context.Background(), cfg, code, oauth2flows.WithPKCE(verifier))
	fmt.Println("second use needs re-authentication:", errors.Is(err, oauth2flows.ErrReauthRequired))
	// Output:
	// token type: Bearer
	// scope: openid read
	// refresh token: true
	// id token: true
	// second use needs re-authentication: true
}

// A callback handler: it checks the state bound to the session, turns error
// redirects into *oauth2flows.Error and hands back the code.
func ExampleParseCallback() {
	cfg := &oauth2flows.Config{
		ClientID: "web-app",
		Endpoint: oauth2flows.Endpoint{
			Issuer:  "https://login.example.com",
			AuthURL: "https://login.example.com/authorize",
		},
	}
	const state = "state-from-the-session-0001" // in real code, read from the session

	for _, target := range []string{
		"/callback?code=SplxlOBeZQQYbYS6WxSbIA&iss=https%3A%2F%2Flogin.example.com&state=" + state,
		"/callback?error=access_denied&error_description=The+user+declined&state=" + state,
		"/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=forged-state-0000000000",
		"/callback?code=SplxlOBeZQQYbYS6WxSbIA&iss=https%3A%2F%2Fevil.example&state=" + state,
	} {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		code, err := oauth2flows.ParseCallback(cfg, r, state)
		var oerr *oauth2flows.Error
		switch {
		case errors.As(err, &oerr):
			fmt.Println("server refused:", oerr.Code)
		case errors.Is(err, oauth2flows.ErrStateMismatch):
			fmt.Println("state mismatch: restart the sign-in")
		case errors.Is(err, oauth2flows.ErrIssuerMismatch):
			fmt.Println("issuer mismatch: do not redeem")
		case err != nil:
			fmt.Println(err)
		default:
			fmt.Println("got a code:", code != "")
		}
	}
	// Output:
	// got a code: true
	// server refused: access_denied
	// state mismatch: restart the sign-in
	// issuer mismatch: do not redeem
}

func ExampleNewVerifier() {
	verifier := oauth2flows.NewVerifier()
	fmt.Println(len(verifier), len(oauth2flows.S256Challenge(verifier)))
	// Output: 43 43
}
