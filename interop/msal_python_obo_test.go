package interop

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// msalPythonOBO is MSAL Python's On-Behalf-Of, as a middle tier writes it.
// It reads its inputs from the environment and prints the results.
const msalPythonOBO = `
import json, os, msal
app = msal.ConfidentialClientApplication(
    os.environ["CLIENT_ID"], client_credential=os.environ["CLIENT_SECRET"],
    authority=os.environ["AUTHORITY"], verify=os.environ["CA_FILE"],
    instance_discovery=False, client_capabilities=["cp1"])
scopes = [os.environ["SCOPE"]]
out = {"first": app.acquire_token_on_behalf_of(os.environ["ASSERTION"], scopes)}
out["challenged"] = app.acquire_token_on_behalf_of(
    os.environ["ASSERTION"], scopes, claims_challenge=os.environ["CHALLENGE"])
print(json.dumps({k: {f: v.get(f) for f in ("access_token", "error", "error_description")} for k, v in out.items()}))
`

// pythonWithMSAL returns a Python interpreter that has MSAL Python (the
// Debian package python3-msal installs it for /usr/bin/python3), or skips.
func pythonWithMSAL(t *testing.T) string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import msal").Run() == nil {
			return py
		}
	}
	t.Skip("MSAL Python is not installed (apt-get install -y python3-msal)")
	return ""
}

// serverCAFile writes the certificate the test server presents, as PEM,
// for MSAL Python's verify.
func serverCAFile(t *testing.T, srv *oauth2flowstest.Server) string {
	u, err := url.Parse(srv.URL())
	require.NoError(t, err)
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: srv.RootCAs()})
	require.NoError(t, err)
	defer conn.Close()
	path := filepath.Join(t.TempDir(), "ca.pem")
	cert := conn.ConnectionState().PeerCertificates[0]
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600))
	return path
}

// MSAL Python's On-Behalf-Of runs unchanged against the Entra profile,
// declaring cp1 and then answering a CAE claims challenge: the server
// sees both requests as it sees ours.
func TestMSALPythonOnBehalfOfWithCAE(t *testing.T) {
	py := pythonWithMSAL(t)
	srv := entraServer(t)
	incoming := srv.IssueAccessToken("alice-sub", "api://"+entraMiddleID, "access_as_user")
	const challenge = `{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}`
	cmd := exec.Command(py, "-c", msalPythonOBO)
	ca := serverCAFile(t, srv)
	// requests prefers REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE to verify=.
	cmd.Env = append(os.Environ(), "REQUESTS_CA_BUNDLE="+ca, "CURL_CA_BUNDLE="+ca,
		"CLIENT_ID="+entraMiddleID, "CLIENT_SECRET="+entraMiddleKey,
		"AUTHORITY="+srv.URL()+"/"+entraTID, "CA_FILE="+ca,
		"SCOPE=https://graph.microsoft.com/User.Read", "ASSERTION="+incoming, "CHALLENGE="+challenge)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var res map[string]struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	require.NoError(t, json.Unmarshal(out, &res), string(out))

	for _, k := range []string{"first", "challenged"} {
		require.Empty(t, res[k].Error, k)
		claims, err := srv.VerifyAccessToken(res[k].AccessToken)
		require.NoError(t, err, k)
		assert.Equal(t, "alice-sub", claims.Subject)
		assert.Equal(t, []string{"https://graph.microsoft.com"}, []string(claims.Audience))
		assert.Equal(t, []string{"cp1"}, claims.Capabilities, k)
	}
	forms := tokenForms(srv)
	require.Len(t, forms, 2)
	for _, f := range forms {
		assert.Equal(t, oauth2flows.GrantTypeJWTBearer, f.Get("grant_type"))
		assert.Equal(t, "on_behalf_of", f.Get("requested_token_use"))
	}
	// What MSAL Python sends is what Config.ClientCapabilities sends.
	assert.JSONEq(t, `{"access_token":{"xms_cc":{"values":["cp1"]}}}`, forms[0].Get("claims"))
	assert.JSONEq(t, `{"access_token":{"nbf":{"essential":true,"value":"1604106651"},"xms_cc":{"values":["cp1"]}}}`, forms[1].Get("claims"))
}
