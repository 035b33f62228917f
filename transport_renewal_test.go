package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// The Transport's renewals of a RefreshTokenSource against oauth2flowstest,
// which rotates refresh tokens and refuses a spent one (RFC 9700 §4.14.2).

func TestTransportStormOnExpiredTokenMakesOneTokenRequest(t *testing.T) {
	f := newRenewalFixture(t)
	gate := f.hold(t)
	base := &recordingBase{}
	tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.expired()), oauth2flows.WithBase(base))
	client := &http.Client{Transport: tr}

	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := get(t.Context(), client, resourceURL)
			errs <- err
		})
	}
	require.Eventually(t, func() bool { return gate.held.Load() == 1 }, 5*time.Second, time.Millisecond)
	gate.open()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	assert.Equal(t, int32(1), gate.held.Load(), "one token request for the whole storm")
	count, sent := f.refreshes()
	assert.Equal(t, 1, count)
	assert.Equal(t, []string{f.seed.RefreshToken}, sent)
	renewed, err := tr.Token(t.Context())
	require.NoError(t, err)
	require.NotEqual(t, f.seed.AccessToken, renewed.AccessToken)
	seen := base.seen()
	require.Len(t, seen, n)
	for _, auth := range seen {
		require.Equal(t, "Bearer "+renewed.AccessToken, auth, "the expired token is never sent")
	}
}

func TestTransportRenewsInBackgroundWhileTheTokenIsValid(t *testing.T) {
	f := newRenewalFixture(t)
	gate := f.hold(t)
	base := &recordingBase{}
	tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.valid()), oauth2flows.WithBase(base))
	client := &http.Client{Transport: tr}
	oauth2flows.StartRefreshWindow(tr)

	for range 20 { // while the renewal hangs, requests go on with the old token
		_, err := get(t.Context(), client, resourceURL)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return gate.held.Load() == 1 }, 5*time.Second, time.Millisecond)
	for range 20 {
		_, err := get(t.Context(), client, resourceURL)
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), gate.held.Load(), "exactly one background renewal")
	assert.Equal(t, []string{"Bearer " + f.seed.AccessToken}, unique(base.seen()), "the old token meanwhile")
	gate.open()
	require.Eventually(t, func() bool {
		tok, err := tr.Token(t.Context())
		return err == nil && tok.AccessToken != f.seed.AccessToken
	}, 5*time.Second, time.Millisecond)
	renewed, err := tr.Token(t.Context())
	require.NoError(t, err)
	_, err = get(t.Context(), client, resourceURL)
	require.NoError(t, err)

	seen := base.seen()
	assert.Len(t, seen, 41)
	assert.Equal(t, "Bearer "+renewed.AccessToken, seen[len(seen)-1])
	count, sent := f.refreshes()
	assert.Equal(t, 1, count)
	assert.Equal(t, []string{f.seed.RefreshToken}, sent)
}

func TestTransportFailedBackgroundRenewalIsNotRetriedOnEveryRequest(t *testing.T) {
	tests := []struct {
		name     string
		fault    *oauth2flowstest.Fault // nil: the server's own answer
		revoked  bool                   // the seed's refresh token is one the server does not know
		wantCode string
	}{
		{name: "Transient", wantCode: "temporarily_unavailable",
			fault: &oauth2flowstest.Fault{Status: http.StatusServiceUnavailable, Body: `{"error":"temporarily_unavailable"}`}},
		{name: "InvalidGrant", revoked: true, wantCode: "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRenewalFixture(t)
			if tt.fault != nil {
				f.srv.InjectFault(oauth2flowstest.EndpointToken, 100, *tt.fault)
			}
			seed := f.valid()
			if tt.revoked {
				seed.RefreshToken = "rt-revoked"
			}
			base := &recordingBase{}
			tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, seed), oauth2flows.WithBase(base))
			client := &http.Client{Transport: tr}
			oauth2flows.StartRefreshWindow(tr)

			_, err := get(t.Context(), client, resourceURL)
			require.NoError(t, err)
			require.Eventually(t, func() bool { return !oauth2flows.RenewingInBackground(tr) }, 5*time.Second, time.Millisecond)
			for range 20 {
				_, err := get(t.Context(), client, resourceURL)
				require.NoError(t, err, "the old token is still valid")
			}
			count, sent := f.refreshes()
			assert.Equal(t, 1, count)
			assert.Equal(t, []string{seed.RefreshToken}, sent)
			reqs := f.srv.RequestsTo(oauth2flowstest.EndpointToken)
			last := reqs[len(reqs)-1]
			assert.NotEqual(t, http.StatusOK, last.Status, "the renewal failed")
			assert.True(t, oauth2flows.NextBackgroundRenewal(tr).After(time.Now()), "next attempt postponed")
			assert.Equal(t, []string{"Bearer " + seed.AccessToken}, unique(base.seen()))
			assert.Len(t, base.seen(), 21)
		})
	}
}

func TestTransportSaverRunsOnceInOrderBeforeTheTokenIsUsed(t *testing.T) {
	// Tokens of one second: renewed in the background after half a second,
	// no longer sent after nine tenths.
	f := newRenewalFixture(t, oauth2flowstest.WithAccessTokenLifetime(time.Second))
	var mu sync.Mutex
	var saved []*oauth2flows.Token
	isSaved := map[string]bool{}
	base := &recordingBase{answer: func(req *http.Request) *http.Response {
		mu.Lock()
		defer mu.Unlock()
		auth := req.Header.Get("Authorization")
		if auth != "Bearer "+f.seed.AccessToken && !isSaved[auth] {
			t.Errorf("the resource server got a token before the saver returned for it")
		}
		return nil
	}}
	save := func(ctx context.Context, tok *oauth2flows.Token) error {
		time.Sleep(5 * time.Millisecond) // a slow disk widens any window
		mu.Lock()
		defer mu.Unlock()
		saved = append(saved, tok)
		isSaved["Bearer "+tok.AccessToken] = true
		return nil
	}
	require.False(t, f.seed.Expiry.IsZero())
	tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.seed),
		oauth2flows.WithBase(base), oauth2flows.WithTokenSaver(save))
	client := &http.Client{Transport: tr}

	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for !stop.Load() {
				_, err := get(t.Context(), client, resourceURL)
				assert.NoError(t, err)
				time.Sleep(time.Millisecond)
			}
		})
	}
	savedCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(saved)
	}
	assert.Eventually(t, func() bool { return savedCount() >= 3 }, 10*time.Second, 10*time.Millisecond, "three renewals")
	stop.Store(true)
	wg.Wait()
	require.Eventually(t, func() bool { return !oauth2flows.RenewingInBackground(tr) }, 5*time.Second, time.Millisecond)

	mu.Lock()
	defer mu.Unlock()
	count, sent := f.refreshes()
	require.Equal(t, count, len(saved), "each new token saved once")
	require.GreaterOrEqual(t, len(saved), 3)
	assert.Equal(t, f.seed.RefreshToken, sent[0], "the seed is never saved")
	ats := map[string]bool{f.seed.AccessToken: true}
	for i, tok := range saved {
		ats[tok.AccessToken] = true
		if i+1 < len(sent) {
			assert.Equal(t, sent[i+1], tok.RefreshToken, "saved in order: the next refresh used the refresh token saved before it")
		}
	}
	assert.Len(t, ats, 1+len(saved), "a new access token each time")
}

func TestTransportSaverFailureKeepsTokenAndRetriesBeforeUse(t *testing.T) {
	f := newRenewalFixture(t)
	base := &recordingBase{}
	var calls []*oauth2flows.Token
	saveErr := errors.New("disk full")
	save := func(ctx context.Context, tok *oauth2flows.Token) error {
		calls = append(calls, tok) // calls never overlap
		if len(calls) == 1 {
			return saveErr
		}
		return nil
	}
	client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.expired()),
		oauth2flows.WithBase(base), oauth2flows.WithTokenSaver(save))}

	_, err := get(t.Context(), client, resourceURL)
	var urlErr *url.Error
	require.ErrorAs(t, err, &urlErr)
	var se *oauth2flows.SaveError
	require.ErrorAs(t, err, &se)
	assert.ErrorIs(t, err, saveErr)
	assert.Empty(t, base.seen(), "an unsaved token is not used")

	_, err = get(t.Context(), client, resourceURL)
	require.NoError(t, err)
	require.Len(t, calls, 2)
	assert.Same(t, calls[0], calls[1], "the same token, kept in memory, saved again")
	assert.NotEqual(t, f.seed.AccessToken, calls[0].AccessToken)
	assert.NotEqual(t, f.seed.RefreshToken, calls[0].RefreshToken, "the rotated refresh token is what gets saved")
	assert.Equal(t, []string{"Bearer " + calls[0].AccessToken}, base.seen())
	count, sent := f.refreshes()
	assert.Equal(t, 1, count, "no second refresh: the rotated refresh token was kept")
	assert.Equal(t, []string{f.seed.RefreshToken}, sent)
}

func TestTransportRotatesRefreshTokens(t *testing.T) {
	f := newRenewalFixture(t)
	tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.expired()), oauth2flows.WithBase(&recordingBase{}))
	want := []string{f.seed.RefreshToken}
	for range 3 {
		tok, err := tr.Token(t.Context())
		require.NoError(t, err)
		want = append(want, tok.RefreshToken)
		oauth2flows.ExpireToken(tr)
	}
	_, sent := f.refreshes()
	assert.Equal(t, want[:3], sent, "each refresh uses the newest refresh token")
	assert.Len(t, unique(want), 4, "and gets a new one")
}

func TestTransportRefreshErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		code       string
		wantReauth bool
	}{
		{name: "InvalidGrantAsksForReauthentication", status: http.StatusBadRequest, code: "invalid_grant", wantReauth: true},
		{name: "ServerErrorIsTransient", status: http.StatusServiceUnavailable, code: "temporarily_unavailable"},
		{name: "TooManyRequestsIsTransient", status: http.StatusTooManyRequests, code: "slow_down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRenewalFixture(t)
			f.srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{
				Status: tt.status, Body: fmt.Sprintf(`{"error":%q}`, tt.code),
			})
			gate := f.hold(t)
			base := &recordingBase{}
			var saves atomic.Int32
			tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.expired()), oauth2flows.WithBase(base),
				oauth2flows.WithTokenSaver(func(context.Context, *oauth2flows.Token) error { saves.Add(1); return nil }))
			client := &http.Client{Transport: tr}

			const waiters = 20
			errs := make(chan error, waiters)
			var blocked atomic.Int32
			for range waiters {
				ctx := &blockedCtx{Context: t.Context(), blocked: &blocked}
				go func() { _, err := get(ctx, client, resourceURL); errs <- err }()
			}
			// Open the gate only once every caller waits on the one refresh;
			// a caller arriving after the failure would rightly start another.
			require.Eventually(t, func() bool {
				return blocked.Load() == waiters && gate.held.Load() == 1
			}, 5*time.Second, time.Millisecond)
			gate.open()
			for range waiters {
				err := <-errs
				var urlErr *url.Error
				require.ErrorAs(t, err, &urlErr, "http.Client wraps it")
				var oe *oauth2flows.Error
				require.ErrorAs(t, err, &oe, "the server's error survives the wrapping")
				assert.Equal(t, tt.status, oe.StatusCode)
				assert.Equal(t, tt.code, oe.Code)
				assert.Equal(t, tt.wantReauth, errors.Is(err, oauth2flows.ErrReauthRequired))
			}
			count, _ := f.refreshes()
			assert.Equal(t, 1, count, "the waiters share one failed refresh")
			assert.Zero(t, saves.Load())
			assert.Empty(t, base.seen())

			_, err := get(t.Context(), client, resourceURL)
			if tt.wantReauth { // a refused refresh token is never sent again
				require.ErrorIs(t, err, oauth2flows.ErrReauthRequired)
				count, _ := f.refreshes()
				assert.Equal(t, 1, count)
				return
			}
			require.NoError(t, err) // the next request tries again
			count, sent := f.refreshes()
			assert.Equal(t, 2, count)
			assert.Equal(t, []string{f.seed.RefreshToken, f.seed.RefreshToken}, sent, "the failure spent nothing")
			renewed, err := tr.Token(t.Context())
			require.NoError(t, err)
			assert.NotEqual(t, f.seed.AccessToken, renewed.AccessToken)
			assert.Equal(t, []string{"Bearer " + renewed.AccessToken}, base.seen())
			assert.Equal(t, int32(1), saves.Load())
		})
	}
}

func TestTransportCancelledCallerStopsWaitingOthersGetTheToken(t *testing.T) {
	f := newRenewalFixture(t)
	gate := f.hold(t)
	base := &recordingBase{}
	tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.expired()), oauth2flows.WithBase(base))
	client := &http.Client{Transport: tr}

	ctx, cancel := context.WithCancel(t.Context())
	cancelled := make(chan error, 1)
	go func() { _, err := get(ctx, client, resourceURL); cancelled <- err }()
	require.Eventually(t, func() bool { return gate.held.Load() == 1 }, 5*time.Second, time.Millisecond)
	patient := make(chan error, 1)
	go func() { _, err := get(t.Context(), client, resourceURL); patient <- err }()

	cancel()
	err := <-cancelled // returns while the refresh still hangs
	assert.ErrorIs(t, err, context.Canceled)
	gate.open()
	require.NoError(t, <-patient)

	assert.Equal(t, int32(1), gate.held.Load(), "the refresh was not cancelled and not repeated")
	count, sent := f.refreshes()
	assert.Equal(t, 1, count)
	assert.Equal(t, []string{f.seed.RefreshToken}, sent)
	reqs := f.srv.RequestsTo(oauth2flowstest.EndpointToken)
	assert.Equal(t, http.StatusOK, reqs[len(reqs)-1].Status, "it completed")
	renewed, err := tr.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []string{"Bearer " + renewed.AccessToken}, base.seen())
	assert.NotEqual(t, f.seed.AccessToken, renewed.AccessToken)
}

func TestTransportSaverIgnoringItsContextDoesNotWedgeIt(t *testing.T) {
	f := newRenewalFixture(t)
	release := make(chan struct{})
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	var calls atomic.Int32
	save := func(context.Context, *oauth2flows.Token) error {
		if calls.Add(1) == 1 {
			<-release // a saver stuck on a dead disk, ignoring its ctx
		}
		return nil
	}
	base := &recordingBase{}
	tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.expired()),
		oauth2flows.WithBase(base), oauth2flows.WithTokenSaver(save))
	oauth2flows.SetRenewTimeout(tr, 100*time.Millisecond)
	client := &http.Client{Transport: tr}

	for i := range 4 { // the first request, then later ones, with no deadline of their own
		done := make(chan error, 1)
		start := time.Now()
		go func() { _, err := get(context.Background(), client, resourceURL); done <- err }()
		select {
		case err := <-done:
			var serr *oauth2flows.SaveError
			require.ErrorAs(t, err, &serr, "the error names the saver")
			assert.Contains(t, err.Error(), "a save is still running")
			if i > 0 {
				assert.Less(t, time.Since(start), 50*time.Millisecond, "later requests fail at once")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a request waits on the stuck renewal past its deadline")
		}
	}
	assert.Empty(t, base.seen(), "an unsaved token is not used")

	releaseOnce.Do(func() { close(release) })
	require.Eventually(t, func() bool {
		_, err := get(t.Context(), client, resourceURL)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	count, sent := f.refreshes()
	assert.Equal(t, 1, count, "the token got before the stuck save was kept, not fetched again")
	assert.Equal(t, []string{f.seed.RefreshToken}, sent)
	renewed, err := tr.Token(t.Context())
	require.NoError(t, err)
	assert.NotEqual(t, f.seed.AccessToken, renewed.AccessToken)
	assert.Equal(t, "Bearer "+renewed.AccessToken, base.seen()[0])
}

// unique returns the distinct values of vs, in the order they first appear.
func unique(vs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// TestTransportStuckSaverFailsLaterRequestsAtOnce: requests with deadlines
// of their own, while the saver does not return: the first waits out its
// deadline and gets a *SaveError naming the saver, the later ones get it at
// once, and the request after the saver returns works.
func TestTransportStuckSaverFailsLaterRequestsAtOnce(t *testing.T) {
	f := newRenewalFixture(t)
	release := make(chan struct{})
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	var calls atomic.Int32
	tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.expired()), oauth2flows.WithBase(&recordingBase{}),
		oauth2flows.WithTokenSaver(func(context.Context, *oauth2flows.Token) error {
			if calls.Add(1) == 1 {
				<-release
			}
			return nil
		}))
	client := &http.Client{Transport: tr}
	for i := range 3 {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		start := time.Now()
		_, err := get(ctx, client, resourceURL)
		cancel()
		var serr *oauth2flows.SaveError
		require.ErrorAs(t, err, &serr)
		assert.Contains(t, err.Error(), "a save is still running")
		if i > 0 {
			assert.Less(t, time.Since(start), 100*time.Millisecond, "at once, not at its deadline")
		}
	}
	releaseOnce.Do(func() { close(release) })
	require.Eventually(t, func() bool {
		_, err := get(t.Context(), client, resourceURL)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	count, _ := f.refreshes()
	assert.Equal(t, 1, count)
}
