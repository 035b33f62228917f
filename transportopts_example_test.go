package oauth2flows_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// echoAuth is an API that answers with the scheme of the Authorization
// header it got, or "none".
func echoAuth() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if scheme == "" {
			scheme = "none"
		}
		fmt.Fprint(w, scheme)
	}))
}

// The Transport as a RoundTripper of your own http.Client, in front of any
// base transport.
func ExampleTransport() {
	srv, cfg := optionsServer()
	defer srv.Close()
	api := echoAuth()
	defer api.Close()

	tr := oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg), oauth2flows.WithBase(http.DefaultTransport))
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for range 2 {
		resp, err := client.Get(api.URL)
		if err != nil {
			fmt.Println(err)
			return
		}
		readAll(resp)
	}
	tok, _ := tr.Token(context.Background()) // the token it sends now
	fmt.Println("bearer:", tok.IsBearer(), "token requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// bearer: true token requests: 1
}

// WithBase sets what sends the requests: here a client certificate's
// transport, or a tracing one.
func ExampleWithBase() {
	srv, cfg := optionsServer()
	defer srv.Close()
	api := echoAuth()
	defer api.Close()
	var sent int
	counting := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent++
		return http.DefaultTransport.RoundTrip(r)
	})

	client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg), oauth2flows.WithBase(counting))}
	resp, err := client.Get(api.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("requests through the base:", sent)
	// Output:
	// requests through the base: 1
}

// WithAllowedHosts keeps the token for the APIs it is for: a request to
// another host goes out without it.
func ExampleWithAllowedHosts() {
	srv, cfg := optionsServer()
	defer srv.Close()
	api, other := echoAuth(), echoAuth()
	defer api.Close()
	defer other.Close()
	apiHost := strings.TrimPrefix(api.URL, "http://")

	client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg), oauth2flows.WithAllowedHosts(apiHost))}
	for _, u := range []string{api.URL, other.URL} {
		resp, err := client.Get(u)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(readAll(resp))
	}
	// Output:
	// Bearer
	// none
}

// readAll reads and closes a response body.
func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// WithRefreshSkew renews a token that long before it expires, in the
// background while requests go on with the current one.
func ExampleWithRefreshSkew() {
	srv, cfg := optionsServer(oauth2flowstest.WithAccessTokenLifetime(time.Hour))
	defer srv.Close()

	tr := oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg), oauth2flows.WithRefreshSkew(5*time.Minute))
	tok, err := tr.Token(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("renewed before use:", tok.ExpiresWithin(5*time.Minute))
	// Output:
	// renewed before use: false
}

// Plain http to anything but loopback is refused: the token would travel in
// the clear. WithInsecureBearerOverHTTP allows it, for a private network
// whose every hop you trust.
func ExampleWithInsecureBearerOverHTTP() {
	srv, cfg := optionsServer()
	defer srv.Close()

	client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg))}
	_, err := client.Get("http://api.internal.example/orders")
	fmt.Println("refused:", err != nil)

	_ = oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg), oauth2flows.WithInsecureBearerOverHTTP())
	// Output:
	// refused: true
}

// A saver that also gets the first token, straight from the code exchange,
// so that the application stores it in one place only.
func ExampleWithSaveInitialToken() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "web", Secret: "s"}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw"}),
	)
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "web", ClientSecret: "s", Endpoint: srv.Endpoint()}
	first, err := oauth2flows.PasswordCredentials(context.Background(), cfg, "alice", "pw")
	if err != nil {
		fmt.Println(err)
		return
	}
	api := echoAuth()
	defer api.Close()

	client := oauth2flows.NewClient(cfg, first,
		oauth2flows.WithTokenSaver(func(ctx context.Context, tok *oauth2flows.Token) error {
			fmt.Println("saved the first token:", tok.AccessToken == first.AccessToken)
			return nil
		}),
		oauth2flows.WithSaveInitialToken())
	resp, err := client.Get(api.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sent:", readAll(resp))
	// Output:
	// saved the first token: true
	// sent: Bearer
}
