package poller

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// gitlabRareEvery is how often an instance's version and mirror settings
// are read: they change seldom.
const gitlabRareEvery = 10 * time.Minute

// Version reads the instance's version (GET /version).
func (c *GitLabClient) Version(ctx context.Context) (model.GitLabVersion, error) {
	var w struct {
		Version flexString `json:"version"`
	}
	if _, err := c.get(ctx, "version", nil, &w); err != nil {
		return model.GitLabVersion{}, err
	}
	v, ok := model.ParseGitLabVersion(string(w.Version))
	if !ok {
		return model.GitLabVersion{}, &RequestError{Method: http.MethodGet, Path: "version", Reason: "unreadable version " + v.Raw}
	}
	return v, nil
}

// MirrorSettings reads the instance's mirror settings from its
// application settings (GET /application/settings). Only an
// administrator's token may: GitLab's 403 to any other is the reading
// model.GitLabSettingsDenied, not an error.
func (c *GitLabClient) MirrorSettings(ctx context.Context) (any, error) {
	var w struct {
		MaxDelay          flexInt `json:"mirror_max_delay"`
		MaxCapacity       flexInt `json:"mirror_max_capacity"`
		CapacityThreshold flexInt `json:"mirror_capacity_threshold"`
	}
	_, err := c.get(ctx, "application/settings", nil, &w)
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusForbidden {
		return model.GitLabSettingsDenied{}, nil
	}
	if err != nil {
		return nil, err
	}
	return model.GitLabMirrorSettings{MaxDelay: int(w.MaxDelay), MaxCapacity: int(w.MaxCapacity), CapacityThreshold: int(w.CapacityThreshold)}, nil
}

// addGitLabInstance schedules the rare reads of an instance: its version
// and its mirror settings.
func (p *Poller) addGitLabInstance(t model.TargetID, c *GitLabClient) {
	every := max(gitlabRareEvery, p.cfg.Poll.Slow)
	p.add(t, model.EPGitLabVersion, every, func(ctx context.Context) []outcome {
		v, err := c.Version(ctx)
		if err != nil {
			return one(model.EPGitLabVersion, nil, err)
		}
		return one(model.EPGitLabVersion, v, nil)
	})
	p.add(t, model.EPGitLabSettings, every, func(ctx context.Context) []outcome {
		s, err := c.MirrorSettings(ctx)
		return one(model.EPGitLabSettings, s, err)
	})
}
