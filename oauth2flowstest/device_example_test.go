package oauth2flowstest_test

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A device asks for a user code, the test plays the user who approves it,
// and the device's poll gets the tokens (RFC 8628), with nothing but
// net/http.
func ExampleServer_ApproveDevice() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "tv", AuthMethod: oauth2flowstest.AuthNone}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}),
		oauth2flowstest.WithDeviceInterval(0), // poll at once, for the example
	)
	defer srv.Close()

	var da struct {
		DeviceCode string `json:"device_code"`
		UserCode   string `json:"user_code"`
	}
	if err := postJSON(srv, "/device_authorization", url.Values{"client_id": {"tv"}, "scope": {"offline_access"}}, &da); err != nil {
		fmt.Println(err)
		return
	}

	// The user enters the code shown on the TV and approves.
	if err := srv.ApproveDevice(da.UserCode, "alice"); err != nil {
		fmt.Println(err)
		return
	}

	var tok struct {
		TokenType    string `json:"token_type"`
		RefreshToken string `json:"refresh_token"`
	}
	err := postJSON(srv, "/token", url.Values{
		"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {da.DeviceCode},
		"client_id":   {"tv"},
	}, &tok)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.TokenType, tok.RefreshToken != "")
	// Output: Bearer true
}

func postJSON(srv *oauth2flowstest.Server, path string, form url.Values, out any) error {
	resp, err := srv.Client().PostForm(srv.URL()+path, form)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}
