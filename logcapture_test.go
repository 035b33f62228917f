package oauth2flows_test

import (
	"bytes"
	"sync"
)

// syncBuffer collects what a test's slog.Logger writes, from whatever
// goroutine logs, so that the test can assert no credential reached a log
// line.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
