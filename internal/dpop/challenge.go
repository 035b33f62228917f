package dpop

import (
	"net/http"
	"strings"
)

// Bounds on WWW-Authenticate, which comes from the network.
const (
	maxChallengeBytes = 8 << 10 // all field lines together
	maxChallenges     = 16
	maxParams         = 32 // per challenge
)

// UseNonceError is the error code of a server that wants a proof with its
// nonce: in a token error response (RFC 9449 §8) or in a resource server's
// DPoP challenge (§9).
const UseNonceError = "use_dpop_nonce"

// Challenge is one challenge of a WWW-Authenticate header (RFC 9110
// §11.6.1): an auth scheme, then a token68 or auth-params.
type Challenge struct {
	Scheme  string  // as sent; compare with strings.EqualFold
	Token68 string  // when the challenge carries one instead of params
	Params  []Param // names in lower case, values unquoted
}

// Param is one auth-param of a [Challenge].
type Param struct{ Name, Value string }

// Param returns the value of the auth-param name (lower case), or "".
func (c *Challenge) Param(name string) string {
	for _, p := range c.Params {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// UseNonce reports whether resp is a resource server's demand for a proof
// with its nonce (RFC 9449 §9): a 401 whose WWW-Authenticate has a DPoP
// challenge with error="use_dpop_nonce", and a valid DPoP-Nonce header,
// which it returns. The caller retries once with that nonce, and only when
// the request body can be sent again.
func UseNonce(resp *http.Response) (nonce string, ok bool) {
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		return "", false
	}
	nonce, ok = ParseNonce(resp.Header)
	if !ok {
		return "", false
	}
	cs, err := ParseChallenges(resp.Header.Values("WWW-Authenticate"))
	if err != nil {
		return "", false
	}
	for i := range cs {
		if strings.EqualFold(cs[i].Scheme, "DPoP") && cs[i].Param("error") == UseNonceError {
			return nonce, true
		}
	}
	return "", false
}

// ParseChallenges parses the field lines of WWW-Authenticate (RFC 9110
// §11.6.1): #challenge, challenge = auth-scheme [ 1*SP ( token68 /
// #auth-param ) ], auth-param = token BWS "=" BWS ( token / quoted-string ).
// The input is untrusted: more than 8 KiB, 16 challenges or 32 params per
// challenge, or any syntax error, gives [ErrChallenge].
func ParseChallenges(values []string) ([]Challenge, error) {
	total := 0
	for _, v := range values {
		total += len(v)
	}
	if total > maxChallengeBytes {
		return nil, ErrChallenge
	}
	var out []Challenge
	for _, v := range values {
		p := parser{s: v}
		for {
			p.skipListSeparators()
			if p.done() {
				break
			}
			if len(out) == maxChallenges {
				return nil, ErrChallenge
			}
			c, ok := p.challenge()
			if !ok {
				return nil, ErrChallenge
			}
			out = append(out, c)
		}
	}
	return out, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) done() bool { return p.i >= len(p.s) }

func (p *parser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *parser) skipWS() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// skipListSeparators skips OWS and empty list elements (RFC 9110 §5.6.1).
func (p *parser) skipListSeparators() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == ',') {
		p.i++
	}
}

func (p *parser) token() string {
	start := p.i
	for !p.done() && tchar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// challenge reads one challenge; p is at its scheme.
func (p *parser) challenge() (Challenge, bool) {
	c := Challenge{Scheme: p.token()}
	if c.Scheme == "" {
		return c, false
	}
	if p.done() || p.peek() == ',' {
		return c, true // a scheme alone
	}
	if p.peek() != ' ' && p.peek() != '\t' {
		return c, false
	}
	p.skipWS()
	if p.done() || p.peek() == ',' {
		return c, true
	}
	if !p.atParam() {
		return c, p.token68(&c)
	}
	for {
		if len(c.Params) == maxParams {
			return c, false
		}
		name := strings.ToLower(p.token())
		p.skipWS()
		p.i++ // '=', checked by atParam
		p.skipWS()
		var value string
		var ok bool
		if p.peek() == '"' {
			value, ok = p.quoted()
		} else {
			value = p.token()
			ok = value != ""
		}
		if !ok {
			return c, false
		}
		c.Params = append(c.Params, Param{Name: name, Value: value})
		p.skipWS()
		if p.done() {
			return c, true
		}
		if p.peek() != ',' {
			return c, false
		}
		// After a comma: another param of this challenge, or the next
		// challenge, which starts with a scheme not followed by "=".
		save := p.i
		p.skipListSeparators()
		if p.done() || !p.atParam() {
			p.i = save
			return c, true
		}
	}
}

// atParam reports whether p is at `token BWS "=" BWS (token / quoted-string)`,
// without moving.
func (p *parser) atParam() bool {
	save := p.i
	defer func() { p.i = save }()
	if p.token() == "" {
		return false
	}
	p.skipWS()
	if p.peek() != '=' {
		return false
	}
	p.i++
	p.skipWS()
	return p.peek() == '"' || (!p.done() && tchar(p.peek()))
}

// token68 reads 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
// and requires the challenge to end after it.
func (p *parser) token68(c *Challenge) bool {
	start := p.i
	for !p.done() && token68char(p.s[p.i]) {
		p.i++
	}
	if p.i == start {
		return false
	}
	for !p.done() && p.s[p.i] == '=' {
		p.i++
	}
	c.Token68 = p.s[start:p.i]
	p.skipWS()
	return p.done() || p.peek() == ','
}

func token68char(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}

// quoted reads a quoted-string (RFC 9110 §5.6.4) and returns its value.
func (p *parser) quoted() (string, bool) {
	p.i++ // opening quote
	start := p.i
	var b []byte // set only when a quoted-pair needs unescaping
	for !p.done() {
		c := p.s[p.i]
		switch {
		case c == '"':
			v := p.s[start:p.i]
			if b != nil {
				v = string(b)
			}
			p.i++
			return v, true
		case c == '\\':
			if p.i+1 >= len(p.s) || !qdtextOrVchar(p.s[p.i+1]) {
				return "", false
			}
			if b == nil {
				b = append([]byte(nil), p.s[start:p.i]...)
			}
			b = append(b, p.s[p.i+1])
			p.i += 2
		case qdtextOrVchar(c):
			if b != nil {
				b = append(b, c)
			}
			p.i++
		default:
			return "", false
		}
	}
	return "", false // unterminated
}

// qdtextOrVchar: HTAB, SP, VCHAR or obs-text, the characters a
// quoted-string may hold (escaped where they are '"' or '\').
func qdtextOrVchar(c byte) bool { return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f) }
