package failover_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/redisstore"
)

// TestRestartedAtOnEveryTopology: RestartedAt asks the master holding each
// key, on a Cluster (keys in different slots, on different masters) and
// through Sentinel: none restarted since the store was made.
func TestRestartedAtOnEveryTopology(t *testing.T) {
	for name, s := range map[string]*redisstore.Store{
		"cluster":  redisstore.New(cluster.NewClusterClient(), redisstore.WithInsecurePlaintext()),
		"sentinel": redisstore.New(sentinel.NewFailoverClient(), redisstore.WithInsecurePlaintext()),
	} {
		t.Run(name, func(t *testing.T) {
			for i := range 12 {
				at, err := s.RestartedAt(t.Context(), fmt.Sprintf("user:%d", i))
				require.NoError(t, err)
				require.True(t, at.IsZero())
			}
		})
	}
}
