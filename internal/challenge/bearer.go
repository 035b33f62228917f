// Package challenge parses WWW-Authenticate header values (RFC 9110
// §11.6.1) for the Bearer scheme (RFC 6750 §3).
package challenge

import "strings"

// ParseBearer finds the Bearer challenge in a WWW-Authenticate
// header value (RFC 6750 §3, RFC 9110 §11.6.1) and returns its parameters,
// names in lower case. A header may hold several challenges
// ("Basic realm=x, Bearer error=..."); only Bearer's are returned.
// ok is false when there is no Bearer challenge.
func ParseBearer(header string) (params map[string]string, ok bool) {
	p := challengeParser{s: header}
	for !p.done() {
		scheme := p.token()
		if scheme == "" {
			if !p.skipOne() {
				break
			}
			continue
		}
		isBearer := strings.EqualFold(scheme, "Bearer")
		got := map[string]string{}
		for first := true; ; first = false {
			p.space()
			save := p.i
			name := p.token()
			p.space()
			if name != "" && p.eat('=') {
				p.space()
				got[strings.ToLower(name)] = p.value()
				p.space()
				p.eat(',')
				continue
			}
			p.i = save
			if p.eat(',') {
				continue
			}
			// A token68 may follow the scheme alone (RFC 9110 §11.2);
			// any other bare token starts the next challenge.
			if first && p.token68() != "" {
				p.space()
				if p.done() || p.eat(',') {
					continue
				}
			}
			p.i = save
			break
		}
		if isBearer {
			return got, true
		}
	}
	return nil, false
}

// challengeParser is a cursor over a WWW-Authenticate value.
type challengeParser struct {
	s string
	i int
}

func (p *challengeParser) done() bool { return p.i >= len(p.s) }

func (p *challengeParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *challengeParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *challengeParser) skipOne() bool {
	if p.done() {
		return false
	}
	p.i++
	return true
}

// token reads an RFC 9110 §5.6.2 token.
func (p *challengeParser) token() string {
	p.space()
	start := p.i
	for p.i < len(p.s) && isTokenChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// token68 reads an RFC 9110 §11.2 token68 that does not start a name=value.
func (p *challengeParser) token68() string {
	start := p.i
	for p.i < len(p.s) && (isTokenChar(p.s[p.i]) || p.s[p.i] == '/' || p.s[p.i] == '=') {
		p.i++
	}
	return p.s[start:p.i]
}

// value reads a token or a quoted-string with backslash escapes.
func (p *challengeParser) value() string {
	if !p.eat('"') {
		return p.token()
	}
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch c {
		case '"':
			return b.String()
		case '\\':
			if p.i < len(p.s) {
				b.WriteByte(p.s[p.i])
				p.i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
