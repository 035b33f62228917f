package oauth2flowstest

// RefreshStats is what the server's refresh_token grant (RFC 6749 §6) has
// seen, for tests of clients that share a rotating refresh token: under
// [RotateRevokeFamily], every Reused is a refresh token presented twice
// (RFC 9700 §4.14.2), and it revoked its family.
type RefreshStats struct {
	Redeemed int // refresh tokens exchanged for a new token
	Reused   int // presentations of a refresh token already rotated
	// Families is how many grants (sign-ins) have issued a refresh token;
	// RevokedFamilies how many of them are revoked, for reuse or by
	// revocation (RFC 7009): their users must sign in again.
	Families, RevokedFamilies int
}

// RefreshStats returns the counts of the refresh_token grant so far.
func (s *Server) RefreshStats() RefreshStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := RefreshStats{Redeemed: s.store.redeemed, Reused: s.store.reused}
	seen := map[string]bool{}
	for _, e := range s.store.refresh {
		if seen[e.family] {
			continue
		}
		seen[e.family] = true
		st.Families++
		if s.store.familyRevoked(e.family) {
			st.RevokedFamilies++
		}
	}
	return st
}
