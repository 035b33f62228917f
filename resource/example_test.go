package resource_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

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
