package wire

import (
	"context"
	"log/slog"
	"time"

	"github.com/oauth2flows/oauth2flows/internal/redact"
)

// logAttempt records one request to the authorization server on
// logger: endpoint (without query), grant, status, attempt and
// duration. Form values and headers are never logged, so no secret, code,
// assertion or token can reach the log.
func logAttempt(ctx context.Context, logger *slog.Logger, r *Request, n int, a attempt, d time.Duration) {
	if logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("endpoint", redact.URL(r.URL)),
		slog.String("kind", r.Kind),
		slog.Int("attempt", n),
		slog.Duration("duration", d),
	}
	if r.Grant != "" {
		attrs = append(attrs, slog.String("grant", r.Grant))
	}
	level := slog.LevelDebug
	switch {
	case a.err != nil:
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("error", a.err.Error())) // scrubbed by doOnce
	case a.resp.Status >= 400:
		level = slog.LevelInfo
		attrs = append(attrs, slog.Int("status", a.resp.Status))
	default:
		attrs = append(attrs, slog.Int("status", a.resp.Status))
	}
	logger.LogAttrs(ctx, level, "oauth2flows: authorization server request", attrs...)
}
