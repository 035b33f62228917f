package wire

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecideRetriesOnlyWhereTheServerCannotHaveActed(t *testing.T) {
	status := func(code int, retryAfter string) attempt {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return attempt{resp: &Response{Status: code, Header: h}, wrote: true}
	}
	failed := func(wrote, dropped bool) attempt {
		return attempt{err: errors.New("boom"), wrote: wrote, dropped: dropped}
	}
	tests := []struct {
		name    string
		oneTime bool
		a       attempt
		retry   bool
	}{
		{"429", false, status(429, ""), true},
		{"429OneTime", true, status(429, ""), true},
		{"503", false, status(503, ""), true},
		{"503OneTimeMayBeSpent", true, status(503, ""), false},
		{"500", false, status(500, ""), false},
		{"400", false, status(400, ""), false},
		{"200", false, status(200, ""), false},
		{"NotSent", false, failed(false, false), true},
		{"NotSentOneTime", true, failed(false, false), true},
		{"DroppedAfterSending", false, failed(true, true), true},
		{"DroppedAfterSendingOneTime", true, failed(true, true), false},
		{"AnswerNetHTTPRefused", false, failed(true, false), false},
		{"RetryAfterWithinMaxDelay", false, status(429, "1"), true},
		{"RetryAfterBeyondMaxDelay", false, status(429, "3600"), false},
	}
	p := Policy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Second}.withDefaults()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, retry := p.decide(context.Background(), tt.oneTime, 1, tt.a)
			assert.Equal(t, tt.retry, retry)
		})
	}
	_, retry := p.decide(context.Background(), false, 3, status(429, ""))
	assert.False(t, retry, "attempts are bounded")
	wait, retry := p.decide(context.Background(), false, 1, status(429, "2"))
	assert.True(t, retry)
	assert.Equal(t, 2*time.Second, wait, "Retry-After is honoured")
}

func TestDroppedTellsAClosedConnectionFromARefusedAnswer(t *testing.T) {
	assert.True(t, dropped(io.EOF))
	assert.True(t, dropped(io.ErrUnexpectedEOF))
	assert.False(t, dropped(errors.New(`net/http: HTTP/1.x transport connection broken: malformed MIME header line`)))
	assert.False(t, dropped(errors.New(`failed to parse Location header "http://[::1%zz"`)))
}

func TestReadCappedStopsAtTheLimit(t *testing.T) {
	b, err := readCapped(strings.NewReader(strings.Repeat("x", 100)), 10, -1)
	require.NoError(t, err)
	assert.Len(t, b, 10)
	b, err = readCapped(strings.NewReader("short"), 10, 5)
	require.NoError(t, err)
	assert.Equal(t, "short", string(b))
	b, err = readCapped(strings.NewReader(strings.Repeat("y", 3000)), 1<<20, -1)
	require.NoError(t, err)
	assert.Len(t, b, 3000, "grows past the first buffer")
}
