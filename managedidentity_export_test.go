package oauth2flows

import (
	"time"

	"github.com/oauth2flows/oauth2flows/internal/msi"
	"github.com/oauth2flows/oauth2flows/internal/wire"
)

// WithFastRetries returns mi retrying after a millisecond rather than a
// second, so that tests of the retries do not wait.
func WithFastRetries(mi ManagedIdentity) ManagedIdentity {
	mi.retry = wire.Policy{BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}
	return mi
}

// WithPlatform returns mi reading its environment from env, with Azure
// Arc's token directory arcDir, instead of the process's.
func WithPlatform(mi ManagedIdentity, env map[string]string, arcDir string) ManagedIdentity {
	mi.platform = &msi.Platform{Getenv: func(k string) string { return env[k] }, ArcTokenDir: arcDir}
	return mi
}
