package redisstore

// RedisAddrForExamples is the address of the package's test redis-server,
// started by TestMain, for the examples of package redisstore_test.
func RedisAddrForExamples() string { return testRedis.Addr() }
