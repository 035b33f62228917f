package replicas_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauth2flows/oauth2flows"
)

// faultyTokenEndpoint is a RoundTripper in front of the token endpoint that
// injects the faults of a bad network and a struggling server into a share
// of the requests: dropped before they reach the server, held back 0.5 to
// 3 s and then sent, or answered 500 or 503 by "a proxy" without reaching
// the server. A request is never sent to the server with its response
// thrown away: that would lose a rotated refresh token whatever the client
// does, which no client-side design can survive and no test should blame
// on one.
type faultyTokenEndpoint struct {
	base      http.RoundTripper
	tokenPath string // requests elsewhere (the API) pass untouched
	rate      float64
	on        atomic.Bool
	requests  atomic.Int64
	injected  [4]atomic.Int64 // by faultNames
}

var faultNames = [4]string{"dropped", "delayed 0.5-3 s", "answered 500", "answered 503"}

func (f *faultyTokenEndpoint) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path != f.tokenPath {
		return f.base.RoundTrip(req)
	}
	f.requests.Add(1)
	if !f.on.Load() || rand.Float64() >= f.rate {
		return f.base.RoundTrip(req)
	}
	kind := rand.IntN(4)
	f.injected[kind].Add(1)
	switch kind {
	case 0:
		closeReq(req)
		return nil, errors.New("chaos: connection reset by peer")
	case 1:
		t := time.NewTimer(500*time.Millisecond + rand.N(2500*time.Millisecond))
		defer t.Stop()
		select {
		case <-t.C:
			return f.base.RoundTrip(req)
		case <-req.Context().Done():
			closeReq(req)
			return nil, req.Context().Err()
		}
	default:
		closeReq(req)
		status, code := http.StatusInternalServerError, "server_error"
		if kind == 3 {
			status, code = http.StatusServiceUnavailable, "temporarily_unavailable"
		}
		return &http.Response{
			StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:  http.Header{"Content-Type": {"application/json"}},
			Body:    io.NopCloser(strings.NewReader(`{"error":"` + code + `"}`)),
			Request: req,
		}, nil
	}
}

func closeReq(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// outcome is the class of one request's result in the chaos run. Classes
// marked injected follow from an injected fault; the others must not occur.
type outcome string

const (
	outOK          outcome = "ok"
	outStoreDown   outcome = "store unavailable (Redis killed: injected)"
	outTokenFault  outcome = "token endpoint 500/503 (injected)"
	outTokenDrop   outcome = "token endpoint dropped (injected)"
	outReauth      outcome = "re-authentication required (lost family)"
	outRefused     outcome = "401 from the API (revoked token)"
	outDeadline    outcome = "deadline (stuck)"
	outOther       outcome = "other"
	outWrongAnswer outcome = "wrong answer"
)

// injected reports whether o is explained by an injected fault.
func (o outcome) injected() bool {
	return o == outStoreDown || o == outTokenFault || o == outTokenDrop
}

// classify returns the outcome of a request for user.
func classify(status int, body, user string, err error) outcome {
	var unavailable *oauth2flows.StoreUnavailableError
	var oe *oauth2flows.Error
	var ne *oauth2flows.NetworkError
	switch {
	case err == nil && status == http.StatusOK && body == user:
		return outOK
	case err == nil && status == http.StatusUnauthorized:
		return outRefused
	case err == nil:
		return outWrongAnswer
	case errors.As(err, &unavailable):
		return outStoreDown
	case errors.Is(err, oauth2flows.ErrReauthRequired):
		return outReauth
	case errors.As(err, &oe) && oe.StatusCode >= 500:
		return outTokenFault
	case errors.As(err, &ne) && strings.Contains(err.Error(), "chaos:"):
		return outTokenDrop
	case errors.Is(err, context.DeadlineExceeded):
		return outDeadline
	}
	return outOther
}

// tally counts the outcomes and latencies of the run.
type tally struct {
	mu        sync.Mutex
	outcomes  map[outcome]int
	samples   map[outcome]string // one error message per class
	latencies []time.Duration
	stuck     int
}

func (t *tally) add(o outcome, d time.Duration, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.outcomes == nil {
		t.outcomes, t.samples = map[outcome]int{}, map[outcome]string{}
	}
	t.outcomes[o]++
	if err != nil && t.samples[o] == "" {
		t.samples[o] = err.Error()
	}
	t.latencies = append(t.latencies, d)
	if d > 10*time.Second {
		t.stuck++
	}
}

// percentile returns the p-th percentile of the latencies (0 < p <= 1).
func (t *tally) percentile(p float64) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.latencies) == 0 {
		return 0
	}
	l := slices.Clone(t.latencies)
	slices.Sort(l)
	return l[min(len(l)-1, int(float64(len(l))*p))]
}

// sleepLateness measures how late a 10 ms sleep wakes: the CPU stalls the
// machine adds to every timer of the run.
func sleepLateness(n int) (p50, p99, worst time.Duration) {
	late := make([]time.Duration, n)
	for i := range late {
		start := time.Now()
		time.Sleep(10 * time.Millisecond)
		late[i] = time.Since(start) - 10*time.Millisecond
	}
	slices.Sort(late)
	return late[n/2], late[n*99/100], late[n-1]
}

// sdkGoroutines counts the goroutines running code of the root package
// (renewals, store calls), which must all have ended after the run.
func sdkGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/oauth2flows/oauth2flows.(") {
			n++
		}
	}
	return n
}

// tokenDB is the application's database of its users' tokens, which every
// replica's saver writes: it keeps the newest.
type tokenDB struct {
	mu     sync.Mutex
	tokens []*oauth2flows.Token
}

func (db *tokenDB) save(u int, tok *oauth2flows.Token) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if tok.Expiry.After(db.tokens[u].Expiry) {
		db.tokens[u] = tok
	}
}

func (db *tokenDB) load(u int) *oauth2flows.Token {
	db.mu.Lock()
	defer db.mu.Unlock()
	c := *db.tokens[u]
	return &c
}

// replicaClients is one replica's Transports, one per user, made at the
// user's first request.
type replicaClients struct {
	mu        sync.Mutex
	clients   []*http.Client
	newClient func(u int) *http.Client
}

func (rc *replicaClients) get(u int) *http.Client {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.clients[u] == nil {
		rc.clients[u] = rc.newClient(u)
	}
	return rc.clients[u]
}
