package config

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/tomlkeys"
)

// decoder turns the generic TOML tree into a Config, reporting wrong
// types, bad values and unknown keys with their key paths and lines.
type decoder struct {
	file  string
	lines tomlkeys.Lines
	errs  []*Error
}

func (d *decoder) fail(key, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: d.lines.Line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// table is one TOML table being decoded.
type table struct {
	d     *decoder
	path  string
	m     map[string]any
	known []string
	used  map[string]bool
}

func (d *decoder) table(path string, m map[string]any) *table {
	return &table{d: d, path: path, m: m, used: map[string]bool{}}
}

func (t *table) key(k string) string { return tomlkeys.Join(t.path, k) }

// take returns the value of k and marks k as known and used.
func (t *table) take(k string) (any, bool) {
	t.known = append(t.known, k)
	v, ok := t.m[k]
	if ok {
		t.used[k] = true
	}
	return v, ok
}

// str decodes a non-empty string; it reports whether k was set and valid.
func (t *table) str(k string, dst *string) bool {
	var s string
	if !t.text(k, &s) {
		return false
	}
	if strings.TrimSpace(s) == "" {
		t.d.fail(t.key(k), "must not be empty")
		return false
	}
	*dst = s
	return true
}

// text decodes a string that may be empty; it reports whether k was set
// and valid.
func (t *table) text(k string, dst *string) bool {
	v, ok := t.take(k)
	if !ok {
		return false
	}
	s, ok := v.(string)
	if !ok {
		t.d.fail(t.key(k), "want a string, got %s", tomlkeys.TypeName(v))
		return false
	}
	*dst = s
	return true
}

// boolean decodes a boolean; it reports whether k was set and valid.
func (t *table) boolean(k string, dst *bool) bool {
	v, ok := t.take(k)
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		t.d.fail(t.key(k), "want true or false, got %s", tomlkeys.TypeName(v))
		return false
	}
	*dst = b
	return true
}

// integer decodes an integer, saturating values that do not fit in 32
// bits so that range checks reject them.
func (t *table) integer(k string, dst *int) bool {
	v, ok := t.take(k)
	if !ok {
		return false
	}
	n, ok := v.(int64)
	if !ok {
		t.d.fail(t.key(k), "want an integer, got %s", tomlkeys.TypeName(v))
		return false
	}
	*dst = int(max(min(n, math.MaxInt32), math.MinInt32))
	return true
}

// duration decodes a Go duration string such as "10s" or "2m".
func (t *table) duration(k string, dst *time.Duration) bool {
	v, ok := t.take(k)
	if !ok {
		return false
	}
	s, ok := v.(string)
	if !ok {
		t.d.fail(t.key(k), `want a duration string such as "10s" or "2m", got %s`, tomlkeys.TypeName(v))
		return false
	}
	dur, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		t.d.fail(t.key(k), `%q is not a duration (want e.g. "10s" or "2m")`, s)
		return false
	}
	*dst = dur
	return true
}

// keyList decodes one key string or a non-empty list of them, trimming
// spaces; it reports whether k was set and valid.
func (t *table) keyList(k string, dst *[]string) bool {
	v, ok := t.take(k)
	if !ok {
		return false
	}
	p := t.key(k)
	const want = `want a key string such as "ctrl+r" or a list of them`
	var keys []string
	switch v := v.(type) {
	case string:
		if strings.TrimSpace(v) == "" {
			t.d.fail(p, "must not be empty")
			return false
		}
		keys = []string{strings.TrimSpace(v)}
	case []any:
		if len(v) == 0 {
			t.d.fail(p, "must list at least one key")
			return false
		}
		for i, e := range v {
			s, ok := e.(string)
			switch {
			case !ok:
				t.d.fail(tomlkeys.Indexed(p, i+1), "want a key string, got %s", tomlkeys.TypeName(e))
				return false
			case strings.TrimSpace(s) == "":
				t.d.fail(tomlkeys.Indexed(p, i+1), "must not be empty")
				return false
			}
			keys = append(keys, strings.TrimSpace(s))
		}
	case []map[string]any:
		t.d.fail(tomlkeys.Indexed(p, 1), "want a key string, got a table")
		return false
	default:
		t.d.fail(p, "%s, got %s", want, tomlkeys.TypeName(v))
		return false
	}
	*dst = keys
	return true
}

// paths decodes an array of project or group path strings, which may be
// empty, trimming surrounding spaces and slashes; the paths themselves
// are checked later. It reports whether k was set and valid.
func (t *table) paths(k string, dst *[]string) bool {
	v, ok := t.take(k)
	if !ok {
		return false
	}
	p := t.key(k)
	var paths []string
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				t.d.fail(tomlkeys.Indexed(p, i+1), "want a path string, got %s", tomlkeys.TypeName(e))
				return false
			}
			paths = append(paths, trimPath(s))
		}
	case []map[string]any:
		t.d.fail(tomlkeys.Indexed(p, 1), "want a path string, got a table")
		return false
	default:
		t.d.fail(p, `want an array of paths such as ["group/project"], got %s`, tomlkeys.TypeName(v))
		return false
	}
	*dst = paths
	return true
}

// sub returns the sub-table k, or nil when it is absent or not a table.
func (t *table) sub(k string) *table {
	v, ok := t.take(k)
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.d.fail(t.key(k), "want a table ([%s]), got %s", headerName(t.key(k)), tomlkeys.TypeName(v))
		return nil
	}
	return t.d.table(t.key(k), m)
}

// list returns the elements of the array of tables k.
func (t *table) list(k string) []*table {
	v, ok := t.take(k)
	if !ok {
		return nil
	}
	var ms []map[string]any
	switch v := v.(type) {
	case []map[string]any:
		ms = v
	case []any:
		for i, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				t.d.fail(tomlkeys.Indexed(t.key(k), i+1), "want a table, got %s", tomlkeys.TypeName(e))
				return nil
			}
			ms = append(ms, m)
		}
	default:
		t.d.fail(t.key(k), "want an array of tables ([[%s]]), got %s", headerName(t.key(k)), tomlkeys.TypeName(v))
		return nil
	}
	out := make([]*table, len(ms))
	for i, m := range ms {
		out[i] = t.d.table(tomlkeys.Indexed(t.key(k), i+1), m)
	}
	return out
}

// finish reports the keys of t that nothing took, suggesting the known
// key a typo probably meant.
func (t *table) finish() {
	var unknown []string
	for k := range t.m {
		if !t.used[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		t.d.fail(t.key(k), "%s", tomlkeys.UnknownKey(k, t.known, ""))
	}
}

// decode fills c from the TOML tree root.
func (d *decoder) decode(root map[string]any, c *Config) {
	t := d.table("", root)
	t.boolean("read_only", &c.ReadOnly)
	t.str("state_dir", &c.StateDir)
	if p := t.sub("poll"); p != nil {
		p.boolean("discover_farms", &c.Poll.DiscoverFarms)
		p.duration("fast", &c.Poll.Fast)
		p.duration("slow", &c.Poll.Slow)
		p.duration("full_every", &c.Poll.FullEvery)
		p.duration("timeout", &c.Poll.Timeout)
		p.integer("page_size", &c.Poll.PageSize)
		p.integer("per_host", &c.Poll.PerHost)
		p.integer("max_body_mb", &c.Poll.MaxBodyMB)
		if p.str("repo_hashes", &c.Poll.RepoHashes) {
			c.Poll.RepoHashes = strings.ToLower(strings.TrimSpace(c.Poll.RepoHashes))
		}
		p.finish()
	}
	if u := t.sub("ui"); u != nil {
		if u.str("theme", &c.UI.Theme) {
			c.UI.Theme = strings.TrimSpace(c.UI.Theme)
		}
		u.str("theme_dir", &c.UI.ThemeDir)
		u.integer("fps", &c.UI.FPS)
		u.boolean("mouse", &c.UI.Mouse)
		u.boolean("bell", &c.UI.Bell)
		if u.text("log_file", &c.UI.LogFile) {
			c.UI.LogFile = strings.TrimSpace(c.UI.LogFile)
		}
		var ascii bool
		if u.boolean("ascii", &ascii) {
			c.UI.ASCII = &ascii
		}
		if u.text("banner", &c.UI.Banner) {
			c.UI.Banner = strings.TrimSpace(c.UI.Banner)
		}
		if u.text("banner_color", &c.UI.BannerColor) {
			c.UI.BannerColor = strings.TrimSpace(c.UI.BannerColor)
		}
		u.finish()
	}
	if a := t.sub("alerts"); a != nil {
		a.duration("max_lag", &c.Alerts.MaxLag)
		a.integer("max_queue", &c.Alerts.MaxQueue)
		a.integer("max_mismatches", &c.Alerts.MaxMismatches)
		a.integer("cert_days", &c.Alerts.CertDays)
		a.duration("max_lock", &c.Alerts.MaxLock)
		a.duration("max_clock_skew", &c.Alerts.MaxClockSkew)
		a.duration("mirror_last_seen", &c.Alerts.MirrorLastSeen)
		a.integer("min_success_rate", &c.Alerts.MinSuccessRate)
		a.finish()
	}
	if s := t.sub("serve"); s != nil {
		for _, f := range []struct {
			key string
			dst *string
		}{
			{"ssh_listen", &c.Serve.SSHListen},
			{"http_listen", &c.Serve.HTTPListen},
			{"authorized_keys", &c.Serve.AuthorizedKeys},
			{"host_key", &c.Serve.HostKey},
		} {
			if s.str(f.key, f.dst) {
				*f.dst = strings.TrimSpace(*f.dst)
			}
		}
		s.integer("max_sessions", &c.Serve.MaxSessions)
		s.duration("idle_timeout", &c.Serve.IdleTimeout)
		s.integer("fps", &c.Serve.FPS)
		s.finish()
	}
	if kt := t.sub("keys"); kt != nil {
		c.Keys = map[string][]string{}
		for _, action := range slices.Sorted(maps.Keys(kt.m)) {
			var keys []string
			if kt.keyList(action, &keys) {
				c.Keys[action] = keys
			}
		}
		kt.finish()
	}
	if p := t.sub("primary"); p != nil {
		d.target(p, &c.Primary)
		p.finish()
	}
	for _, ft := range t.list("farm") {
		f := Farm{SyncInterval: DefaultSyncInterval}
		ft.str("name", &f.Name)
		own := d.target(ft, &f.Target)
		ft.duration("sync_interval", &f.SyncInterval)
		if ft.str("node_url", &f.NodeURL) {
			f.NodeURL = strings.TrimSpace(f.NodeURL)
		}
		for _, nt := range ft.list("node") {
			var n Node
			nt.str("name", &n.Name)
			nt.str("url", &n.URL)
			nt.finish()
			f.Nodes = append(f.Nodes, n)
		}
		ft.finish()
		if f.Name != "" {
			c.own[f.Name] = own
		}
		c.Farms = append(c.Farms, f)
	}
	for _, nt := range t.list("notify") {
		n := Notify{Format: NotifyJSON, MinSeverity: "warning", RepeatEvery: DefaultRepeatEvery, SendResolved: true}
		nt.str("name", &n.Name)
		nt.secret("url", &n.URL)
		if nt.str("format", &n.Format) {
			n.Format = strings.ToLower(strings.TrimSpace(n.Format))
		}
		if nt.str("min_severity", &n.MinSeverity) {
			n.MinSeverity = strings.ToLower(strings.TrimSpace(n.MinSeverity))
		}
		nt.duration("repeat_every", &n.RepeatEvery)
		nt.boolean("send_resolved", &n.SendResolved)
		nt.finish()
		c.Notify = append(c.Notify, n)
	}
	for _, gt := range t.list("gitlab") {
		var g GitLab
		gt.str("name", &g.Name)
		if gt.str("url", &g.URL) {
			g.URL = strings.TrimSpace(g.URL)
		}
		gt.secret("token", &g.Token)
		gt.paths("projects", &g.Projects)
		gt.paths("groups", &g.Groups)
		gt.boolean("include_subgroups", &g.IncludeSubgroups)
		gt.str("ca_file", &g.TLS.CAFile)
		gt.boolean("insecure_skip_verify", &g.TLS.InsecureSkipVerify)
		gt.finish()
		c.GitLab = append(c.GitLab, g)
	}
	t.finish()
}

// target decodes the url, TLS and auth keys of a [primary] or [[farm]]
// table and reports which of them it set.
func (d *decoder) target(t *table, dst *Target) farmOwn {
	var own farmOwn
	if t.str("url", &dst.URL) {
		dst.URL = strings.TrimSpace(dst.URL)
	}
	own.caFile = t.str("ca_file", &dst.TLS.CAFile)
	own.insecure = t.boolean("insecure_skip_verify", &dst.TLS.InsecureSkipVerify)
	if a := t.sub("auth"); a != nil {
		own.auth = true
		dst.Auth = Auth{}
		if a.str("type", &dst.Auth.Type) {
			dst.Auth.Type = strings.ToLower(strings.TrimSpace(dst.Auth.Type))
		}
		a.str("user", &dst.Auth.User)
		a.secret("token", &dst.Auth.Token)
		a.secret("password", &dst.Auth.Password)
		a.finish()
	}
	return own
}

// secret decodes NAME, NAME_env, NAME_file and NAME_command.
func (t *table) secret(name string, dst *Secret) {
	t.str(name, &dst.Inline)
	t.str(name+"_env", &dst.Env)
	t.str(name+"_file", &dst.File)
	t.str(name+"_command", &dst.Command)
}

// headerName turns a key path into the name used in TOML headers by
// dropping array indexes: "farm[2].node" becomes "farm.node".
func headerName(path string) string {
	var b strings.Builder
	skip := false
	for _, r := range path {
		switch {
		case r == '[':
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}
