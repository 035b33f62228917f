// Package replicas holds the tests of several replicas (Transports and
// OBOCaches of the root package) sharing one redisstore.Store on a real
// redis-server, and the simulation of token requests per replica and user.
// It has no code of its own.
package replicas
