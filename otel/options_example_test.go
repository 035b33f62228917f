package otel_test

import (
	"context"
	"fmt"
	"log"
	"sort"
	"strings"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	oauth2flowsotel "github.com/oauth2flows/oauth2flows/otel"
)

// A service that set up the global OpenTelemetry providers at start-up (with
// its exporters) needs nothing more than NewObserver on its Config.
func ExampleNewObserver() {
	obs, err := oauth2flowsotel.NewObserver() // the global meter and tracer providers
	if err != nil {
		log.Fatal(err)
	}
	cfg := &oauth2flows.Config{
		ClientID: "orders-api",
		Endpoint: oauth2flows.Endpoint{TokenURL: "https://login.example.com/token"},
		Observer: obs, // every grant, source and OBOCache on cfg reports to it
	}
	_ = cfg
}

// Metrics to a meter provider of the service's own, here the SDK's
// ManualReader in place of a Prometheus or OTLP exporter: one client
// credentials request, and the instruments it recorded.
func ExampleWithMeterProvider() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", Secret: "job-secret"}))
	defer srv.Close()

	reader := sdkmetric.NewManualReader()
	obs, err := oauth2flowsotel.NewObserver(
		oauth2flowsotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		log.Fatal(err)
	}
	cfg := &oauth2flows.Config{ClientID: "billing-job", ClientSecret: "job-secret", Endpoint: srv.Endpoint(), Observer: obs}
	if _, err := oauth2flows.ClientCredentials(context.Background(), cfg); err != nil {
		log.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			fmt.Println(m.Name, m.Unit)
		}
	}
	// Output:
	// oauth2flows.token.requests {request}
	// oauth2flows.token.request.duration s
}

// Spans to a tracer provider of the service's own, here the SDK's in-memory
// exporter: one span per attempt of a token request.
func ExampleWithTracerProvider() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", Secret: "job-secret"}))
	defer srv.Close()

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	obs, err := oauth2flowsotel.NewObserver(oauth2flowsotel.WithTracerProvider(tp))
	if err != nil {
		log.Fatal(err)
	}
	cfg := &oauth2flows.Config{ClientID: "billing-job", ClientSecret: "job-secret", Endpoint: srv.Endpoint(), Observer: obs}
	if _, err := oauth2flows.ClientCredentials(context.Background(), cfg); err != nil {
		log.Fatal(err)
	}

	for _, s := range spans.GetSpans() {
		var attrs []string
		for _, a := range s.Attributes {
			attrs = append(attrs, string(a.Key)+"="+a.Value.String())
		}
		sort.Strings(attrs)
		fmt.Println(s.Name, s.SpanKind)
		for _, a := range attrs {
			if strings.HasPrefix(a, "oauth2flows.") || strings.HasPrefix(a, "http.") {
				fmt.Println(" ", a)
			}
		}
	}
	// Output:
	// oauth2flows.token_request client
	//   http.request.method=POST
	//   http.response.status_code=200
	//   oauth2flows.endpoint=token
	//   oauth2flows.grant_type=client_credentials
}

// Both OpenTelemetry and a log line of its own: an Observer of the service
// that calls the otel Observer's Observe and then does more.
func ExampleObserver_Observe() {
	otelObs, err := oauth2flowsotel.NewObserver()
	if err != nil {
		log.Fatal(err)
	}
	cfg := &oauth2flows.Config{
		ClientID: "orders-api",
		Endpoint: oauth2flows.Endpoint{TokenURL: "https://login.example.com/token"},
		Observer: oauth2flows.ObserverFunc(func(ctx context.Context, e oauth2flows.Event) {
			otelObs.Observe(ctx, e)
			if e.Kind == oauth2flows.EventRenewal && e.Err != nil {
				log.Printf("token renewal (%s) failed: %v", e.Renewal, e.Err)
			}
		}),
	}
	_ = cfg
}
