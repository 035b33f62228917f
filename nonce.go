package oauth2flows

// NewNonce returns a new nonce for an OpenID Connect authentication request
// (OpenID Connect Core §3.1.2.1, §15.5.2): 256 bits from crypto/rand,
// base64url-encoded. Keep it in the user's session with the state, send it
// with [WithNonce], and pass it to [Token.VerifyIDToken], which refuses an
// ID token that does not carry it: a replayed or injected ID token.
func NewNonce() string { return randomToken() }

// WithNonce sends the nonce (OpenID Connect Core §3.1.2.1) in the
// authorization request: [AuthCodeURL], [BuildAuthCodeURL], [ImplicitURL]
// and [PushAuthCodeURL], whose pushed parameters and request object carry
// it. Make it with [NewNonce]. Other calls refuse it.
func WithNonce(nonce string) Option {
	return func(o *options) { o.nonce, o.set = nonce, o.set|optNonce }
}
