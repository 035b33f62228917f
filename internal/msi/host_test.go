package msi

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDetectFollowsMSALGoOrder(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		himd bool
		want Host
	}{
		{"Nothing", nil, false, IMDS},
		{"AppService", map[string]string{EnvIdentityEndpoint: "e", EnvIdentityHeader: "h"}, false, AppService},
		{"ServiceFabric", map[string]string{EnvIdentityEndpoint: "e", EnvIdentityHeader: "h", EnvIdentityThumbprint: "t"}, false, ServiceFabric},
		{"AppServiceBeforeAzureML", map[string]string{EnvIdentityEndpoint: "e", EnvIdentityHeader: "h", EnvMSIEndpoint: "m"}, false, AppService},
		{"AzureML", map[string]string{EnvMSIEndpoint: "m", EnvMSISecret: "s"}, false, AzureML},
		{"CloudShell", map[string]string{EnvMSIEndpoint: "m"}, false, CloudShell},
		{"AzureArcByEnv", map[string]string{EnvIdentityEndpoint: "e", EnvIMDSEndpoint: "i"}, false, AzureArc},
		{"AzureArcByAgent", nil, true, AzureArc},
		{"IdentityEndpointAloneIsIMDS", map[string]string{EnvIdentityEndpoint: "e"}, false, IMDS},
		{"AzureMLBeforeArcAgent", map[string]string{EnvMSIEndpoint: "m", EnvMSISecret: "s"}, true, AzureML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Platform{Getenv: func(k string) string { return tt.env[k] }, ArcHimds: "/himds",
				Exists: func(string) bool { return tt.himd }}
			assert.Equal(t, tt.want, Detect(p))
		})
	}
}

func TestCheckEndpoint(t *testing.T) {
	tests := []struct {
		host Host
		raw  string
		ok   bool
	}{
		{IMDS, IMDSEndpoint, true},
		{AppService, "http://127.0.0.1:41741/MSI/token/", true},
		{CloudShell, "http://localhost:50342/oauth2/token", true},
		{AppService, "http://[::1]:8081/msi/token", true},
		{AppService, "https://example.com/msi/token", true},
		{AppService, "http://example.com/msi/token", false},
		{AppService, "http://169.254.169.255/x", false},
		{ServiceFabric, "http://127.0.0.1:2377/metadata/identity/oauth2/token", false},
		{ServiceFabric, "https://10.0.0.4:2377/metadata/identity/oauth2/token", true},
		{AppService, "/relative", false},
		{AppService, "ftp://127.0.0.1/x", false},
	}
	for _, tt := range tests {
		_, err := checkEndpoint(tt.host, "endpoint", tt.raw)
		assert.Equal(t, tt.ok, err == nil, "%s %s: %v", tt.host, tt.raw, err)
	}
}
