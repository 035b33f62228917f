// Package ctxkey holds the context key that package resource and the root
// package share, as golang.org/x/oauth2's internal package shares its
// HTTPClient key: resource's middleware stores the validated token under
// it, and the root's OBOCache.Middleware exchanges only a token found there.
package ctxkey

import "context"

// Validated is what resource's middleware stores for a request whose
// bearer token it validated.
type Validated struct {
	Token     string // the validated token, as received
	Principal any    // the resource package's *Principal
}

type validatedKey struct{}

// WithValidated returns ctx carrying v.
func WithValidated(ctx context.Context, v *Validated) context.Context {
	return context.WithValue(ctx, validatedKey{}, v)
}

// ValidatedFrom returns what WithValidated stored in ctx, or nil.
func ValidatedFrom(ctx context.Context) *Validated {
	if ctx == nil {
		return nil
	}
	v, _ := ctx.Value(validatedKey{}).(*Validated)
	return v
}
