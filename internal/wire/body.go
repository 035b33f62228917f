package wire

import (
	"io"
	"sync/atomic"
)

// MaxBodySize caps every response body the poster reads.
const MaxBodySize = 1 << 20

// ReadCapped reads r to its end or to limit bytes, whichever comes first,
// sizing its buffer from the announced length (Content-Length) when there
// is one.
func ReadCapped(r io.Reader, limit, announced int64) ([]byte, error) {
	return readCapped(r, limit, announced)
}

func readCapped(r io.Reader, limit, announced int64) ([]byte, error) {
	size := int64(512)
	if announced > 0 {
		size = min(announced+1, limit) // +1 sees EOF without growing
	}
	b := make([]byte, 0, size)
	for int64(len(b)) < limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):min(int64(cap(b)), limit)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// sentBody is a request body that records whether it was read, in *read,
// which is set before the body is handed to the transport. Copies made by
// again, for a transport that must send the request anew (HTTP/2
// REFUSED_STREAM), share the record.
type sentBody struct {
	s    string
	i    int
	read *atomic.Bool
	own  atomic.Bool
}

func (b *sentBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	if b.i >= len(b.s) {
		return 0, io.EOF
	}
	n := copy(p, b.s[b.i:])
	b.i += n
	return n, nil
}

func (b *sentBody) Close() error { return nil }

func (b *sentBody) again() (io.ReadCloser, error) {
	return &sentBody{s: b.s, read: b.read}, nil
}
