package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// An error response of the server is an *Error: its Code says what to do.
// invalid_grant, interaction_required and consent_required also match
// ErrReauthRequired: the user must sign in again.
func ExampleError() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "web", Secret: "s"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "web", ClientSecret: "s", Endpoint: srv.Endpoint()}

	_, err := oauth2flows.Refresh(context.Background(), cfg, "a-refresh-token-the-server-never-issued")
	var oerr *oauth2flows.Error
	if errors.As(err, &oerr) {
		fmt.Println("status:", oerr.StatusCode, "code:", oerr.Code)
	}
	fmt.Println("sign in again:", errors.Is(err, oauth2flows.ErrReauthRequired))
	// Output:
	// status: 400 code: invalid_grant
	// sign in again: true
}

// A call that cannot be made as configured is refused before anything is
// sent, with a *ConfigError that names the field.
func ExampleConfigError() {
	cfg := &oauth2flows.Config{ClientID: "daemon", ClientSecret: "s"} // no Endpoint

	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	var ce *oauth2flows.ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce.Op, ce.Field)
	}
	// Output:
	// ClientCredentials Config.Endpoint.TokenURL
}

// A server that cannot be reached gives a *NetworkError, which wraps the
// cause: errors.Is sees a cancelled context through it.
func ExampleNetworkError() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "daemon", Secret: "s"}))
	cfg := &oauth2flows.Config{ClientID: "daemon", ClientSecret: "s", Endpoint: srv.Endpoint(),
		Retry: oauth2flows.RetryPolicy{MaxAttempts: 1}}
	srv.Close() // nobody listens any more

	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	var ne *oauth2flows.NetworkError
	fmt.Println("no HTTP response:", errors.As(err, &ne))
	// Output:
	// no HTTP response: true
}

// A 2xx response that holds no usable token is an *InvalidResponseError;
// its Reason says what was wrong and never quotes the body.
func ExampleInvalidResponseError() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "daemon", Secret: "s"}))
	defer srv.Close()
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusOK, Body: `{"token_type":"Bearer"}`})
	cfg := &oauth2flows.Config{ClientID: "daemon", ClientSecret: "s", Endpoint: srv.Endpoint()}

	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	var ire *oauth2flows.InvalidResponseError
	if errors.As(err, &ire) {
		fmt.Println(ire.StatusCode, ire.Reason)
	}
	// Output:
	// 200 access_token is missing
}

// A throttled request is retried within the RetryPolicy, honouring
// Retry-After; past its attempts the server's error comes back.
func ExampleRetryPolicy() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "daemon", Secret: "s"}))
	defer srv.Close()
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"})
	cfg := &oauth2flows.Config{ClientID: "daemon", ClientSecret: "s", Endpoint: srv.Endpoint(),
		Retry: oauth2flows.RetryPolicy{MaxAttempts: 2}}

	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	fmt.Println("token:", err == nil && tok.AccessToken != "")
	fmt.Println("requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// token: true
	// requests: 2
}
