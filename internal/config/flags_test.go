package config

import (
	"errors"
	"reflect"
	"testing"
)

// env returns a getenv over a fixed map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestApplyFlags(t *testing.T) {
	const file = `[primary]
url = "https://file.example.com"

[[farm]]
name = "eu"
url = "https://eu.example.com"
`
	const fileWithAuth = file + `
[primary.auth]
token_env = "MY_TOKEN"
`
	bearerEnv := Auth{Type: "bearer", Token: Secret{Env: "BITBUCKET_TOKEN"}}
	basicEnv := Auth{Type: "basic", User: "bob", Password: Secret{Env: "BITBUCKET_PASSWORD"}}
	none := Auth{Type: "none"}
	type farm struct{ name, url string }
	tests := []struct {
		name        string
		file        string // "" for flags only
		flags       Flags
		env         map[string]string
		wantPrimary string
		wantFarms   []farm
		wantAuth    Auth
		wantRO      bool
		wantErr     string
	}{
		{
			name:        "flags only",
			flags:       Flags{Primary: "https://bb.example.com/", Farms: []string{"eu=https://eu.example.com/", "us = https://us.example.com"}},
			wantPrimary: "https://bb.example.com",
			wantFarms:   []farm{{"eu", "https://eu.example.com"}, {"us", "https://us.example.com"}},
			wantAuth:    none,
		},
		{
			name:        "file without flags",
			file:        file,
			wantPrimary: "https://file.example.com",
			wantFarms:   []farm{{"eu", "https://eu.example.com"}},
			wantAuth:    none,
		},
		{
			name:        "override primary and farm url, add farm",
			file:        file,
			flags:       Flags{Primary: "http://other:7990", Farms: []string{"eu=https://eu2.example.com", "ap=https://ap.example.com"}},
			wantPrimary: "http://other:7990",
			wantFarms:   []farm{{"eu", "https://eu2.example.com"}, {"ap", "https://ap.example.com"}},
			wantAuth:    none,
		},
		{
			name:        "read-only forced",
			file:        file,
			flags:       Flags{ReadOnly: true},
			wantPrimary: "https://file.example.com",
			wantFarms:   []farm{{"eu", "https://eu.example.com"}},
			wantAuth:    none,
			wantRO:      true,
		},
		{
			name:        "read-only from file stays",
			file:        "read_only = true\n" + file,
			wantPrimary: "https://file.example.com",
			wantFarms:   []farm{{"eu", "https://eu.example.com"}},
			wantAuth:    none,
			wantRO:      true,
		},
		{
			name:        "token from env",
			flags:       Flags{Primary: "https://bb"},
			env:         map[string]string{"BITBUCKET_TOKEN": "t", "BITBUCKET_USER": "bob", "BITBUCKET_PASSWORD": "pw"},
			wantPrimary: "https://bb",
			wantAuth:    bearerEnv,
		},
		{
			name:        "user and password from env",
			file:        file,
			env:         map[string]string{"BITBUCKET_USER": "bob", "BITBUCKET_PASSWORD": "pw"},
			wantPrimary: "https://file.example.com",
			wantFarms:   []farm{{"eu", "https://eu.example.com"}},
			wantAuth:    basicEnv,
		},
		{
			name:        "user without password is not enough",
			flags:       Flags{Primary: "https://bb"},
			env:         map[string]string{"BITBUCKET_USER": "bob"},
			wantPrimary: "https://bb",
			wantAuth:    none,
		},
		{
			name:        "file auth wins over env",
			file:        fileWithAuth,
			env:         map[string]string{"BITBUCKET_TOKEN": "t"},
			wantPrimary: "https://file.example.com",
			wantFarms:   []farm{{"eu", "https://eu.example.com"}},
			wantAuth:    Auth{Type: "bearer", Token: Secret{Env: "MY_TOKEN"}},
		},
		{
			name:    "malformed farm",
			flags:   Flags{Farms: []string{"x"}},
			wantErr: `--farm "x": want NAME=URL`,
		},
		{
			name:    "farm without name",
			flags:   Flags{Farms: []string{"=https://x"}},
			wantErr: `--farm "=https://x": want NAME=URL`,
		},
		{
			name:    "farm without url",
			flags:   Flags{Farms: []string{"eu="}},
			wantErr: `--farm "eu=": want NAME=URL`,
		},
		{
			name:    "farm with bad url",
			flags:   Flags{Farms: []string{"eu=eu.example.com"}},
			wantErr: `--farm "eu=eu.example.com": not an absolute http(s) URL`,
		},
		{
			name:    "primary with credentials is not echoed",
			flags:   Flags{Primary: "https://admin:s3cr3t@bb.example.com/x"},
			wantErr: `--primary "https://***@bb.example.com/x": must not contain credentials; use the auth settings`,
		},
		{
			name:    "farm with credentials is not echoed",
			flags:   Flags{Farms: []string{"eu=https://s3cr3t@eu.example.com"}},
			wantErr: `--farm "eu=https://***@eu.example.com": must not contain credentials; use the auth settings`,
		},
		{
			name:    "bad primary",
			flags:   Flags{Primary: "bb.example.com"},
			wantErr: `--primary "bb.example.com": not an absolute http(s) URL`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			if tt.file != "" {
				var err error
				if c, err = Parse("c.toml", []byte(tt.file)); err != nil {
					t.Fatal(err)
				}
			}
			err := c.ApplyFlags(tt.flags, env(tt.env))
			if tt.wantErr != "" {
				var e *Error
				if !errors.As(err, &e) || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want *Error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Primary.URL != tt.wantPrimary {
				t.Errorf("primary %q, want %q", c.Primary.URL, tt.wantPrimary)
			}
			var farms []farm
			for _, f := range c.Farms {
				farms = append(farms, farm{f.Name, f.Target.URL})
				if !reflect.DeepEqual(f.Target.Auth, c.Primary.Auth) {
					t.Errorf("farm %s auth %#v, want the primary's %#v", f.Name, f.Target.Auth, c.Primary.Auth)
				}
				if f.SyncInterval != DefaultSyncInterval {
					t.Errorf("farm %s sync interval %v", f.Name, f.SyncInterval)
				}
			}
			if !reflect.DeepEqual(farms, tt.wantFarms) {
				t.Errorf("farms %v, want %v", farms, tt.wantFarms)
			}
			if !reflect.DeepEqual(c.Primary.Auth, tt.wantAuth) {
				t.Errorf("auth %#v, want %#v", c.Primary.Auth, tt.wantAuth)
			}
			if c.ReadOnly != tt.wantRO {
				t.Errorf("read-only %v, want %v", c.ReadOnly, tt.wantRO)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestApplyFlagsKeepsFarmOwnSettings(t *testing.T) {
	c, err := Parse("c.toml", []byte(`[primary]
url = "https://bb"
ca_file = "/primary.pem"

[[farm]]
name = "own"
url = "https://own"
ca_file = "/own.pem"
[farm.auth]
type = "none"

[[farm]]
name = "inherits"
url = "https://inherits"
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyFlags(Flags{Farms: []string{"own=https://own2", "new=https://new"}}, env(map[string]string{"BITBUCKET_TOKEN": "t"})); err != nil {
		t.Fatal(err)
	}
	want := Auth{Type: "bearer", Token: Secret{Env: "BITBUCKET_TOKEN"}}
	byName := map[string]Farm{}
	for _, f := range c.Farms {
		byName[f.Name] = f
	}
	if f := byName["own"]; f.Target.Auth != (Auth{Type: "none"}) || f.Target.TLS.CAFile != "/own.pem" || f.Target.URL != "https://own2" {
		t.Errorf("own farm %#v", f)
	}
	for _, name := range []string{"inherits", "new"} {
		if f := byName[name]; f.Target.Auth != want || f.Target.TLS.CAFile != "/primary.pem" {
			t.Errorf("farm %s %#v, want the primary's auth and TLS", name, f)
		}
	}
	// Applying again must not change anything.
	before := exported(c)
	if err := c.ApplyFlags(Flags{}, env(nil)); err != nil {
		t.Fatal(err)
	}
	if after := exported(c); !reflect.DeepEqual(before, after) {
		t.Errorf("second ApplyFlags changed the config:\n%#v\n%#v", before, after)
	}
}

func TestValidateAfterFlags(t *testing.T) {
	c := Default()
	if err := c.ApplyFlags(Flags{Farms: []string{"eu=https://eu"}}, env(nil)); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || err.Error() != `farm[1]: farm "eu" needs a primary; set url in [primary] or pass --primary` {
		t.Errorf("Validate: %v", err)
	}
}
