package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// oidcProviderDir holds panva's oidc-provider (npm, pinned in
// package-lock.json) and server.mjs, which configures it.
const oidcProviderDir = "oidcprovider"

// oidcProvider is a running oidc-provider: its issuer, the one resource
// its JWT access tokens are for, and the confidential client's secret,
// made at test time. The clients are "conf" (client_secret_basic) and
// "public" (none); see oidcprovider/server.mjs.
type oidcProvider struct {
	Issuer   string `json:"issuer"`
	Resource string `json:"resource"`
	Secret   string `json:"-"`
}

func (p *oidcProvider) TokenURL() string { return p.Issuer + "/token" }

// startOIDCProvider starts oidc-provider with node on a random loopback
// port, waits until it serves its metadata, and kills it when the test
// ends. It skips only when node is not installed; a missing
// `npm ci --prefix interop/oidcprovider` is a failure, so CI cannot pass
// without running these tests.
func startOIDCProvider(t *testing.T) *oidcProvider {
	t.Helper()
	var b [24]byte
	_, _ = rand.Read(b[:])
	p := &oidcProvider{Secret: base64.RawURLEncoding.EncodeToString(b[:])}
	startNodeProvider(t, "server.mjs", p, "OIDC_CONF_SECRET="+p.Secret)
	return p
}

// startNodeProvider runs script of oidcProviderDir with env added, reads
// its first stdout line into p, and waits for p.Issuer's metadata.
func startNodeProvider(t *testing.T, script string, p *oidcProvider, env ...string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the oidc-provider interop tests need Node.js (20.19 or later)")
	}
	if _, err := os.Stat(filepath.Join(oidcProviderDir, "node_modules", "oidc-provider", "package.json")); err != nil {
		t.Fatalf("oidc-provider is not installed: run `npm ci --prefix interop/oidcprovider` first (%v)", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = oidcProviderDir
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe() // closed at cleanup: server.mjs exits on EOF
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = stdin.Close()
		cancel() // kills node if it has not exited yet
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("oidc-provider stderr:\n%s", stderr.String())
		}
	})

	first := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if !sc.Scan() {
			first <- errNoReadyLine
			return
		}
		first <- json.Unmarshal(sc.Bytes(), p)
		for sc.Scan() { // drain, so node never blocks on a full pipe
		}
	}()
	select {
	case err := <-first:
		require.NoError(t, err, "oidc-provider did not start; stderr:\n%s", stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("oidc-provider did not start within 60 s; stderr:\n%s", stderr.String())
	}
	waitReady(t, p.Issuer+"/.well-known/openid-configuration")
}

type readyLineError struct{}

func (readyLineError) Error() string { return "oidc-provider exited before printing its issuer" }

var errNoReadyLine error = readyLineError{}

// waitReady polls url until it answers 200.
func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 30 s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer safe for the writer goroutine of
// os/exec and the test reading it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
