// Package msi is the wire code of Azure managed identity: which host the
// process runs on, the request each host wants, the retries, and the
// decoding of its answers. It follows MSAL Go's apps/managedidentity
// (v1.10): the same detection order, API versions, headers and query
// parameters. The root package's ManagedIdentitySource maps it to
// tokens and typed errors.
package msi

import (
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Host is a managed identity endpoint, named as MSAL names its sources.
type Host string

// The hosts MSAL Go supports.
const (
	IMDS          Host = "IMDS" // VMs, scale sets, AKS node identity
	AppService    Host = "AppService"
	AzureArc      Host = "AzureArc"
	AzureML       Host = "AzureML"
	CloudShell    Host = "CloudShell"
	ServiceFabric Host = "ServiceFabric"
)

// Endpoints and API versions of each host (MSAL Go apps/managedidentity).
const (
	IMDSEndpoint = "http://169.254.169.254/metadata/identity/oauth2/token"
	arcEndpoint  = "http://127.0.0.1:40342/metadata/identity/oauth2/token"

	imdsAPIVersion          = "2018-02-01"
	arcAPIVersion           = "2020-06-01"
	appServiceAPIVersion    = "2019-08-01"
	azureMLAPIVersion       = "2017-09-01"
	serviceFabricAPIVersion = "2019-07-01-preview"
)

// Environment variables the hosts set.
const (
	EnvIdentityEndpoint   = "IDENTITY_ENDPOINT"
	EnvIdentityHeader     = "IDENTITY_HEADER"
	EnvIdentityThumbprint = "IDENTITY_SERVER_THUMBPRINT"
	EnvIMDSEndpoint       = "IMDS_ENDPOINT"
	EnvMSIEndpoint        = "MSI_ENDPOINT"
	EnvMSISecret          = "MSI_SECRET"
	envDefaultClientID    = "DEFAULT_IDENTITY_CLIENT_ID" // Azure ML
)

// Platform is what detection and Azure Arc's challenge read from the
// machine; tests replace it.
type Platform struct {
	Getenv func(string) string
	// ArcTokenDir is the only directory Azure Arc's challenge may name;
	// ArcHimds is the agent whose presence means Azure Arc. Empty on a
	// system Arc does not run on.
	ArcTokenDir, ArcHimds string
	// Exists reports whether a file exists.
	Exists func(path string) bool
}

// DefaultPlatform reads the process environment and the Arc agent's
// well-known paths for this operating system.
func DefaultPlatform() Platform {
	p := Platform{Getenv: os.Getenv, Exists: func(path string) bool {
		_, err := os.Stat(path)
		return err == nil
	}}
	switch runtime.GOOS {
	case "linux":
		p.ArcTokenDir, p.ArcHimds = "/var/opt/azcmagent/tokens", "/opt/azcmagent/bin/himds"
	case "windows":
		dir := filepath.Join(os.Getenv("ProgramData"), "AzureConnectedMachineAgent")
		p.ArcTokenDir, p.ArcHimds = filepath.Join(dir, "Tokens"), filepath.Join(dir, "himds.exe")
	}
	return p
}

// Detect returns the host the process runs on, in MSAL Go's order:
// IDENTITY_ENDPOINT and IDENTITY_HEADER mean App Service, or Service
// Fabric with IDENTITY_SERVER_THUMBPRINT; then MSI_ENDPOINT means Azure
// ML with MSI_SECRET, Cloud Shell without; then IDENTITY_ENDPOINT with
// IMDS_ENDPOINT, or the Arc agent on disk, mean Azure Arc; anything else
// is IMDS.
func Detect(p Platform) Host {
	endpoint, header := p.Getenv(EnvIdentityEndpoint), p.Getenv(EnvIdentityHeader)
	switch {
	case endpoint != "" && header != "":
		if p.Getenv(EnvIdentityThumbprint) != "" {
			return ServiceFabric
		}
		return AppService
	case p.Getenv(EnvMSIEndpoint) != "":
		if p.Getenv(EnvMSISecret) != "" {
			return AzureML
		}
		return CloudShell
	case endpoint != "" && p.Getenv(EnvIMDSEndpoint) != "",
		p.ArcHimds != "" && p.Exists != nil && p.Exists(p.ArcHimds):
		return AzureArc
	}
	return IMDS
}

// ID selects a user-assigned identity by one of its three names; all
// empty is the system-assigned identity.
type ID struct{ ClientID, ObjectID, ResourceID string }

// check refuses two names at once, and the names a host cannot take
// (MSAL Go's New).
func (id ID) check(h Host) error {
	n := 0
	for _, v := range []string{id.ClientID, id.ObjectID, id.ResourceID} {
		if v != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return errors.New("set one of ClientID, ObjectID and ResourceID, not several")
	case n == 0:
		return nil
	case h == AzureML && id.ClientID == "":
		return errors.New("a user-assigned identity on Azure ML is named by its client ID only")
	case h == CloudShell:
		return errors.New("there are no user-assigned identities on Cloud Shell")
	case h == ServiceFabric:
		return errors.New("the cluster's configuration chooses the identity on Service Fabric; a user-assigned one cannot be named")
	}
	return nil
}

// checkEndpoint refuses an endpoint a token request must not go to: one
// that is not an absolute URL, or plain http anywhere but loopback and the
// link-local IMDS address, where the hosts serve it. Service Fabric's must
// be https (its certificate is pinned).
func checkEndpoint(h Host, name, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New(name + " is not an absolute http(s) URL")
	}
	if u.Scheme == "https" {
		return u, nil
	}
	if h == ServiceFabric {
		return nil, errors.New(name + " must be https for Service Fabric")
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && (ip.IsLoopback() || ip.Equal(net.IPv4(169, 254, 169, 254))) {
		return u, nil
	}
	return nil, errors.New(name + " is plain http to a host that is neither loopback nor IMDS")
}

// trimDefault turns an Entra scope into the resource managed identity
// endpoints want, as MSAL does: "https://vault.azure.net/.default" is
// "https://vault.azure.net".
func trimDefault(resource string) string { return strings.TrimSuffix(resource, "/.default") }
