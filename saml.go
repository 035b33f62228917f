package oauth2flows

import (
	"bytes"
	"encoding/base64"
	"strings"
)

// SAMLAssertion returns the XML of a SAML assertion that On-Behalf-Of
// issued when asked with [WithRequestedTokenType]([TokenTypeSAML1]) or
// [TokenTypeSAML2]: Entra returns it base64url-encoded in access_token,
// with issued_token_type naming the SAML version (RFC 8693 §2.2.1).
// It refuses a token that is not a SAML assertion, or whose contents do
// not decode to XML, with a [*SAMLError].
func SAMLAssertion(tok *Token) ([]byte, error) {
	if tok == nil || (tok.IssuedTokenType != TokenTypeSAML1 && tok.IssuedTokenType != TokenTypeSAML2) {
		return nil, &SAMLError{Reason: "token was not issued as one (issued_token_type is not saml1 or saml2, RFC 8693 §2.2.1)"}
	}
	raw := strings.TrimRight(strings.TrimSpace(tok.AccessToken), "=")
	enc := base64.RawURLEncoding
	if strings.ContainsAny(raw, "+/") {
		enc = base64.RawStdEncoding
	}
	xml, err := enc.DecodeString(raw)
	if err != nil {
		return nil, &SAMLError{Reason: "not base64url"}
	}
	if !bytes.HasPrefix(bytes.TrimSpace(bytes.TrimPrefix(xml, []byte("\xef\xbb\xbf"))), []byte("<")) {
		return nil, &SAMLError{Reason: "does not decode to XML"}
	}
	return xml, nil
}
