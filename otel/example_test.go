package otel_test

import (
	"context"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	oauth2flowsotel "github.com/oauth2flows/oauth2flows/otel"
)

// A middle tier's OBO cache, instrumented with OpenTelemetry: five incoming
// requests of two users cost two token requests, and the cache's hit ratio
// and the token request count come out of the meter provider, here the
// SDK's ManualReader in place of an exporter.
func ExampleObserver() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	defer srv.Close()

	reader := sdkmetric.NewManualReader()
	obs, err := oauth2flowsotel.NewObserver(
		oauth2flowsotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := &oauth2flows.Config{
		ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
		Scopes:   []string{"api://api-b/.default"},
		Observer: obs,
	}
	cache := oauth2flows.NewOBOCache(cfg)

	alice := srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	bob := srv.IssueAccessToken("bob", "api://api-a", "access_as_user")
	for _, incoming := range []string{alice, bob, alice, alice, bob} {
		if _, err := cache.Token(context.Background(), incoming); err != nil {
			fmt.Println(err)
			return
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		fmt.Println(err)
		return
	}
	total := func(name string) int64 {
		var n int64
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == name {
					for _, p := range sum.DataPoints {
						n += p.Value
					}
				}
			}
		}
		return n
	}
	hits, misses := total("oauth2flows.obo_cache.hits"), total("oauth2flows.obo_cache.misses")
	fmt.Printf("OBO cache: %d hits, %d misses, hit ratio %.0f%%\n", hits, misses, 100*float64(hits)/float64(hits+misses))
	fmt.Println("token requests:", total("oauth2flows.token.requests"))
	// Output:
	// OBO cache: 3 hits, 2 misses, hit ratio 60%
	// token requests: 2
}
