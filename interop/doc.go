// Package interop runs the oauth2flows SDK against independent authorization
// servers (ory/fosite and zitadel/oidc's op package), started in-process on
// loopback, and MSAL Go against oauth2flowstest's Entra profile. It holds
// only tests; see README.md for the quirks found.
package interop
