// Command refresh shows the auto-refreshing Transport: a client calls an
// API for a while with a token that expires every 2 seconds, and every new
// token, with its rotated refresh token, is written to a file by the token
// saver before it is used.
//
// With no flags it runs for 10 seconds against an embedded
// oauth2flowstest server and exits 0. Against a real provider:
//
//	go run ./examples/refresh -token-url https://login.example.com/oauth2/token \
//	    -client-id app -client-secret ... -refresh-token ... \
//	    -url https://api.example.com/me
//
// Each flag can also come from the environment: OAUTH2_TOKEN_URL,
// OAUTH2_CLIENT_ID, OAUTH2_CLIENT_SECRET, OAUTH2_REFRESH_TOKEN,
// OAUTH2_RESOURCE_URL.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func main() {
	var (
		tokenURL     = flag.String("token-url", os.Getenv("OAUTH2_TOKEN_URL"), "token endpoint of a real provider; empty: the embedded server")
		clientID     = flag.String("client-id", os.Getenv("OAUTH2_CLIENT_ID"), "client ID")
		clientSecret = flag.String("client-secret", os.Getenv("OAUTH2_CLIENT_SECRET"), "client secret; empty for a public client")
		refreshToken = flag.String("refresh-token", os.Getenv("OAUTH2_REFRESH_TOKEN"), "refresh token to start from")
		resourceURL  = flag.String("url", os.Getenv("OAUTH2_RESOURCE_URL"), "API URL to call")
		tokenFile    = flag.String("token-file", "", "where the saver writes the token JSON; empty: a temporary file")
		duration     = flag.Duration("duration", 10*time.Second, "how long to keep calling")
		interval     = flag.Duration("interval", 250*time.Millisecond, "time between calls")
	)
	flag.Parse()
	if err := run(*tokenURL, *clientID, *clientSecret, *refreshToken, *resourceURL, *tokenFile, *duration, *interval); err != nil {
		log.Fatal(err)
	}
}

func run(tokenURL, clientID, clientSecret, refreshToken, resourceURL, tokenFile string, duration, interval time.Duration) error {
	ctx := context.Background()
	cfg := &oauth2flows.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoint: oauth2flows.Endpoint{TokenURL: tokenURL}}
	var start *oauth2flows.Token
	if tokenURL == "" {
		srv, api, tok, err := embedded(ctx)
		if err != nil {
			return err
		}
		defer srv.Close()
		defer api.Close()
		cfg, start, resourceURL = srv.cfg, tok, api.URL
	} else {
		if refreshToken == "" || resourceURL == "" {
			return errors.New("with -token-url, -refresh-token and -url are required")
		}
		start = &oauth2flows.Token{}
		start.RefreshToken = refreshToken // no access token yet: the first call refreshes
	}

	if tokenFile == "" {
		dir, err := os.MkdirTemp("", "oauth2flows-refresh")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		tokenFile = filepath.Join(dir, "token.json")
	}
	saves := 0
	save := func(ctx context.Context, tok *oauth2flows.Token) error {
		saves++ // the saver is never called concurrently
		log.Printf("new token #%d, valid until %s: saved before its first use", saves, tok.Expiry.Format(time.TimeOnly))
		return writeToken(tokenFile, tok)
	}
	client := oauth2flows.NewClient(cfg, start, oauth2flows.WithTokenSaver(save))
	client.Timeout = 10 * time.Second

	calls := 0
	for deadline := time.Now().Add(duration); time.Now().Before(deadline); time.Sleep(interval) {
		body, err := call(ctx, client, resourceURL)
		if errors.Is(err, oauth2flows.ErrReauthRequired) {
			return fmt.Errorf("the refresh token is no longer accepted: sign in again: %w", err)
		}
		if err != nil {
			return err
		}
		calls++
		if calls%4 == 1 {
			log.Printf("call %d: %s", calls, body)
		}
	}
	saved, err := os.ReadFile(tokenFile)
	if err != nil {
		return fmt.Errorf("no token was saved: %w", err)
	}
	var last oauth2flows.Token
	if err := json.Unmarshal(saved, &last); err != nil {
		return err
	}
	log.Printf("%d calls, %d new tokens saved to %s; the last expires at %s",
		calls, saves, tokenFile, last.Expiry.Format(time.TimeOnly))
	return nil
}

// call GETs u and returns the start of the body, or an error for a status
// other than 200.
func call(ctx context.Context, c *http.Client, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", resp.Status, body)
	}
	return string(body), nil
}

// writeToken replaces path atomically with the token's JSON, readable by
// its owner only: it holds the refresh token.
func writeToken(path string, tok *oauth2flows.Token) error {
	b, err := json.MarshalIndent(tok, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// embeddedServer is the authorization server plus the client's Config.
type embeddedServer struct {
	*oauth2flowstest.Server
	cfg *oauth2flows.Config
}

// embedded starts an authorization server issuing 2-second access tokens
// with rotating refresh tokens, an API protected by it, and signs the user
// in once with the authorization code grant and PKCE.
func embedded(ctx context.Context) (*embeddedServer, *httptest.Server, *oauth2flows.Token, error) {
	const redirect = "http://127.0.0.1/callback"
	srv := &embeddedServer{Server: oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "example-app", Secret: "example-secret", RedirectURIs: []string{redirect}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "alice-password"}),
		oauth2flowstest.WithAccessTokenLifetime(2*time.Second),
	)}
	api := httptest.NewServer(srv.Protect("example-app", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "hello %s", claims.Subject)
	})))
	cfg := &oauth2flows.Config{
		ClientID: "example-app", ClientSecret: "example-secret",
		Endpoint: srv.Endpoint(), RedirectURL: redirect,
	}
	srv.cfg = cfg

	tok, err := signIn(ctx, srv.Server, cfg)
	if err != nil {
		api.Close()
		srv.Close()
		return nil, nil, nil, fmt.Errorf("signing in to the embedded server: %w", err)
	}
	return srv, api, tok, nil
}

// signIn runs the authorization code grant with PKCE (RFC 6749 §4.1,
// RFC 7636), the server playing the user's browser.
func signIn(ctx context.Context, srv *oauth2flowstest.Server, cfg *oauth2flows.Config) (*oauth2flows.Token, error) {
	verifier, state := oauth2flows.NewVerifier(), oauth2flows.NewState()
	loc, err := srv.Authorize(ctx, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier)))
	if err != nil {
		return nil, err
	}
	callback, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	if err != nil {
		return nil, err
	}
	code, err := oauth2flows.ParseCallback(cfg, callback, state)
	if err != nil {
		return nil, err
	}
	return oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
}
