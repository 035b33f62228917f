package oauth2flowstest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A middle-tier API trades the user's token for one to Microsoft Graph
// (On-Behalf-Of), using nothing but net/http.
func ExampleNewServer() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "middle-tier", Secret: "s3cret"}),
	)
	defer srv.Close()

	// The token the API received from its caller.
	incoming := srv.IssueAccessToken("alice", "api://middle-tier", "access_as_user")

	form := url.Values{
		"grant_type":          {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"requested_token_use": {"on_behalf_of"},
		"assertion":           {incoming},
		"scope":               {"https://graph.microsoft.com/.default"},
		"client_id":           {"middle-tier"},
		"client_secret":       {"s3cret"},
	}
	resp, err := srv.Client().PostForm(srv.Endpoint().TokenURL, form)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)

	claims, err := srv.VerifyAccessToken(tok.AccessToken)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, tok.TokenType, claims.Subject, claims.Audience[0], claims.ClientID)
	fmt.Println(srv.RequestsTo(oauth2flowstest.EndpointToken)[0].AuthMethod)
	// Output:
	// 200 Bearer alice https://graph.microsoft.com middle-tier
	// client_secret_post
}

// Fail the next token request the way Entra asks for step-up
// authentication.
func ExampleServer_InjectFault() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "app", Secret: "s"}))
	defer srv.Close()
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{
		Status: http.StatusBadRequest,
		Body:   oauth2flowstest.EntraError("interaction_required", "AADSTS50076: MFA required.", `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`),
	})
	resp, err := srv.Client().PostForm(srv.Endpoint().TokenURL, url.Values{"grant_type": {"client_credentials"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var e struct {
		Error      string `json:"error"`
		ErrorCodes []int  `json:"error_codes"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	fmt.Println(resp.StatusCode, e.Error, e.ErrorCodes)
	// Output: 400 interaction_required [50076]
}

// Guard an API with the server's tokens: without one it answers 401 with a
// Bearer challenge (RFC 6750 §3); with one, the handler sees its claims.
func ExampleServer_Protect() {
	srv := oauth2flowstest.NewServer()
	defer srv.Close()

	api := httptest.NewServer(srv.Protect("api://orders", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "hello %s, scopes %q", claims.Subject, claims.Scope)
	})))
	defer api.Close()

	resp, err := http.Get(api.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))

	req, _ := http.NewRequest(http.MethodGet, api.URL, nil)
	req.Header.Set("Authorization", "Bearer "+srv.IssueAccessToken("alice", "api://orders", "orders.read"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 401 Bearer realm="oauth2flowstest"
	// 200 hello alice, scopes "orders.read"
}

// Mint the token a caller would present to an API, without running a
// flow: here the incoming token of an On-Behalf-Of test.
func ExampleServer_IssueAccessToken() {
	srv := oauth2flowstest.NewServer()
	defer srv.Close()

	tok := srv.IssueAccessToken("alice", "api://middle-tier", "access_as_user", "offline_access")

	claims, err := srv.VerifyAccessToken(tok)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(claims.Subject, claims.Audience, claims.Scope, claims.ClientID == "")
	// Output: alice [api://middle-tier] access_as_user offline_access true
}

// Assert what went on the wire: the form, the client and how it
// authenticated, and the status the server answered.
func ExampleServer_RequestsTo() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "svc", Secret: "s3cret"}))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.Endpoint().TokenURL,
		strings.NewReader("grant_type=client_credentials&scope=api%3A%2F%2Forders%2F.default"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("svc", "s3cret")
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	for _, r := range srv.RequestsTo(oauth2flowstest.EndpointToken) {
		fmt.Println(r.Method, r.Form.Get("grant_type"), r.Form.Get("scope"))
		fmt.Println(r.ClientID, r.AuthMethod, r.Status)
	}
	// Output:
	// POST client_credentials api://orders/.default
	// svc client_secret_basic 200
}

// Run code written for Microsoft Entra ID against the test server: Entra's
// paths over TLS, and Entra's refusals with their AADSTS codes.
func ExampleWithEntra() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithEntra("contoso.onmicrosoft.com"),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "daemon", Secret: "s3cret", Roles: []string{"Orders.Read.All"}}),
	)
	defer srv.Close()
	fmt.Println(strings.TrimPrefix(srv.Endpoint().TokenURL, srv.URL()))

	for _, scope := range []string{"api://orders/read", "api://orders/.default"} {
		resp, err := srv.Client().PostForm(srv.Endpoint().TokenURL, url.Values{
			"grant_type": {"client_credentials"}, "scope": {scope},
			"client_id": {"daemon"}, "client_secret": {"s3cret"},
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		var body struct {
			Error       string `json:"error"`
			ErrorCodes  []int  `json:"error_codes"`
			AccessToken string `json:"access_token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if body.Error != "" {
			fmt.Println(resp.StatusCode, body.Error, body.ErrorCodes)
			continue
		}
		claims, _ := srv.VerifyAccessToken(body.AccessToken)
		fmt.Println(resp.StatusCode, claims.Audience, claims.Roles, claims.Subject == claims.ObjectID)
	}
	// Output:
	// /contoso.onmicrosoft.com/oauth2/v2.0/token
	// 400 invalid_scope [1002012]
	// 200 [api://orders] [Orders.Read.All] true
}
