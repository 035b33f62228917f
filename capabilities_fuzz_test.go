package oauth2flows

import (
	"encoding/json"
	"testing"
)

// FuzzMergeCapabilities merges cp1 into claims challenges of any shape (a
// challenge comes from a server): it must never panic, and what it returns
// is a JSON object declaring the capability.
func FuzzMergeCapabilities(f *testing.F) {
	for _, s := range []string{"", `{}`, `{"access_token":null}`, `{"access_token":{"nbf":{"essential":true,"value":"1"}}}`,
		`{"id_token":{"acrs":{"essential":true}}}`, `{"access_token":[]}`, `[1]`, `"x"`, `null`, `{"access_token":{"xms_cc":1}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, claims string) {
		merged, err := mergeCapabilities(claims, []string{"cp1"})
		if err != nil {
			return
		}
		var out struct {
			AccessToken map[string]json.RawMessage `json:"access_token"`
		}
		if json.Unmarshal([]byte(merged), &out) != nil || out.AccessToken["xms_cc"] == nil {
			t.Fatalf("%q merged into %q", claims, merged)
		}
	})
}
