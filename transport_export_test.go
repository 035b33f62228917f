package oauth2flows

import (
	"net/http"
	"time"
)

// InvalidTokenChallenge is the Transport's reading of WWW-Authenticate
// (RFC 6750 §3.1), for its table test.
func InvalidTokenChallenge(values []string) bool { return invalidTokenChallenge(values) }

// MayCarryBearer reports whether tr would put its bearer on req, a request
// of a redirect chain (req.Response links the previous hops).
func MayCarryBearer(tr *Transport, req *http.Request) bool { return mayCarryBearer(req, tr.hosts) }

// SetRenewTimeout shortens how long one renewal of tr may run, so that
// tests of user code that never returns do not wait a minute.
func SetRenewTimeout(tr *Transport, d time.Duration) {
	tr.r.flight.mu.Lock()
	defer tr.r.flight.mu.Unlock()
	tr.r.flight.timeout = d
}

// StartRefreshWindow moves the token tr sends into its refresh window, as if
// it were near its expiry: the next request renews it in the background,
// and tests need not wait out a token's lifetime.
func StartRefreshWindow(tr *Transport) {
	updateState(tr, func(st *tokenState) { st.refreshAt = time.Now().Add(-time.Second) })
}

// ExpireToken makes the token tr sends expired, as if its lifetime had
// passed: the next request waits for a renewal.
func ExpireToken(tr *Transport) {
	updateState(tr, func(st *tokenState) { st.expireAt = time.Now().Add(-time.Second) })
}

// SetDeadlines sets when tr renews the token it sends in the background
// and when that token expires, as a token loaded from storage (no monotonic
// reading) or obtained now would have them.
func SetDeadlines(tr *Transport, refreshAt, expireAt time.Time) {
	updateState(tr, func(st *tokenState) { st.refreshAt, st.expireAt = refreshAt, expireAt })
}

// HeadersOf returns a header of n entries (nil for -1), built by inserting
// them one by one, with an Authorization among them when withAuth is set.
func HeadersOf(n int, withAuth bool) http.Header { return testHeaders(n, withAuth) }

// RenewingInBackground reports whether a background renewal of tr runs.
func RenewingInBackground(tr *Transport) bool { return tr.r.background.Load() }

// NextBackgroundRenewal is when tr next renews its token in the background.
func NextBackgroundRenewal(tr *Transport) time.Time { return tr.r.state.Load().refreshAt }

// updateState stores a changed copy of tr's current token state.
func updateState(tr *Transport, change func(st *tokenState)) {
	for {
		cur := tr.r.state.Load()
		next := *cur
		change(&next)
		if tr.r.state.CompareAndSwap(cur, &next) {
			return
		}
	}
}

// DueCheckIn makes tr's next request check in with its store, as it does
// every 10 s, so that tests need not wait for it.
func DueCheckIn(tr *Transport) { tr.r.checkInAt.Store(1) }
