package interop

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// postForm posts a form with plain net/http, optionally with HTTP Basic
// credentials (each part form-urlencoded, RFC 6749 §2.3.1), and returns the
// status and the decoded JSON body. It checks the servers' setup without
// the SDK.
func postForm(t testing.TB, endpoint string, form url.Values, basicUser, basicPass string) (int, map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(url.QueryEscape(basicUser), url.QueryEscape(basicPass))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := map[string]any{}
	if len(body) > 0 {
		require.NoError(t, json.Unmarshal(body, &out), "body: %s", body)
	}
	return resp.StatusCode, out
}
