package redact

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScrubFindsEveryEncoding(t *testing.T) {
	const secret = "1//0gRefresh/Token_abc"
	tests := []struct {
		name string
		text string
	}{
		{"Raw", "token " + secret + " is unknown"},
		{"JSONSlash", `token 1\/\/0gRefresh\/Token_abc is unknown`},
		{"JSONUnicode", `token 1\u002f\u002F0gRefresh\u002fToken_abc`},
		{"HTMLHex", "token 1&#x2F;&#x2f;0gRefresh&#47;Token_abc"},
		{"HTMLTwice", "token 1&amp;#x2F;&amp;#x2F;0gRefresh&amp;#x2F;Token_abc"},
		{"PercentUpper", "token 1%2F%2F0gRefresh%2FToken_abc"},
		{"PercentLower", "token 1%2f%2f0gRefresh%2fToken_abc"},
		{"Wrapped", "token 1//0gRefre\r\n  sh/Token_abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Scrub(tt.text, []string{secret})
			assert.NotContains(t, out, "0gRefre")
			assert.Contains(t, out, "[redacted]")
		})
	}
	assert.Equal(t, "nothing secret here", Scrub("nothing secret here", []string{secret}), "other text is kept")
	assert.Equal(t, "a [redacted] b", Scrub("a "+secret+" b", []string{secret}), "a raw echo is cut out, not the whole text")
}

func TestErrorKeepsTheCauseOnlyWhenClean(t *testing.T) {
	clean := errors.New("connection refused")
	assert.Same(t, clean, Error(clean, []string{"s3cret"}))
	dirty := errors.New(`malformed MIME header: "refresh_token=s3cret-value"`)
	got := Error(dirty, []string{"s3cret-value"})
	assert.NotContains(t, got.Error(), "s3cret-value")
	assert.Nil(t, errors.Unwrap(got), "unwrapping would reach the credential again")
}
