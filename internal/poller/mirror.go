package poller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/mirrortop/mirrortop/internal/model"
)

// DetectLayout finds which mirror REST layout the server speaks: 9.x answers
// GET /upstreamServer; 8.x and older answer GET /upstreamServers with the
// upstream's id, under which their other resources hang. The result is kept
// for the client's later mirror calls. Detections of one client run one at
// a time, and one that answered while this call waited, or less than a
// second ago, is reused, so that a first poll round, where several tasks
// need the layout at once, asks once.
func (c *Client) DetectLayout(ctx context.Context) (model.UpstreamServer, error) {
	start := c.now()
	c.detectMu.Lock()
	defer c.detectMu.Unlock()
	if !c.detectedAt.IsZero() && (!c.detectedAt.Before(start) || c.now().Sub(c.detectedAt) < time.Second) {
		return c.detected, nil
	}
	return c.detectLayout(ctx)
}

func (c *Client) detectLayout(ctx context.Context) (u model.UpstreamServer, err error) {
	defer func() {
		if err == nil {
			c.detected, c.detectedAt = u, c.now()
		}
	}()
	var w wireUpstream
	err = c.getJSON(ctx, mirroringPrefix+"upstreamServer", nil, &w)
	if err == nil && string(w.ID) != "" {
		c.setLayout(model.Layout9, string(w.ID))
		return model.UpstreamServer{ID: string(w.ID), BaseURL: string(w.BaseURL), State: upper(w.State), Layout: model.Layout9}, nil
	}
	var he *HTTPError
	if err != nil && !(errors.As(err, &he) && he.Status == http.StatusNotFound) {
		return model.UpstreamServer{}, err
	}
	var first *wireUpstream
	err = getPaged(ctx, c, mirroringPrefix+"upstreamServers", nil, func(w *wireUpstream) {
		if first == nil {
			v := *w
			first = &v
		}
	})
	if err != nil {
		return model.UpstreamServer{}, err
	}
	if first == nil || first.ID == "" {
		return model.UpstreamServer{}, &RequestError{Method: http.MethodGet, Path: mirroringPrefix + "upstreamServers", Reason: "mirror has no upstream server registered"}
	}
	c.setLayout(model.Layout8, string(first.ID))
	return model.UpstreamServer{ID: string(first.ID), BaseURL: string(first.BaseURL), State: upper(first.State), Layout: model.Layout8}, nil
}

func (c *Client) setLayout(l model.Layout, upstreamID string) {
	c.mu.Lock()
	c.layout, c.upstreamID = l, upstreamID
	c.mu.Unlock()
}

// Layout returns the detected layout and upstream id ("" before detection).
func (c *Client) Layout() (model.Layout, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.layout, c.upstreamID
}

// SetLayout tells the client the layout without detecting it, for clients of
// the same farm (nodes) once the farm's layout is known.
func (c *Client) SetLayout(l model.Layout, upstreamID string) { c.setLayout(l, upstreamID) }

// mirrorPath maps a 9.x resource (relative to the mirroring prefix) to the
// detected layout, detecting it first when needed.
func (c *Client) mirrorPath(ctx context.Context, res9 string) (string, error) {
	l, id := c.Layout()
	if l == model.LayoutUnknown {
		c.detectMu.Lock()
		if l, _ = c.Layout(); l == model.LayoutUnknown {
			if _, err := c.detectLayout(ctx); err != nil {
				c.detectMu.Unlock()
				return "", err
			}
		}
		c.detectMu.Unlock()
		l, id = c.Layout()
	}
	return MirrorPath(l, id, res9), nil
}

// MirrorPath maps a mirror resource named as in the 9.x layout (relative to
// /rest/mirroring/latest/, e.g. "progress", "syncSettings/projects/3",
// "mirrorRepos/12") to its path in the given layout: 9.x paths are kept,
// 8.x ones hang off /upstreamServers/{upstreamID}/ with settings for
// syncSettings and repos for mirrorRepos.
func MirrorPath(l model.Layout, upstreamID, res9 string) string {
	if l != model.Layout8 {
		return mirroringPrefix + res9
	}
	base := mirroringPrefix + "upstreamServers/" + url.PathEscape(upstreamID) + "/"
	switch {
	case res9 == "syncSettings" || strings.HasPrefix(res9, "syncSettings/"):
		return base + "settings" + strings.TrimPrefix(res9, "syncSettings")
	case strings.HasPrefix(res9, "mirrorRepos/"):
		return base + "repos/" + strings.TrimPrefix(res9, "mirrorRepos/")
	default:
		return base + res9
	}
}

// Progress reads the farm's sync progress.
func (c *Client) Progress(ctx context.Context) (model.Progress, error) {
	p, err := c.mirrorPath(ctx, "progress")
	if err != nil {
		return model.Progress{}, err
	}
	var w wireProgress
	err = c.getJSON(ctx, p, nil, &w)
	return model.Progress{Discovering: bool(w.Discovering), SyncedRepos: int(w.SyncedRepos), TotalRepos: int(w.TotalRepos)}, err
}

// FarmNodes lists the farm's members (cluster addresses, not HTTP).
func (c *Client) FarmNodes(ctx context.Context) ([]model.ClusterNode, error) {
	p, err := c.mirrorPath(ctx, "farmNodes")
	if err != nil {
		return nil, err
	}
	var ws []wireClusterNode
	if err := c.getJSON(ctx, p, nil, &ws); err != nil {
		return nil, err
	}
	out := make([]model.ClusterNode, 0, len(ws))
	for _, w := range ws {
		out = append(out, model.ClusterNode{ID: string(w.ID), Name: string(w.Name), Address: string(w.Address.Address),
			Port: int(w.Address.Port), BuildVersion: string(w.BuildVersion), Local: bool(w.Local)})
	}
	return out, nil
}

// SyncSettings reads which projects the farm mirrors.
func (c *Client) SyncSettings(ctx context.Context) (model.SyncSettings, error) {
	p, err := c.mirrorPath(ctx, "syncSettings")
	if err != nil {
		return model.SyncSettings{}, err
	}
	var w wireSettings
	if err := c.getJSON(ctx, p, nil, &w); err != nil {
		return model.SyncSettings{}, err
	}
	s := model.SyncSettings{Mode: upper(w.Mode), ProjectIDs: make([]string, 0, len(w.ProjectIDs))}
	for _, id := range w.ProjectIDs {
		if id != "" {
			s.ProjectIDs = append(s.ProjectIDs, string(id))
		}
	}
	return s, nil
}

// RepoSyncStatus lists the sync status of every repository on the node that
// answers (all pages). Pages in the documented shape are read by a scanner
// without reflection (scan.go); any other page is decoded leniently.
func (c *Client) RepoSyncStatus(ctx context.Context) ([]*model.RepoSyncStatus, error) {
	return bigList(ctx, c, mirroringPrefix+"supportInfo/repoSyncStatus", &c.prevSync, scanSyncStatusPage, decodeSyncStatusPage)
}

// decodeSyncStatusPage decodes a page of sync statuses the general
// (lenient) way, appending to out.
func decodeSyncStatusPage(raw []byte, out []*model.RepoSyncStatus) ([]*model.RepoSyncStatus, pageMeta, int, bool, error) {
	var p page[wireSyncStatus]
	if err := unmarshal(raw, &p); err != nil {
		return out, pageMeta{}, 0, false, err
	}
	for i := range p.Values {
		out = append(out, heapCopy(p.Values[i].model()))
	}
	return out, p.pageMeta, len(p.Values), false, nil
}

// RefChangesQueue lists the waiting items of the farm's ref-changes queue
// (up to the server's dump size). It accepts the documented {"values":[…]}
// object, a page, or a bare array.
func (c *Client) RefChangesQueue(ctx context.Context) ([]model.QueueItem, error) {
	var ws []wireQueueItem
	err := c.getWhole(ctx, &answerBufs, mirroringPrefix+"supportInfo/refChangesQueue", nil, func(body []byte) error {
		if bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
			return unmarshal(body, &ws)
		}
		var obj struct {
			Values []wireQueueItem `json:"values"`
		}
		err := unmarshal(body, &obj)
		ws = obj.Values
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]model.QueueItem, 0, len(ws))
	for _, w := range ws {
		out = append(out, model.QueueItem{ExternalRepoID: string(w.ExternalRepoID), Type: upper(w.Type),
			Attempt: int(w.Attempt), CreatedAt: w.CreatedAt.Time()})
	}
	return out, nil
}

// RefChangesQueueCount reads how many items wait in the farm's queue. The
// payload is untyped in the spec: a bare number, a string holding one, or an
// object with a count, size or value field are all accepted.
func (c *Client) RefChangesQueueCount(ctx context.Context) (int, error) {
	n := -1
	err := c.getWhole(ctx, &answerBufs, mirroringPrefix+"supportInfo/refChangesQueue/count", nil, func(body []byte) error {
		t := string(bytes.TrimSpace(body))
		if strings.HasPrefix(t, "{") {
			var obj map[string]flexString
			if err := unmarshal(body, &obj); err != nil {
				return err
			}
			for _, k := range []string{"count", "size", "value", "total"} {
				if v, ok := obj[k]; ok {
					t = string(v)
					break
				}
			}
		} else {
			var s flexString
			if err := unmarshal(body, &s); err != nil {
				return err
			}
			t = string(s)
		}
		v, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil || v < 0 {
			return &json.UnmarshalTypeError{Value: "value " + strconv.Quote(oneLine(t)), Type: intType}
		}
		n = v
		return nil
	})
	return n, err
}

// RepoLockOwners lists repositories whose sync lock a node holds (9.x).
// Servers without the resource give ErrUnsupported.
func (c *Client) RepoLockOwners(ctx context.Context) ([]model.LockOwner, error) {
	var ws []wireLockOwner
	if err := optional(c.getJSON(ctx, mirroringPrefix+"supportInfo/repo-lock-owners", nil, &ws)); err != nil {
		return nil, err
	}
	out := make([]model.LockOwner, 0, len(ws))
	for _, w := range ws {
		out = append(out, model.LockOwner{ExternalRepoID: string(w.ExternalRepositoryID), NodeID: string(w.NodeID),
			RequestID: string(w.RequestID), ThreadName: string(w.ThreadName), AcquiredAt: w.LockAcquireTime.Time()})
	}
	return out, nil
}

// DelayedSync lists repositories not synced on some node for longer than
// threshold (9.5+, needs diagnostics enabled on the mirror). Servers without
// the resource, or with the feature off, give ErrUnsupported.
func (c *Client) DelayedSync(ctx context.Context, threshold time.Duration, limit int) ([]model.DelayedRepo, error) {
	q := url.Values{"limit": {strconv.Itoa(min(max(limit, 1), 100))}}
	if threshold > 0 {
		q.Set("delayThreshold", threshold.String())
	}
	var ws []wireDelayed
	if err := optional(c.getJSON(ctx, mirroringPrefix+"mirrorRepos/delayed-sync", q, &ws)); err != nil {
		return nil, err
	}
	out := make([]model.DelayedRepo, 0, len(ws))
	for _, w := range ws {
		out = append(out, model.DelayedRepo{RepositoryID: string(w.RepositoryID), ProjectKey: string(w.ProjectKey), Slug: string(w.RepositorySlug)})
	}
	return out, nil
}

// optional turns "this server has no such resource" answers into ErrUnsupported.
func optional(err error) error {
	var he *HTTPError
	if errors.As(err, &he) && (he.Status == http.StatusNotFound || he.Status == http.StatusConflict || he.Status == http.StatusMethodNotAllowed) {
		return ErrUnsupported
	}
	return err
}

var intType = reflect.TypeFor[int]()

// MirrorRepo reads one repository's status and clone URLs on the node that
// answers (9.x /mirrorRepos/{id}, 8.x /upstreamServers/{id}/repos/{id}).
func (c *Client) MirrorRepo(ctx context.Context, upstreamRepoID string) (model.MirroredRepo, error) {
	p, err := c.mirrorPath(ctx, "mirrorRepos/"+url.PathEscape(upstreamRepoID))
	if err != nil {
		return model.MirroredRepo{}, err
	}
	var w wireMirroredRepo
	if err := c.getJSON(ctx, p, nil, &w); err != nil {
		return model.MirroredRepo{}, err
	}
	return w.model(), nil
}

// ErrDiagnosticsOff is OutOfSyncRepos's answer when the mirror has the
// resource but not the feature (plugin.mirroring.repository.diagnostics.sync.enabled
// is false): a setting, not a failure.
var ErrDiagnosticsOff = errors.New("diagnostics off on this farm")

// OutOfSyncRepos lists the upstream ids of the repositories this node
// reports out of sync (9.x supportInfo/out-of-sync-repos/content). The
// published schema of the answer is only "string", so the body is decoded
// tolerantly: a JSON array of strings or numbers, a page object with
// values, a JSON string, or plain text, each holding ids separated by
// commas or white space. A 409 (or an error saying the feature is not
// enabled) gives ErrDiagnosticsOff; servers without the resource (8.x)
// give ErrUnsupported.
func (c *Client) OutOfSyncRepos(ctx context.Context) ([]string, error) {
	var ids []string
	err := c.getWhole(ctx, &answerBufs, mirroringPrefix+"supportInfo/out-of-sync-repos/content", nil, func(raw []byte) error {
		var err error
		ids, err = parseOutOfSync(raw)
		return err
	})
	var he *HTTPError
	switch {
	case errors.As(err, &he) && (he.Status == http.StatusConflict ||
		(he.Status >= 400 && he.Status < 500 && he.Status != http.StatusUnauthorized && he.Status != http.StatusForbidden &&
			strings.Contains(strings.ToLower(he.Message), "not enabled"))):
		return nil, ErrDiagnosticsOff
	case errors.As(err, &he) && (he.Status == http.StatusNotFound || he.Status == http.StatusMethodNotAllowed):
		return nil, ErrUnsupported
	case err != nil:
		return nil, err
	}
	return ids, nil
}

// parseOutOfSync decodes an out-of-sync-repos answer (see OutOfSyncRepos).
func parseOutOfSync(raw []byte) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return []string{}, nil
	}
	var list []flexString
	switch raw[0] {
	case '[':
		if err := unmarshal(raw, &list); err != nil {
			return nil, err
		}
	case '{':
		var pg struct {
			Values []flexString `json:"values"`
		}
		if err := unmarshal(raw, &pg); err != nil {
			return nil, err
		}
		list = pg.Values
	case '"':
		var s string
		if err := unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return parseOutOfSync([]byte(s))
	default:
		out := []string{}
		for _, f := range strings.FieldsFunc(string(raw), func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) }) {
			if _, err := strconv.ParseInt(f, 10, 64); err != nil {
				return nil, &json.UnmarshalTypeError{Value: "text " + strconv.Quote(oneLine(f)), Type: reflect.TypeFor[[]string]()}
			}
			out = append(out, f)
		}
		return out, nil
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s != "" {
			out = append(out, string(s))
		}
	}
	return out, nil
}
