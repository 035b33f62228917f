package wire

import "time"

// observe tells r.Observe, when set, of attempt n.
func (r *Request) observe(n int, a attempt, d time.Duration) {
	if r.Observe == nil {
		return
	}
	status := 0
	if a.resp != nil {
		status = a.resp.Status
	}
	r.Observe(n, status, d, a.err)
}
