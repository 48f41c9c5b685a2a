package config

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
)

// Environment variables that supply credentials when the configuration
// has none for the primary.
const (
	EnvToken    = "BITBUCKET_TOKEN"    // EnvToken holds a bearer token.
	EnvUser     = "BITBUCKET_USER"     // EnvUser holds a basic auth user.
	EnvPassword = "BITBUCKET_PASSWORD" // EnvPassword holds EnvUser's password.
)

// EnvGitLabToken is the environment variable holding the token of a
// GitLab entry that sets none (the variable the glab CLI uses).
const EnvGitLabToken = "GITLAB_TOKEN"

// Flags are the command-line quick flags, which work with or without a
// configuration file.
type Flags struct {
	// Primary, when set, is the primary's base URL (--primary).
	Primary string
	// Farms are "NAME=URL" entries (--farm); each adds a farm or overrides
	// the URL of the farm of that name.
	Farms []string
	// ReadOnly, when true, forces read-only mode (--read-only).
	ReadOnly bool
	// GitLab, when set, is a GitLab base URL (--gitlab); it adds a GitLab
	// entry named after the URL's host, or overrides the URL of the entry
	// of that name.
	GitLab string
	// GitLabProjects are project paths (--gitlab-project) added to the
	// --gitlab entry, or without --gitlab to the only GitLab entry of the
	// file.
	GitLabProjects []string
}

// ApplyFlags applies f over c. When the primary then has no auth
// configured, credentials come from the environment, read with getenv
// (os.Getenv when nil): BITBUCKET_TOKEN gives bearer auth, else
// BITBUCKET_USER with BITBUCKET_PASSWORD gives basic auth. Farms without
// their own auth and TLS settings then inherit the primary's, and GitLab
// entries without a token use GITLAB_TOKEN. Errors are *Error naming the
// flag.
func (c *Config) ApplyFlags(f Flags, getenv func(string) string) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	if u := strings.TrimSpace(f.Primary); u != "" {
		if msg := checkURL(u); msg != "" {
			return &Error{Key: fmt.Sprintf("--primary %q", redactURL(f.Primary)), Msg: msg}
		}
		c.Primary.URL = trimURL(u)
	}
	for _, entry := range f.Farms {
		flag := fmt.Sprintf("--farm %q", redactURL(entry))
		name, u, ok := strings.Cut(entry, "=")
		name, u = strings.TrimSpace(name), strings.TrimSpace(u)
		if !ok || name == "" || u == "" {
			return &Error{Key: flag, Msg: "want NAME=URL"}
		}
		if msg := checkURL(u); msg != "" {
			return &Error{Key: flag, Msg: msg}
		}
		u = trimURL(u)
		found := false
		for i := range c.Farms {
			if c.Farms[i].Name == name {
				c.Farms[i].Target.URL = u
				found = true
			}
		}
		if !found {
			c.Farms = append(c.Farms, Farm{Name: name, Target: Target{URL: u}, SyncInterval: DefaultSyncInterval})
		}
	}
	if err := c.applyGitLabFlags(f); err != nil {
		return err
	}
	if c.Primary.Auth.isNone() {
		switch {
		case getenv(EnvToken) != "":
			c.Primary.Auth = Auth{Type: AuthBearer, Token: Secret{Env: EnvToken}}
		case getenv(EnvUser) != "" && getenv(EnvPassword) != "":
			c.Primary.Auth = Auth{Type: AuthBasic, User: getenv(EnvUser), Password: Secret{Env: EnvPassword}}
		}
	}
	if f.ReadOnly {
		c.ReadOnly = true
	}
	c.finalize()
	return nil
}

// applyGitLabFlags applies --gitlab and --gitlab-project. The --gitlab
// entry is the one named after the URL's host or, failing that, one with
// the same URL; a new one reads its token from GITLAB_TOKEN.
func (c *Config) applyGitLabFlags(f Flags) error {
	target := -1
	if raw := strings.TrimSpace(f.GitLab); raw != "" {
		flag := fmt.Sprintf("--gitlab %q", redactURL(f.GitLab))
		if msg := checkGitLabURL(raw, "set "+EnvGitLabToken+" instead"); msg != "" {
			return &Error{Key: flag, Msg: msg}
		}
		u := trimURL(raw)
		pu, _ := url.Parse(u) // checkURL has parsed it
		name := strings.ToLower(pu.Host)
		for i, g := range c.GitLab {
			if g.Name == name {
				target = i
				break
			}
		}
		if target < 0 {
			for i, g := range c.GitLab {
				if g.URL != "" && trimURL(g.URL) == u {
					target = i
					break
				}
			}
		}
		if target < 0 {
			c.GitLab = append(c.GitLab, GitLab{Name: name})
			target = len(c.GitLab) - 1
		}
		g := &c.GitLab[target]
		g.URL = u
		if !g.Token.IsSet() {
			g.Token = Secret{Env: EnvGitLabToken}
		}
	}
	for _, entry := range f.GitLabProjects {
		flag := fmt.Sprintf("--gitlab-project %q", entry)
		p := trimPath(entry)
		if msg := checkPath(p); msg != "" {
			return &Error{Key: flag, Msg: msg}
		}
		i := target
		if i < 0 && len(c.GitLab) == 1 {
			i = 0
		}
		if i < 0 {
			return &Error{Key: flag, Msg: "use it with --gitlab URL"}
		}
		g := &c.GitLab[i]
		if !slices.ContainsFunc(g.Projects, func(q string) bool { return strings.EqualFold(trimPath(q), p) }) {
			g.Projects = append(g.Projects, p)
		}
	}
	return nil
}

// redactURL hides the user information of a URL in flag text, which may
// hold a password or token: everything between "://" (or the start) and
// the last "@", since a password may itself hold "/", "?" or "#". Hiding
// part of a path that has an "@" costs nothing.
func redactURL(s string) string {
	prefix, rest := "", s
	if i := strings.Index(s, "://"); i >= 0 {
		prefix, rest = s[:i+3], s[i+3:]
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return s
	}
	return prefix + redacted + "@" + rest[at+1:]
}
