package doctor

import (
	"context"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
)

// Options tune Run.
type Options struct {
	// UserAgent is sent with every request.
	UserAgent string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// SettingsOf reads the checks' settings from a configuration.
func SettingsOf(cfg *config.Config) Settings {
	return Settings{CertDays: cfg.Alerts.CertDays, DiscoverFarms: cfg.Poll.DiscoverFarms, ReadOnly: cfg.ReadOnly,
		MaxClockSkew: cfg.Alerts.MaxClockSkew}
}

// Run polls every target of cfg once through the poller, makes the probes
// and returns the checks. Only a configuration the poller cannot set up
// (credentials that cannot be read, a bad ca_file) is an error.
func Run(ctx context.Context, cfg *config.Config, opts Options) (Report, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p, err := poller.New(ctx, cfg, poller.Options{UserAgent: opts.UserAgent})
	if err != nil {
		return Report{}, err
	}
	st := model.NewState(p.Spec())
	st.ApplyBatch(p.RunOnce(ctx))
	probes := NewProber(cfg, p, opts.UserAgent).Probe(ctx, Targets(st), GitLabProjects(st))
	return Checks(Input{State: st, Probes: probes, Settings: SettingsOf(cfg), Now: opts.Now()}), nil
}
