package oauth2flowstest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Authorize plays the user's browser: it sends the authorization request
// authURL (as built by oauth2flows.AuthCodeURL or ImplicitURL) to the
// server, where the user consents at once, and returns the URL the server
// redirects to, without following it. Parse the code, state and iss from
// its query, or the token from its fragment for the implicit grant
// (RFC 6749 §4.1.2, §4.2.2). Error redirects are returned as URLs too; a
// request the server refuses to redirect (unknown client, bad redirect_uri)
// is an error.
func (s *Server) Authorize(ctx context.Context, authURL string) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, fmt.Errorf("oauth2flowstest: authorization request: %w", err)
	}
	// A copy: the client Client returns is shared by every test using the
	// server, and must keep following redirects.
	c := *s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oauth2flowstest: authorization request: %w", err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("oauth2flowstest: authorization request refused: %d: %s", resp.StatusCode, pageText(string(page)))
	}
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("oauth2flowstest: authorization redirect: %w", err)
	}
	return loc, nil
}

// pageText extracts the message of an authorization error page.
func pageText(page string) string {
	if _, after, ok := strings.Cut(page, "<p>"); ok {
		page, _, _ = strings.Cut(after, "</p>")
	}
	return strings.TrimSpace(page)
}
