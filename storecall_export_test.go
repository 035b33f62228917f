package oauth2flows

import "time"

// WithTokenStoreTimeouts shortens a Transport's bounds on its store's calls,
// so that tests of a store that never answers do not wait seconds.
func WithTokenStoreTimeouts(store, lock time.Duration) TransportOption {
	return func(o *transportOptions) { o.policy.calls.timeout, o.policy.calls.lock = store, lock }
}
