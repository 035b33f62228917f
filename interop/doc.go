// Package interop runs the oauth2flows SDK against independent authorization
// servers on loopback (ory/fosite and zitadel/oidc's op package in-process,
// panva's oidc-provider under node), and MSAL Go and MSAL Python against
// oauth2flowstest's Entra profile. It holds only tests; see README.md for
// the quirks found.
package interop
