package otel_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest/storetest"
	oauth2flowsotel "github.com/oauth2flows/oauth2flows/otel"
)

// telemetry is an Observer over the SDK's in-memory reader and exporter.
type telemetry struct {
	obs    *oauth2flowsotel.Observer
	reader *sdkmetric.ManualReader
	spans  *tracetest.InMemoryExporter
	tp     *sdktrace.TracerProvider
}

func newTelemetry(t *testing.T) *telemetry {
	tel := &telemetry{reader: sdkmetric.NewManualReader(), spans: tracetest.NewInMemoryExporter()}
	tel.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(tel.spans))
	obs, err := oauth2flowsotel.NewObserver(
		oauth2flowsotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(tel.reader))),
		oauth2flowsotel.WithTracerProvider(tel.tp))
	require.NoError(t, err)
	tel.obs = obs
	return tel
}

// sum returns the value of the counter name over the points whose
// attributes include want.
func (tel *telemetry) sum(t *testing.T, name string, want ...attribute.KeyValue) int64 {
	m := tel.metric(t, name)
	if m == nil {
		return 0
	}
	data, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a counter", name)
	var n int64
	for _, p := range data.DataPoints {
		if has(p.Attributes, want) {
			n += p.Value
		}
	}
	return n
}

// count returns how many values the histogram name recorded.
func (tel *telemetry) count(t *testing.T, name string, want ...attribute.KeyValue) uint64 {
	m := tel.metric(t, name)
	require.NotNil(t, m, name)
	data, ok := m.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%s is a histogram", name)
	assert.Equal(t, "s", m.Unit)
	var n uint64
	for _, p := range data.DataPoints {
		if has(p.Attributes, want) {
			n += p.Count
		}
	}
	return n
}

func (tel *telemetry) metric(t *testing.T, name string) *metricdata.Metrics {
	var rm metricdata.ResourceMetrics
	require.NoError(t, tel.reader.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, oauth2flowsotel.ScopeName, sm.Scope.Name)
		for i := range sm.Metrics {
			if sm.Metrics[i].Name == name {
				return &sm.Metrics[i]
			}
		}
	}
	return nil
}

func has(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}

// spansNamed returns the ended spans called name.
func (tel *telemetry) spansNamed(name string) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range tel.spans.GetSpans() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func attr(s tracetest.SpanStub, key attribute.Key) attribute.Value {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

var (
	l1  = oauth2flowsotel.AttrCacheLevel.String("l1")
	l2  = oauth2flowsotel.AttrCacheLevel.String("l2")
	obo = oauth2flowsotel.AttrGrantType.String(oauth2flows.GrantTypeJWTBearer)
)

func TestOBOStoryAcrossTwoReplicas(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	t.Cleanup(srv.Close)
	tel := newTelemetry(t)
	store := storetest.NewMemoryStore()
	replica := func() *oauth2flows.OBOCache {
		cfg := &oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
			Scopes: []string{"api://api-b/.default"}, Observer: tel.obs}
		return oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))
	}
	a, b := replica(), replica()
	alice := srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	bob := srv.IssueAccessToken("bob", "api://api-a", "access_as_user")

	ctx, parent := tel.tp.Tracer("test").Start(context.Background(), "incoming request")
	for _, call := range []struct {
		cache     *oauth2flows.OBOCache
		assertion string
	}{{a, alice}, {a, bob}, {a, alice}, {b, alice}} {
		_, err := call.cache.Token(ctx, call.assertion)
		require.NoError(t, err)
	}
	parent.End()

	sent := len(srv.RequestsTo(oauth2flowstest.EndpointToken))
	require.Equal(t, 2, sent, "alice and bob, once each across the replicas")
	ok := []attribute.KeyValue{obo, oauth2flowsotel.AttrEndpoint.String("token"),
		attribute.Int("http.response.status_code", http.StatusOK), attribute.String("server.address", "127.0.0.1")}
	assert.EqualValues(t, sent, tel.sum(t, "oauth2flows.token.requests", ok...), "one per request the server saw")
	assert.EqualValues(t, sent, tel.count(t, "oauth2flows.token.request.duration", ok...))
	assert.EqualValues(t, 1, tel.sum(t, "oauth2flows.obo_cache.hits", l1, obo), "a's second alice")
	assert.EqualValues(t, 3, tel.sum(t, "oauth2flows.obo_cache.misses", l1, obo))
	assert.EqualValues(t, 1, tel.sum(t, "oauth2flows.obo_cache.hits", l2, obo), "b loads what a stored")
	assert.EqualValues(t, 4, tel.sum(t, "oauth2flows.obo_cache.misses", l2, obo), "a looks twice per exchange: before and under the lease")

	spans := tel.spansNamed("oauth2flows.token_request")
	require.Len(t, spans, sent)
	for _, s := range spans {
		assert.Equal(t, trace.SpanKindClient, s.SpanKind)
		assert.Equal(t, parent.SpanContext().TraceID(), s.SpanContext.TraceID(), "in the caller's trace")
		assert.Equal(t, parent.SpanContext().SpanID(), s.Parent.SpanID())
		assert.Equal(t, int64(http.StatusOK), attr(s, "http.response.status_code").AsInt64())
		assert.Equal(t, "POST", attr(s, "http.request.method").AsString())
		assert.True(t, s.EndTime.After(s.StartTime))
		assert.Equal(t, codes.Unset, s.Status.Code)
	}
}

func TestFailedRenewalAndRetriedRequest(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "daemon", Secret: "s3cret"}))
	t.Cleanup(srv.Close)
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusServiceUnavailable})
	tel := newTelemetry(t)
	cfg := &oauth2flows.Config{ClientID: "daemon", ClientSecret: "wrong", Endpoint: srv.Endpoint(), Observer: tel.obs,
		Retry: oauth2flows.RetryPolicy{BaseDelay: time.Millisecond}}

	_, err := oauth2flows.ClientCredentialsSource(cfg).Token(context.Background())
	require.Error(t, err)

	cc := oauth2flowsotel.AttrGrantType.String(oauth2flows.GrantTypeClientCredentials)
	assert.EqualValues(t, 1, tel.sum(t, "oauth2flows.token.requests", cc,
		attribute.Int("http.response.status_code", 503), attribute.String("error.type", "503")))
	assert.EqualValues(t, 1, tel.sum(t, "oauth2flows.token.requests", cc,
		attribute.Int("http.response.status_code", 401), attribute.String("error.type", "401")))
	failed := []attribute.KeyValue{oauth2flowsotel.AttrRenewalKind.String("on_demand"),
		attribute.String("error.type", "invalid_client")}
	assert.EqualValues(t, 1, tel.sum(t, "oauth2flows.renewals", failed...))
	assert.EqualValues(t, 1, tel.count(t, "oauth2flows.renewal.duration", failed...))

	requests := tel.spansNamed("oauth2flows.token_request")
	require.Len(t, requests, 2)
	assert.Equal(t, codes.Error, requests[0].Status.Code)
	assert.Equal(t, int64(1), attr(requests[1], "http.request.resend_count").AsInt64())
	renewals := tel.spansNamed("oauth2flows.renewal")
	require.Len(t, renewals, 1)
	assert.Equal(t, codes.Error, renewals[0].Status.Code)
	assert.Equal(t, "on_demand", attr(renewals[0], oauth2flowsotel.AttrRenewalKind).AsString())
}

// downStore is a TokenStore whose every call fails, as Redis when it is down.
type downStore struct{}

var errDown = errors.New("connection refused")

func (downStore) Load(context.Context, string) (*oauth2flows.Token, error) { return nil, errDown }
func (downStore) Lock(context.Context, string) (oauth2flows.TokenLease, error) {
	return nil, context.DeadlineExceeded
}

func TestStoreErrorsByOperation(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	t.Cleanup(srv.Close)
	tel := newTelemetry(t)
	cfg := &oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
		Scopes: []string{"api://api-b/.default"}, Observer: tel.obs}
	cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(downStore{}))

	_, err := cache.Token(context.Background(), srv.IssueAccessToken("alice", "api://api-a", "access_as_user"))
	require.NoError(t, err, "a store failure is a miss")

	op := oauth2flowsotel.AttrStoreOperation
	assert.EqualValues(t, 1, tel.sum(t, "oauth2flows.store.errors", op.String("load"), attribute.String("error.type", "_OTHER")))
	assert.EqualValues(t, 1, tel.sum(t, "oauth2flows.store.errors", op.String("lock"), attribute.String("error.type", "timeout")))
	assert.EqualValues(t, 1, tel.sum(t, "oauth2flows.token.requests"))
}

func TestValidatorRefusals(t *testing.T) {
	tel := newTelemetry(t)
	for _, reason := range []string{"signature", "expired", "expired"} {
		tel.obs.Observe(context.Background(), oauth2flows.Event{Kind: oauth2flows.EventValidatorRefusal, Reason: reason})
	}
	r := oauth2flowsotel.AttrRefusalReason
	assert.EqualValues(t, 2, tel.sum(t, "oauth2flows.validator.refusals", r.String("expired")))
	assert.EqualValues(t, 1, tel.sum(t, "oauth2flows.validator.refusals", r.String("signature")))
}

func TestInstrumentsAsDocumented(t *testing.T) {
	tel := newTelemetry(t)
	ctx := context.Background()
	for _, e := range []oauth2flows.Event{
		{Kind: oauth2flows.EventTokenRequest, Endpoint: "token", Attempt: 1, Status: 200},
		{Kind: oauth2flows.EventCacheHit, CacheLevel: oauth2flows.CacheL1},
		{Kind: oauth2flows.EventCacheMiss, CacheLevel: oauth2flows.CacheL1},
		{Kind: oauth2flows.EventRenewal, Renewal: oauth2flows.RenewalProactive},
		{Kind: oauth2flows.EventStoreError, Op: "Load", Err: &oauth2flows.StoreError{Op: "Load", Err: errDown}},
		{Kind: oauth2flows.EventValidatorRefusal, Reason: "issuer"},
	} {
		tel.obs.Observe(ctx, e)
	}
	for name, unit := range map[string]string{
		"oauth2flows.token.requests":         "{request}",
		"oauth2flows.token.request.duration": "s",
		"oauth2flows.obo_cache.hits":         "{lookup}",
		"oauth2flows.obo_cache.misses":       "{lookup}",
		"oauth2flows.renewals":               "{renewal}",
		"oauth2flows.renewal.duration":       "s",
		"oauth2flows.store.errors":           "{error}",
		"oauth2flows.validator.refusals":     "{refusal}",
	} {
		m := tel.metric(t, name)
		if assert.NotNil(t, m, name) {
			assert.Equal(t, unit, m.Unit, name)
			assert.NotEmpty(t, m.Description, name)
		}
	}
}

func TestCacheHitAllocatesNothing(t *testing.T) {
	tel := newTelemetry(t)
	hit := oauth2flows.Event{Kind: oauth2flows.EventCacheHit, CacheLevel: oauth2flows.CacheL1, Grant: oauth2flows.GrantTypeJWTBearer}
	ctx := context.Background()
	tel.obs.Observe(ctx, hit)
	assert.Zero(t, testing.AllocsPerRun(100, func() { tel.obs.Observe(ctx, hit) }))
}
