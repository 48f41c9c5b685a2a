package config

import (
	"fmt"
	"os"
	"strings"
)

// Environment variables that supply credentials when the configuration
// has none for the primary.
const (
	EnvToken    = "BITBUCKET_TOKEN"    // EnvToken holds a bearer token.
	EnvUser     = "BITBUCKET_USER"     // EnvUser holds a basic auth user.
	EnvPassword = "BITBUCKET_PASSWORD" // EnvPassword holds EnvUser's password.
)

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
}

// ApplyFlags applies f over c. When the primary then has no auth
// configured, credentials come from the environment, read with getenv
// (os.Getenv when nil): BITBUCKET_TOKEN gives bearer auth, else
// BITBUCKET_USER with BITBUCKET_PASSWORD gives basic auth. Farms without
// their own auth and TLS settings then inherit the primary's. Errors are
// *Error naming the flag.
func (c *Config) ApplyFlags(f Flags, getenv func(string) string) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	if u := strings.TrimSpace(f.Primary); u != "" {
		if msg := checkURL(u); msg != "" {
			return &Error{Key: fmt.Sprintf("--primary %q", f.Primary), Msg: msg}
		}
		c.Primary.URL = trimURL(u)
	}
	for _, entry := range f.Farms {
		flag := fmt.Sprintf("--farm %q", entry)
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
