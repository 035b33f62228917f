package oauth2flows_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// rawTokenServer answers every connection with the bytes reply builds from
// the request body it read, below net/http, as a broken or hostile server
// may. It counts the requests it read.
func rawTokenServer(t *testing.T, reply func(body string) string) (tokenURL string, requests *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	requests = &atomic.Int32{}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				var b strings.Builder
				_, _ = fmt.Fprint(&b, req.Body)
				buf := make([]byte, req.ContentLength)
				_, _ = req.Body.Read(buf)
				requests.Add(1)
				_, _ = conn.Write([]byte(reply(string(buf))))
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/token", requests
}

// net/http quotes what a server sent in its errors. A server that echoes
// the request body as a header line must not bring a credential into the
// *NetworkError, nor into the WARN log line; and the request is not posted
// again. A redirect whose Location is unparsable (and carries the password)
// is an answer of the server: an *Error with its status, never a
// *NetworkError ("no HTTP response"), and its Location is in no error.
func TestNetworkErrorsAndLogLinesAreScrubbed(t *testing.T) {
	const (
		password = "pl41n-p4ssw0rd-value"
		refresh  = "rt-0ne-time-r3fresh"
		secret   = "n3twork-s3cret-value"
	)
	tests := []struct {
		name  string
		reply func(body string) string
		call  func(ctx context.Context, cfg *oauth2flows.Config) error
	}{
		{"MalformedHeaderEchoingTheBody", func(body string) string {
			return "HTTP/1.1 200 OK\r\n" + body + "\r\n\r\n"
		}, func(ctx context.Context, cfg *oauth2flows.Config) error {
			_, err := oauth2flows.Refresh(ctx, cfg, refresh)
			return err
		}},
		{"RedirectWithBadLocationCarryingThePassword", func(body string) string {
			return "HTTP/1.1 302 Found\r\nLocation: http://[::1%zz/x?pw=" + password + "\r\nContent-Length: 0\r\n\r\n"
		}, func(ctx context.Context, cfg *oauth2flows.Config) error {
			_, err := oauth2flows.PasswordCredentials(ctx, cfg, "alice", password) //nolint:staticcheck // deprecated grant tested on purpose
			return err
		}},
		{"RedirectWithBadLocationCarryingTheEncodedPassword", func(body string) string {
			return "HTTP/1.1 302 Found\r\nLocation: http://[::1%zz/x?" + body + "\r\nContent-Length: 0\r\n\r\n"
		}, func(ctx context.Context, cfg *oauth2flows.Config) error {
			_, err := oauth2flows.PasswordCredentials(ctx, cfg, "alice", password+" &/") //nolint:staticcheck // deprecated grant tested on purpose
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokenURL, requests := rawTokenServer(t, tt.reply)
			logger, out := newTestLogger()
			cfg := &oauth2flows.Config{ClientID: "c", ClientSecret: secret, AuthMethod: oauth2flows.ClientSecretPost,
				Endpoint: oauth2flows.Endpoint{TokenURL: tokenURL}, Retry: fastRetry(3), Logger: logger}
			err := tt.call(context.Background(), cfg)
			if strings.HasPrefix(tt.name, "Redirect") {
				var oe *oauth2flows.Error
				require.ErrorAs(t, err, &oe)
				assert.Equal(t, http.StatusFound, oe.StatusCode)
			} else {
				var ne *oauth2flows.NetworkError
				require.ErrorAs(t, err, &ne)
			}
			for _, v := range []string{password, refresh, secret} {
				assert.NotContains(t, err.Error(), v)
				assert.NotContains(t, out.String(), v)
				assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), v)
			}
			assert.Equal(t, int32(1), requests.Load(), "the server answered: the request is not posted again")
		})
	}
}

// A credential that comes back encoded is still found: JSON's \/ escapes
// (PHP's json_encode of a Google-style 1//0g… token), HTML entities,
// lower-case percent-hex, and a value wrapped across lines.
func TestScrubberFindsEncodedCredentials(t *testing.T) {
	const refresh = "1//0gRefresh-Token/With/Slashes_0123"
	tests := []struct {
		name string
		echo func(raw string) string
	}{
		{"JSONSlashEscapes", func(string) string { return strings.ReplaceAll(refresh, "/", `\/`) }},
		{"JSONUnicodeEscapes", func(string) string { return strings.ReplaceAll(refresh, "/", `\u002f`) }},
		{"HTMLEntities", func(string) string { return strings.ReplaceAll(refresh, "/", "&#x2F;") }},
		{"HTMLNamedEntities", func(string) string { return html.EscapeString(strings.ReplaceAll(refresh, "/", "&sol;")) }},
		{"LowerCasePercentHex", func(string) string { return strings.ReplaceAll(refresh, "/", "%2f") }},
		{"WrappedAcrossLines", func(string) string { return refresh[:12] + "\r\n  " + refresh[12:] }},
	}
	for _, tt := range tests {
		for _, ctype := range []string{"application/json", "text/html"} {
			t.Run(tt.name+"/"+ctype, func(t *testing.T) {
				cfg := fakeConfig(t, &tokenFake{ctype: ctype, respond: func(_ *http.Request, raw string) (int, string) {
					form, _ := url.ParseQuery(raw)
					echo := "refresh token " + tt.echo(form.Get("refresh_token")) + " is unknown"
					if ctype == "application/json" {
						// Written by hand: encoding/json would re-escape the echo.
						return http.StatusBadRequest, `{"error":"invalid_grant","error_description":"` +
							strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(echo) + `"}`
					}
					return http.StatusBadRequest, "<html><body>" + echo + "</body></html>"
				}})
				_, err := oauth2flows.Refresh(context.Background(), cfg, refresh)
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				msg := err.Error() + e.Description + e.Body
				assert.NotContains(t, msg, "0gRefresh", "no part of the token survives")
				assert.NotContains(t, msg, tt.echo(refresh))
			})
		}
	}
}

// Error.Claims is kept verbatim for passing back, so %#v must not print it.
func TestErrorGoStringHidesClaims(t *testing.T) {
	e := &oauth2flows.Error{StatusCode: 400, Code: "interaction_required", Claims: `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`}
	for _, format := range []string{"%#v", "%v", "%+v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(format, e), "acrs", format)
	}
	assert.Contains(t, fmt.Sprintf("%#v", e), "interaction_required")
	b, err := json.Marshal(e.Code)
	require.NoError(t, err)
	assert.Contains(t, fmt.Sprintf("%#v", e), string(b))
}
