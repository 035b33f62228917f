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
		// Claim names are case-sensitive: decoded through maps, not a
		// struct, whose field tag encoding/json matches in any case (it
		// took "ACCess_Token" for "access_token").
		var out map[string]json.RawMessage
		var access map[string]json.RawMessage
		if json.Unmarshal([]byte(merged), &out) != nil || json.Unmarshal(out["access_token"], &access) != nil || access["xms_cc"] == nil {
			t.Fatalf("%q merged into %q", claims, merged)
		}
	})
}
