package challenge

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseBearer(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   map[string]string
		ok     bool
	}{
		{"Quoted", `Bearer error="invalid_token", error_description="expired"`,
			map[string]string{"error": "invalid_token", "error_description": "expired"}, true},
		{"AfterAnotherScheme", `Basic realm="x", Bearer realm="api", error=invalid_token`,
			map[string]string{"realm": "api", "error": "invalid_token"}, true},
		{"Token68First", `Newauth abc==, Bearer Error="x"`, map[string]string{"error": "x"}, true},
		{"Escapes", `Bearer error="a\"b\\c"`, map[string]string{"error": `a"b\c`}, true},
		{"BareBearer", `Bearer`, map[string]string{}, true},
		{"NoBearer", `Basic realm="x"`, nil, false},
		{"Empty", ``, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseBearer(tt.header)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}
