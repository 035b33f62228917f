package oauth2flowstest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"time"
)

// samlAssertion returns a minimal, unsigned SAML assertion for subject and
// audience: SAML 2.0 (OASIS saml-core-2.0 §2.3.3) or SAML 1.1
// (saml-core-1.1 §2.3.2). It is a stand-in with the right shape for clients
// that pass it on; nothing should trust it.
func (s *Server) samlAssertion(v2 bool, subject, audience string) string {
	now := s.now().UTC()
	ts := func(t time.Time) string { return t.Format("2006-01-02T15:04:05Z") }
	esc := func(v string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(v))
		return b.String()
	}
	id, iss := "_"+randomString(), esc(s.URL())
	sub, aud := esc(subject), esc(audience)
	notAfter := tokenExpiry(now, s.cfg.accessLifetime)
	if v2 {
		return fmt.Sprintf(`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" IssueInstant="%s">`+
			`<saml:Issuer>%s</saml:Issuer>`+
			`<saml:Subject><saml:NameID>%s</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"/></saml:Subject>`+
			`<saml:Conditions NotBefore="%s" NotOnOrAfter="%s"><saml:AudienceRestriction><saml:Audience>%s</saml:Audience></saml:AudienceRestriction></saml:Conditions>`+
			`</saml:Assertion>`, id, ts(now), iss, sub, ts(now), ts(notAfter), aud)
	}
	return fmt.Sprintf(`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" MajorVersion="1" MinorVersion="1" AssertionID="%s" Issuer="%s" IssueInstant="%s">`+
		`<saml:Conditions NotBefore="%s" NotOnOrAfter="%s"><saml:AudienceRestrictionCondition><saml:Audience>%s</saml:Audience></saml:AudienceRestrictionCondition></saml:Conditions>`+
		`<saml:AttributeStatement><saml:Subject><saml:NameIdentifier>%s</saml:NameIdentifier><saml:SubjectConfirmation><saml:ConfirmationMethod>urn:oasis:names:tc:SAML:1.0:cm:bearer</saml:ConfirmationMethod></saml:SubjectConfirmation></saml:Subject></saml:AttributeStatement>`+
		`</saml:Assertion>`, id, iss, ts(now), ts(now), ts(notAfter), aud, sub)
}
