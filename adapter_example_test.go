package oauth2flows_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A library that takes a golang.org/x/oauth2 TokenSource gets one from any
// source of this package; it renews through this package's single path.
func ExampleToOAuth2() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "daemon", Secret: "s"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "daemon", ClientSecret: "s", Endpoint: srv.Endpoint()}

	var ts oauth2.TokenSource = oauth2flows.ToOAuth2(context.Background(), oauth2flows.ClientCredentialsSource(cfg))
	tok, err := ts.Token()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Type(), tok.Valid())
	// Output:
	// Bearer true
}

// A token source from golang.org/x/oauth2 (google.DefaultTokenSource, an
// oauth2.Config's) drives this package's Transport.
func ExampleFromOAuth2() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("API got:", r.Header.Get("Authorization"))
	}))
	defer api.Close()
	static := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "from-x-oauth2", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)})

	client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.FromOAuth2(static))}
	resp, err := client.Get(api.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	// Output:
	// API got: Bearer from-x-oauth2
}
