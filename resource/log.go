package resource

import (
	"context"
	"errors"
	"log/slog"

	"github.com/oauth2flows/oauth2flows"
)

// logRefusal writes the one record of a refused token to Config.Logger:
// its reason and detail, never the token, and hands its reason to
// Config.Observer. A refusal that is the token's fault is a warning; keys
// that could not be fetched, ours, an error.
func (v *Validator) logRefusal(ctx context.Context, err error) {
	if v.logger == nil && v.observer == nil {
		return
	}
	reason, detail, level := "no_token", "", slog.LevelInfo
	if ve := (*ValidationError)(nil); errors.As(err, &ve) {
		reason, detail, level = string(ve.Reason), ve.Detail, slog.LevelWarn
		switch ve.Reason {
		case ReasonExpired, ReasonNotYetValid, ReasonInsufficientScope:
			level = slog.LevelInfo
		case ReasonKeysUnavailable:
			level = slog.LevelError
			if ve.Err != nil {
				detail = ve.Err.Error() // the key set's URL and status
			}
		}
	}
	if v.observer != nil {
		v.observer.Observe(ctx, oauth2flows.Event{Kind: oauth2flows.EventValidatorRefusal, Reason: reason})
	}
	if v.logger == nil || !v.logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{slog.String("reason", reason)}
	if detail != "" {
		attrs = append(attrs, slog.String("detail", detail))
	}
	v.logger.LogAttrs(ctx, level, "oauth2flows: access token refused", attrs...)
}
