package oauth2flowstest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

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
