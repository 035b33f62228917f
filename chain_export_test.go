package oauth2flows

import "time"

// SetRefusalTTL changes how long an OBOCache answers a refused assertion
// without asking again, so that a test need not wait 30 s.
func SetRefusalTTL(c *OBOCache, d time.Duration) { c.refusalTTL = d }
