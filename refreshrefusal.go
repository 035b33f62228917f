package oauth2flows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"golang.org/x/oauth2"
)

// A refresh token the server refused with invalid_grant (RFC 6749 §5.2) is
// never sent again: by this renewal, which remembers it, nor by another
// replica sharing its [TokenStore], which finds the refusal stored under
// the key in place of a token. With rotation and reuse detection (RFC 9700
// §4.14.2), each resend is one more reuse; without, it is a request that
// cannot succeed. The user gets an error matching [ErrReauthRequired] at
// once, as the [OBOCache] does for a refused assertion.

// refusedToken is the refresh token this renewal saw refused, and why.
type refusedToken struct {
	refreshToken string
	err          error
}

// refusalKeep is how long a stored refusal is kept: long past any retry of
// the replicas holding the refused token, after which one more request
// would find out again.
const refusalKeep = 24 * time.Hour

// refusedTokenType marks a stored refusal. Its access token, a hash of the
// refused refresh token, is never sent: a token of this type is not a
// bearer, and the value expired when it was written, so a replica that does
// not know the mark treats it as an expired token without a refresh token,
// which it cannot redeem either.
const refusedTokenType = "oauth2flows-refused"

// errRefreshRefused is the error of a renewal that finds its refresh token
// refused by another replica.
var errRefreshRefused = &refreshRefusedError{}

type refreshRefusedError struct{}

func (*refreshRefusedError) Error() string {
	return "oauth2flows: the refresh token was refused (invalid_grant) before, here or by another replica; the user must authenticate again"
}
func (*refreshRefusedError) Unwrap() error { return ErrReauthRequired }

// refusalOf is what is stored for refreshToken once it was refused.
func refusalOf(refreshToken string) *Token {
	return &Token{Token: oauth2.Token{AccessToken: refusalMark(refreshToken), TokenType: refusedTokenType, Expiry: time.Now()}}
}

func refusalMark(refreshToken string) string {
	sum := sha256.Sum256([]byte(refreshToken))
	return "refused:" + hex.EncodeToString(sum[:16])
}

// refusedBy returns the error of a renewal of cur that finds stored, when
// stored is a refusal that applies to it: any refusal, unless cur is a
// seed with another refresh token, a new sign-in, which replaces it.
func refusedBy(stored *Token, cur *tokenState) error {
	if stored == nil || stored.TokenType != refusedTokenType {
		return nil
	}
	if cur != nil && cur.unchecked && cur.tok.RefreshToken != "" && stored.AccessToken != refusalMark(cur.tok.RefreshToken) {
		return nil
	}
	return errRefreshRefused
}

// tokenOf returns stored, or nil when it is a refusal.
func tokenOf(stored *Token) *Token {
	if stored != nil && stored.TokenType == refusedTokenType {
		return nil
	}
	return stored
}

// refusedBefore returns the refusal of last's refresh token, if this
// renewal saw one.
func (r *renewal) refusedBefore(last *Token) error {
	if f := r.refused.Load(); f != nil && last != nil && last.RefreshToken == f.refreshToken {
		return f.err
	}
	return nil
}

// remember records err when it refuses last's refresh token for good
// (invalid_grant without a claims challenge).
func (r *renewal) remember(last *Token, err error) bool {
	if !r.spends || last == nil || last.RefreshToken == "" || !refusesAssertion(err, GrantTypeRefreshToken) {
		return false
	}
	r.refused.Store(&refusedToken{refreshToken: last.RefreshToken, err: err})
	return true
}

// storeRefusal stores the refusal of refreshToken under the lease.
func (r *renewal) storeRefusal(ctx context.Context, pol *renewPolicy, lease TokenLease, refreshToken string) {
	storeCall(ctx, r.calls(pol), "Store", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, lease.Store(ctx, refusalOf(refreshToken), time.Now().Add(refusalKeep))
	}, nil)
}
