package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/ui"
)

// keepHistory loads the GitLab mirrors' conflict history of cfg's state
// folder into sh (a file that cannot be used is set aside, and said so in
// the log and as an event) and returns the function that keeps it: it
// saves after changes until ctx ends, then once more, and returns.
// Without a state folder the history lives only as long as the process.
func keepHistory(cfg *config.Config, sh *ui.Shared, log *slog.Logger) func(ctx context.Context) {
	h, notice, err := actions.LoadHistory(cfg.StateDir, true, time.Now())
	if err != nil {
		notice = err.Error() + "; the history starts afresh and is not saved"
	}
	if notice != "" {
		log.Warn(notice)
		sh.AddNotice("history", notice)
	}
	sh.RestoreHistory(h)
	if cfg.StateDir == "" || err != nil {
		return func(ctx context.Context) { <-ctx.Done() }
	}
	saver := ui.NewHistorySaver(sh, func(b []byte) error { return actions.SaveHistory(cfg.StateDir, b) }, 0, log)
	return saver.Run
}
