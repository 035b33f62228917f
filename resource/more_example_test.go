package resource_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/resource"
)

// exampleValidator is the Validator of the API "api://orders" for the tokens
// of srv.
func exampleValidator(srv *oauth2flowstest.Server) *resource.Validator {
	v, err := resource.NewValidator(context.Background(), resource.Config{
		Issuer:    srv.URL(),
		Audiences: []string{"api://orders"},
	})
	if err != nil {
		log.Fatal(err)
	}
	return v
}

// The Config of an Entra multi-tenant API: "{tenantid}" in the issuer
// stands for each token's own "tid", the key set is Entra's common one, and
// a user's scope or a daemon's app role is enough.
func ExampleConfig() {
	cfg := resource.Config{
		Issuer:         "https://login.microsoftonline.com/{tenantid}/v2.0",
		JWKSURL:        "https://login.microsoftonline.com/common/discovery/v2.0/keys",
		Audiences:      []string{"11111111-2222-3333-4444-555555555555", "api://orders"},
		Tenants:        []string{"aaaaaaaa-0000-0000-0000-000000000001"}, // the customers signed up
		RequiredScopes: []string{"orders.read"},
		RequiredRoles:  []string{"Orders.Read.All"},
		Logger:         slog.Default(), // one record per refused token, never the token
	}
	_ = cfg // resource.NewValidator(ctx, cfg) at start-up
}

// A middle tier: the Validator admits the user's token, and the OBO cache
// behind it exchanges it for a token of the downstream API.
func ExampleValidator() {
	ctx := context.Background()
	v, err := resource.NewValidator(ctx, resource.Config{
		Issuer:    "https://login.microsoftonline.com/" + "my-tenant-id" + "/v2.0",
		Audiences: []string{"api://orders"},
	})
	if err != nil {
		log.Fatal(err) // a wrong issuer fails at start-up, not per request
	}
	obo := oauth2flows.NewOBOCache(&oauth2flows.Config{ /* the API's own client credentials */ })
	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := resource.PrincipalFromContext(r.Context())
		fmt.Fprintln(w, "orders of", p.Subject)
	})
	http.Handle("/orders", v.Middleware(obo.Middleware(orders)))
}

// Claims beyond Principal's fields, decoded on demand from the validated
// token into a struct of the API's own.
func ExamplePrincipal_Claims() {
	srv := oauth2flowstest.NewServer()
	defer srv.Close()
	v := exampleValidator(srv)
	p, err := v.Validate(context.Background(), srv.IssueAccessToken("alice", "api://orders", "read write"))
	if err != nil {
		log.Fatal(err)
	}

	var claims struct {
		Scope string `json:"scp"`
		Sub   string `json:"sub"`
	}
	if err := p.Claims(&claims); err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Sub, p.Scopes)
	// Output: alice [read write]
}

// Printing a Principal, e.g. in an error message: its claims, never the
// token it came from.
func ExamplePrincipal_String() {
	srv := oauth2flowstest.NewServer()
	defer srv.Close()
	v := exampleValidator(srv)
	token := srv.IssueAccessToken("alice", "api://orders", "read")
	p, err := v.Validate(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	s := p.String()
	fmt.Println(strings.Contains(s, "sub=alice"), strings.Contains(s, token))
	// Output: true false
}

// Logging who made a request with slog: the Principal logs its claims as a
// group, without the token.
func ExamplePrincipal_LogValue() {
	p := &resource.Principal{
		Issuer: "https://login.example.com", Subject: "alice", ClientID: "web-app",
		Scopes: []string{"read"}, Expiry: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		Raw: "eyJ...the token...",
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // for a stable output
			}
			return a
		},
	}))
	logger.Info("order placed", "principal", p)
	// Output:
	// level=INFO msg="order placed" principal.iss=https://login.example.com principal.sub=alice principal.tid="" principal.client_id=web-app principal.scopes=[read] principal.roles=[] principal.exp=2030-01-01T00:00:00.000Z
}

// Telling why a token was refused, to count forgeries apart from expired
// tokens: errors.As reaches the *ValidationError.
func ExampleValidationError() {
	srv := oauth2flowstest.NewServer()
	defer srv.Close()
	v := exampleValidator(srv)

	_, err := v.Validate(context.Background(), srv.IssueAccessToken("alice", "api://billing", "read"))
	var ve *resource.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Reason, ve.Detail)
	}
	// Output: audience no configured audience in the token's aud
}

// Code that is not an http.Handler answers a refusal by its Reason, as
// Validator.Middleware does.
func ExampleReason() {
	status := func(err error) int {
		var ve *resource.ValidationError
		switch {
		case err == nil:
			return http.StatusOK
		case !errors.As(err, &ve):
			return http.StatusInternalServerError
		case ve.Reason == resource.ReasonInsufficientScope:
			return http.StatusForbidden
		case ve.Reason == resource.ReasonKeysUnavailable:
			return http.StatusServiceUnavailable // our failure, not the token's
		default:
			return http.StatusUnauthorized
		}
	}
	srv := oauth2flowstest.NewServer()
	defer srv.Close()
	v, err := resource.NewValidator(context.Background(), resource.Config{
		Issuer: srv.URL(), Audiences: []string{"api://orders"}, RequiredScopes: []string{"write"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, scope := range []string{"write", "read"} {
		_, err := v.Validate(context.Background(), srv.IssueAccessToken("alice", "api://orders", scope))
		fmt.Println(scope, status(err))
	}
	// Output:
	// write 200
	// read 403
}
