package oauth2flowstest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Fault is a canned response that replaces an endpoint's own, to test how a
// client copes with errors, throttling and slowness.
type Fault struct {
	// Status is the HTTP status; 0 means 500.
	Status int
	// Body is sent as is. See [EntraError] for an Entra-shaped error body.
	Body string
	// ContentType defaults to application/json when Body starts with "{",
	// and to text/plain otherwise.
	ContentType string
	// Header is added to the response.
	Header http.Header
	// RetryAfter, when set, is sent as the Retry-After header (RFC 9110
	// §10.2.3): seconds, or an HTTP date.
	RetryAfter string
	// Delay holds the response back this long, in real time, or until the
	// client gives up on the request. [Server.Close] cuts it short with a
	// 503.
	Delay time.Duration
}

// InjectFault makes the next n requests to endpoint (one of the Endpoint*
// names) answer with f. Faulted requests are still recorded. Faults queue up
// in the order they are injected.
func (s *Server) InjectFault(endpoint string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[endpoint] = append(s.faults[endpoint], f)
	}
}

// takeFault removes and returns the next fault queued for endpoint.
func (s *Server) takeFault(endpoint string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[endpoint]
	if len(q) == 0 {
		return Fault{}, false
	}
	s.faults[endpoint] = q[1:]
	return q[0], true
}

func (f Fault) serve(w http.ResponseWriter, r *http.Request, closing <-chan struct{}) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-closing:
			http.Error(w, "oauth2flowstest: server closed", http.StatusServiceUnavailable)
			return
		}
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	ct := f.ContentType
	if ct == "" {
		ct = "text/plain; charset=utf-8"
		if strings.HasPrefix(strings.TrimSpace(f.Body), "{") {
			ct = "application/json"
		}
	}
	w.Header().Set("Content-Type", ct)
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(f.Body))
}

var aadstsCode = regexp.MustCompile(`^AADSTS(\d+)`)

// entraDefaultCode is the AADSTS code Entra commonly sends with an error,
// used when the description does not start with one.
func entraDefaultCode(code string) (int, bool) {
	switch code {
	case "interaction_required":
		return 50076, true
	case "invalid_grant":
		return 50126, true
	case "invalid_client":
		return 7000215, true
	case "invalid_request":
		return 900144, true
	case "invalid_scope":
		return 70011, true
	case "unauthorized_client":
		return 700016, true
	case "temporarily_unavailable":
		return 90033, true
	}
	return 0, false
}

// EntraError returns a Microsoft Entra error body (RFC 6749 §5.2 plus
// error_codes, timestamp, trace_id, correlation_id and claims) for
// [Fault.Body]. The AADSTS code is taken from a description that starts with
// one ("AADSTS50076: ..."), otherwise chosen from code. claims, when not
// empty, is the claims challenge a client must pass back (Entra's
// interaction_required and Conditional Access responses).
func EntraError(code, description, claims string) string {
	var ec entraCode
	if m := aadstsCode.FindStringSubmatch(description); m != nil {
		ec.aadsts, _ = strconv.Atoi(m[1])
	} else {
		ec.aadsts, _ = entraDefaultCode(code)
	}
	body := entraErrorBody(ec, code, description, uuid(), uuid(), "", time.Now())
	if claims != "" {
		body["claims"] = claims
	}
	b, _ := json.Marshal(body)
	return string(b)
}

// uuid returns a random RFC 9562 version 4 UUID.
func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
