// Package jws holds the JSON Web Signature primitives shared by client
// assertions (RFC 7523) and DPoP proofs (RFC 9449): choosing an algorithm
// for a key, signing through crypto.Signer so that HSM and KMS keys work
// (only Public and Sign are called), the public JWK of a key (RFC 7517) and
// its SHA-256 thumbprint (RFC 7638), and certificate thumbprints
// (RFC 7515 §4.1.8).
package jws
