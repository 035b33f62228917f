package oauth2flowstest

import "time"

// store holds the server's grants. Every access goes through Server.mu.
type store struct {
	codes    map[string]*codeEntry
	refresh  map[string]*refreshEntry
	access   map[string]*accessEntry // by jti
	families map[string]*family
	// assertionIDs are the jti of client assertions seen, until they expire
	// (RFC 7523 §3 item 7: no replay).
	assertionIDs map[string]time.Time
	devices      map[string]*deviceEntry // by device_code (RFC 8628)
	userCodes    map[string]string       // normalised user_code -> device_code
	// proofJTIs are the jti of DPoP proofs seen, until their iat is too old
	// to be accepted anyway (RFC 9449 §11.1).
	proofJTIs map[string]time.Time
	asNonces  nonceSet                // DPoP nonces of the token and PAR endpoints (RFC 9449 §8)
	rsNonces  nonceSet                // DPoP nonces of Protect (RFC 9449 §9)
	pushed    map[string]*pushedEntry // by request_uri (RFC 9126)
	// redeemed and reused count refresh tokens exchanged, and rotated ones
	// presented again (RefreshStats).
	redeemed, reused int
}

func newStore() store {
	return store{
		codes:        map[string]*codeEntry{},
		refresh:      map[string]*refreshEntry{},
		access:       map[string]*accessEntry{},
		families:     map[string]*family{},
		assertionIDs: map[string]time.Time{},
		devices:      map[string]*deviceEntry{},
		userCodes:    map[string]string{},
		proofJTIs:    map[string]time.Time{},
		asNonces:     nonceSet{},
		rsNonces:     nonceSet{},
		pushed:       map[string]*pushedEntry{},
	}
}

// codeEntry is an issued authorization code (RFC 6749 §4.1.2).
type codeEntry struct {
	clientID          string
	redirectURI       string // as sent in the authorization request, "" if none
	effectiveRedirect string // where the response went
	challenge         string // PKCE S256 code_challenge (RFC 7636 §4.2)
	subject           string
	scope             string
	nonce             string
	resources         []string
	expires           time.Time
	used              bool
	family            string // the family created on redemption
	dpopJKT           string // RFC 9449 §10 dpop_jkt: the key the code is bound to
	authTime          time.Time
}

// refreshEntry is an issued refresh token (RFC 6749 §1.5).
type refreshEntry struct {
	clientID  string
	subject   string
	scope     string // the scope originally granted
	resources []string
	expires   time.Time
	family    string
	rotated   bool // exchanged for a newer one; reuse means theft (RFC 9700 §4.14.2)
	revoked   bool
	dpopJKT   string // the DPoP key a public client's token is bound to (RFC 9449 §5)
}

// accessEntry is an issued access token.
type accessEntry struct {
	clientID string
	family   string
	expires  time.Time
	revoked  bool
	appOnly  bool // issued to a client for itself (client credentials), no user
	issued   time.Time
	openid   bool // granted the openid scope: good at the userinfo endpoint
}

// family is every token descending from one authorization grant.
type family struct {
	revoked bool
}

func (st *store) newFamily() string {
	id := randomString()
	st.families[id] = &family{}
	return id
}

func (st *store) familyRevoked(id string) bool {
	f := st.families[id]
	return f != nil && f.revoked
}

// revokeFamily invalidates every token of a grant: refresh tokens and the
// access tokens issued with them.
func (st *store) revokeFamily(id string) {
	if f := st.families[id]; f != nil {
		f.revoked = true
	}
}

// accessActive reports whether the access token with this jti is neither
// revoked nor part of a revoked family. Tokens the store does not know were
// never issued by this server instance's store and are refused.
func (st *store) accessActive(jti string) bool {
	e := st.access[jti]
	return e != nil && !e.revoked && !st.familyRevoked(e.family)
}

// refreshActive reports whether a refresh token may be used at now.
func (st *store) refreshActive(e *refreshEntry, now time.Time) bool {
	return !e.revoked && !st.familyRevoked(e.family) && now.Before(e.expires)
}
