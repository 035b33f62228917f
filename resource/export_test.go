package resource

import "time"

// SetValidatorClock replaces v's clock, for tests of expiry, the key cache
// TTL and the refetch rate limit. Call it before v is shared.
func SetValidatorClock(v *Validator, now func() time.Time) { v.now = now }

// CachedTokens returns how many verifications v's cache holds; -1 when the
// cache is disabled.
func CachedTokens(v *Validator) int {
	if v.cache == nil {
		return -1
	}
	return v.cache.len()
}
