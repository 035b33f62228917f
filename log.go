package oauth2flows

import (
	"context"
	"log/slog"
	"time"
)

// logAttempt records one request to the authorization server on
// Config.Logger: endpoint (without query), grant, status, attempt and
// duration. Form values and headers are never logged, so no secret, code,
// assertion or token can reach the log.
func (c *Config) logAttempt(ctx context.Context, info sendInfo, attempt int, resp *response, err error, d time.Duration) {
	if c.Logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("endpoint", redactURL(info.url)),
		slog.String("kind", info.kind.String()),
		slog.Int("attempt", attempt),
		slog.Duration("duration", d),
	}
	if info.grant != "" {
		attrs = append(attrs, slog.String("grant", info.grant))
	}
	level := slog.LevelDebug
	switch {
	case err != nil:
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("error", err.Error()))
	case resp.status >= 400:
		level = slog.LevelInfo
		attrs = append(attrs, slog.Int("status", resp.status))
	default:
		attrs = append(attrs, slog.Int("status", resp.status))
	}
	c.Logger.LogAttrs(ctx, level, "oauth2flows: authorization server request", attrs...)
}
