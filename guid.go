package oauth2flows

import "github.com/oauth2flows/oauth2flows/internal/guid"

// isGUID reports whether s has the 8-4-4-4-12 hex form of Entra tenant IDs.
func isGUID(s string) bool { return guid.Valid(s) }
