package oauth2flows

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/oauth2flows/oauth2flows/internal/redact"
)

// PushAuthCodeURL pushes the authorization request [AuthCodeURL] would put
// in the URL (RFC 9126 §2.1) to Endpoint.PushedAuthURL: response_type,
// client_id, redirect_uri, scope, state, the PKCE challenge of [WithPKCE],
// and what [WithResource], [WithAudience], [WithClaims] and [WithParam] add.
// The client authenticates through the same poster as at the token
// endpoint, and client_id is in the body as well (§2.1); with a
// certificate it posts to Endpoint.MTLSPushedAuthURL when that is set
// (RFC 8705 §5). It returns the URL to send the user to: Endpoint.AuthURL
// (with any query it already had) plus client_id and the request_uri the
// server issued (§4), and nothing else, so nothing of the request is
// exposed in the browser. With Config.RequestObjectKey (JAR), it pushes
// only client_id and the signed request object holding every parameter
// (RFC 9126 §3, RFC 9101 §4).
//
// Use it whenever the server supports it, and always when
// Endpoint.RequirePushedAuthRequests is set: [AuthCodeURL] and
// [BuildAuthCodeURL] then refuse to build a URL the server would refuse.
// The request_uri is short-lived (often 60 s) and single use: push right
// before redirecting the user. Errors are an [*Error] from the server, a
// [*ConfigError] for what was refused before sending, an
// [*InvalidResponseError] for a response without request_uri or
// expires_in (both REQUIRED), or a
// [*NetworkError].
func PushAuthCodeURL(ctx context.Context, cfg *Config, state string, opts ...Option) (string, error) {
	const op = "PushAuthCodeURL"
	pu, params, err := authorizeParams(op, cfg, "code", state, collect(opts))
	if err != nil {
		return "", withOp(op, err)
	}
	if params, err = requestObjectParams(cfg, params, false); err != nil { // RFC 9126 §3
		return "", withOp(op, err)
	}
	// The options are already in params; the poster gets none, so that it
	// adds nothing (a code_verifier above all) to the pushed request.
	resp, secrets, err := post(ctx, cfg, &request{op: op, kind: parEndpoint, form: params}, &options{})
	if err != nil {
		return "", err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return "", decodeError(resp, secrets)
	}
	bad := func(reason string) error {
		return &InvalidResponseError{StatusCode: resp.Status, ContentType: redact.SafeText(resp.Header.Get("Content-Type"), secrets, 64),
			Reason: reason + " (RFC 9126 §2.2)"}
	}
	if resp.TooLarge {
		return "", bad("body exceeds 1 MiB")
	}
	var par struct {
		RequestURI string          `json:"request_uri"`
		ExpiresIn  json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(resp.Body, &par); err != nil {
		return "", bad("not a pushed authorization response")
	}
	if par.RequestURI == "" || strings.ContainsAny(par.RequestURI, "\x00\r\n") {
		return "", bad("no usable request_uri")
	}
	if n, err := strconv.ParseInt(string(par.ExpiresIn), 10, 64); err != nil || n <= 0 {
		return "", bad("expires_in, REQUIRED, is missing or not a positive number of seconds")
	}
	q, _ := url.ParseQuery(pu.RawQuery) // checked by authorizeParams
	q.Set("client_id", cfg.ClientID)
	q.Set("request_uri", par.RequestURI)
	pu.RawQuery = q.Encode()
	return pu.String(), nil
}
