package failover_test

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/oauth2flows/oauth2flows/redisstore/redistest"
)

// The package's tests share one Cluster (3 masters, 1 replica each) and one
// Sentinel set-up (a master, 2 replicas, 3 sentinels), started together by
// TestMain: each takes a few seconds. Every test leaves them healthy, with
// every killed node back.
var (
	cluster  *redistest.Cluster
	sentinel *redistest.Sentinel
)

func TestMain(m *testing.M) {
	var errC, errS error
	var wg sync.WaitGroup
	wg.Go(func() { cluster, errC = redistest.RunCluster(3, 1) })
	wg.Go(func() { sentinel, errS = redistest.RunSentinel(2, 3) })
	wg.Wait()
	code := 1
	if errC == nil && errS == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, errC, errS)
	}
	if cluster != nil {
		cluster.Stop()
	}
	if sentinel != nil {
		sentinel.Stop()
	}
	os.Exit(code)
}
