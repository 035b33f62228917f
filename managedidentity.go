package oauth2flows

import (
	"context"
	"net/http"
	"strings"

	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows/internal/msi"
	"github.com/oauth2flows/oauth2flows/internal/wire"
)

// ManagedIdentity is an Azure managed identity: the credential Azure gives
// a VM, an AKS node, an App Service or Functions app, an Azure Arc server,
// an Azure ML compute, Cloud Shell or a Service Fabric application, served
// by a local endpoint of the host rather than by Entra's token endpoint.
// The zero value is the host's system-assigned identity; one of ClientID,
// ObjectID and ResourceID names a user-assigned one instead.
//
// The host is found as MSAL Go finds it, from the environment the platform
// sets: IDENTITY_ENDPOINT and IDENTITY_HEADER for App Service (Service
// Fabric with IDENTITY_SERVER_THUMBPRINT), MSI_ENDPOINT for Azure ML (with
// MSI_SECRET) or Cloud Shell, IDENTITY_ENDPOINT and IMDS_ENDPOINT or the
// agent on disk for Azure Arc, and otherwise the Instance Metadata Service
// (IMDS) at 169.254.169.254. Nothing is sent to any of them unless a
// managed identity was asked for: no other source of this package falls
// back to one.
type ManagedIdentity struct {
	ClientID   string // user-assigned, by one of these three; all empty: system-assigned
	ObjectID   string
	ResourceID string
	// HTTPClient sends the requests; nil means a client with a 30-second
	// timeout. Redirects are never followed. For Service Fabric, its
	// Transport must be an *http.Transport (or nil): a clone of it pins
	// the endpoint's certificate.
	HTTPClient *http.Client

	platform *msi.Platform // nil: the process's; tests set their own
	retry    wire.Policy   // zero: MSAL's
}

// ManagedIdentityError is a failure to get a managed identity token. Host
// names the endpoint detected: "IMDS", "AppService", "AzureArc", "AzureML",
// "CloudShell" or "ServiceFabric". Err is the cause: an [*Error] for an
// answer that is not a token (StatusCode 400 is never retried), a
// [*NetworkError], an [*InvalidResponseError] or a [*ConfigError]. It
// never holds the host's secret header or a token.
type ManagedIdentityError struct {
	Host string
	Err  error
}

// Error implements error.
func (e *ManagedIdentityError) Error() string {
	return "oauth2flows: managed identity on " + e.Host + ": " + strings.TrimPrefix(e.Err.Error(), "oauth2flows: ")
}

// Unwrap returns the cause.
func (e *ManagedIdentityError) Unwrap() error { return e.Err }

// ManagedIdentitySource returns a source of mi's tokens for resource, such
// as "https://vault.azure.net" (a "/.default" scope is trimmed to its
// resource, as MSAL does). The host is detected once, here. Tokens are
// cached and renewed before they expire through the one renewal path of
// this package: any number of concurrent callers, and every [Transport]
// over the source, cause one request at a time. The host's answers 410
// (IMDS during an update), 404 (IMDS while an identity is assigned), 429
// and 5xx are retried three attempts in all, with backoff from one second,
// as MSAL Go retries them; 400 is not. Failures are
// [*ManagedIdentityError]s naming the host.
func ManagedIdentitySource(mi ManagedIdentity, resource string) TokenSource {
	m := newMIClient(mi)
	return &grantSource{r: newRenewal(func(ctx context.Context, _ *Token) (*Token, error) {
		return m.token(ctx, resource)
	}, nil)}
}

// AzureADTokenExchange is the audience of the tokens Entra accepts as a
// federated identity credential (the default of an app registration's
// federated credentials).
const AzureADTokenExchange = "api://AzureADTokenExchange"

// ManagedIdentityAssertion returns a [Config.ClientAssertion]: mi's token
// for api://AzureADTokenExchange, which an app registration that trusts
// the managed identity as a federated identity credential accepts as its
// client assertion (RFC 7523 §2.2). The app then needs no secret and no
// certificate: On-Behalf-Of, client credentials and every grant that
// authenticates the client work with it. The token is cached and renewed
// as by [ManagedIdentitySource], so a request to the token endpoint does
// not cost one to the managed identity endpoint.
func ManagedIdentityAssertion(mi ManagedIdentity) func(ctx context.Context) (string, error) {
	src := ManagedIdentitySource(mi, AzureADTokenExchange)
	return func(ctx context.Context) (string, error) {
		tok, err := src.Token(ctx)
		if err != nil {
			return "", err
		}
		return tok.AccessToken, nil
	}
}

// miClient is a managed identity on the host it was detected on.
type miClient struct {
	host     msi.Host
	platform msi.Platform
	id       msi.ID
	client   *http.Client
	retry    wire.Policy
	err      error // why no request can be made, e.g. Service Fabric's client
}

func newMIClient(mi ManagedIdentity) *miClient {
	p := msi.DefaultPlatform()
	if mi.platform != nil {
		p = *mi.platform
	}
	m := &miClient{platform: p, host: msi.Detect(p), retry: mi.retry,
		id: msi.ID{ClientID: mi.ClientID, ObjectID: mi.ObjectID, ResourceID: mi.ResourceID}}
	var hc http.Client
	if mi.HTTPClient != nil {
		hc = *mi.HTTPClient
	} else {
		hc.Timeout = defaultTimeout
	}
	hc.CheckRedirect = noRedirects // the host's secret header goes nowhere else
	m.client = &hc
	if m.host == msi.ServiceFabric {
		m.client, m.err = msi.PinnedClient(&hc, p.Getenv(msi.EnvIdentityThumbprint))
	}
	return m
}

// token makes one token request, or Azure Arc's two.
func (m *miClient) token(ctx context.Context, resource string) (*Token, error) {
	tok, err := m.fetch(ctx, resource)
	if err != nil {
		return nil, &ManagedIdentityError{Host: string(m.host), Err: err}
	}
	return tok, nil
}

func (m *miClient) fetch(ctx context.Context, resource string) (*Token, error) {
	if m.err != nil {
		return nil, &ConfigError{Field: "ManagedIdentity.HTTPClient", Reason: m.err.Error()}
	}
	req, err := msi.NewRequest(m.host, m.platform, m.id, resource, "")
	if err != nil {
		return nil, &ConfigError{Field: "ManagedIdentity", Reason: err.Error()}
	}
	resp, err := msi.Do(ctx, m.client, req, m.retry)
	if err == nil && m.host == msi.AzureArc && (resp.Status == http.StatusUnauthorized || resp.Status/100 == 2) {
		// Arc answers 401 naming a file only a local administrator can
		// read; its content authenticates the second request.
		key, kerr := msi.ArcKey(m.platform, resp.Status, resp.Header)
		if kerr != nil {
			return nil, responseError(wire.InvalidResponseOf(resp, req.Secrets, kerr.Error()))
		}
		if req, err = msi.NewRequest(m.host, m.platform, m.id, resource, key); err != nil {
			return nil, &ConfigError{Field: "ManagedIdentity", Reason: err.Error()}
		}
		resp, err = msi.Do(ctx, m.client, req, m.retry)
	}
	if err != nil {
		return nil, networkError(err)
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, decodeError(resp, req.Secrets)
	}
	mt, err := msi.Decode(resp, resp.Sent)
	if err != nil {
		return nil, responseError(wire.InvalidResponseOf(resp, req.Secrets, err.Error()))
	}
	if m.host == msi.AzureArc {
		if err := msi.CheckArcIdentity(m.id, mt.Raw); err != nil {
			return nil, responseError(wire.InvalidResponseOf(resp, req.Secrets, err.Error()))
		}
	}
	t := &Token{}
	t.Token = *(&oauth2.Token{AccessToken: mt.AccessToken, TokenType: mt.TokenType,
		Expiry: mt.Expiry, ExpiresIn: mt.ExpiresIn}).WithExtra(mt.Raw)
	return t, nil
}
