package wire

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeToken feeds arbitrary bodies and content types to the token
// response decoder: it must never panic, and must return exactly one of a
// usable token or an error.
func FuzzDecodeToken(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"access_token":"a","token_type":"bearer","expires_in":"3599","expires_on":"1700000000"}`))
	f.Add(200, "application/x-www-form-urlencoded", []byte(`access_token=a&token_type=bearer&expires_in=10`))
	f.Add(200, "application/json", []byte(`{"error":"invalid_grant"}`))
	f.Add(200, "text/html", []byte(`<html>`))
	f.Add(200, "application/json", []byte(`{"access_token":"a","expires_in":1e999}`))
	f.Fuzz(func(t *testing.T, status int, ctype string, body []byte) {
		r := &Response{Status: status, Header: http.Header{"Content-Type": {ctype}}, Body: body}
		tok, err := DecodeToken(r, []string{"secret-value"}, time.Now())
		if (tok.AccessToken == "") == (err == nil) {
			t.Fatalf("got token %v and error %v", tok, err)
		}
		if err != nil {
			checkErrorString(t, err.Error())
			if e, ok := err.(*ErrorResponse); ok {
				for _, field := range []string{e.Description, e.Body, e.URI} {
					checkErrorString(t, field)
				}
			}
			return
		}
		if tok.AccessToken == "" || tok.Expiry.Before(time.Unix(0, 0)) && !tok.Expiry.IsZero() {
			t.Fatalf("unusable token accepted: %+v", tok)
		}
	})
}

// FuzzDecodeError feeds arbitrary error bodies to the error decoder: it
// must never panic, always keep the status, and never repeat a credential
// of the request.
func FuzzDecodeError(f *testing.F) {
	f.Add(400, "application/json", []byte(`{"error":"invalid_grant","error_description":"code secret-value expired","error_codes":[70008],"trace_id":"t","claims":"{}"}`))
	f.Add(502, "text/html", []byte("<html><h1>Bad Gateway</h1>secret-value</html>"))
	f.Add(429, "application/json", []byte(`{"error":7}`))
	f.Add(400, "application/x-www-form-urlencoded", []byte(`error=bad&error_description=secret-value`))
	f.Fuzz(func(t *testing.T, status int, ctype string, body []byte) {
		r := &Response{Status: status, Header: http.Header{"Content-Type": {ctype}, "Retry-After": {"3"}}, Body: body}
		e := DecodeError(r, []string{"secret-value"})
		if e == nil || e.Status != status {
			t.Fatalf("lost the status: %+v", e)
		}
		// Field by field: joined, the end of one and the start of the next
		// could spell the credential where neither holds it.
		for _, field := range []string{e.Code, e.Description, e.URI, e.Body, e.TraceID, e.CorrelationID, e.Error()} {
			checkErrorString(t, field)
		}
	})
}

func checkErrorString(t *testing.T, msg string) {
	t.Helper()
	if strings.Contains(msg, "secret-value") {
		t.Fatalf("credential in error text: %q", msg)
	}
	if len(msg) > 4096 {
		t.Fatalf("error text of %d bytes", len(msg))
	}
}
