package redisstore

import (
	"reflect"
	"testing"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// TestCodecCoversEveryTokenField fails when oauth2flows.Token or
// oauth2.Token gains an exported field: add a tag for it in codec.go.
func TestCodecCoversEveryTokenField(t *testing.T) {
	exported := func(v any) []string {
		var names []string
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			if f := typ.Field(i); f.IsExported() {
				names = append(names, f.Name)
			}
		}
		return names
	}
	assert.Equal(t, []string{"Token", "IDToken", "Scope", "IssuedTokenType"}, exported(oauth2flows.Token{}))
	assert.Equal(t, []string{"AccessToken", "TokenType", "RefreshToken", "Expiry", "ExpiresIn"}, exported(oauth2.Token{}))
}

func TestCodecRoundTrip(t *testing.T) {
	full := &oauth2flows.Token{
		Token: oauth2.Token{
			AccessToken: "at", TokenType: "DPoP", RefreshToken: "rt",
			Expiry: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC), ExpiresIn: 3599,
		},
		IDToken: "idt", Scope: "a b", IssuedTokenType: oauth2flows.TokenTypeSAML2,
	}
	tests := []struct {
		name string
		tok  *oauth2flows.Token
	}{
		{"every field", full},
		{"access token only", &oauth2flows.Token{Token: oauth2.Token{AccessToken: "at"}}},
		{"expiry before 1970", &oauth2flows.Token{Token: oauth2.Token{AccessToken: "at", Expiry: time.Unix(-5, 0)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeToken(encodeToken(nil, tt.tok))
			require.NoError(t, err)
			assert.True(t, tt.tok.Expiry.Equal(got.Expiry))
			got.Expiry = tt.tok.Expiry
			assert.Equal(t, tt.tok, got)
		})
	}
}

func TestCodecRefusesWhatIsNotAToken(t *testing.T) {
	good := encodeToken(nil, testToken("at", "rt", time.Now()))
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"no access token", encodeToken(nil, &oauth2flows.Token{Token: oauth2.Token{RefreshToken: "rt"}})},
		{"length past the end", []byte{tagAccessToken, 5, 'a'}},
		{"bad length varint", []byte{tagAccessToken, 0xff}},
		{"huge length", []byte{tagAccessToken, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"expiry not a varint", append(append([]byte(nil), good...), tagExpiry, 2, 0xff, 0xff)},
		{"expiry with trailing bytes", append(append([]byte(nil), good...), tagExpiry, 2, 0x02, 0x00)},
		{"truncated", good[:len(good)-1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := decodeToken(tt.in)
			assert.Nil(t, tok)
			assert.ErrorIs(t, err, errNotAToken)
		})
	}
	t.Run("unknown tags are skipped", func(t *testing.T) {
		tok, err := decodeToken(append(append([]byte(nil), good...), 99, 3, 'x', 'y', 'z'))
		require.NoError(t, err)
		assert.Equal(t, "at", tok.AccessToken)
	})
}
