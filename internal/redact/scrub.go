// Package redact keeps credentials out of error strings and log lines:
// it scrubs server-supplied text of the values a request carried, in the
// encodings servers and proxies echo them in.
package redact

import (
	"errors"
	"html"
	"net"
	"strings"
	"unicode"
)

// minRedact is the shortest value Scrub looks for: shorter ones would
// redact ordinary words.
const minRedact = 3

// Scrub replaces every credential the request carried with "[redacted]",
// for servers that echo what they were sent. A credential can also come
// back encoded: JSON's \/ and \u escapes (PHP escapes the slashes of a
// Google-style 1//0g… refresh token), HTML entities, percent-encoding in
// either case of hex, or wrapped across lines. Text that still holds a
// credential under any of those decodings is redacted whole, since the
// encoded run cannot be located reliably.
func Scrub(s string, redact []string) string {
	if s == "" || len(redact) == 0 {
		return s
	}
	for _, v := range redact {
		if len(v) >= minRedact && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	if holdsEncoded(s, redact) {
		return "[redacted]"
	}
	return s
}

// holdsEncoded reports whether a decoding of s holds a credential.
func holdsEncoded(s string, redact []string) bool {
	if !strings.ContainsAny(s, "\\&%+ \t\r\n") {
		return false // nothing is encoded or wrapped
	}
	views := decodings(s)
	for _, v := range redact {
		if len(v) < minRedact {
			continue
		}
		folded := fold(v)
		for _, d := range views {
			if strings.Contains(d, v) || (len(folded) >= minRedact && strings.Contains(fold(d), folded)) {
				return true
			}
		}
	}
	return false
}

// decodings returns s decoded in each way a server or proxy may have
// encoded what it echoes, alone and stacked (a JSON string inside HTML,
// HTML escaped twice).
func decodings(s string) []string {
	j := unescapeJSON(s)
	h := html.UnescapeString(s)
	hh := html.UnescapeString(h)
	hj := unescapeJSON(hh)
	out := []string{j, h, hh, hj}
	for _, d := range []string{s, j, hh, hj} {
		out = append(out, percentDecode(d, false), percentDecode(d, true))
	}
	return out
}

// fold removes white space, undoing a value wrapped across lines.
func fold(s string) string {
	if strings.IndexFunc(s, unicode.IsSpace) < 0 {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), "")
}

// unescapeJSON undoes the backslash escapes of a JSON string (RFC 8259 §7)
// where they occur, leaving anything else as is.
func unescapeJSON(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'b', 'f':
			b.WriteByte(' ')
		case 'u':
			if i+4 < len(s) {
				if r, ok := hex4(s[i+1 : i+5]); ok {
					b.WriteRune(r)
					i += 4
					continue
				}
			}
			b.WriteByte(e)
		default: // \" \\ \/ and anything unknown
			b.WriteByte(e)
		}
	}
	return b.String()
}

func hex4(s string) (rune, bool) {
	var r rune
	for i := 0; i < 4; i++ {
		d, ok := unhex(s[i])
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// percentDecode undoes %XX escapes in either case of hex, leaving
// malformed ones as they are; plus also turns '+' into a space, as form
// encoding does.
func percentDecode(s string, plus bool) string {
	if !strings.Contains(s, "%") && (!plus || !strings.Contains(s, "+")) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s):
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b.WriteByte(hi<<4 | lo)
				i += 2
				continue
			}
		case c == '+' && plus:
			b.WriteByte(' ')
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Error returns err, or, when its text holds a credential, an error
// with the scrubbed text that no longer unwraps to err: unwrapping would
// reach the credential again. A timeout stays a timeout for net.Error.
func Error(err error, redact []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := Scrub(msg, redact)
	if clean == msg {
		return err
	}
	var ne net.Error
	return &scrubbedError{msg: clean, timeout: errors.As(err, &ne) && ne.Timeout()}
}

// scrubbedError is a cause whose text was scrubbed of credentials.
type scrubbedError struct {
	msg     string
	timeout bool
}

func (e *scrubbedError) Error() string   { return e.msg }
func (e *scrubbedError) Timeout() bool   { return e.timeout }
func (e *scrubbedError) Temporary() bool { return false }
