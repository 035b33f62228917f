package oauth2flows

import "time"

// SetStoreTimeouts shortens an OBOCache's bounds on its store's calls, so
// that tests of a store that never answers do not wait seconds.
func SetStoreTimeouts(c *OBOCache, store, lock time.Duration) {
	c.storeTimeout, c.lockTimeout = store, lock
}
