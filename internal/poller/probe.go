package poller

import (
	"context"
	"net/http"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// SSHSettings is the primary's SSH settings (RestSshSettings).
type SSHSettings struct {
	Enabled bool
	Port    int
	BaseURL string
}

type wireSSHSettings struct {
	Enabled flexBool   `json:"enabled"`
	Port    flexInt    `json:"port"`
	BaseURL flexString `json:"baseUrl"`
}

// SSHSettings reads GET /rest/ssh/latest/settings: whether the instance
// serves Git over SSH (mirrors sync from the primary over SSH).
func (c *Client) SSHSettings(ctx context.Context) (SSHSettings, error) {
	var w wireSSHSettings
	err := c.getJSON(ctx, "/rest/ssh/latest/settings", nil, &w)
	return SSHSettings{Enabled: bool(w.Enabled), Port: int(w.Port), BaseURL: string(w.BaseURL)}, err
}

// TokenInfo is what GitLab says of the token a client presents
// (GET /personal_access_tokens/self).
type TokenInfo struct {
	Name      string
	Scopes    []string
	Active    bool
	Revoked   bool
	ExpiresAt time.Time // zero when it never expires
}

type wireToken struct {
	Name      flexString   `json:"name"`
	Scopes    []flexString `json:"scopes"`
	Active    *bool        `json:"active"`
	Revoked   bool         `json:"revoked"`
	ExpiresAt flexString   `json:"expires_at"`
}

// TokenSelf reads the client's own token: its scopes and expiry. Tokens
// that are not personal, project or group access tokens (OAuth, job
// tokens) get an error answer.
func (c *GitLabClient) TokenSelf(ctx context.Context) (TokenInfo, error) {
	var w wireToken
	if _, err := c.get(ctx, "personal_access_tokens/self", nil, &w); err != nil {
		return TokenInfo{}, err
	}
	t := TokenInfo{Name: string(w.Name), Active: w.Active == nil || *w.Active, Revoked: w.Revoked}
	for _, s := range w.Scopes {
		t.Scopes = append(t.Scopes, string(s))
	}
	if v := string(w.ExpiresAt); v != "" {
		if at, err := time.Parse(time.DateOnly, v); err == nil {
			t.ExpiresAt = at
		} else if at, err := time.Parse(time.RFC3339, v); err == nil {
			t.ExpiresAt = at
		}
	}
	return t, nil
}

// PullMirrorAPI asks for one project's pull mirror and returns the HTTP
// status of the answer (200, or 400 "The project is not mirrored": the
// resource exists), or the error of a failure without one.
func (c *GitLabClient) PullMirrorAPI(ctx context.Context, project string) (int, error) {
	var w wireGitLabMirror
	_, err := c.get(ctx, projectPath(project)+"/mirror/pull", nil, &w)
	if err == nil {
		return http.StatusOK, nil
	}
	if st, ok := err.(model.HTTPStatusError); ok {
		return st.HTTPStatus(), err
	}
	return 0, err
}

// Project asks for one project and returns the HTTP status of the answer,
// or the error of a failure without one.
func (c *GitLabClient) Project(ctx context.Context, project string) (int, error) {
	var w struct{}
	_, err := c.get(ctx, projectPath(project), nil, &w)
	if err == nil {
		return http.StatusOK, nil
	}
	if st, ok := err.(model.HTTPStatusError); ok {
		return st.HTTPStatus(), err
	}
	return 0, err
}
