package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// exported returns the exported part of c, for comparisons.
func exported(c *Config) Config {
	x := *c
	x.lines = nil
	x.own = nil
	return x
}

// setHome points the home directory at a fresh temporary directory.
func setHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	return home
}

const fullExample = `read_only = true
state_dir = "~/mt-state"

[poll]
fast = "5s"
slow = "1m30s"
timeout = "20s"
page_size = 500
per_host = 8
max_body_mb = 128
repo_hashes = "off"
full_every = "15m"
discover_farms = false

[ui]
theme = "light"
theme_dir = "~/themes"
fps = 30
mouse = true
bell = true
log_file = "~/mirrortop.log"

[alerts]
max_lag = "5m"
max_queue = 100
max_mismatches = 0
cert_days = 7
max_lock = "30m"
max_clock_skew = "45s"
mirror_last_seen = "0s"
min_success_rate = 0

[keys]
refresh = "ctrl+r"
quit = ["q", "ctrl+c"]

[serve]
ssh_listen = " :2222 "
http_listen = "127.0.0.1:8080"
authorized_keys = "~/team_keys"
host_key = "~/keys/host_ed25519"
max_sessions = 7
fps = 24
idle_timeout = "0s"

[primary]
url = "https://bitbucket.example.com/"
ca_file = "/etc/ssl/corp-ca.pem"
insecure_skip_verify = false

[primary.auth]
type = "bearer"
token_env = "BITBUCKET_TOKEN"

[[farm]]
name = "eu"
url = "https://mirror-eu.example.com"
sync_interval = "3m"

[[farm.node]]
name = "eu-1"
url = "https://eu-1.internal:7990/"

[[farm.node]]
name = "eu-2"
url = "https://eu-2.internal:7990"

[[farm]]
name = "us"
sync_interval = "5m"
ca_file = "~/us-ca.pem"
insecure_skip_verify = true

[farm.auth]
user = "monitor"
password_file = "~/.config/mirrortop/us-password"

[[farm.node]]
name = "us-1"
url = "http://us-1.internal:7990"
`

func TestParseFullExample(t *testing.T) {
	home := setHome(t)
	c, err := Parse("config.toml", []byte(fullExample))
	if err != nil {
		t.Fatal(err)
	}
	primaryAuth := Auth{Type: "bearer", Token: Secret{Env: "BITBUCKET_TOKEN"}}
	want := Config{
		Path:     "config.toml",
		ReadOnly: true,
		StateDir: filepath.Join(home, "mt-state"),
		Poll: Poll{
			Fast: 5 * time.Second, Slow: 90 * time.Second, Timeout: 20 * time.Second,
			PageSize: 500, PerHost: 8, MaxBodyMB: 128, RepoHashes: "off", FullEvery: 15 * time.Minute,
		},
		Primary: Target{
			URL:  "https://bitbucket.example.com",
			Auth: primaryAuth,
			TLS:  TLS{CAFile: "/etc/ssl/corp-ca.pem"},
		},
		Farms: []Farm{
			{
				Name: "eu",
				Target: Target{
					URL:  "https://mirror-eu.example.com",
					Auth: primaryAuth,
					TLS:  TLS{CAFile: "/etc/ssl/corp-ca.pem"},
				},
				SyncInterval: 3 * time.Minute,
				Nodes: []Node{
					{Name: "eu-1", URL: "https://eu-1.internal:7990"},
					{Name: "eu-2", URL: "https://eu-2.internal:7990"},
				},
			},
			{
				Name: "us",
				Target: Target{
					Auth: Auth{
						Type:     "basic",
						User:     "monitor",
						Password: Secret{File: filepath.Join(home, ".config/mirrortop/us-password")},
					},
					TLS: TLS{CAFile: filepath.Join(home, "us-ca.pem"), InsecureSkipVerify: true},
				},
				SyncInterval: 5 * time.Minute,
				Nodes:        []Node{{Name: "us-1", URL: "http://us-1.internal:7990"}},
			},
		},
		UI: UI{
			Theme: "light", ThemeDir: filepath.Join(home, "themes"), FPS: 30,
			Mouse: true, Bell: true, LogFile: filepath.Join(home, "mirrortop.log"),
		},
		Alerts: Alerts{MaxLag: 5 * time.Minute, MaxQueue: 100, CertDays: 7, MaxLock: 30 * time.Minute, MaxClockSkew: 45 * time.Second},
		Serve: Serve{
			SSHListen: ":2222", HTTPListen: "127.0.0.1:8080",
			AuthorizedKeys: filepath.Join(home, "team_keys"), HostKey: filepath.Join(home, "keys/host_ed25519"),
			MaxSessions: 7, FPS: 24,
		},
		Keys: map[string][]string{"refresh": {"ctrl+r"}, "quit": {"q", "ctrl+c"}},
	}
	if got := exported(c); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\n got %#v\nwant %#v", got, want)
	}
	if got := c.HostKeyPath(); got != filepath.Join(home, "keys/host_ed25519") {
		t.Errorf("HostKeyPath() = %q, want host_key as set", got)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestParseDefaults(t *testing.T) {
	c, err := Parse("config.toml", []byte("[primary]\nurl = \"https://bb.example.com//\"\n\n[[farm]]\nname = \"eu\"\nurl = \"https://m.example.com\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Path = "config.toml"
	want.Primary.URL = "https://bb.example.com"
	want.Farms = []Farm{{
		Name:         "eu",
		Target:       Target{URL: "https://m.example.com", Auth: Auth{Type: "none"}},
		SyncInterval: DefaultSyncInterval,
	}}
	if got := exported(c); !reflect.DeepEqual(got, exported(want)) {
		t.Errorf("got %#v\nwant %#v", got, exported(want))
	}
	d := Default()
	if d.Poll.Fast != 10*time.Second || d.Poll.Slow != 2*time.Minute || d.Poll.Timeout != 15*time.Second ||
		d.Poll.PageSize != 1000 || d.Poll.PerHost != 4 || d.Poll.MaxBodyMB != 64 || d.Poll.RepoHashes != "auto" {
		t.Errorf("Default().Poll = %+v", d.Poll)
	}
	if d.Primary.URL != "" || len(d.Farms) != 0 || d.Primary.Auth.Type != "none" {
		t.Errorf("Default() has targets: %+v", d)
	}
	if d.UI.Theme != "dark" || d.UI.FPS != 20 || d.UI.Mouse || d.UI.Bell || d.UI.LogFile != "" {
		t.Errorf("Default().UI = %+v", d.UI)
	}
	if d.Alerts != (Alerts{MaxLag: 10 * time.Minute, MaxQueue: 500, MaxMismatches: 50, CertDays: 14, MaxLock: 10 * time.Minute, MaxClockSkew: 30 * time.Second, MirrorLastSeen: 10 * time.Minute, MinSuccessRate: 90}) {
		t.Errorf("Default().Alerts = %+v", d.Alerts)
	}
	if d.Keys != nil {
		t.Errorf("Default().Keys = %v, want nil", d.Keys)
	}
	empty, err := Parse("empty.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if empty.Poll != d.Poll || empty.UI != d.UI || empty.Alerts != d.Alerts || empty.Keys != nil || empty.Primary.URL != "" {
		t.Errorf("empty file: %+v", empty)
	}
}

func TestAuthTypeInference(t *testing.T) {
	tests := []struct {
		auth string
		want string
	}{
		{`token_command = "pass show x"`, "bearer"},
		{"user = \"admin\"\npassword_env = \"PW\"", "basic"},
		{"", "none"},
		{`type = "NONE"`, "none"},
		{"type = \"Bearer\"\ntoken = \"t\"", "bearer"},
	}
	for _, tt := range tests {
		c, err := Parse("c.toml", []byte("[primary.auth]\n"+tt.auth+"\n"))
		if err != nil {
			t.Errorf("%q: %v", tt.auth, err)
			continue
		}
		if c.Primary.Auth.Type != tt.want {
			t.Errorf("%q: type %q, want %q", tt.auth, c.Primary.Auth.Type, tt.want)
		}
	}
}

func TestFarmInheritance(t *testing.T) {
	const primary = `[primary]
url = "https://bb.example.com"
ca_file = "/ca.pem"
insecure_skip_verify = true

[primary.auth]
token_env = "TOK"
`
	primaryAuth := Auth{Type: "bearer", Token: Secret{Env: "TOK"}}
	tests := []struct {
		name     string
		farm     string
		wantAuth Auth
		wantTLS  TLS
	}{
		{
			name:     "inherits everything",
			farm:     "[[farm]]\nname = \"eu\"\nurl = \"https://m.example.com\"\n",
			wantAuth: primaryAuth,
			wantTLS:  TLS{CAFile: "/ca.pem", InsecureSkipVerify: true},
		},
		{
			name:     "own auth",
			farm:     "[[farm]]\nname = \"eu\"\nurl = \"https://m.example.com\"\n[farm.auth]\ntoken_file = \"/tok\"\n",
			wantAuth: Auth{Type: "bearer", Token: Secret{File: "/tok"}},
			wantTLS:  TLS{CAFile: "/ca.pem", InsecureSkipVerify: true},
		},
		{
			name:     "own none auth",
			farm:     "[[farm]]\nname = \"eu\"\nurl = \"https://m.example.com\"\n[farm.auth]\ntype = \"none\"\n",
			wantAuth: Auth{Type: "none"},
			wantTLS:  TLS{CAFile: "/ca.pem", InsecureSkipVerify: true},
		},
		{
			name:     "own ca_file, inherited insecure",
			farm:     "[[farm]]\nname = \"eu\"\nurl = \"https://m.example.com\"\nca_file = \"/eu.pem\"\n",
			wantAuth: primaryAuth,
			wantTLS:  TLS{CAFile: "/eu.pem", InsecureSkipVerify: true},
		},
		{
			name:     "explicit insecure false",
			farm:     "[[farm]]\nname = \"eu\"\nurl = \"https://m.example.com\"\ninsecure_skip_verify = false\n",
			wantAuth: primaryAuth,
			wantTLS:  TLS{CAFile: "/ca.pem"},
		},
		{
			name:     "inline auth table",
			farm:     "[[farm]]\nname = \"eu\"\nurl = \"https://m.example.com\"\nauth = { user = \"u\", password_env = \"PW\" }\n",
			wantAuth: Auth{Type: "basic", User: "u", Password: Secret{Env: "PW"}},
			wantTLS:  TLS{CAFile: "/ca.pem", InsecureSkipVerify: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("c.toml", []byte(primary+"\n"+tt.farm))
			if err != nil {
				t.Fatal(err)
			}
			f := c.Farms[0]
			if !reflect.DeepEqual(f.Target.Auth, tt.wantAuth) {
				t.Errorf("auth %#v, want %#v", f.Target.Auth, tt.wantAuth)
			}
			if f.Target.TLS != tt.wantTLS {
				t.Errorf("TLS %+v, want %+v", f.Target.TLS, tt.wantTLS)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		line int
		key  string
		msg  string
	}{
		{
			name: "bad primary url",
			text: "[primary]\nurl = \"bitbucket.example.com\"\n",
			line: 2, key: "primary.url", msg: "not an absolute http(s) URL",
		},
		{
			name: "url with credentials",
			text: "[primary]\nurl = \"https://admin:pw@bb.example.com\"\n",
			line: 2, key: "primary.url", msg: "must not contain credentials",
		},
		{
			name: "ftp url",
			text: "# comment\n\n[primary]\n\n  url   =   \"ftp://bb.example.com\"   # trailing\n",
			line: 5, key: "primary.url", msg: "not an absolute http(s) URL",
		},
		{
			name: "second farm url",
			text: "[[farm]]\nname = \"a\"\nurl = \"https://a.example.com\"\n\n[[farm]]\nname = \"b\"\nurl = \"b.example.com\"\n",
			line: 7, key: "farm[2].url", msg: "not an absolute http(s) URL",
		},
		{
			name: "node url in second farm",
			text: "[[farm]]\nname = \"a\"\nurl = \"https://a.example.com\"\n[[farm.node]]\nname = \"a1\"\nurl = \"https://a1\"\n" +
				"[[farm]]\nname = \"b\"\n[[farm.node]]\nname = \"b1\"\nurl = \"https://b1\"\n[[farm.node]]\nname = \"b2\"\nurl = \"b2:7990\"\n",
			line: 14, key: "farm[2].node[2].url", msg: "not an absolute http(s) URL",
		},
		{
			name: "node_url with an unknown placeholder",
			text: "[[farm]]\nname = \"a\"\nurl = \"https://a.example.com\"\n\nnode_url = \"https://{node}.example.com\"\n",
			line: 5, key: "farm[1].node_url", msg: "unknown placeholder {node}; use {name} (the member's name) or {host} (the host of its address)",
		},
		{
			name: "node_url without a placeholder",
			text: "[[farm]]\nname = \"a\"\nurl = \"https://a.example.com\"\nnode_url = \"https://a.example.com\"\n",
			line: 4, key: "farm[1].node_url", msg: "has no {name} or {host}: every member would get the same URL",
		},
		{
			name: "node_url with credentials",
			text: "[[farm]]\nname = \"a\"\nurl = \"https://a.example.com\"\nnode_url = \"https://u:p@{name}.example.com\"\n",
			line: 4, key: "farm[1].node_url", msg: "does not make an absolute http(s) URL",
		},
		{
			name: "node_url not a URL",
			text: "[[farm]]\nname = \"a\"\nurl = \"https://a.example.com\"\nnode_url = \"{name}.example.com:7990\"\n",
			line: 4, key: "farm[1].node_url", msg: "does not make an absolute http(s) URL",
		},
		{
			name: "node_url with a lone brace",
			text: "[[farm]]\nname = \"a\"\nurl = \"https://a.example.com\"\nnode_url = \"https://{name.example.com\"\n",
			line: 4, key: "farm[1].node_url", msg: "has an unmatched brace",
		},
		{
			name: "node without url",
			text: "[[farm]]\nname = \"a\"\n\n[[farm.node]]\nname = \"a1\"\n",
			line: 4, key: "farm[1].node[1].url", msg: "missing",
		},
		{
			name: "farm without name",
			text: "[[farm]]\nname = \"a\"\nurl = \"https://a\"\n[[farm]]\nurl = \"https://b\"\n",
			line: 4, key: "farm[2].name", msg: "missing",
		},
		{
			name: "bad duration",
			text: "[poll]\nfast = \"10 seconds\"\n",
			line: 2, key: "poll.fast", msg: `"10 seconds" is not a duration`,
		},
		{
			name: "duration as integer",
			text: "[poll]\nfast = \"5s\"\ntimeout = 15\n",
			line: 3, key: "poll.timeout", msg: "want a duration string",
		},
		{
			name: "zero duration",
			text: "[poll]\nfast = \"5s\"\nslow = \"0s\"\n",
			line: 3, key: "poll.slow", msg: "must be greater than zero",
		},
		{
			name: "negative full_every",
			text: "[poll]\nfull_every = \"-1m\"\n",
			line: 2, key: "poll.full_every", msg: "must be zero (always fetch) or positive",
		},
		{
			name: "negative sync interval",
			text: "[[farm]]\nname = \"a\"\nurl = \"https://a\"\nsync_interval = \"-3m\"\n",
			line: 4, key: "farm[1].sync_interval", msg: "must be greater than zero",
		},
		{
			name: "duplicate farm name",
			text: "[[farm]]\nname = \"eu\"\nurl = \"https://a\"\n\n[[farm]]\nname = \"eu\"\nurl = \"https://b\"\n",
			line: 6, key: "farm[2].name", msg: `duplicate farm name "eu" (also farm[1])`,
		},
		{
			name: "duplicate node name",
			text: "[[farm]]\nname = \"eu\"\n[[farm.node]]\nname = \"n\"\nurl = \"https://a\"\n[[farm.node]]\nname = \"n\"\nurl = \"https://b\"\n",
			line: 7, key: "farm[1].node[2].name", msg: `duplicate node name "n" in farm "eu"`,
		},
		{
			name: "two token sources",
			text: "[primary.auth]\ntoken_env = \"T\"\ntoken_file = \"/t\"\n",
			line: 3, key: "primary.auth.token_file", msg: "conflicts with token_env; set only one token source",
		},
		{
			name: "two token sources, later one first in canonical order",
			text: "[primary.auth]\ntoken_command = \"pass t\"\ntoken = \"inline\"\n",
			line: 3, key: "primary.auth.token", msg: "conflicts with token_command",
		},
		{
			name: "two password sources in farm auth",
			text: "[[farm]]\nname = \"a\"\nurl = \"https://a\"\n[farm.auth]\nuser = \"u\"\npassword_env = \"P\"\npassword_command = \"pass p\"\n",
			line: 7, key: "farm[1].auth.password_command", msg: "conflicts with password_env",
		},
		{
			name: "unknown auth type",
			text: "[primary]\nurl = \"https://a\"\n[primary.auth]\ntype = \"oauth\"\n",
			line: 4, key: "primary.auth.type", msg: `unknown auth type "oauth"`,
		},
		{
			name: "basic without user",
			text: "[primary.auth]\ntype = \"basic\"\npassword_env = \"P\"\n",
			line: 2, key: "primary.auth", msg: "basic auth needs a user",
		},
		{
			name: "basic without password",
			text: "[primary.auth]\nuser = \"u\"\n",
			line: 1, key: "primary.auth", msg: "basic auth needs a password",
		},
		{
			name: "bearer without token",
			text: "[primary]\nurl = \"https://a\"\n\n[primary.auth]\n# no token\ntype = \"bearer\"\n",
			line: 6, key: "primary.auth", msg: "bearer auth needs a token",
		},
		{
			name: "user with bearer",
			text: "[primary.auth]\ntoken_env = \"T\"\nuser = \"u\"\n",
			line: 3, key: "primary.auth.user", msg: `not used with auth type "bearer"`,
		},
		{
			name: "token with none",
			text: "[primary.auth]\ntype = \"none\"\ntoken_file = \"/t\"\n",
			line: 3, key: "primary.auth.token_file", msg: `not used with auth type "none"`,
		},
		{
			name: "page size zero",
			text: "[poll]\npage_size = 0\n",
			line: 2, key: "poll.page_size", msg: "must be between 1 and 10000",
		},
		{
			name: "page size too big",
			text: "[poll]\npage_size = 10001\n",
			line: 2, key: "poll.page_size", msg: "must be between 1 and 10000",
		},
		{
			name: "per host too big",
			text: "[poll]\nper_host = 65\n",
			line: 2, key: "poll.per_host", msg: "must be between 1 and 64",
		},
		{
			name: "max body huge",
			text: "[poll]\nmax_body_mb = 99999999999\n",
			line: 2, key: "poll.max_body_mb", msg: "must be between 1 and 4096",
		},
		{
			name: "page size as string",
			text: "[poll]\npage_size = \"1000\"\n",
			line: 2, key: "poll.page_size", msg: "want an integer, got a string",
		},
		{
			name: "repo hashes",
			text: "[poll]\nrepo_hashes = \"sometimes\"\n",
			line: 2, key: "poll.repo_hashes", msg: `must be "auto" or "off"`,
		},
		{
			name: "read_only not bool",
			text: "read_only = \"yes\"\n",
			line: 1, key: "read_only", msg: "want true or false, got a string",
		},
		{
			name: "farm as plain table",
			text: "[farm]\nname = \"eu\"\n",
			line: 1, key: "farm", msg: "want an array of tables ([[farm]]), got a table",
		},
		{
			name: "node as plain table",
			text: "[[farm]]\nname = \"eu\"\n\n[farm.node]\nname = \"n\"\n",
			line: 4, key: "farm[1].node", msg: "want an array of tables ([[farm.node]]), got a table",
		},
		{
			name: "primary as value",
			text: "primary = \"https://a\"\n",
			line: 1, key: "primary", msg: "want a table ([primary]), got a string",
		},
		{
			name: "empty url",
			text: "[primary]\nurl = \"\"\n",
			line: 2, key: "primary.url", msg: "must not be empty",
		},
		{
			name: "typo in poll",
			text: "[poll]\nfast = \"5s\"\nfsat = \"1s\"\n",
			line: 3, key: "poll.fsat", msg: `unknown key (did you mean "fast"?)`,
		},
		{
			name: "unknown key in node",
			text: "[[farm]]\nname = \"a\"\n[[farm.node]]\nname = \"1\"\nurl = \"https://1\"\n[[farm]]\nname = \"b\"\n[[farm.node]]\nname = \"2\"\nurl = \"https://2\"\nport = 7990\n",
			line: 11, key: "farm[2].node[1].port", msg: "unknown key",
		},
		{
			name: "unknown table",
			text: "[primary]\nurl = \"https://a\"\n\n[primary.tls]\nca_file = \"/x\"\n",
			line: 4, key: "primary.tls", msg: "unknown key",
		},
		{
			name: "unknown top-level table",
			text: "[primari]\nurl = \"https://a\"\n",
			line: 1, key: "primari", msg: `unknown key (did you mean "primary"?)`,
		},
		{
			name: "dotted keys",
			text: "poll.fast = \"5s\"\npoll.slow = \"soon\"\n",
			line: 2, key: "poll.slow", msg: "is not a duration",
		},
		{
			name: "dotted keys inside a table",
			text: "[primary]\nurl = \"https://a\"\nauth.type = \"basic\"\nauth.user = \"u\"\nauth.password_env = \"P\"\nauth.token_env = \"T\"\n",
			line: 6, key: "primary.auth.token_env", msg: `not used with auth type "basic"`,
		},
		{
			name: "inline table",
			text: "[[farm]]\nname = \"a\"\nurl = \"https://a\"\nauth = { type = \"kerberos\" }\n",
			line: 4, key: "farm[1].auth.type", msg: "unknown auth type",
		},
		{
			name: "multi-line inline array of farms",
			text: "farm = [\n  { name = \"a\", url = \"https://a\" },\n  { name = \"b\",\n    url = \"nope\" },\n]\n",
			line: 4, key: "farm[2].url", msg: "not an absolute http(s) URL",
		},
		{
			name: "headers inside multi-line strings are not headers",
			text: "[primary.auth]\ntoken_command = \"\"\"\n[[farm]]\nurl = \"https://x\"\n\"\"\"\n\n[[farm]]\nname = \"a\"\nurl = \"a\"\n",
			line: 9, key: "farm[1].url", msg: "not an absolute http(s) URL",
		},
		{
			name: "quoted keys",
			text: "[\"poll\"]\n'fast' = \"5s\"\n\"slow\" = \"x\"\n",
			line: 3, key: "poll.slow", msg: "is not a duration",
		},
		{
			name: "earliest error wins",
			text: "[poll]\nfast = \"x\"\n[primary]\nurl = \"nope\"\n",
			line: 2, key: "poll.fast", msg: "is not a duration",
		},
		{
			name: "fps zero",
			text: "[ui]\nfps = 0\n",
			line: 2, key: "ui.fps", msg: "must be between 1 and 60",
		},
		{
			name: "fps too high",
			text: "[ui]\ntheme = \"dark\"\nfps = 61\n",
			line: 3, key: "ui.fps", msg: "must be between 1 and 60",
		},
		{
			name: "fps as float",
			text: "[ui]\nfps = 20.5\n",
			line: 2, key: "ui.fps", msg: "want an integer, got a float",
		},
		{
			name: "empty theme",
			text: "[ui]\ntheme = \" \"\n",
			line: 2, key: "ui.theme", msg: "must not be empty",
		},
		{
			name: "theme as path",
			text: "[ui]\ntheme = \"~/themes/solarized.toml\"\n",
			line: 2, key: "ui.theme", msg: "is a path; want a theme name",
		},
		{
			name: "theme as dot-dot",
			text: "[ui]\n\ntheme = \"..\"\n",
			line: 3, key: "ui.theme", msg: "is a path",
		},
		{
			name: "empty theme dir",
			text: "[ui]\ntheme_dir = \"\"\n",
			line: 2, key: "ui.theme_dir", msg: "must not be empty",
		},
		{
			name: "bad banner colour",
			text: "[ui]\nbanner = \"PROD\"\nbanner_color = \"crimson\"\n",
			line: 3, key: "ui.banner_color", msg: `"crimson" is not a colour (want a theme colour: text, muted, accent, ok, warn, bad; an ANSI index "0".."255"; "#rrggbb" or "#rgb")`,
		},
		{
			name: "banner with an escape",
			text: "[ui]\n\nbanner = \"PROD\\u001b[2J\"\n",
			line: 3, key: "ui.banner", msg: "must not contain control characters",
		},
		{
			name: "ascii not bool",
			text: "[ui]\nascii = 1\n",
			line: 2, key: "ui.ascii", msg: "want true or false",
		},
		{
			name: "mouse not bool",
			text: "[ui]\nmouse = \"on\"\n",
			line: 2, key: "ui.mouse", msg: "want true or false, got a string",
		},
		{
			name: "bell not bool",
			text: "[ui]\nbell = 1\n",
			line: 2, key: "ui.bell", msg: "want true or false, got an integer",
		},
		{
			name: "log file not string",
			text: "[ui]\nlog_file = false\n",
			line: 2, key: "ui.log_file", msg: "want a string, got a boolean",
		},
		{
			name: "typo in ui",
			text: "[ui]\nthem = \"dark\"\n",
			line: 2, key: "ui.them", msg: `unknown key (did you mean "theme"?)`,
		},
		{
			name: "ui as value",
			text: "ui = \"dark\"\n",
			line: 1, key: "ui", msg: "want a table ([ui]), got a string",
		},
		{
			name: "negative max lag",
			text: "[alerts]\nmax_lag = \"-1m\"\n",
			line: 2, key: "alerts.max_lag", msg: "must not be negative",
		},
		{
			name: "negative max lock",
			text: "[alerts]\ncert_days = 1\nmax_lock = \"-1m\"\n",
			line: 3, key: "alerts.max_lock", msg: "must not be negative",
		},
		{
			name: "negative max clock skew",
			text: "[alerts]\nmax_queue = 5\nmax_clock_skew = \"-30s\"\n",
			line: 3, key: "alerts.max_clock_skew", msg: "must not be negative",
		},
		{
			name: "mirror last seen as a number",
			text: "[alerts]\nmirror_last_seen = 600\n",
			line: 2, key: "alerts.mirror_last_seen", msg: "want a duration string",
		},
		{
			name: "bad max lag",
			text: "[alerts]\nmax_lag = \"ten minutes\"\n",
			line: 2, key: "alerts.max_lag", msg: `"ten minutes" is not a duration`,
		},
		{
			name: "max lag as integer",
			text: "[alerts]\nmax_lag = 600\n",
			line: 2, key: "alerts.max_lag", msg: "want a duration string",
		},
		{
			name: "negative max queue",
			text: "[alerts]\nmax_lag = \"0s\"\nmax_queue = -1\n",
			line: 3, key: "alerts.max_queue", msg: "must not be negative (0 turns the alert off)",
		},
		{
			name: "negative max mismatches",
			text: "[alerts]\nmax_mismatches = -5\n",
			line: 2, key: "alerts.max_mismatches", msg: "must not be negative",
		},
		{
			name: "max queue as string",
			text: "[alerts]\nmax_queue = \"500\"\n",
			line: 2, key: "alerts.max_queue", msg: "want an integer, got a string",
		},
		{
			name: "typo in alerts",
			text: "[alerts]\nmax_lags = \"1m\"\n",
			line: 2, key: "alerts.max_lags", msg: `unknown key (did you mean "max_lag"?)`,
		},
		{
			name: "empty key",
			text: "[keys]\nrefresh = \"ctrl+r\"\nquit = \"\"\n",
			line: 3, key: "keys.quit", msg: "must not be empty",
		},
		{
			name: "empty key list",
			text: "[keys]\n\nquit = []\n",
			line: 3, key: "keys.quit", msg: "must list at least one key",
		},
		{
			name: "empty key in list",
			text: "[keys]\nquit = [\"q\",\n  \"  \"]\n",
			line: 3, key: "keys.quit[2]", msg: "must not be empty",
		},
		{
			name: "key as integer",
			text: "[keys]\nhelp = 1\n",
			line: 2, key: "keys.help", msg: `want a key string such as "ctrl+r" or a list of them, got an integer`,
		},
		{
			name: "integer in key list",
			text: "[keys]\nup = [\"k\", 1]\n",
			line: 2, key: "keys.up[2]", msg: "want a key string, got an integer",
		},
		{
			name: "key as table",
			text: "[keys]\nquit = \"q\"\n\n[keys.help]\nkey = \"?\"\n",
			line: 4, key: "keys.help", msg: "want a key string such as \"ctrl+r\" or a list of them, got a table",
		},
		{
			name: "inline tables in key list",
			text: "[keys]\nquit = [{ key = \"q\" }]\n",
			line: 2, key: "keys.quit[1]", msg: "want a key string, got a table",
		},
		{
			name: "keys as value",
			text: "keys = [\"q\"]\n",
			line: 1, key: "keys", msg: "want a table ([keys]), got an array",
		},
		{
			name: "serve max_sessions zero",
			text: "[serve]\nssh_listen = \":2222\"\n\nmax_sessions = 0\n",
			line: 4, key: "serve.max_sessions", msg: "must be between 1 and 10000",
		},
		{
			name: "serve max_sessions too many",
			text: "[serve]\nmax_sessions = 10001\n",
			line: 2, key: "serve.max_sessions", msg: "must be between 1 and 10000",
		},
		{
			name: "serve fps too high",
			text: "[serve]\nfps = 61\n",
			line: 2, key: "serve.fps", msg: "must be between 1 and 60",
		},
		{
			name: "serve idle_timeout negative",
			text: "[serve]\nidle_timeout = \"-1m\"\n",
			line: 2, key: "serve.idle_timeout", msg: `must not be negative ("0s" never closes an idle session)`,
		},
		{
			name: "serve idle_timeout not a duration",
			text: "[serve]\nidle_timeout = 30\n",
			line: 2, key: "serve.idle_timeout", msg: "want a duration string",
		},
		{
			name: "serve ssh_listen without port",
			text: "[serve]\nhttp_listen = \":8080\"\nssh_listen = \"localhost\"\n",
			line: 3, key: "serve.ssh_listen", msg: `"localhost" is not a listen address (want host:port or :port, such as ":2222")`,
		},
		{
			name: "serve http_listen bad port",
			text: "[serve]\nhttp_listen = \"127.0.0.1:http8080\"\n",
			line: 2, key: "serve.http_listen", msg: `port "http8080" is not a number from 0 to 65535`,
		},
		{
			name: "serve http_listen port too high",
			text: "[serve]\nhttp_listen = \"[::1]:65536\"\n",
			line: 2, key: "serve.http_listen", msg: `port "65536" is not a number from 0 to 65535`,
		},
		{
			name: "serve same address twice",
			text: "[serve]\nssh_listen = \":2222\"\nhttp_listen = \":2222\"\n",
			line: 3, key: "serve.http_listen", msg: "same address as ssh_listen",
		},
		{
			name: "serve empty authorized_keys",
			text: "[serve]\nauthorized_keys = \"  \"\n",
			line: 2, key: "serve.authorized_keys", msg: "must not be empty",
		},
		{
			name: "serve host_key not a string",
			text: "[serve]\nhost_key = 1\n",
			line: 2, key: "serve.host_key", msg: "want a string, got an integer",
		},
		{
			name: "serve unknown key",
			text: "[serve]\nssh_listen = \":2222\"\nmax_session = 5\n",
			line: 3, key: "serve.max_session", msg: `unknown key (did you mean "max_sessions"?)`,
		},
		{
			name: "serve as value",
			text: "serve = true\n",
			line: 1, key: "serve", msg: "want a table ([serve]), got a boolean",
		},
		{
			name: "tables after farm nodes belong to the farm",
			text: "[[farm]]\nname = \"a\"\nurl = \"https://a\"\n[[farm.node]]\nname = \"1\"\nurl = \"https://1\"\n[farm.auth]\ntype = \"basic\"\n",
			line: 8, key: "farm[1].auth", msg: "basic auth needs a user",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("config.toml", []byte(tt.text))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if e.File != "config.toml" || e.Line != tt.line || e.Key != tt.key || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got  %q\nwant config.toml:%d: %s: ...%s...", e.Error(), tt.line, tt.key, tt.msg)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse("config.toml", []byte("[[farm]]\nname = \"a\"\nurl = \"mirror\"\n"))
	if got, want := err.Error(), "config.toml:3: farm[1].url: not an absolute http(s) URL"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "c.toml", Line: 12, Key: "farm[1].url", Msg: "bad"}, "c.toml:12: farm[1].url: bad"},
		{Error{File: "c.toml", Key: "primary.url", Msg: "missing"}, "c.toml: primary.url: missing"},
		{Error{File: "c.toml", Line: 3, Msg: "syntax"}, "c.toml:3: syntax"},
		{Error{Key: `--farm "x"`, Msg: "want NAME=URL"}, `--farm "x": want NAME=URL`},
		{Error{Line: 4, Msg: "m"}, "line 4: m"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		line int
	}{
		{"bare duration", "[poll]\n\nfast = 10s\n", 3},
		{"unterminated string", "[primary]\nurl = \"https://a\n", 2},
		{"duplicate key", "[poll]\nfast = \"1s\"\nslow = \"1m\"\nfast = \"2s\"\n", 4},
		{"bad header", "[poll]\nfast = \"1s\"\n[primary\n", 3},
		{"missing value", "read_only =\n[poll]\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("config.toml", []byte(tt.text))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if e.Line != tt.line || e.File != "config.toml" || e.Msg == "" {
				t.Errorf("got %q (line %d), want line %d", e.Error(), e.Line, tt.line)
			}
			if !strings.HasPrefix(e.Error(), "config.toml:") {
				t.Errorf("error %q does not start with the file", e.Error())
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const inline = "[primary]\nurl = \"https://a\"\n[primary.auth]\ntoken = \"s3cr3t\"\n"
	const inlineFarm = "[[farm]]\nname = \"a\"\nurl = \"https://a\"\n[farm.auth]\nuser = \"u\"\npassword = \"s3cr3t\"\n"
	const inlineGitLab = "[[gitlab]]\nname = \"g\"\nurl = \"https://g\"\ngroups = [\"x\"]\ntoken = \"s3cr3t\"\n"
	const env = "[primary]\nurl = \"https://a\"\n[primary.auth]\ntoken_env = \"T\"\n"
	const gitLabEnv = "[[gitlab]]\nname = \"g\"\nurl = \"https://g\"\ngroups = [\"x\"]\n"
	tests := []struct {
		name string
		text string
		mode os.FileMode
		warn string
	}{
		{"inline world-readable", inline, 0o644, "holds a secret and is readable by others (mode 0644); chmod 600 it"},
		{"inline group-readable", inline, 0o640, "(mode 0640)"},
		{"inline farm password", inlineFarm, 0o604, "(mode 0604)"},
		{"inline gitlab token", inlineGitLab, 0o644, "(mode 0644)"},
		{"inline private", inline, 0o600, ""},
		{"inline gitlab token private", inlineGitLab, 0o600, ""},
		{"env world-readable", env, 0o644, ""},
		{"default gitlab token world-readable", gitLabEnv, 0o644, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(string(rune('a'+i))+".toml", tt.text, tt.mode)
			c, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if c.Path != p {
				t.Errorf("Path %q, want %q", c.Path, p)
			}
			if tt.warn == "" {
				if len(c.Warnings) != 0 {
					t.Errorf("unexpected warnings %q", c.Warnings)
				}
				return
			}
			if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], tt.warn) || !strings.Contains(c.Warnings[0], p) {
				t.Errorf("warnings %q, want one naming %s and containing %q", c.Warnings, p, tt.warn)
			}
			if strings.Contains(c.Warnings[0], "s3cr3t") {
				t.Errorf("warning leaks the secret: %q", c.Warnings[0])
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		p := filepath.Join(dir, "nope.toml")
		_, err := Load(p)
		var e *Error
		if !errors.As(err, &e) || e.File != p {
			t.Fatalf("error %v, want *Error for %s", err, p)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %v does not wrap fs.ErrNotExist", err)
		}
	})
	t.Run("bad file names path and line", func(t *testing.T) {
		p := write("bad.toml", "[poll]\nfast = \"1s\"\nfsat = \"2s\"\n", 0o600)
		_, err := Load(p)
		if err == nil || err.Error() != p+`:3: poll.fsat: unknown key (did you mean "fast"?)` {
			t.Errorf("error %v", err)
		}
	})
}

func TestExampleFile(t *testing.T) {
	home := setHome(t)
	t.Setenv("XDG_CONFIG_HOME", "")
	data, err := os.ReadFile("example.toml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("example.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Primary.URL != "https://bitbucket.example.com" ||
		!reflect.DeepEqual(c.Primary.Auth, Auth{Type: "bearer", Token: Secret{Env: "BITBUCKET_TOKEN"}}) {
		t.Errorf("primary %#v", c.Primary)
	}
	if c.Poll != Default().Poll {
		t.Errorf("example poll %+v differs from the defaults %+v", c.Poll, Default().Poll)
	}
	if c.UI != Default().UI || c.UI.ThemeDir != filepath.Join(home, ".config", "mirrortop", "themes") {
		t.Errorf("example ui %+v differs from the defaults %+v", c.UI, Default().UI)
	}
	if c.Alerts != Default().Alerts {
		t.Errorf("example alerts %+v differs from the defaults %+v", c.Alerts, Default().Alerts)
	}
	if c.Serve != Default().Serve || c.Line("serve.max_sessions") == 0 {
		t.Errorf("example serve %+v differs from the defaults %+v", c.Serve, Default().Serve)
	}
	if want := map[string][]string{"refresh": {"ctrl+r"}, "quit": {"q", "ctrl+c"}}; !reflect.DeepEqual(c.Keys, want) {
		t.Errorf("example keys %q, want %q", c.Keys, want)
	}
	if c.Line("keys.refresh") == 0 || c.Line("keys.quit") != c.Line("keys.refresh")+1 {
		t.Errorf("example key lines: refresh %d, quit %d", c.Line("keys.refresh"), c.Line("keys.quit"))
	}
	if len(c.Farms) != 2 {
		t.Fatalf("farms %#v", c.Farms)
	}
	eu, apac := c.Farms[0], c.Farms[1]
	if eu.Name != "eu" || len(eu.Nodes) != 2 || eu.Target.Auth != c.Primary.Auth || eu.SyncInterval != DefaultSyncInterval {
		t.Errorf("eu %#v", eu)
	}
	if apac.Name != "apac" || apac.Target.URL != "" || len(apac.Nodes) != 1 || apac.SyncInterval != 5*time.Minute ||
		apac.Target.Auth.Type != "basic" || apac.Target.Auth.Password.Command == "" ||
		apac.Target.TLS.CAFile != filepath.Join(home, ".config/mirrortop/apac-ca.pem") {
		t.Errorf("apac %#v", apac)
	}
	wantGitLab := []GitLab{{
		Name:     "gitlab",
		URL:      "https://gitlab.example.com",
		Token:    Secret{Env: "GITLAB_TOKEN"},
		Projects: []string{"platform/api", "platform/web"},
		Groups:   []string{"infra"},
	}}
	if !reflect.DeepEqual(c.GitLab, wantGitLab) {
		t.Errorf("gitlab %#v, want %#v", c.GitLab, wantGitLab)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
	}{
		{"ok", "[primary]\nurl = \"https://a\"\n", ""},
		{"nothing to watch", "[poll]\nfast = \"1s\"\n", "c.toml: primary.url: nothing to watch: set [primary] url or add a [[gitlab]] entry"},
		{"primary table without url", "\n[primary]\nca_file = \"/ca\"\n", "c.toml:2: primary.url: nothing to watch"},
		{"farm without url or nodes", "[primary]\nurl = \"https://a\"\n\n[[farm]]\nname = \"eu\"\n", "c.toml:5: farm[1]: needs a url or at least one [[farm.node]]"},
		{"farm with nodes only", "[primary]\nurl = \"https://a\"\n[[farm]]\nname = \"eu\"\n[[farm.node]]\nname = \"1\"\nurl = \"https://1\"\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("c.toml", []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Errorf("Validate: %v, want %q", err, tt.want)
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Errorf("error %T, want *Error", err)
				}
			}
		})
	}

	t.Run("hand-built", func(t *testing.T) {
		c := Default()
		c.Primary.URL = "https://a"
		c.Farms = []Farm{{Name: "x", Target: Target{URL: "https://x"}, SyncInterval: time.Minute}}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate: %v", err)
		}
		c.Poll.PerHost = 0
		if err := c.Validate(); err == nil || err.Error() != "poll.per_host: must be between 1 and 64" {
			t.Errorf("Validate: %v", err)
		}
	})
}

func TestDefaultPath(t *testing.T) {
	home := setHome(t)
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	if got, want := DefaultPath(), filepath.Join("/xdg", "mirrortop", "config.toml"); got != want {
		t.Errorf("with XDG_CONFIG_HOME: %q, want %q", got, want)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	if got, want := DefaultPath(), filepath.Join(home, ".config", "mirrortop", "config.toml"); got != want {
		t.Errorf("without XDG_CONFIG_HOME: %q, want %q", got, want)
	}
}

func TestUIAndAlertsSettings(t *testing.T) {
	home := setHome(t)
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	def := Default()
	if def.UI.ThemeDir != filepath.Join("/xdg", "mirrortop", "themes") {
		t.Fatalf("default theme dir %q", def.UI.ThemeDir)
	}
	tests := []struct {
		name   string
		text   string
		ui     func(*UI)
		alerts func(*Alerts)
	}{
		{name: "empty tables", text: "[ui]\n[alerts]\n"},
		{name: "theme", text: "[ui]\ntheme = \" high-contrast \"\n", ui: func(u *UI) { u.Theme = "high-contrast" }},
		{name: "user theme", text: "[ui]\ntheme = \"solarized\"\n", ui: func(u *UI) { u.Theme = "solarized" }},
		{name: "theme dir with tilde", text: "[ui]\ntheme_dir = \"~/my themes\"\n", ui: func(u *UI) { u.ThemeDir = filepath.Join(home, "my themes") }},
		{name: "theme dir absolute", text: "[ui]\ntheme_dir = \"/usr/share/mirrortop/themes\"\n", ui: func(u *UI) { u.ThemeDir = "/usr/share/mirrortop/themes" }},
		{name: "fps min", text: "[ui]\nfps = 1\n", ui: func(u *UI) { u.FPS = 1 }},
		{name: "fps max", text: "[ui]\nfps = 60\n", ui: func(u *UI) { u.FPS = 60 }},
		{name: "mouse", text: "[ui]\nmouse = true\n", ui: func(u *UI) { u.Mouse = true }},
		{name: "bell", text: "[ui]\nbell = true\n", ui: func(u *UI) { u.Bell = true }},
		{name: "log file", text: "[ui]\nlog_file = \"~/mirrortop.log\"\n", ui: func(u *UI) { u.LogFile = filepath.Join(home, "mirrortop.log") }},
		{name: "log file empty", text: "[ui]\nlog_file = \"\"\n"},
		{name: "inline ui table", text: "ui = { fps = 5, bell = true }\n", ui: func(u *UI) { u.FPS, u.Bell = 5, true }},
		{name: "dotted ui keys", text: "ui.mouse = true\nui.theme = \"light\"\n", ui: func(u *UI) { u.Mouse, u.Theme = true, "light" }},
		{name: "max lag", text: "[alerts]\nmax_lag = \"1h30m\"\n", alerts: func(a *Alerts) { a.MaxLag = 90 * time.Minute }},
		{name: "max lag off", text: "[alerts]\nmax_lag = \"0s\"\n", alerts: func(a *Alerts) { a.MaxLag = 0 }},
		{name: "max queue", text: "[alerts]\nmax_queue = 10000\n", alerts: func(a *Alerts) { a.MaxQueue = 10000 }},
		{name: "max queue off", text: "[alerts]\nmax_queue = 0\n", alerts: func(a *Alerts) { a.MaxQueue = 0 }},
		{name: "max mismatches", text: "[alerts]\nmax_mismatches = 1\n", alerts: func(a *Alerts) { a.MaxMismatches = 1 }},
		{name: "max mismatches off", text: "[alerts]\nmax_mismatches = 0\n", alerts: func(a *Alerts) { a.MaxMismatches = 0 }},
		{name: "max clock skew", text: "[alerts]\nmax_clock_skew = \"1m\"\n", alerts: func(a *Alerts) { a.MaxClockSkew = time.Minute }},
		{name: "max clock skew off", text: "[alerts]\nmax_clock_skew = \"0s\"\n", alerts: func(a *Alerts) { a.MaxClockSkew = 0 }},
		{name: "mirror last seen", text: "[alerts]\nmirror_last_seen = \"25m\"\n", alerts: func(a *Alerts) { a.MirrorLastSeen = 25 * time.Minute }},
		{name: "mirror last seen off", text: "[alerts]\nmirror_last_seen = \"0s\"\n", alerts: func(a *Alerts) { a.MirrorLastSeen = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("c.toml", []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			wantUI, wantAlerts := def.UI, def.Alerts
			if tt.ui != nil {
				tt.ui(&wantUI)
			}
			if tt.alerts != nil {
				tt.alerts(&wantAlerts)
			}
			if c.UI != wantUI {
				t.Errorf("UI %+v, want %+v", c.UI, wantUI)
			}
			if c.Alerts != wantAlerts {
				t.Errorf("Alerts %+v, want %+v", c.Alerts, wantAlerts)
			}
			if c.Keys != nil {
				t.Errorf("Keys %v, want nil", c.Keys)
			}
		})
	}
}

func TestDefaultThemeDir(t *testing.T) {
	home := setHome(t)
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	if got, want := Default().UI.ThemeDir, filepath.Join("/xdg", "mirrortop", "themes"); got != want {
		t.Errorf("with XDG_CONFIG_HOME: %q, want %q", got, want)
	}
	t.Setenv("XDG_CONFIG_HOME", "relative")
	if got, want := Default().UI.ThemeDir, filepath.Join(home, ".config", "mirrortop", "themes"); got != want {
		t.Errorf("with relative XDG_CONFIG_HOME: %q, want %q", got, want)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	if got, want := Default().UI.ThemeDir, filepath.Join(home, ".config", "mirrortop", "themes"); got != want {
		t.Errorf("without XDG_CONFIG_HOME: %q, want %q", got, want)
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name string
		text string
		want map[string][]string
	}{
		{"no table", "[ui]\nfps = 10\n", nil},
		{"empty table", "[keys]\n", map[string][]string{}},
		{"one key", "[keys]\nrefresh = \"ctrl+r\"\n", map[string][]string{"refresh": {"ctrl+r"}}},
		{"list in order", "[keys]\nquit = [\"q\", \"ctrl+c\", \"esc\"]\n", map[string][]string{"quit": {"q", "ctrl+c", "esc"}}},
		{"single-element list", "[keys]\nhelp = [\"?\"]\n", map[string][]string{"help": {"?"}}},
		{"spaces trimmed", "[keys]\nsearch = \" / \"\nnext = [\" pgdown\"]\n", map[string][]string{"search": {"/"}, "next": {"pgdown"}}},
		{"case kept", "[keys]\nSort = \"shift+s\"\nsort = \"S\"\n", map[string][]string{"Sort": {"shift+s"}, "sort": {"S"}}},
		{"unknown actions kept", "[keys]\nfrob = \"f\"\n", map[string][]string{"frob": {"f"}}},
		{"quoted action", "[keys]\n\"open farm\" = \"enter\"\n", map[string][]string{"open farm": {"enter"}}},
		{"inline table", "keys = { quit = \"q\", up = [\"k\", \"up\"] }\n", map[string][]string{"quit": {"q"}, "up": {"k", "up"}}},
		{"dotted", "keys.quit = \"q\"\n", map[string][]string{"quit": {"q"}}},
		{"multi-line list", "[keys]\ndown = [\n  \"j\",\n  \"down\",\n]\n", map[string][]string{"down": {"j", "down"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("c.toml", []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Keys, tt.want) || (c.Keys == nil) != (tt.want == nil) {
				t.Errorf("Keys %#v, want %#v", c.Keys, tt.want)
			}
		})
	}
}

func TestLine(t *testing.T) {
	const text = `# bindings
[ui]
fps = 10

[keys]
refresh = "ctrl+r"
quit = [
  "q",
  "ctrl+c",
]
"open farm" = "enter"
frob = "f"   # not an action; the console reports it at this line
`
	c, err := Parse("config.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	for action, want := range map[string]int{
		"refresh":   6,
		"quit":      7,
		"open farm": 11,
		"frob":      12,
		"help":      0,
		"":          0,
		"fps":       0,
	} {
		if got := c.Line("keys." + action); got != want {
			t.Errorf("Line(keys.%s) = %d, want %d", action, got, want)
		}
	}
	e := &Error{File: c.Path, Line: c.Line("keys.frob"), Key: "keys.frob", Msg: "unknown action"}
	if got, want := e.Error(), "config.toml:12: keys.frob: unknown action"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}

	for _, tt := range []struct {
		name string
		text string
		line int
	}{
		{"inline table", "read_only = true\nkeys = { quit = \"q\",\n  help = \"?\" }\n", 3},
		{"dotted", "read_only = true\nkeys.help = \"?\"\n", 2},
	} {
		c, err := Parse("c.toml", []byte(tt.text))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Line("keys.help"); got != tt.line {
			t.Errorf("%s: Line(keys.help) = %d, want %d", tt.name, got, tt.line)
		}
	}

	if got := Default().Line("keys.quit"); got != 0 {
		t.Errorf("Default().Line = %d, want 0", got)
	}
	var nilConfig *Config
	if got := nilConfig.Line("keys.quit"); got != 0 {
		t.Errorf("nil Line = %d, want 0", got)
	}
}

func TestValidateUIAlertsKeys(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"defaults", func(*Config) {}, ""},
		{"alerts off", func(c *Config) { c.Alerts = Alerts{} }, ""},
		{"fps zero", func(c *Config) { c.UI.FPS = 0 }, "ui.fps: must be between 1 and 60"},
		{"fps negative", func(c *Config) { c.UI.FPS = -1 }, "ui.fps: must be between 1 and 60"},
		{"theme path", func(c *Config) { c.UI.Theme = `..\dark` }, `ui.theme: "..\\dark" is a path`},
		{"negative lag", func(c *Config) { c.Alerts.MaxLag = -time.Second }, "alerts.max_lag: must not be negative"},
		{"negative clock skew", func(c *Config) { c.Alerts.MaxClockSkew = -time.Second }, "alerts.max_clock_skew: must not be negative"},
		{"negative last seen", func(c *Config) { c.Alerts.MirrorLastSeen = -time.Second }, "alerts.mirror_last_seen: must not be negative"},
		{"negative queue", func(c *Config) { c.Alerts.MaxQueue = -1 }, "alerts.max_queue: must not be negative"},
		{"negative mismatches", func(c *Config) { c.Alerts.MaxMismatches = -1 }, "alerts.max_mismatches: must not be negative"},
		{"keys ok", func(c *Config) { c.Keys = map[string][]string{"quit": {"q"}} }, ""},
		{"no keys for action", func(c *Config) { c.Keys = map[string][]string{"quit": nil} }, "keys.quit: must list at least one key"},
		{"empty key", func(c *Config) { c.Keys = map[string][]string{"quit": {"q", " "}} }, "keys.quit[2]: must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Primary.URL = "https://a"
			tt.modify(c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Errorf("Validate: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestFinalizeUIDefaults(t *testing.T) {
	home := setHome(t)
	t.Setenv("XDG_CONFIG_HOME", "")
	c := &Config{UI: UI{LogFile: "~/log"}}
	if err := c.ApplyFlags(Flags{Primary: "https://a"}, env(nil)); err != nil {
		t.Fatal(err)
	}
	want := UI{Theme: DefaultTheme, ThemeDir: filepath.Join(home, ".config", "mirrortop", "themes"), FPS: DefaultFPS, LogFile: filepath.Join(home, "log")}
	if c.UI != want {
		t.Errorf("UI %+v, want %+v", c.UI, want)
	}
	if c.Alerts != (Alerts{}) {
		t.Errorf("Alerts %+v: zero thresholds must stay off", c.Alerts)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// TestSyntaxErrorHidesSecrets checks that a TOML syntax error on a line
// holding a password or token names the line but never quotes its text.
func TestSyntaxErrorHidesSecrets(t *testing.T) {
	for _, text := range []string{
		"[primary]\nurl = \"https://bb\"\n[primary.auth]\nuser = \"u\"\npassword = hunter2secret\n",
		"[primary]\nurl = \"https://bb\"\nauth = { token = s3cr3tTok3n }\n",
		"[primary]\nurl = \"https://bb\"\n[primary.auth]\ntoken = \"s3cr3tTok3n\n",
		// A value spanning lines: the error is lines below the key.
		"[primary]\nurl = \"https://bb\"\n[primary.auth]\npassword = [\n  \"a\",\n\n  hunter2XYZ\n]\n",
	} {
		_, err := Parse("c.toml", []byte(text))
		if err == nil {
			t.Fatalf("%q: no error", text)
		}
		var ce *Error
		if !errors.As(err, &ce) || ce.Line == 0 {
			t.Errorf("%q: error %v has no line", text, err)
		}
		for _, secret := range []string{"hunter", "s3cr3t", "Tok3n"} {
			for e := error(err); e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), secret) {
					t.Errorf("%q: error %q shows the secret", text, e.Error())
				}
			}
		}
	}
	// Other syntax errors keep the parser's words.
	_, err := Parse("c.toml", []byte("[primary]\nurl = https://bb\n"))
	if err == nil || !strings.Contains(err.Error(), "c.toml:2") || strings.Contains(err.Error(), "may hold a secret") {
		t.Errorf("plain syntax error: %v", err)
	}
}

func TestUIBannerAndASCII(t *testing.T) {
	c, err := Parse("config.toml", []byte("[ui]\nbanner = \" PROD \"\nbanner_color = \"#ff0000\"\nascii = false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.UI.Banner != "PROD" || c.UI.BannerColor != "#ff0000" || c.UI.ASCII == nil || *c.UI.ASCII {
		t.Errorf("ui %+v", c.UI)
	}
	for _, col := range []string{"bad", "Accent", "196", "#f00"} {
		if _, err := Parse("config.toml", []byte("[ui]\nbanner_color = \""+col+"\"\n")); err != nil {
			t.Errorf("banner_color %q: %v", col, err)
		}
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	set, unset := UI{}, UI{}
	yes := true
	set.ASCII = &yes
	for _, tc := range []struct {
		ui   UI
		env  map[string]string
		want bool
	}{
		{unset, map[string]string{"LANG": "en_US.UTF-8"}, false},
		{unset, map[string]string{"LANG": "de_DE.utf8"}, false},
		{unset, map[string]string{"LC_ALL": "C", "LANG": "en_US.UTF-8"}, true},
		{unset, map[string]string{"LC_CTYPE": "C.UTF-8", "LANG": "C"}, false},
		{unset, map[string]string{"LANG": "POSIX"}, true},
		{unset, nil, true},
		{set, map[string]string{"LANG": "en_US.UTF-8"}, true},
	} {
		if got := tc.ui.ASCIIGlyphs(env(tc.env)); got != tc.want {
			t.Errorf("ASCIIGlyphs(ascii %v, %v) = %v, want %v", tc.ui.ASCII != nil, tc.env, got, tc.want)
		}
	}
}

func TestServeDefaults(t *testing.T) {
	home := setHome(t)
	t.Setenv("XDG_STATE_HOME", "")
	d := Default()
	if d.Serve != (Serve{MaxSessions: 50, IdleTimeout: 30 * time.Minute, FPS: 60}) {
		t.Errorf("Default().Serve = %+v", d.Serve)
	}
	c, err := Parse("config.toml", []byte("[serve]\nssh_listen = \":0\"\nhttp_listen = \":0\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Serve != (Serve{SSHListen: ":0", HTTPListen: ":0", MaxSessions: 50, IdleTimeout: 30 * time.Minute, FPS: 60}) {
		t.Errorf("Serve = %+v", c.Serve)
	}
	if got, want := c.HostKeyPath(), filepath.Join(home, ".local/state/mirrortop/host_key"); got != want {
		t.Errorf("HostKeyPath() = %q, want %q", got, want)
	}
	// The default host key follows state_dir.
	c, err = Parse("config.toml", []byte("state_dir = \"~/st\"\n[serve]\nmax_sessions = 10000\nidle_timeout = \"90s\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.HostKeyPath(), filepath.Join(home, "st", "host_key"); got != want {
		t.Errorf("HostKeyPath() = %q, want %q", got, want)
	}
	if c.Serve.MaxSessions != 10000 || c.Serve.IdleTimeout != 90*time.Second {
		t.Errorf("Serve = %+v", c.Serve)
	}
	if (&Config{}).HostKeyPath() != "" {
		t.Error("HostKeyPath() without a state folder is not empty")
	}
}

// [[notify]]: defaults, every key, and each bad value at its line.
func TestNotifyTables(t *testing.T) {
	c, err := Parse("config.toml", []byte(`[primary]
url = "https://bb.example.com"

[[notify]]
url_env = "HOOK"

[[notify]]
name = "chat"
url_file = "/etc/mirrortop/hook"
format = "Slack"
min_severity = "critical"
repeat_every = "30m"
send_resolved = false
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Notify{
		{URL: Secret{Env: "HOOK"}, Format: "json", MinSeverity: "warning", RepeatEvery: 4 * time.Hour, SendResolved: true},
		{Name: "chat", URL: Secret{File: "/etc/mirrortop/hook"}, Format: "slack", MinSeverity: "critical", RepeatEvery: 30 * time.Minute},
	}
	if !reflect.DeepEqual(c.Notify, want) {
		t.Fatalf("Notify = %+v", c.Notify)
	}
	for _, tc := range []struct{ text, want string }{
		{"[[notify]]\nformat = \"json\"\n", "config.toml:3: notify[1].url: missing; set url_env, url_file or url_command (the URL is a secret)"},
		{"[[notify]]\nurl_env = \"H\"\nformat = \"teams\"\n", `config.toml:5: notify[1].format: must be "json" or "slack"`},
		{"[[notify]]\nurl_env = \"H\"\nmin_severity = \"info\"\n", `config.toml:5: notify[1].min_severity: must be "warning" or "critical"`},
		{"[[notify]]\nurl_env = \"H\"\nrepeat_every = \"-1m\"\n", `config.toml:5: notify[1].repeat_every: must not be negative ("0s" never resends)`},
	} {
		_, err := Parse("config.toml", []byte("[primary]\nurl = \"https://bb\"\n"+tc.text))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: %v, want %s", tc.text, err, tc.want)
		}
	}
}
