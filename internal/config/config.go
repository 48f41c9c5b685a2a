// Package config loads mirrortop's TOML configuration, applies command-line
// quick flags over it, and resolves credentials from the environment, files
// or commands.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/tomlkeys"
	"github.com/mirrortop/mirrortop/themes"
)

// Defaults applied to settings the configuration leaves out.
const (
	// DefaultFast is the interval of the fast poll loop (status, progress, queue count).
	DefaultFast = 10 * time.Second
	// DefaultSlow is the interval of the slow poll loop (repository hashes,
	// repository sync status, mirror servers, mirroring requests).
	DefaultSlow = 2 * time.Minute
	// DefaultFullEvery bounds how long the heavy lists go unfetched while
	// the cheap signals show no change.
	DefaultFullEvery = 10 * time.Minute
	// DefaultTimeout bounds a single HTTP request.
	DefaultTimeout = 15 * time.Second
	// DefaultPageSize is the page size requested from paged REST resources.
	DefaultPageSize = 1000
	// DefaultPerHost is the maximum number of concurrent requests per host.
	DefaultPerHost = 4
	// DefaultMaxBodyMB is the maximum size of a response body, in MiB.
	DefaultMaxBodyMB = 64
	// DefaultSyncInterval is the mirror's
	// plugin.mirroring.synchronization.interval when a farm does not say.
	DefaultSyncInterval = 3 * time.Minute
	// DefaultTheme is the colour theme used when [ui] names none.
	DefaultTheme = "dark"
	// DefaultFPS is the frame rate cap of the console.
	DefaultFPS = 20
	// DefaultMaxLag is the age beyond which a mismatch is an alert.
	DefaultMaxLag = 10 * time.Minute
	// DefaultMaxQueue is the queue depth beyond which a farm is an alert.
	DefaultMaxQueue = 500
	// DefaultMaxMismatches is the number of mismatches in a farm beyond
	// which it is an alert.
	DefaultMaxMismatches = 50
	// DefaultCertDays is how many days before a TLS certificate expires
	// it becomes an alert.
	DefaultCertDays = 14
	// DefaultMaxLock is how long a repository sync lock may be held before
	// it is an alert (a stuck sync).
	DefaultMaxLock = 10 * time.Minute
	// DefaultMaxClockSkew is how far a mirror node's clock may be off the
	// primary's before it is an alert: past 30 s a mirror cannot
	// authenticate to the primary.
	DefaultMaxClockSkew = 30 * time.Second
	// DefaultMirrorLastSeen is how long the primary may not have seen a
	// mirror before it is an alert.
	DefaultMirrorLastSeen = 10 * time.Minute
	// DefaultMinSuccessRate is the percentage of a GitLab mirror's updates
	// that must succeed, below which it is an alert.
	DefaultMinSuccessRate = 90
	// DefaultMaxSessions is how many console sessions a served console
	// holds at once.
	DefaultMaxSessions = 50
	// DefaultIdleTimeout is how long a served console session may go
	// without input before it is closed.
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultServeFPS is the frame rate cap of a served session.
	DefaultServeFPS = 60
	// HostKeyFile is the name of the SSH host key file in the state
	// folder when [serve] host_key is not set.
	HostKeyFile = "host_key"
)

// Auth types.
const (
	AuthBasic  = "basic"  // AuthBasic is HTTP basic auth with a user and password.
	AuthBearer = "bearer" // AuthBearer is a bearer token, such as an HTTP access token.
	AuthNone   = "none"   // AuthNone sends no credentials.
)

// Repository hash polling modes for Poll.RepoHashes.
const (
	RepoHashesAuto = "auto" // RepoHashesAuto polls repository hashes when available.
	RepoHashesOff  = "off"  // RepoHashesOff never polls repository hashes.
)

// Limits of the numeric [poll] settings.
const (
	minPageSize, maxPageSize   = 1, 10000
	minPerHost, maxPerHost     = 1, 64
	minMaxBodyMB, maxMaxBodyMB = 1, 4096
	minFPS, maxFPS             = 1, 60
	minSessions, maxSessions   = 1, 10000
)

// Config is mirrortop's complete configuration.
type Config struct {
	// Path is the file the configuration was loaded from; "" when it was
	// built from flags only.
	Path string
	// ReadOnly disables every action that changes server state.
	ReadOnly bool
	// StateDir holds what mirrortop keeps between runs: the audit log and
	// acknowledged alerts ($XDG_STATE_HOME/mirrortop, else
	// ~/.local/state/mirrortop).
	StateDir string
	// Poll holds the polling settings.
	Poll Poll
	// Primary is the primary Bitbucket server.
	Primary Target
	// Farms are the mirror farms, in configuration order.
	Farms []Farm
	// GitLab are the GitLab instances whose pull and push mirrors are
	// watched, in configuration order.
	GitLab []GitLab
	// UI holds the console settings.
	UI UI
	// Alerts holds the alert thresholds.
	Alerts Alerts
	// Serve holds the settings of serving the console to a team.
	Serve Serve
	// Notify are the webhooks `mirrortop serve` sends alerts to, in
	// configuration order.
	Notify []Notify
	// Keys maps action names to their keys (Bubble Tea key strings such as
	// "ctrl+r"), in the order written; nil when there is no [keys] table.
	// The action names are not checked here.
	Keys map[string][]string
	// Warnings are non-fatal findings worth showing to the user.
	Warnings []string

	// lines maps key paths to the line defining them in Path.
	lines tomlkeys.Lines
	// own records, per farm name, which settings the farm set itself
	// rather than inheriting them from the primary.
	own map[string]farmOwn
}

// Poll holds the polling settings.
type Poll struct {
	// Fast is the interval for status, progress and queue counts.
	Fast time.Duration
	// Slow is the interval for repository hashes, repository sync status,
	// mirror servers and mirroring requests.
	Slow time.Duration
	// Timeout bounds a single request.
	Timeout time.Duration
	// PageSize is the requested page size of paged resources.
	PageSize int
	// PerHost is the maximum number of concurrent requests per host.
	PerHost int
	// MaxBodyMB is the maximum response body size in MiB.
	MaxBodyMB int
	// RepoHashes is "auto" or "off".
	RepoHashes string
	// FullEvery bounds how long the heavy lists (the primary's repositories,
	// each node's repoSyncStatus) go without a fetch when the cheap signals
	// show no change; 0 fetches them every Slow interval regardless.
	FullEvery time.Duration
	// DiscoverFarms, when true, also watches the farms the primary lists
	// in mirrorServers that are not configured, through their base URL
	// with the primary's credentials.
	DiscoverFarms bool
}

// UI holds the console settings.
type UI struct {
	// Theme names a colour theme: a built-in one or the stem of a file in
	// ThemeDir.
	Theme string
	// ThemeDir is the folder of user themes, "~" expanded; "" only when no
	// home directory is known.
	ThemeDir string
	// FPS caps the frame rate, 1 to 60.
	FPS int
	// Mouse turns on mouse support: the wheel scrolls, a click selects a tab
	// or a row and a second click opens the row.
	Mouse bool
	// Bell rings the terminal bell on a new alert.
	Bell bool
	// LogFile is the file to log to, "~" expanded; "" for no log.
	LogFile string
	// ASCII draws the state glyphs in ASCII; nil when not set (then the
	// locale decides: see ASCIIGlyphs).
	ASCII *bool
	// Banner names the context (e.g. "PROD"), shown first in the header.
	Banner string
	// BannerColor is the banner's colour: a theme colour name (text,
	// muted, accent, ok, warn, bad), an ANSI index or #rrggbb; "" is warn.
	BannerColor string
}

// ASCIIGlyphs reports whether the console draws its state glyphs in ASCII:
// as [ui] ascii says, else when the locale (LC_ALL, else LC_CTYPE, else
// LANG, as getenv gives them) is not UTF-8.
func (u UI) ASCIIGlyphs(getenv func(string) string) bool {
	if u.ASCII != nil {
		return *u.ASCII
	}
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := getenv(k); v != "" {
			v = strings.ToLower(v)
			return !strings.Contains(v, "utf-8") && !strings.Contains(v, "utf8")
		}
	}
	return true
}

// Alerts holds the alert thresholds; a zero threshold turns its alert off.
type Alerts struct {
	// MaxLag is the age beyond which a mismatch is an alert.
	MaxLag time.Duration
	// MaxQueue is the queue depth beyond which a farm is an alert.
	MaxQueue int
	// MaxMismatches is the number of mismatches in a farm beyond which it
	// is an alert.
	MaxMismatches int
	// CertDays: a TLS certificate that expires within this many days is an
	// alert; 0 disables.
	CertDays int
	// MaxLock: a repository sync lock held longer than this is an alert
	// (a stuck sync); 0 disables.
	MaxLock time.Duration
	// MaxClockSkew: a mirror node whose clock is further than this off the
	// primary's is an alert; 0 disables.
	MaxClockSkew time.Duration
	// MirrorLastSeen: a mirror the primary has not seen for longer than
	// this is an alert; 0 disables.
	MirrorLastSeen time.Duration
	// MinSuccessRate: a GitLab mirror whose observed updates of the last
	// 24 hours succeeded less often than this percentage is an alert
	// (once at least MinSuccessUpdates ended); 0 disables.
	MinSuccessRate int
}

// Thresholds are the alert thresholds as the model judges with them.
func (a Alerts) Thresholds() model.Thresholds {
	return model.Thresholds{MaxLag: a.MaxLag, MaxQueue: a.MaxQueue, MaxMismatches: a.MaxMismatches, CertDays: a.CertDays,
		MaxLock: a.MaxLock, MaxClockSkew: a.MaxClockSkew, MirrorLastSeen: a.MirrorLastSeen, MinSuccessRate: float64(a.MinSuccessRate) / 100}
}

// Notify is one webhook alerts are sent to ([[notify]]).
type Notify struct {
	// Name names it in logs (the URL is a secret); "" for notify[N].
	Name string
	// URL is where alerts are posted; a secret (url, url_env, url_file,
	// url_command).
	URL Secret
	// Format is NotifyJSON or NotifySlack.
	Format string
	// MinSeverity is the least severity sent: "warning" or "critical".
	MinSeverity string
	// RepeatEvery resends an alert still firing this often (0: never).
	RepeatEvery time.Duration
	// SendResolved sends an alert's clearing too.
	SendResolved bool
}

// The webhook formats.
const (
	// NotifyJSON posts one JSON object per alert (see internal/notify).
	NotifyJSON = "json"
	// NotifySlack posts {"text": …}, which Slack's incoming webhooks and
	// Mattermost's, and others that copy them, take.
	NotifySlack = "slack"
	// DefaultRepeatEvery is how often a still-firing alert is resent.
	DefaultRepeatEvery = 4 * time.Hour
)

// Serve holds the settings of serving one poller's console to a team
// over SSH and HTTP.
type Serve struct {
	// SSHListen is the host:port to accept SSH connections on; "" for
	// none.
	SSHListen string
	// HTTPListen is the host:port of the HTTP side (health, readiness,
	// snapshot); "" for none.
	HTTPListen string
	// AuthorizedKeys is the OpenSSH authorized_keys file of the keys let
	// in, "~" expanded; "" when not set.
	AuthorizedKeys string
	// HostKey is the SSH host key file, "~" expanded; "" for HostKeyFile
	// in the state folder (see Config.HostKeyPath).
	HostKey string
	// MaxSessions is how many sessions are held at once, 1 to 10000.
	MaxSessions int
	// IdleTimeout closes a session without input for this long; 0 never
	// does.
	IdleTimeout time.Duration
	// FPS caps a served session's frame rate, 1 to 60 (a key's frame
	// waits for the next frame tick: up to 17 ms at 60).
	FPS int
}

// HostKeyPath is the SSH host key file: [serve] host_key, else
// HostKeyFile in the state folder; "" when neither is known.
func (c *Config) HostKeyPath() string {
	if c.Serve.HostKey != "" {
		return c.Serve.HostKey
	}
	if c.StateDir == "" {
		return ""
	}
	return filepath.Join(c.StateDir, HostKeyFile)
}

// Target is an HTTP endpoint together with how to reach it.
type Target struct {
	// URL is the absolute http(s) base URL without a trailing slash.
	URL string
	// Auth says how to authenticate.
	Auth Auth
	// TLS holds the TLS settings.
	TLS TLS
}

// TLS holds the TLS settings of a target.
type TLS struct {
	// CAFile is a PEM file of extra trusted CA certificates; "" for none.
	CAFile string
	// InsecureSkipVerify turns off certificate verification.
	InsecureSkipVerify bool
}

// Farm is a mirror farm: a load-balanced URL and the nodes behind it.
type Farm struct {
	// Name identifies the farm; unique.
	Name string
	// Target is the farm's load balancer; its Auth and TLS default to the
	// primary's.
	Target Target
	// SyncInterval is the mirror's synchronization interval.
	SyncInterval time.Duration
	// Nodes are the farm's nodes, addressed directly.
	Nodes []Node
	// NodeURL, when set, is a URL template every /farmNodes member is
	// polled at (see ExpandNodeURL); listed Nodes win over members of the
	// same name.
	NodeURL string
}

// Node is one mirror node of a farm.
type Node struct {
	// Name identifies the node within its farm.
	Name string
	// URL is the node's own HTTP base URL.
	URL string
}

// GitLab is a GitLab instance and the projects whose mirrors are watched.
type GitLab struct {
	// Name identifies the instance; unique among GitLab entries.
	Name string
	// URL is the absolute http(s) base URL without a trailing slash; the
	// REST API is URL + "/api/v4".
	URL string
	// Token is the access token; it defaults to the GITLAB_TOKEN
	// environment variable.
	Token Secret
	// Projects are full project paths such as "group/project".
	Projects []string
	// Groups are group paths whose projects with mirrors are watched.
	Groups []string
	// IncludeSubgroups also watches the projects of the groups' subgroups.
	IncludeSubgroups bool
	// TLS holds the TLS settings; they are not inherited from the primary.
	TLS TLS
}

// farmOwn records which settings a farm configured itself.
type farmOwn struct {
	auth, caFile, insecure bool
}

// Error is a configuration error. Its text names the file, the line and
// the key when they are known.
type Error struct {
	// File is the configuration file, or "" for flags.
	File string
	// Line is the 1-based line in File, or 0 when unknown.
	Line int
	// Key is the key path, such as "farm[2].node[1].url", or a flag.
	Key string
	// Msg says what is wrong.
	Msg string

	err error
}

// Error formats e as "FILE:LINE: KEY: MSG", leaving out unknown parts.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File)
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d", e.Line)
	}
	for _, s := range []string{e.Key, e.Msg} {
		if s == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// Unwrap returns the underlying error, if any, such as the error reading
// the file.
func (e *Error) Unwrap() error { return e.err }

// Default returns the default configuration, without any targets.
func Default() *Config {
	return &Config{
		Poll: Poll{
			Fast:          DefaultFast,
			Slow:          DefaultSlow,
			Timeout:       DefaultTimeout,
			PageSize:      DefaultPageSize,
			PerHost:       DefaultPerHost,
			MaxBodyMB:     DefaultMaxBodyMB,
			RepoHashes:    RepoHashesAuto,
			DiscoverFarms: true,
			FullEvery:     DefaultFullEvery,
		},
		StateDir: defaultStateDir(),
		Primary:  Target{Auth: Auth{Type: AuthNone}},
		UI:       UI{Theme: DefaultTheme, ThemeDir: defaultThemeDir(), FPS: DefaultFPS},
		Alerts: Alerts{
			MaxLag:         DefaultMaxLag,
			MaxQueue:       DefaultMaxQueue,
			MaxMismatches:  DefaultMaxMismatches,
			CertDays:       DefaultCertDays,
			MaxLock:        DefaultMaxLock,
			MaxClockSkew:   DefaultMaxClockSkew,
			MirrorLastSeen: DefaultMirrorLastSeen,
			MinSuccessRate: DefaultMinSuccessRate,
		},
		Serve: Serve{MaxSessions: DefaultMaxSessions, IdleTimeout: DefaultIdleTimeout, FPS: DefaultServeFPS},
	}
}

// DefaultPath returns $XDG_CONFIG_HOME/mirrortop/config.toml, else
// ~/.config/mirrortop/config.toml, or "" when neither directory is known.
func DefaultPath() string {
	return inConfigDir("config.toml")
}

// defaultThemeDir returns $XDG_CONFIG_HOME/mirrortop/themes, else
// ~/.config/mirrortop/themes, or "" when neither directory is known.
func defaultThemeDir() string {
	return inConfigDir("themes")
}

// defaultStateDir returns $XDG_STATE_HOME/mirrortop, else
// ~/.local/state/mirrortop, or "" when neither directory is known.
func defaultStateDir() string {
	if dir := os.Getenv("XDG_STATE_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "mirrortop")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".local", "state", "mirrortop")
}

// inConfigDir joins name to $XDG_CONFIG_HOME/mirrortop, else to
// ~/.config/mirrortop; it returns "" when neither directory is known.
func inConfigDir(name string) string {
	if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "mirrortop", name)
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".config", "mirrortop", name)
}

// Line returns the line defining key (a path such as "keys.quit" or
// "ui.theme") in the configuration file, or 0 when the file does not
// define it. It locates errors found outside this package, such as an
// unknown key action or theme.
func (c *Config) Line(key string) int {
	if c == nil {
		return 0
	}
	return c.lines.Exact(key)
}

// Load reads, parses and checks the configuration file at path and applies
// defaults. It does not require a primary URL, which may come from flags;
// call Validate once flags are applied. Errors are *Error.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, &Error{File: path, Msg: msg, err: err}
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if c.hasInlineSecret() {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o044 != 0 {
			c.Warnings = append(c.Warnings, fmt.Sprintf(
				"config file %s holds a secret and is readable by others (mode %04o); chmod 600 it",
				path, fi.Mode().Perm()))
		}
	}
	return c, nil
}

// secretWords mark the keys whose values are secrets.
var secretWords = []string{"token", "password", "secret"}

// mayHoldSecret reports whether the table that line (1-based) of a TOML
// text is in names a secret anywhere from its header down to that line. A
// value can span lines (an array, a multi-line string), so the statement
// an error is in may have begun well above it; the table is the unit that
// can be found in text that does not parse.
func mayHoldSecret(data []byte, line int) bool {
	lines := bytes.Split(data, []byte("\n"))
	for n := min(line, len(lines)); n >= 1; n-- {
		l := bytes.ToLower(bytes.TrimSpace(lines[n-1]))
		for _, w := range secretWords {
			if bytes.Contains(l, []byte(w)) {
				return true
			}
		}
		if n < line && bytes.HasPrefix(l, []byte("[")) && !bytes.HasPrefix(l, []byte("[\"")) {
			return false // the table's header
		}
	}
	return false
}

// redactAll replaces a message when the text names any secret: such a
// message has no line to judge by. (Its error is not wrapped either, so
// that no caller can print the parser's text by unwrapping.)
func redactAll(data []byte, msg string) string {
	l := bytes.ToLower(data)
	for _, w := range secretWords {
		if bytes.Contains(l, []byte(w)) {
			return "the text is not shown as it may hold a secret"
		}
	}
	return msg
}

// Parse is Load for configuration text already in memory; name is used
// in error messages and as Config.Path.
func Parse(name string, data []byte) (*Config, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var root map[string]any
	if _, err := toml.Decode(string(data), &root); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			line := pe.Position.Line
			if line == 0 {
				line = pe.Line
			}
			// An error at a newline belongs to the line that newline ends.
			if st := pe.Position.Start; line > 1 && st >= 0 && st < len(data) && data[st] == '\n' &&
				bytes.Count(data[:st], []byte("\n")) == line-2 {
				line--
			}
			if mayHoldSecret(data, line) {
				// The parser quotes the text it choked on, which here may be
				// (part of) a password or token.
				return nil, &Error{File: name, Line: line, Msg: "not valid TOML (the text is not shown as it may hold a secret; check the value is in quotes)"}
			}
			return nil, &Error{File: name, Line: line, Msg: pe.Message, err: err}
		}
		return nil, &Error{File: name, Msg: "not valid TOML: " + redactAll(data, err.Error())}
	}
	c := Default()
	c.Path = name
	c.lines = tomlkeys.Index(string(data))
	c.own = map[string]farmOwn{}
	d := &decoder{file: name, lines: c.lines}
	d.decode(root, c)
	errs := append(d.errs, c.check(false)...)
	if err := first(errs); err != nil {
		return nil, err
	}
	c.finalize()
	return c, nil
}

// Validate checks that c is complete and consistent: something to watch
// (a primary URL, GitLab entries, or both), a primary for any farm, every
// farm named and with a URL or nodes, every GitLab entry named and with a
// URL and projects or groups, valid URLs, paths, durations, ranges and
// auth settings. It returns the first problem as an *Error.
func (c *Config) Validate() error {
	if err := first(c.check(true)); err != nil {
		return err
	}
	return nil
}

// first returns the error that comes first in the file; errors without a
// line come last, ties keep their order.
func first(errs []*Error) *Error {
	var best *Error
	for _, e := range errs {
		if best == nil || (e.Line > 0 && (best.Line == 0 || e.Line < best.Line)) {
			best = e
		}
	}
	return best
}

// finalize normalizes URLs and paths, fills zero settings with defaults
// (the alert thresholds excepted: zero turns an alert off), lets farms
// inherit the primary's auth and TLS settings they do not set themselves
// and gives GitLab entries without a token the GITLAB_TOKEN one. It is
// idempotent.
func (c *Config) finalize() {
	def := Default()
	d := def.Poll
	if c.Poll.Fast == 0 {
		c.Poll.Fast = d.Fast
	}
	if c.Poll.Slow == 0 {
		c.Poll.Slow = d.Slow
	}
	if c.Poll.Timeout == 0 {
		c.Poll.Timeout = d.Timeout
	}
	if c.Poll.PageSize == 0 {
		c.Poll.PageSize = d.PageSize
	}
	if c.Poll.PerHost == 0 {
		c.Poll.PerHost = d.PerHost
	}
	if c.Poll.MaxBodyMB == 0 {
		c.Poll.MaxBodyMB = d.MaxBodyMB
	}
	if c.Poll.RepoHashes == "" {
		c.Poll.RepoHashes = d.RepoHashes
	}
	if c.UI.Theme == "" {
		c.UI.Theme = def.UI.Theme
	}
	if c.UI.ThemeDir == "" {
		c.UI.ThemeDir = def.UI.ThemeDir
	}
	if c.Serve.FPS == 0 {
		c.Serve.FPS = def.Serve.FPS
	}
	if c.UI.FPS == 0 {
		c.UI.FPS = def.UI.FPS
	}
	if c.StateDir == "" {
		c.StateDir = def.StateDir
	}
	c.StateDir = ExpandHome(c.StateDir)
	c.UI.ThemeDir = ExpandHome(c.UI.ThemeDir)
	c.UI.LogFile = ExpandHome(c.UI.LogFile)
	if c.Serve.MaxSessions == 0 {
		c.Serve.MaxSessions = def.Serve.MaxSessions
	}
	c.Serve.AuthorizedKeys = ExpandHome(c.Serve.AuthorizedKeys)
	c.Serve.HostKey = ExpandHome(c.Serve.HostKey)
	c.Primary.URL = trimURL(c.Primary.URL)
	c.Primary.TLS.CAFile = ExpandHome(c.Primary.TLS.CAFile)
	c.Primary.Auth = c.Primary.Auth.normalized()
	if c.own == nil {
		c.own = map[string]farmOwn{}
	}
	for i := range c.Farms {
		f := &c.Farms[i]
		own, ok := c.own[f.Name]
		if !ok {
			own = farmOwn{
				auth:     !f.Target.Auth.isZero(),
				caFile:   f.Target.TLS.CAFile != "",
				insecure: f.Target.TLS.InsecureSkipVerify,
			}
			if f.Name != "" {
				c.own[f.Name] = own
			}
		}
		f.Target.URL = trimURL(f.Target.URL)
		if own.auth {
			f.Target.Auth = f.Target.Auth.normalized()
		} else {
			f.Target.Auth = c.Primary.Auth
		}
		if own.caFile {
			f.Target.TLS.CAFile = ExpandHome(f.Target.TLS.CAFile)
		} else {
			f.Target.TLS.CAFile = c.Primary.TLS.CAFile
		}
		if !own.insecure {
			f.Target.TLS.InsecureSkipVerify = c.Primary.TLS.InsecureSkipVerify
		}
		if f.SyncInterval == 0 {
			f.SyncInterval = DefaultSyncInterval
		}
		for j := range f.Nodes {
			f.Nodes[j].URL = trimURL(f.Nodes[j].URL)
		}
	}
	for i := range c.GitLab {
		g := &c.GitLab[i]
		g.URL = trimURL(g.URL)
		g.TLS.CAFile = ExpandHome(g.TLS.CAFile)
		if !g.Token.IsSet() {
			g.Token = Secret{Env: EnvGitLabToken}
		}
		g.Token.File = ExpandHome(g.Token.File)
		for j := range g.Projects {
			g.Projects[j] = trimPath(g.Projects[j])
		}
		for j := range g.Groups {
			g.Groups[j] = trimPath(g.Groups[j])
		}
	}
}

// ownsAuth reports whether farm i configured its own auth.
func (c *Config) ownsAuth(i int) bool {
	f := c.Farms[i]
	if own, ok := c.own[f.Name]; ok {
		return own.auth
	}
	return !f.Target.Auth.isZero()
}

// hasInlineSecret reports whether any target or GitLab entry holds an
// inline secret.
func (c *Config) hasInlineSecret() bool {
	a := []Auth{c.Primary.Auth}
	for _, f := range c.Farms {
		a = append(a, f.Target.Auth)
	}
	for _, x := range a {
		if x.Token.Inline != "" || x.Password.Inline != "" {
			return true
		}
	}
	for _, g := range c.GitLab {
		if g.Token.Inline != "" {
			return true
		}
	}
	return false
}

// checker collects semantic errors of a Config.
type checker struct {
	c    *Config
	errs []*Error
}

// add records an error for key, located at the first of at (or key) that
// the file defines, falling back to enclosing tables.
func (k *checker) add(key string, at []string, format string, args ...any) {
	line := 0
	for _, a := range append(at, key) {
		if line = k.c.lines.Exact(a); line > 0 {
			break
		}
	}
	if line == 0 {
		line = k.c.lines.Line(key)
	}
	k.errs = append(k.errs, &Error{File: k.c.Path, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// check returns every semantic problem of c. With complete it also
// requires the settings that flags may still provide.
func (c *Config) check(complete bool) []*Error {
	k := &checker{c: c}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"poll.fast", c.Poll.Fast}, {"poll.slow", c.Poll.Slow}, {"poll.timeout", c.Poll.Timeout}} {
		if d.v <= 0 {
			k.add(d.key, nil, "must be greater than zero")
		}
	}
	for _, n := range []struct {
		key      string
		v        int
		min, max int
	}{
		{"poll.page_size", c.Poll.PageSize, minPageSize, maxPageSize},
		{"poll.per_host", c.Poll.PerHost, minPerHost, maxPerHost},
		{"poll.max_body_mb", c.Poll.MaxBodyMB, minMaxBodyMB, maxMaxBodyMB},
		{"ui.fps", c.UI.FPS, minFPS, maxFPS},
		{"serve.max_sessions", c.Serve.MaxSessions, minSessions, maxSessions},
		{"serve.fps", c.Serve.FPS, minFPS, maxFPS},
	} {
		if n.v < n.min || n.v > n.max {
			k.add(n.key, nil, "must be between %d and %d", n.min, n.max)
		}
	}
	if c.Poll.FullEvery < 0 {
		k.add("poll.full_every", nil, "must be zero (always fetch) or positive")
	}
	if h := c.Poll.RepoHashes; h != RepoHashesAuto && h != RepoHashesOff {
		k.add("poll.repo_hashes", nil, "must be %q or %q", RepoHashesAuto, RepoHashesOff)
	}
	if col := c.UI.BannerColor; col != "" && !themes.ValidColor(col) && !slices.Contains(themes.ColorNames, strings.ToLower(col)) {
		k.add("ui.banner_color", nil, `%q is not a colour (want a theme colour: %s; an ANSI index "0".."255"; "#rrggbb" or "#rgb")`, col, strings.Join(themes.ColorNames, ", "))
	}
	if strings.ContainsFunc(c.UI.Banner, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		k.add("ui.banner", nil, "must not contain control characters")
	}
	if th := c.UI.Theme; th != "" && (th == "." || th == ".." || strings.ContainsAny(th, `/\`)) {
		k.add("ui.theme", nil, "%q is a path; want a theme name (a built-in theme or a file stem in theme_dir)", th)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"alerts.max_lag", c.Alerts.MaxLag}, {"alerts.max_clock_skew", c.Alerts.MaxClockSkew}, {"alerts.mirror_last_seen", c.Alerts.MirrorLastSeen}} {
		if d.v < 0 {
			k.add(d.key, nil, `must not be negative ("0s" turns the alert off)`)
		}
	}
	if c.Alerts.MaxLock < 0 {
		k.add("alerts.max_lock", nil, `must not be negative ("0s" turns the alert off)`)
	}
	for _, n := range []struct {
		key string
		v   int
	}{{"alerts.max_queue", c.Alerts.MaxQueue}, {"alerts.max_mismatches", c.Alerts.MaxMismatches}, {"alerts.cert_days", c.Alerts.CertDays}} {
		if n.v < 0 {
			k.add(n.key, nil, "must not be negative (0 turns the alert off)")
		}
	}
	if r := c.Alerts.MinSuccessRate; r < 0 || r > 100 {
		k.add("alerts.min_success_rate", nil, "must be a percentage, 0 to 100 (0 turns the alert off)")
	}
	k.keys(c.Keys)
	k.serve(c.Serve)

	switch {
	case c.Primary.URL == "" && complete:
		// Farms are reported below; GitLab entries need no primary.
		if len(c.Farms) == 0 && len(c.GitLab) == 0 {
			k.add("primary.url", nil, "nothing to watch: set [primary] url or add a [[gitlab]] entry")
		}
	case c.Primary.URL != "":
		if msg := checkURL(c.Primary.URL); msg != "" {
			k.add("primary.url", nil, "%s", msg)
		}
	}
	k.auth("primary.auth", c.Primary.Auth)

	farms := map[string]int{}
	for i, f := range c.Farms {
		p := fmt.Sprintf("farm[%d]", i+1)
		switch prev, dup := farms[f.Name]; {
		case f.Name == "":
			k.add(p+".name", nil, "missing; every farm needs a name")
		case dup:
			k.add(p+".name", nil, "duplicate farm name %q (also farm[%d])", f.Name, prev)
		default:
			farms[f.Name] = i + 1
		}
		if c.Primary.URL == "" && complete {
			k.add(p, []string{p + ".name"}, "farm %q needs a primary; set url in [primary] or pass --primary", f.Name)
		}
		switch {
		case f.Target.URL == "" && len(f.Nodes) == 0 && complete:
			k.add(p, []string{p + ".name"}, "needs a url or at least one [[farm.node]]")
		case f.Target.URL != "":
			if msg := checkURL(f.Target.URL); msg != "" {
				k.add(p+".url", nil, "%s", msg)
			}
		}
		if f.SyncInterval <= 0 {
			k.add(p+".sync_interval", nil, "must be greater than zero")
		}
		if f.NodeURL != "" {
			if msg := CheckNodeURL(f.NodeURL); msg != "" {
				k.add(p+".node_url", nil, "%s", msg)
			}
		}
		if c.ownsAuth(i) {
			k.auth(p+".auth", f.Target.Auth)
		}
		nodes := map[string]int{}
		for j, n := range f.Nodes {
			q := fmt.Sprintf("%s.node[%d]", p, j+1)
			switch prev, dup := nodes[n.Name]; {
			case n.Name == "":
				k.add(q+".name", nil, "missing; every node needs a name")
			case dup:
				k.add(q+".name", nil, "duplicate node name %q in farm %q (also node[%d])", n.Name, f.Name, prev)
			default:
				nodes[n.Name] = j + 1
			}
			if n.URL == "" {
				k.add(q+".url", nil, "missing; every node needs a url")
			} else if msg := checkURL(n.URL); msg != "" {
				k.add(q+".url", nil, "%s", msg)
			}
		}
	}

	for i, n := range c.Notify {
		p := fmt.Sprintf("notify[%d]", i+1)
		if !n.URL.IsSet() {
			k.add(p+".url", nil, "missing; set url_env, url_file or url_command (the URL is a secret)")
		}
		k.secret(p, "url", n.URL)
		if n.Format != NotifyJSON && n.Format != NotifySlack {
			k.add(p+".format", nil, "must be %q or %q", NotifyJSON, NotifySlack)
		}
		if n.MinSeverity != "warning" && n.MinSeverity != "critical" {
			k.add(p+".min_severity", nil, `must be "warning" or "critical"`)
		}
		if n.RepeatEvery < 0 {
			k.add(p+".repeat_every", nil, `must not be negative ("0s" never resends)`)
		}
	}

	gitlabs := map[string]int{}
	for i, g := range c.GitLab {
		p := fmt.Sprintf("gitlab[%d]", i+1)
		switch prev, dup := gitlabs[g.Name]; {
		case g.Name == "":
			k.add(p+".name", nil, "missing; every [[gitlab]] entry needs a name")
		case dup:
			k.add(p+".name", nil, "duplicate gitlab name %q (also gitlab[%d])", g.Name, prev)
		default:
			gitlabs[g.Name] = i + 1
		}
		switch {
		case g.URL == "" && complete:
			k.add(p+".url", nil, "missing; set url in [[gitlab]] or pass --gitlab")
		case g.URL != "":
			if msg := checkGitLabURL(g.URL, "use token_env, token_file or token_command"); msg != "" {
				k.add(p+".url", nil, "%s", msg)
			}
		}
		if len(g.Projects) == 0 && len(g.Groups) == 0 && complete {
			k.add(p+".projects", nil, `needs at least one project or group (projects = ["group/project"] or groups = ["group"])`)
		}
		k.paths(p+".projects", "project", g.Projects)
		k.paths(p+".groups", "group", g.Groups)
		k.secret(p, "token", g.Token)
	}
	return k.errs
}

// serve checks the [serve] listen addresses and idle timeout.
func (k *checker) serve(s Serve) {
	for _, a := range []struct{ key, addr string }{{"serve.ssh_listen", s.SSHListen}, {"serve.http_listen", s.HTTPListen}} {
		if a.addr == "" {
			continue
		}
		if msg := checkListen(a.addr); msg != "" {
			k.add(a.key, nil, "%s", msg)
		}
	}
	if s.SSHListen != "" && s.SSHListen == s.HTTPListen && checkListen(s.SSHListen) == "" && !strings.HasSuffix(s.SSHListen, ":0") {
		k.add("serve.http_listen", nil, "same address as ssh_listen")
	}
	if s.IdleTimeout < 0 {
		k.add("serve.idle_timeout", nil, `must not be negative ("0s" never closes an idle session)`)
	}
}

// checkListen returns what is wrong with a listen address, or "".
func checkListen(s string) string {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf(`%q is not a listen address (want host:port or :port, such as ":2222")`, s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("port %q is not a number from 0 to 65535", port)
	}
	return ""
}

// paths checks the project or group paths at key path p.
func (k *checker) paths(p, what string, paths []string) {
	seen := map[string]int{}
	for i, s := range paths {
		q := tomlkeys.Indexed(p, i+1)
		s = trimPath(s)
		if msg := checkPath(s); msg != "" {
			k.add(q, nil, "%s", msg)
			continue
		}
		low := strings.ToLower(s)
		if prev, dup := seen[low]; dup {
			k.add(q, nil, "duplicate %s %q (also %s)", what, s, tomlkeys.Indexed(p, prev))
			continue
		}
		seen[low] = i + 1
	}
}

// keys checks that every action has at least one key and no empty key.
func (k *checker) keys(m map[string][]string) {
	for _, action := range slices.Sorted(maps.Keys(m)) {
		p := tomlkeys.Join("keys", action)
		if len(m[action]) == 0 {
			k.add(p, nil, "must list at least one key")
		}
		for i, key := range m[action] {
			if strings.TrimSpace(key) == "" {
				k.add(tomlkeys.Indexed(p, i+1), nil, "must not be empty")
			}
		}
	}
}

// auth checks the auth settings at key path p.
func (k *checker) auth(p string, a Auth) {
	typ := a.effectiveType()
	at := []string{p + ".type"}
	switch typ {
	case AuthBasic, AuthBearer, AuthNone:
	default:
		k.add(p+".type", nil, "unknown auth type %q (want %q, %q or %q)", a.Type, AuthBearer, AuthBasic, AuthNone)
		return
	}
	k.secret(p, "token", a.Token)
	k.secret(p, "password", a.Password)
	unused := func(key string) {
		k.add(p+"."+key, nil, "not used with auth type %q", typ)
	}
	switch typ {
	case AuthBasic:
		if a.User == "" {
			k.add(p, at, "basic auth needs a user")
		}
		if !a.Password.IsSet() {
			k.add(p, at, "basic auth needs a password (password_env, password_file, password_command or password)")
		}
		if a.Token.IsSet() {
			unused(a.Token.key("token"))
		}
	case AuthBearer:
		if !a.Token.IsSet() {
			k.add(p, at, "bearer auth needs a token (token_env, token_file, token_command or token)")
		}
		if a.User != "" {
			unused("user")
		}
		if a.Password.IsSet() {
			unused(a.Password.key("password"))
		}
	case AuthNone:
		if a.User != "" {
			unused("user")
		}
		if a.Token.IsSet() {
			unused(a.Token.key("token"))
		}
		if a.Password.IsSet() {
			unused(a.Password.key("password"))
		}
	}
}

// secret reports a secret with more than one source, at the source that
// comes last in the file.
func (k *checker) secret(p, name string, s Secret) {
	keys := s.keys(name)
	if len(keys) < 2 {
		return
	}
	last := len(keys) - 1
	for i, key := range keys {
		if k.c.lines.Exact(p+"."+key) >= k.c.lines.Exact(p+"."+keys[last]) {
			last = i
		}
	}
	others := make([]string, 0, len(keys)-1)
	for i, key := range keys {
		if i != last {
			others = append(others, key)
		}
	}
	k.add(p+"."+keys[last], nil, "conflicts with %s; set only one %s source", strings.Join(others, ", "), name)
}

// checkURL returns why s is not an acceptable base URL, or "".
func checkURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "not an absolute http(s) URL"
	}
	if u.User != nil {
		return "must not contain credentials; use the auth settings"
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "must not have a query or fragment"
	}
	return ""
}

// checkGitLabURL is checkURL for a GitLab URL, with hint saying where
// the token goes instead of credentials in the URL.
func checkGitLabURL(s, hint string) string {
	msg := checkURL(s)
	if strings.HasPrefix(msg, "must not contain credentials") {
		return "must not contain credentials; " + hint
	}
	return msg
}

// checkPath returns why s, a trimmed project or group path, is not
// acceptable, or "".
func checkPath(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case strings.ContainsFunc(s, unicode.IsSpace):
		return fmt.Sprintf(`%q has spaces; want a path such as "group/project", not a display name`, s)
	case strings.Contains(s, "//"):
		return fmt.Sprintf("%q has an empty path segment", s)
	}
	return ""
}

// trimPath removes surrounding spaces and slashes from a project or group
// path.
func trimPath(s string) string {
	return strings.Trim(strings.TrimSpace(s), "/")
}

// trimURL removes trailing slashes from a URL.
func trimURL(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), "/")
}

// ExpandHome replaces a leading "~" or "~/" with the home directory.
func ExpandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") && !strings.HasPrefix(p, "~"+string(filepath.Separator)) {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return p
	}
	return filepath.Join(home, p[1:])
}
