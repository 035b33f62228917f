package msi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Request is one request to a managed identity endpoint.
type Request struct {
	Host    Host
	Method  string
	URL     string
	Header  http.Header
	Body    string   // form-encoded; Cloud Shell only
	Secrets []string // header values never to appear in an error
}

// NewRequest builds the request for a token for resource on host h, as
// MSAL Go sends it. arcKey is Azure Arc's secret, for the second request
// of its challenge; empty otherwise.
func NewRequest(h Host, p Platform, id ID, resource, arcKey string) (*Request, error) {
	resource = trimDefault(resource)
	if resource == "" {
		return nil, errors.New("empty resource")
	}
	if err := id.check(h); err != nil {
		return nil, err
	}
	r := &Request{Host: h, Method: http.MethodGet, Header: http.Header{}}
	q := url.Values{"resource": {resource}}
	var raw, name string
	switch h {
	case IMDS:
		raw, name = IMDSEndpoint, "IMDS endpoint"
		q.Set("api-version", imdsAPIVersion)
		r.Header.Set("Metadata", "true")
		id.selectIn(q, "msi_res_id")
	case AzureArc:
		raw, name = p.Getenv(EnvIdentityEndpoint), EnvIdentityEndpoint
		if raw == "" {
			raw = arcEndpoint
		}
		q.Set("api-version", arcAPIVersion)
		r.Header.Set("Metadata", "true")
		if arcKey != "" {
			r.Header.Set("Authorization", "Basic "+arcKey)
			r.Secrets = append(r.Secrets, arcKey)
		}
		// Arc honours IMDS's msi_res_id; it ignores mi_res_id.
		id.selectIn(q, "msi_res_id")
	case AppService:
		raw, name = p.Getenv(EnvIdentityEndpoint), EnvIdentityEndpoint
		q.Set("api-version", appServiceAPIVersion)
		secret := p.Getenv(EnvIdentityHeader)
		r.Header.Set("X-IDENTITY-HEADER", secret)
		r.Secrets = append(r.Secrets, secret)
		id.selectIn(q, "mi_res_id")
	case AzureML:
		raw, name = p.Getenv(EnvMSIEndpoint), EnvMSIEndpoint
		q.Set("api-version", azureMLAPIVersion)
		secret := p.Getenv(EnvMSISecret)
		r.Header.Set("secret", secret)
		r.Secrets = append(r.Secrets, secret)
		q.Set("clientid", p.Getenv(envDefaultClientID))
		if id.ClientID != "" {
			q.Set("clientid", id.ClientID)
		}
	case CloudShell:
		raw, name = p.Getenv(EnvMSIEndpoint), EnvMSIEndpoint
		r.Method = http.MethodPost
		r.Header.Set("Metadata", "true")
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Body, q = q.Encode(), url.Values{}
	case ServiceFabric:
		raw, name = p.Getenv(EnvIdentityEndpoint), EnvIdentityEndpoint
		q.Set("api-version", serviceFabricAPIVersion)
		r.Header.Set("Accept", "application/json")
		secret := p.Getenv(EnvIdentityHeader)
		r.Header.Set("Secret", secret)
		r.Secrets = append(r.Secrets, secret)
	default:
		return nil, fmt.Errorf("unknown host %q", h)
	}
	u, err := checkEndpoint(h, name, raw)
	if err != nil {
		return nil, err
	}
	// The endpoint's own query (none on any host today) stays.
	all := u.Query()
	for k, v := range q {
		all[k] = v
	}
	u.RawQuery = all.Encode()
	r.URL = u.String()
	return r, nil
}

// selectIn adds the user-assigned identity's selector to q; resIDName is
// how the host spells the resource ID.
func (id ID) selectIn(q url.Values, resIDName string) {
	switch {
	case id.ClientID != "":
		q.Set("client_id", id.ClientID)
	case id.ObjectID != "":
		q.Set("object_id", id.ObjectID)
	case id.ResourceID != "":
		q.Set(resIDName, id.ResourceID)
	}
}

// maxArcKey bounds Azure Arc's secret file, as MSAL does.
const maxArcKey = 4096

// ArcKey reads the secret Azure Arc's 401 challenge names: WWW-Authenticate
// "Basic realm=<path>", where path must be a .key file directly in the
// agent's token directory, of at most 4096 bytes (MSAL Go's checks): the
// server cannot make the client read any other file.
func ArcKey(p Platform, status int, header http.Header) (string, error) {
	if status != http.StatusUnauthorized {
		return "", fmt.Errorf("azure Arc answered %d, not the 401 challenge", status)
	}
	_, path, ok := strings.Cut(header.Get("WWW-Authenticate"), "Basic realm=")
	if !ok || path == "" {
		return "", errors.New("azure Arc's challenge has no Basic realm")
	}
	if p.ArcTokenDir == "" {
		return "", errors.New("azure Arc is not supported on this operating system")
	}
	if filepath.Ext(path) != ".key" || filepath.Dir(path) != filepath.Clean(p.ArcTokenDir) {
		return "", errors.New("azure Arc's challenge names a file outside its token directory")
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("azure Arc's key file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxArcKey+1))
	if err != nil {
		return "", fmt.Errorf("azure Arc's key file: %w", err)
	}
	if len(b) > maxArcKey {
		return "", errors.New("azure Arc's key file exceeds 4096 bytes")
	}
	return string(b), nil
}

// CheckArcIdentity fails when a user-assigned identity was asked of Azure
// Arc and the response does not name it: an agent without user-assigned
// support answers with the system-assigned identity instead (MSAL Go's
// verifyAzureArcUserAssignedIdentity).
func CheckArcIdentity(id ID, raw map[string]any) error {
	want, keys := id.ClientID, []string{"client_id"}
	switch {
	case id.ObjectID != "":
		want, keys = id.ObjectID, []string{"object_id"}
	case id.ResourceID != "":
		want, keys = id.ResourceID, []string{"msi_res_id", "mi_res_id"}
	case want == "":
		return nil
	}
	for _, k := range keys {
		if got, _ := raw[k].(string); got != "" && strings.EqualFold(got, want) {
			return nil
		}
	}
	return errors.New("azure Arc did not confirm the user-assigned identity asked for; the agent may have answered with the system-assigned one")
}

// httpRequest is r as an *http.Request bound to ctx.
func (r *Request) httpRequest(ctx context.Context) (*http.Request, error) {
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	return req, nil
}
