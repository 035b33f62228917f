package otel

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/oauth2flows/oauth2flows"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/oauth2flows/oauth2flows/otel"

// Attribute keys of this package's instruments and spans, beside the
// registry's server.address, http.request.method,
// http.response.status_code, http.request.resend_count and error.type.
const (
	AttrGrantType      = attribute.Key("oauth2flows.grant_type")      // e.g. "client_credentials"
	AttrEndpoint       = attribute.Key("oauth2flows.endpoint")        // "token", "revocation", ...
	AttrCacheLevel     = attribute.Key("oauth2flows.cache.level")     // "l1" (memory) or "l2" (shared store)
	AttrRenewalKind    = attribute.Key("oauth2flows.renewal.kind")    // "proactive", "on_demand" or "forced"
	AttrStoreOperation = attribute.Key("oauth2flows.store.operation") // "load", "lock", "store" or "unlock"
	AttrRefusalReason  = attribute.Key("oauth2flows.validator.reason")
)

// Observer is an [oauth2flows.Observer] that records the SDK's events as
// OpenTelemetry metrics and spans (see the package documentation for the
// list). Set it on [oauth2flows.Config.Observer]. It is safe for
// concurrent use; one Observer serves any number of Configs.
type Observer struct {
	tracer trace.Tracer

	requests        metric.Int64Counter
	requestDuration metric.Float64Histogram
	hits, misses    metric.Int64Counter
	renewals        metric.Int64Counter
	renewalDuration metric.Float64Histogram
	storeErrors     metric.Int64Counter
	refusals        metric.Int64Counter

	// lookups holds the measurement options of the cache's events, one per
	// level and grant, so that a cache hit allocates nothing.
	lookups sync.Map // lookupKey -> []metric.AddOption
}

type lookupKey struct {
	level oauth2flows.CacheLevel
	grant string
}

// Option configures an [Observer].
type Option func(*config)

type config struct {
	mp metric.MeterProvider
	tp trace.TracerProvider
}

// WithMeterProvider sets where the metrics go; the default is the global
// provider (go.opentelemetry.io/otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) {
		if mp != nil {
			c.mp = mp
		}
	}
}

// WithTracerProvider sets where the spans go; the default is the global
// provider (go.opentelemetry.io/otel.GetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) {
		if tp != nil {
			c.tp = tp
		}
	}
}

// durationBuckets are the boundaries, in seconds, of the duration
// histograms: those of the HTTP semantic conventions'
// http.client.request.duration.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// NewObserver returns an Observer recording through the providers of opts.
// Its error is the first instrument the meter could not create.
func NewObserver(opts ...Option) (*Observer, error) {
	c := config{mp: otel.GetMeterProvider(), tp: otel.GetTracerProvider()}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	m := c.mp.Meter(ScopeName)
	o := &Observer{tracer: c.tp.Tracer(ScopeName)}
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		i, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return i
	}
	histogram := func(name, desc string) metric.Float64Histogram {
		i, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(durationBuckets...))
		errs = append(errs, err)
		return i
	}
	o.requests = counter("oauth2flows.token.requests", "{request}",
		"Requests sent to the authorization server, one per attempt.")
	o.requestDuration = histogram("oauth2flows.token.request.duration",
		"Duration of each attempt of a request to the authorization server.")
	o.hits = counter("oauth2flows.obo_cache.hits", "{lookup}", "On-Behalf-Of cache lookups that found a token.")
	o.misses = counter("oauth2flows.obo_cache.misses", "{lookup}", "On-Behalf-Of cache lookups that found none.")
	o.renewals = counter("oauth2flows.renewals", "{renewal}", "Renewals of a source's or a Transport's token.")
	o.renewalDuration = histogram("oauth2flows.renewal.duration", "Duration of each renewal.")
	o.storeErrors = counter("oauth2flows.store.errors", "{error}", "Failures of the TokenStore, each treated as a miss.")
	o.refusals = counter("oauth2flows.validator.refusals", "{refusal}", "Access tokens the validator refused.")
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return o, nil
}

// Observe implements [oauth2flows.Observer].
func (o *Observer) Observe(ctx context.Context, e oauth2flows.Event) {
	switch e.Kind {
	case oauth2flows.EventCacheHit:
		o.hits.Add(ctx, 1, o.lookup(e)...)
	case oauth2flows.EventCacheMiss:
		o.misses.Add(ctx, 1, o.lookup(e)...)
	case oauth2flows.EventTokenRequest:
		o.tokenRequest(ctx, e)
	case oauth2flows.EventRenewal:
		o.renewal(ctx, e)
	case oauth2flows.EventStoreError:
		o.storeErrors.Add(ctx, 1, metric.WithAttributes(AttrStoreOperation.String(strings.ToLower(e.Op)),
			semconvErrorType(e.Err)))
	case oauth2flows.EventValidatorRefusal:
		o.refusals.Add(ctx, 1, metric.WithAttributes(AttrRefusalReason.String(e.Reason)))
	}
}

// lookup returns the measurement options of a cache event.
func (o *Observer) lookup(e oauth2flows.Event) []metric.AddOption {
	k := lookupKey{e.CacheLevel, e.Grant}
	if v, ok := o.lookups.Load(k); ok {
		return v.([]metric.AddOption)
	}
	opts := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
		AttrCacheLevel.String(string(e.CacheLevel)), AttrGrantType.String(e.Grant)))}
	v, _ := o.lookups.LoadOrStore(k, opts)
	return v.([]metric.AddOption)
}

// tokenRequest records one attempt: the counter, the histogram, and a
// client span from its start to its end.
func (o *Observer) tokenRequest(ctx context.Context, e oauth2flows.Event) {
	attrs := []attribute.KeyValue{AttrEndpoint.String(e.Endpoint)}
	if e.Grant != "" {
		attrs = append(attrs, AttrGrantType.String(e.Grant))
	}
	if u, err := url.Parse(e.URL); err == nil && u.Hostname() != "" {
		attrs = append(attrs, attribute.String("server.address", u.Hostname()))
	}
	if e.Status != 0 {
		attrs = append(attrs, attribute.Int("http.response.status_code", e.Status))
	}
	failed := e.Err != nil || e.Status >= 400
	if failed {
		attrs = append(attrs, errorType(e))
	}
	set := metric.WithAttributeSet(attribute.NewSet(attrs...))
	o.requests.Add(ctx, 1, set)
	o.requestDuration.Record(ctx, e.Duration.Seconds(), set)

	end := time.Now()
	attrs = append(attrs, attribute.String("http.request.method", "POST"))
	if e.Attempt > 1 {
		attrs = append(attrs, attribute.Int("http.request.resend_count", e.Attempt-1))
	}
	_, span := o.tracer.Start(ctx, "oauth2flows.token_request", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(end.Add(-e.Duration)), trace.WithAttributes(attrs...))
	if failed {
		span.SetStatus(codes.Error, "")
	}
	span.End(trace.WithTimestamp(end))
}

// renewal records one renewal: the counter, the histogram, and a span.
func (o *Observer) renewal(ctx context.Context, e oauth2flows.Event) {
	attrs := []attribute.KeyValue{AttrRenewalKind.String(string(e.Renewal))}
	if e.Err != nil {
		attrs = append(attrs, semconvErrorType(e.Err))
	}
	set := metric.WithAttributeSet(attribute.NewSet(attrs...))
	o.renewals.Add(ctx, 1, set)
	o.renewalDuration.Record(ctx, e.Duration.Seconds(), set)

	end := time.Now()
	_, span := o.tracer.Start(ctx, "oauth2flows.renewal", trace.WithTimestamp(end.Add(-e.Duration)),
		trace.WithAttributes(attrs...))
	if e.Err != nil {
		span.SetStatus(codes.Error, "")
	}
	span.End(trace.WithTimestamp(end))
}

// errorType is the error.type of a failed attempt: the HTTP status, or
// the kind of failure when no response came.
func errorType(e oauth2flows.Event) attribute.KeyValue {
	if e.Err == nil {
		return attribute.String("error.type", strconv.Itoa(e.Status))
	}
	return semconvErrorType(e.Err)
}

// semconvErrorType is the error.type of err: a short, low-cardinality name,
// the OAuth error code (RFC 6749 §5.2) when there is one. An error's text is
// never used: it may name a URL or a user.
func semconvErrorType(err error) attribute.KeyValue {
	var oe *oauth2flows.Error
	var ne *oauth2flows.NetworkError
	var se *oauth2flows.StoreError
	var t string
	switch {
	case errors.As(err, &oe) && oe.Code != "":
		t = oe.Code
	case errors.As(err, &se) && se.Panic != nil:
		t = "panic"
	case errors.Is(err, oauth2flows.ErrLeaseLost):
		t = "lease_lost"
	case errors.Is(err, context.DeadlineExceeded):
		t = "timeout"
	case errors.Is(err, context.Canceled):
		t = "canceled"
	case errors.As(err, &ne):
		t = "network"
	default:
		t = "_OTHER"
	}
	return attribute.String("error.type", t)
}
