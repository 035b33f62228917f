// Package failover holds the redisstore tests against a Redis Cluster and a
// Sentinel set-up that fail over, restart and freeze mid-storm.
package failover
