package msi

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/oauth2flows/oauth2flows/internal/wire"
)

// Token is a managed identity endpoint's token response. The hosts differ:
// IMDS and Arc send every number as a string, App Service sends expires_on
// as a number and no expires_in, older hosts send expires_on as a date.
type Token struct {
	AccessToken, TokenType string
	Expiry                 time.Time
	ExpiresIn              int64          // seconds; 0 when the host sent only expires_on
	Raw                    map[string]any // every member, for Token.Extra
}

// Decode reads a 2xx response. Its error never holds the body.
func Decode(r *wire.Response, now time.Time) (Token, error) {
	if r.TooLarge {
		return Token{}, errors.New("body exceeds 1 MiB")
	}
	var raw map[string]any
	d := json.NewDecoder(bytes.NewReader(r.Body))
	d.UseNumber()
	if err := d.Decode(&raw); err != nil || raw == nil {
		return Token{}, errors.New("body is not a JSON object")
	}
	t := Token{Raw: raw}
	t.AccessToken, _ = raw["access_token"].(string)
	if t.AccessToken == "" {
		return Token{}, errors.New("access_token is missing")
	}
	t.TokenType, _ = raw["token_type"].(string)
	if strings.EqualFold(t.TokenType, "bearer") {
		t.TokenType = "Bearer"
	}
	if in, ok := number(raw["expires_in"]); ok && in > 0 {
		t.ExpiresIn = in
	}
	// expires_on is the host's own reckoning and wins, as in MSAL.
	switch on, ok := expiresOn(raw["expires_on"]); {
	case ok:
		t.Expiry = on
		if t.ExpiresIn == 0 {
			t.ExpiresIn = max(int64(on.Sub(now)/time.Second), 0)
		}
	case t.ExpiresIn > 0:
		t.Expiry = now.Add(time.Duration(t.ExpiresIn) * time.Second)
	default:
		return Token{}, errors.New("expires_in and expires_on are both missing or invalid")
	}
	return t, nil
}

// number reads a count of seconds sent as a JSON number or a numeric
// string.
func number(v any) (int64, bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt32*8 {
		return 0, false
	}
	return n, true
}

// expiresOn reads expires_on: Unix seconds as a number or string, or a
// date in one of the forms MSAL accepts.
func expiresOn(v any) (time.Time, bool) {
	if n, ok := number(v); ok && n > 0 {
		return time.Unix(n, 0), true
	}
	s, _ := v.(string)
	for _, layout := range []string{"01/02/2006 15:04:05", "2006-01-02 15:04:05", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
