package resource

import "time"

// SetValidatorClock replaces v's clock, for tests of expiry, the key cache
// TTL and the refetch rate limit. Call it before v is shared.
func SetValidatorClock(v *Validator, now func() time.Time) { v.now = now }
