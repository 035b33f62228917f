package oauth2flows

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Bounds of [AssertionFromFile].
const (
	// assertionFileMaxSize caps what is read: a Kubernetes or Entra token
	// is a few KiB.
	assertionFileMaxSize = 64 << 10
	// assertionFileMaxAge re-reads the file this often even when its size
	// and modification time look unchanged (a rewrite within the file
	// system's timestamp granularity, to the same size).
	assertionFileMaxAge = time.Minute
	// assertionFileRecheck is the minimum interval between two looks at
	// the file: calls closer together get the value held.
	assertionFileRecheck = 100 * time.Millisecond
)

// AssertionFromFile returns a [Config.ClientAssertion] (or a
// [JWTBearerSource] assertion function) that reads a token file another
// process keeps fresh: AZURE_FEDERATED_TOKEN_FILE of Entra workload
// identity, a Kubernetes projected service-account token, or a GitHub
// Actions OIDC token written to a file. It re-reads the file when its size
// or modification time changed (Kubernetes swaps the file through a
// symlink, which changes both), and at least once a minute regardless; it
// looks at the file at most every 100 ms. Surrounding white space is
// trimmed. A missing, empty or over-64-KiB file is an error (the path is
// named, the content never). The function is safe for concurrent use.
func AssertionFromFile(path string) func(ctx context.Context) (string, error) {
	return newAssertionFile(path, assertionFileRecheck).get
}

func newAssertionFile(path string, recheck time.Duration) *assertionFile {
	return &assertionFile{path: path, recheck: recheck}
}

// assertionFile holds the last token read from a file.
type assertionFile struct {
	path    string
	recheck time.Duration

	mu      sync.Mutex
	token   string
	size    int64
	modTime time.Time
	readAt  time.Time // when token was read
	lookAt  time.Time // when the file was last looked at
}

func (f *assertionFile) get(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	if f.token != "" && now.Sub(f.lookAt) < f.recheck {
		return f.token, nil
	}
	fail := func(reason error) (string, error) {
		return "", &AssertionError{Op: "AssertionFromFile", Field: f.path, Err: reason}
	}
	fi, err := os.Stat(f.path)
	if err != nil {
		return fail(err)
	}
	f.lookAt = now
	if f.token != "" && fi.Size() == f.size && fi.ModTime().Equal(f.modTime) && now.Sub(f.readAt) < assertionFileMaxAge {
		return f.token, nil
	}
	tok, err := readTokenFile(f.path)
	if err != nil {
		return fail(err)
	}
	f.token, f.size, f.modTime, f.readAt = tok, fi.Size(), fi.ModTime(), now
	return tok, nil
}

// readTokenFile reads at most assertionFileMaxSize bytes of a token file.
func readTokenFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, assertionFileMaxSize+1))
	if err != nil {
		return "", err
	}
	if len(b) > assertionFileMaxSize {
		return "", errors.New("file exceeds 64 KiB")
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", errors.New("file is empty")
	}
	return tok, nil
}
