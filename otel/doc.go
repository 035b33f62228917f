// Package otel records the events of the oauth2flows SDK as OpenTelemetry
// metrics and spans. It is a module of its own, so that the SDK's root
// module depends on no OpenTelemetry package. Set an [Observer] on the
// Config of a client, a source or an OBOCache:
//
//	obs, err := otel.NewObserver() // the global meter and tracer providers
//	cfg := &oauth2flows.Config{ClientID: ..., Observer: obs}
//	cache := oauth2flows.NewOBOCache(cfg)
//
// # Instruments
//
// Every instrument is in the meter of scope [ScopeName]. Names, units and
// attributes follow the OpenTelemetry naming rules: counters of discrete
// things are plural with a {annotation} unit, durations are histograms in
// seconds (with the bucket boundaries of http.client.request.duration), and
// attributes outside the registry are under the "oauth2flows." namespace.
//
//	instrument                          type       unit       attributes
//	oauth2flows.token.requests          counter    {request}  oauth2flows.endpoint, oauth2flows.grant_type, server.address, http.response.status_code, error.type
//	oauth2flows.token.request.duration  histogram  s          as oauth2flows.token.requests
//	oauth2flows.obo_cache.hits          counter    {lookup}   oauth2flows.cache.level, oauth2flows.grant_type
//	oauth2flows.obo_cache.misses        counter    {lookup}   oauth2flows.cache.level, oauth2flows.grant_type
//	oauth2flows.renewals                counter    {renewal}  oauth2flows.renewal.kind, error.type
//	oauth2flows.renewal.duration        histogram  s          as oauth2flows.renewals
//	oauth2flows.store.errors            counter    {error}    oauth2flows.store.operation, error.type
//	oauth2flows.validator.refusals      counter    {refusal}  oauth2flows.validator.reason
//
// oauth2flows.token.requests counts attempts, as the authorization server
// (and its throttling) counts them: a retried request counts twice.
// error.type is set on failures only: the HTTP status of an error response
// ("400", "429", "503"), the OAuth error code of a failed renewal
// (RFC 6749 §5.2, e.g. "invalid_grant"), or "timeout", "canceled",
// "network", "lease_lost", "panic" or "_OTHER". oauth2flows.cache.level is
// "l1" for the cache's memory and "l2" for the TokenStore shared by the
// replicas; a miss in l1 is followed by a lookup in l2 (twice when the
// replica then exchanges: before and under the store's lease).
// oauth2flows.renewal.kind is "proactive" (in the background before
// expiry), "on_demand" (no token that may be sent: requests wait) or
// "forced" (after a 401 invalid_token); oauth2flows.store.operation is
// "load", "lock", "store" or "unlock".
//
// # Dashboard
//
// The panels a middle tier's dashboard needs, in PromQL over the names the
// Prometheus exporter gives the instruments (dots become underscores,
// counters end in _total, histograms in seconds in _seconds):
//
//	OBO hit ratio (memory)       sum(rate(oauth2flows_obo_cache_hits_total{oauth2flows_cache_level="l1"}[5m]))
//	                             / (sum(rate(oauth2flows_obo_cache_hits_total{oauth2flows_cache_level="l1"}[5m]))
//	                             + sum(rate(oauth2flows_obo_cache_misses_total{oauth2flows_cache_level="l1"}[5m])))
//	token requests per grant     sum by (oauth2flows_grant_type) (rate(oauth2flows_token_requests_total[5m]))
//	failed token requests        sum by (oauth2flows_grant_type, error_type) (rate(oauth2flows_token_requests_total{error_type!=""}[5m]))
//	throttled (429)              sum(rate(oauth2flows_token_requests_total{http_response_status_code="429"}[5m]))
//	token endpoint p99 latency   histogram_quantile(0.99, sum by (le) (rate(oauth2flows_token_request_duration_seconds_bucket[5m])))
//	failed renewals              sum by (oauth2flows_renewal_kind, error_type) (rate(oauth2flows_renewals_total{error_type!=""}[5m]))
//	shared store failures        sum by (oauth2flows_store_operation, error_type) (rate(oauth2flows_store_errors_total[5m]))
//	validator refusals           sum by (oauth2flows_validator_reason) (rate(oauth2flows_validator_refusals_total[5m]))
//
// # Spans
//
// Each attempt of a request to the authorization server is a client span
// "oauth2flows.token_request" (http.request.method POST, the attributes
// above, http.request.resend_count on retries), and each renewal a span
// "oauth2flows.renewal". The hook reports an operation when it ends, so the
// spans are recorded then, with the operation's start and end times, as
// children of the span in the operation's context: a request's span when
// the caller waited for it, the span that started a renewal or an
// exchange that ran detached from it. A span's status is Error for a
// failure or an HTTP status of 400 or more.
package otel
