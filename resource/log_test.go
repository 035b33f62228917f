package resource_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/resource"
)

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) records(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var recs []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(s.b.String()), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		recs = append(recs, r)
	}
	return recs
}

// Every refusal, by Validate or by the middleware, is one log record with
// its reason and one Observer event, and no record holds the token or a
// part of it.
func TestValidatorLogsOneRecordPerRefusalWithoutTheToken(t *testing.T) {
	iss := newVIssuer(t)
	var buf syncBuffer
	var mu sync.Mutex
	var observed []string
	v := newTestValidator(t, iss, resource.Config{RequiredScopes: []string{"orders.read"},
		Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Observer: oauth2flows.ObserverFunc(func(_ context.Context, e oauth2flows.Event) {
			mu.Lock()
			defer mu.Unlock()
			if e.Kind == oauth2flows.EventValidatorRefusal {
				observed = append(observed, e.Reason)
			}
		})})
	good := mintRS256(t, vClaims(iss.URL()))
	expired := vClaims(iss.URL())
	expired["exp"] = 1
	noScope := vClaims(iss.URL())
	noScope["scp"] = "other"
	wrongAud := vClaims(iss.URL())
	wrongAud["aud"] = "api://other"
	tokens := map[string]resource.Reason{
		mintRS256(t, expired):  resource.ReasonExpired,
		mintRS256(t, noScope):  resource.ReasonInsufficientScope,
		mintRS256(t, wrongAud): resource.ReasonAudience,
		flipBit(t, good, 2, 9): resource.ReasonSignature,
		mint(t, jwt.SigningMethodRS256, vRSAKey(), map[string]any{"kid": "nope"}, vClaims(iss.URL())): resource.ReasonUnknownKey,
		"not-a-jwt": resource.ReasonMalformed,
	}
	var want []string
	for tok, reason := range tokens {
		_, err := v.Validate(context.Background(), tok)
		requireRefused(t, err, reason, tok)
		want = append(want, string(reason))
	}
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, auth := range []string{"", "Bearer ", "Bearer " + mintRS256(t, expired)} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	want = append(want, "no_token", string(resource.ReasonMalformed), string(resource.ReasonExpired))
	_, err := v.Validate(context.Background(), good)
	require.NoError(t, err, "a valid token logs nothing")

	recs := buf.records(t)
	var got []string
	for _, r := range recs {
		got = append(got, r["reason"].(string))
		assert.Equal(t, "oauth2flows: access token refused", r["msg"])
	}
	assert.ElementsMatch(t, want, got)
	mu.Lock()
	assert.ElementsMatch(t, want, observed, "one Observer event per refusal, with its reason")
	mu.Unlock()
	logged := buf.b.String()
	for tok := range tokens {
		for _, seg := range strings.Split(tok, ".") {
			if len(seg) > 8 {
				assert.NotContains(t, logged, seg, "a token segment reached the log")
			}
		}
	}
}
