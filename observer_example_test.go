package oauth2flows_test

import (
	"context"
	"fmt"
	"log"
	"sync"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// requestCounter is an Observer of a service's own: token requests by
// grant and HTTP status.
type requestCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *requestCounter) Observe(_ context.Context, e oauth2flows.Event) {
	if e.Kind != oauth2flows.EventTokenRequest {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[fmt.Sprintf("%s %d", e.Grant, e.Status)]++
}

// Counting token requests by grant and status with an Observer of one's
// own, e.g. to feed a metrics system other than OpenTelemetry.
func ExampleObserver() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", Secret: "job-secret"}))
	defer srv.Close()
	counter := &requestCounter{n: map[string]int{}}
	cfg := &oauth2flows.Config{ClientID: "billing-job", ClientSecret: "job-secret", Endpoint: srv.Endpoint(), Observer: counter}

	for range 2 {
		if _, err := oauth2flows.ClientCredentials(context.Background(), cfg); err != nil {
			log.Fatal(err)
		}
	}
	cfg.ClientSecret = "wrong"
	_, _ = oauth2flows.ClientCredentials(context.Background(), cfg)
	fmt.Println(counter.n)
	// Output: map[client_credentials 200:2 client_credentials 401:1]
}

// What one token request reports: which endpoint, which grant, the status
// and the attempt, never a secret or a token.
func ExampleEvent() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", Secret: "job-secret"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{
		ClientID: "billing-job", ClientSecret: "job-secret", Endpoint: srv.Endpoint(),
		Observer: oauth2flows.ObserverFunc(func(_ context.Context, e oauth2flows.Event) {
			fmt.Println(e.Kind, e.Endpoint, e.Grant, e.Status, e.Attempt, e.Duration > 0)
		}),
	}
	if _, err := oauth2flows.ClientCredentials(context.Background(), cfg); err != nil {
		log.Fatal(err)
	}
	// Output: token_request token client_credentials 200 1 true
}

// Events by kind, as names for a metric's label.
func ExampleEventKind_String() {
	for _, k := range []oauth2flows.EventKind{oauth2flows.EventTokenRequest, oauth2flows.EventCacheHit, oauth2flows.EventRenewal} {
		fmt.Println(k.String())
	}
	// Output:
	// token_request
	// cache_hit
	// renewal
}

// Fanning the events out to two observers, e.g. OpenTelemetry and a log.
func ExampleObserverFunc_Observe() {
	metrics := oauth2flows.ObserverFunc(func(_ context.Context, e oauth2flows.Event) { fmt.Println("metrics:", e.Kind) })
	audit := oauth2flows.ObserverFunc(func(_ context.Context, e oauth2flows.Event) { fmt.Println("audit:", e.Kind) })
	both := oauth2flows.ObserverFunc(func(ctx context.Context, e oauth2flows.Event) {
		metrics.Observe(ctx, e)
		audit.Observe(ctx, e)
	})
	both.Observe(context.Background(), oauth2flows.Event{Kind: oauth2flows.EventStoreError, Op: "Load"})
	// Output:
	// metrics: store_error
	// audit: store_error
}
