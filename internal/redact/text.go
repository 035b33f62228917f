package redact

import (
	"errors"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Snippet returns the start of a body, whitespace folded, for an error
// message. The whole body is scrubbed first: cutting it could leave a
// credential's prefix that no longer matches, and folding white space could
// change a credential that holds a run of it.
func Snippet(b []byte, secrets []string) string {
	const n = 120
	s := Scrub(string(b), secrets)
	s = s[:min(len(s), 8*n)]
	return SafeText(strings.Join(strings.Fields(s), " "), secrets, n)
}

// SafeText makes server-supplied text fit for an error string: printable
// runes only, credentials redacted, at most n runes. Redaction runs both
// before and after dropping unprintable runes, so that a credential split
// by an invalid byte cannot be reassembled by the dropping, and before
// truncation, so that no prefix of a credential survives.
func SafeText(s string, secrets []string, n int) string {
	s = Scrub(printable(Scrub(s, secrets)), secrets)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// printable turns white space (Entra ends sentences with \r\n) into
// spaces, and drops other control characters and invalid UTF-8.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
}

// URL keeps scheme, host and path: a query may carry anything.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// UnwrapURLError drops net/http's *url.Error, whose message repeats the
// URL, keeping its cause.
func UnwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
