package oauth2flows

import "time"

// EventKind says what an [Event] reports.
type EventKind uint8

const (
	// EventTokenRequest is one attempt of a request to the authorization
	// server (RFC 6749 §3.2, and the revocation, introspection, device and
	// pushed authorization endpoints): a retried request is one event per
	// attempt, as the server counts it. Endpoint, URL, Grant, Attempt,
	// Status, Duration and, when no response came, Err are set.
	EventTokenRequest EventKind = iota + 1
	// EventCacheHit is an [OBOCache] lookup that found a token it serves:
	// in its memory (CacheLevel [CacheL1]) or in the [TokenStore] of
	// [WithCacheStore] ([CacheL2]).
	EventCacheHit
	// EventCacheMiss is an [OBOCache] lookup that found none. A miss in
	// memory is followed by a lookup in the store, when there is one, or by
	// a token request; concurrent misses of one key share that request.
	EventCacheMiss
	// EventRenewal is one renewal of the token of a source of this package,
	// or of a [Transport]: Renewal says why it ran, Duration how long it
	// took, and Err, when not nil, why it failed.
	EventRenewal
	// EventStoreError is a failure of a [TokenStore], which the caller
	// treated as a miss: Op names the method, Err is the [*StoreError].
	EventStoreError
	// EventValidatorRefusal is an access token a resource server's
	// validator refused (package resource): Reason is the refusal's Reason, e.g.
	// "signature" or "expired".
	EventValidatorRefusal
)

var eventKindNames = [...]string{
	EventTokenRequest:     "token_request",
	EventCacheHit:         "cache_hit",
	EventCacheMiss:        "cache_miss",
	EventRenewal:          "renewal",
	EventStoreError:       "store_error",
	EventValidatorRefusal: "validator_refusal",
}

// String returns the kind's name, e.g. "cache_hit".
func (k EventKind) String() string {
	if int(k) >= len(eventKindNames) || eventKindNames[k] == "" {
		return "unknown"
	}
	return eventKindNames[k]
}

// CacheLevel is the level of an [OBOCache] lookup.
type CacheLevel string

const (
	CacheL1 CacheLevel = "l1" // the cache's own memory
	CacheL2 CacheLevel = "l2" // the TokenStore shared by the replicas (WithCacheStore)
)

// RenewalKind says why a renewal ran.
type RenewalKind string

const (
	// RenewalProactive runs in the background before the token expires
	// (see [WithRefreshSkew]), while requests go on with the old token.
	RenewalProactive RenewalKind = "proactive"
	// RenewalOnDemand runs when there is no token that may be sent: the
	// first, or one that expired. Requests wait for it.
	RenewalOnDemand RenewalKind = "on_demand"
	// RenewalForced runs after a resource server refused the token with
	// 401 invalid_token (RFC 6750 §3.1).
	RenewalForced RenewalKind = "forced"
)

// Event is what an [Observer] is told. Kind says which of the other fields
// are set; the rest are zero. An Event never holds a secret, a code, an
// assertion, a token or a store key.
type Event struct {
	Kind EventKind

	// Endpoint is the endpoint of an EventTokenRequest: "token",
	// "revocation", "introspection", "device_authorization" or
	// "pushed_authorization"; URL is its URL, without query.
	Endpoint, URL string
	// Grant is the grant_type of a token request, or of the exchanges of
	// the OBOCache of an EventCacheHit or EventCacheMiss.
	Grant string
	// Attempt counts the attempts of one request, from 1.
	Attempt int
	// Status is the HTTP status of the attempt; 0 when none came.
	Status int
	// Duration is how long the attempt or the renewal took.
	Duration time.Duration

	// CacheLevel is the level of an EventCacheHit or EventCacheMiss.
	CacheLevel CacheLevel
	// Renewal is why an EventRenewal ran.
	Renewal RenewalKind
	// Op is the TokenStore method of an EventStoreError: "Load", "Lock",
	// "Store" or "Unlock".
	Op string
	// Reason is why a validator refused a token (EventValidatorRefusal).
	Reason string

	// Err is the failure, if any: of an attempt that got no response, of a
	// renewal, or of a store call. Its text is as scrubbed as the error the
	// call returns.
	Err error
}
