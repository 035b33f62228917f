package oauth2flows_test

import (
	"net/url"
	"testing"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// FuzzParseCallbackJARM feeds untrusted "response" values to the JARM
// reader: a typed error or a code, never a panic or a hang. The seeds are
// a real JARM response of the test server and variations of it.
func FuzzParseCallbackJARM(f *testing.F) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "c", Secret: "s",
		RedirectURIs: []string{gRedirect}}), oauth2flowstest.WithUser(oauth2flowstest.User{Username: "u"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "c", ClientSecret: "s", RedirectURL: gRedirect, Endpoint: srv.Endpoint(),
		ResponseMode: "jwt"}
	cfg.Endpoint.JWKSURL = srv.URL() + "/jwks"
	loc, err := srv.Authorize(f.Context(), oauth2flows.AuthCodeURL(cfg, "st", oauth2flows.WithPKCE(oauth2flows.NewVerifier())))
	if err != nil {
		f.Fatal(err)
	}
	good := loc.Query().Get("response")
	for _, s := range []string{good, good + "x", good[:len(good)/2], "", "a.b.c", "e30.e30.", "eyJhbGciOiJub25lIn0.e30."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, response string) {
		_, _ = oauth2flows.ParseCallbackURL(cfg, gRedirect+"?response="+url.QueryEscape(response), "st")
	})
}
