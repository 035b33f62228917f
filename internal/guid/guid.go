// Package guid recognises the GUIDs Entra names tenants and applications
// with.
package guid

// Valid reports whether s has the 8-4-4-4-12 hex form of Entra tenant IDs
// (a token's tid, EntraEndpoint's tenant).
func Valid(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
