package oauth2flows

import (
	"strings"
	"testing"
	"time"
)

// FuzzDecodeDeviceAuth feeds the device authorization response decoder
// (RFC 8628 §3.2) arbitrary bodies: it must never panic, never return a
// response without the three required members, and never put the body
// in an error string.
func FuzzDecodeDeviceAuth(f *testing.F) {
	f.Add(`{"device_code":"dc-secret-1","user_code":"ABCD","verification_uri":"https://x/d","expires_in":600,"interval":5}`)
	f.Add(`{"device_code":"dc-secret-1","user_code":"ABCD","verification_url":"https://x/d","expires_in":"600"}`)
	f.Add(`{"device_code":"dc-secret-1","interval":1e400}`)
	f.Add(`{"expires_in":-1}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		now := time.Unix(1_700_000_000, 0)
		da, err := decodeDeviceAuth(200, "application/json", []byte(body), false, []string{"dc-secret-1"}, now)
		if err != nil {
			if da != nil {
				t.Fatal("a response with an error")
			}
			if strings.Contains(err.Error(), "dc-secret-1") {
				t.Fatalf("error %q leaks the device code", err)
			}
			return
		}
		if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
			t.Fatalf("incomplete response accepted: %+v", da)
		}
		if da.Interval < 0 || da.Interval > maxDeviceSeconds || (!da.Expiry.IsZero() && da.Expiry.Before(now)) {
			t.Fatalf("out-of-range timing accepted: %+v", da)
		}
	})
}
