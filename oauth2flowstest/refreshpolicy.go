package oauth2flowstest

// RefreshTokenPolicy is what the refresh_token grant (RFC 6749 §6) does with
// the refresh token it was given.
type RefreshTokenPolicy int

const (
	// RotateRevokeFamily issues a new refresh token with every refresh and
	// treats a second use of an old one as theft: it is refused and every
	// token of its family is revoked (RFC 9700 §4.14.2). The default.
	RotateRevokeFamily RefreshTokenPolicy = iota + 1
	// RotateKeepOld issues a new refresh token with every refresh and keeps
	// the old one valid until it expires, as Microsoft Entra does: two
	// processes refreshing with the same token both succeed. The default
	// with [WithEntra].
	RotateKeepOld
	// NoRotation issues no new refresh token, so the client keeps using the
	// one it has (RFC 6749 §6: issuing a new one is optional).
	NoRotation
)

// WithRefreshTokenPolicy sets what a refresh does with the refresh token it
// was given; see [RefreshTokenPolicy]. It overrides the default of
// [WithEntra] whatever their order.
func WithRefreshTokenPolicy(p RefreshTokenPolicy) Option {
	return func(cfg *config) { cfg.refreshPolicy = p }
}

// refreshTokenPolicy is the policy in force: the one set, else the
// profile's default.
func (c *config) refreshTokenPolicy() RefreshTokenPolicy {
	switch {
	case c.refreshPolicy >= RotateRevokeFamily && c.refreshPolicy <= NoRotation:
		return c.refreshPolicy
	case c.entra != nil:
		return RotateKeepOld
	}
	return RotateRevokeFamily
}
