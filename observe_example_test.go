package oauth2flows_test

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// An Observer set on the Config sees what an operator watches: here the
// OBO cache's hits and misses and the token requests, counted by a
// function. Package github.com/oauth2flows/oauth2flows/otel records the
// same events as OpenTelemetry metrics and spans.
func ExampleObserverFunc() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	defer srv.Close()

	var hits, misses, requests atomic.Int64
	cfg := &oauth2flows.Config{
		ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
		Scopes: []string{"api://api-b/.default"},
		Observer: oauth2flows.ObserverFunc(func(_ context.Context, e oauth2flows.Event) {
			switch e.Kind {
			case oauth2flows.EventCacheHit:
				hits.Add(1)
			case oauth2flows.EventCacheMiss:
				misses.Add(1)
			case oauth2flows.EventTokenRequest:
				requests.Add(1)
			}
		}),
	}
	cache := oauth2flows.NewOBOCache(cfg)

	alice := srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	bob := srv.IssueAccessToken("bob", "api://api-a", "access_as_user")
	for _, incoming := range []string{alice, bob, alice, alice} {
		if _, err := cache.Token(context.Background(), incoming); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Printf("hits %d, misses %d, hit ratio %.0f%%, token requests %d\n",
		hits.Load(), misses.Load(), 100*float64(hits.Load())/float64(hits.Load()+misses.Load()), requests.Load())
	// Output:
	// hits 2, misses 2, hit ratio 50%, token requests 2
}
