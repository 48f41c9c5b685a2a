package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseGitLab(t *testing.T) {
	home := setHome(t)
	const text = `[[gitlab]]
name = "gitlab"
url = "https://gitlab.example.com/"
token_env = "MY_GITLAB_TOKEN"
projects = ["platform/api", " /platform/web/ "]
groups = ["platform"]
include_subgroups = true
ca_file = "~/corp-ca.pem"
insecure_skip_verify = true

[[gitlab]]
name = "self-hosted"
url = "http://git.internal:8080/gitlab"
token_file = "~/.config/mirrortop/gitlab-token"
groups = ["infra/tools"]

[[gitlab]]
name = "defaults"
url = "https://gitlab.com"
projects = ["a/b/c"]
`
	c, err := Parse("c.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []GitLab{
		{
			Name:             "gitlab",
			URL:              "https://gitlab.example.com",
			Token:            Secret{Env: "MY_GITLAB_TOKEN"},
			Projects:         []string{"platform/api", "platform/web"},
			Groups:           []string{"platform"},
			IncludeSubgroups: true,
			TLS:              TLS{CAFile: filepath.Join(home, "corp-ca.pem"), InsecureSkipVerify: true},
		},
		{
			Name:   "self-hosted",
			URL:    "http://git.internal:8080/gitlab",
			Token:  Secret{File: filepath.Join(home, ".config/mirrortop/gitlab-token")},
			Groups: []string{"infra/tools"},
		},
		{
			Name:     "defaults",
			URL:      "https://gitlab.com",
			Token:    Secret{Env: "GITLAB_TOKEN"},
			Projects: []string{"a/b/c"},
		},
	}
	if !reflect.DeepEqual(c.GitLab, want) {
		t.Errorf("GitLab:\n got %#v\nwant %#v", c.GitLab, want)
	}
	if c.Primary.URL != "" || len(c.Farms) != 0 {
		t.Errorf("GitLab-only file has Bitbucket targets: %+v %+v", c.Primary, c.Farms)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	t.Run("inline array of tables", func(t *testing.T) {
		c, err := Parse("c.toml", []byte("gitlab = [\n  { name = \"a\", url = \"https://a\", projects = [\"x/y\"] },\n]\n"))
		if err != nil {
			t.Fatal(err)
		}
		want := []GitLab{{Name: "a", URL: "https://a", Token: Secret{Env: "GITLAB_TOKEN"}, Projects: []string{"x/y"}}}
		if !reflect.DeepEqual(c.GitLab, want) {
			t.Errorf("got %#v, want %#v", c.GitLab, want)
		}
	})

	t.Run("empty projects with groups", func(t *testing.T) {
		c, err := Parse("c.toml", []byte("[[gitlab]]\nname = \"a\"\nurl = \"https://a\"\nprojects = []\ngroups = [\"g\"]\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.GitLab[0].Projects) != 0 || !reflect.DeepEqual(c.GitLab[0].Groups, []string{"g"}) || c.GitLab[0].IncludeSubgroups {
			t.Errorf("got %#v", c.GitLab[0])
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate: %v", err)
		}
	})

	t.Run("no gitlab entries", func(t *testing.T) {
		c, err := Parse("c.toml", []byte("[primary]\nurl = \"https://bb\"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if c.GitLab != nil {
			t.Errorf("GitLab %#v, want nil", c.GitLab)
		}
	})
}

func TestParseGitLabErrors(t *testing.T) {
	const entry = "[[gitlab]]\nname = \"a\"\nurl = \"https://a\"\n"
	tests := []struct {
		name string
		text string
		line int
		key  string
		msg  string
	}{
		{
			name: "missing name",
			text: "[[gitlab]]\nurl = \"https://a\"\nprojects = [\"x/y\"]\n",
			line: 1, key: "gitlab[1].name", msg: "missing; every [[gitlab]] entry needs a name",
		},
		{
			name: "missing name in second entry",
			text: entry + "projects = [\"x/y\"]\n\n[[gitlab]]\nurl = \"https://b\"\n",
			line: 6, key: "gitlab[2].name", msg: "missing",
		},
		{
			name: "empty name",
			text: "[[gitlab]]\nname = \" \"\n",
			line: 2, key: "gitlab[1].name", msg: "must not be empty",
		},
		{
			name: "duplicate name",
			text: entry + "projects = [\"x/y\"]\n\n[[gitlab]]\nname = \"a\"\nurl = \"https://b\"\n",
			line: 7, key: "gitlab[2].name", msg: `duplicate gitlab name "a" (also gitlab[1])`,
		},
		{
			name: "bad url",
			text: "[[gitlab]]\nname = \"a\"\nurl = \"gitlab.example.com\"\n",
			line: 3, key: "gitlab[1].url", msg: "not an absolute http(s) URL",
		},
		{
			name: "url with credentials",
			text: "[[gitlab]]\nname = \"a\"\nurl = \"https://oauth2:glpat@gitlab.example.com\"\n",
			line: 3, key: "gitlab[1].url", msg: "must not contain credentials; use token_env, token_file or token_command",
		},
		{
			name: "url with query",
			text: "[[gitlab]]\nname = \"a\"\nurl = \"https://gitlab.example.com/?private_token=x\"\n",
			line: 3, key: "gitlab[1].url", msg: "must not have a query or fragment",
		},
		{
			name: "empty url",
			text: "[[gitlab]]\nname = \"a\"\nurl = \"\"\n",
			line: 3, key: "gitlab[1].url", msg: "must not be empty",
		},
		{
			name: "two token sources",
			text: entry + "token_env = \"T\"\ntoken_file = \"/t\"\n",
			line: 5, key: "gitlab[1].token_file", msg: "conflicts with token_env; set only one token source",
		},
		{
			name: "three token sources, inline last",
			text: entry + "token_command = \"pass t\"\ntoken_env = \"T\"\ntoken = \"inline\"\n",
			line: 6, key: "gitlab[1].token", msg: "conflicts with token_env, token_command; set only one token source",
		},
		{
			name: "project instead of projects",
			text: entry + "project = [\"x/y\"]\n",
			line: 4, key: "gitlab[1].project", msg: `unknown key (did you mean "projects"?)`,
		},
		{
			name: "group instead of groups",
			text: entry + "groups = [\"g\"]\n\n[[gitlab]]\nname = \"b\"\nurl = \"https://b\"\ngroup = [\"g\"]\n",
			line: 9, key: "gitlab[2].group", msg: `unknown key (did you mean "groups"?)`,
		},
		{
			name: "typo in include_subgroups",
			text: entry + "include_subgroup = true\n",
			line: 4, key: "gitlab[1].include_subgroup", msg: `unknown key (did you mean "include_subgroups"?)`,
		},
		{
			name: "auth table is not a gitlab key",
			text: entry + "[gitlab.auth]\ntoken_env = \"T\"\n",
			line: 4, key: "gitlab[1].auth", msg: "unknown key",
		},
		{
			name: "gitlab as plain table",
			text: "[gitlab]\nname = \"a\"\n",
			line: 1, key: "gitlab", msg: "want an array of tables ([[gitlab]]), got a table",
		},
		{
			name: "projects as string",
			text: entry + "projects = \"x/y\"\n",
			line: 4, key: "gitlab[1].projects", msg: `want an array of paths such as ["group/project"], got a string`,
		},
		{
			name: "project as integer",
			text: entry + "projects = [\"x/y\", 7]\n",
			line: 4, key: "gitlab[1].projects[2]", msg: "want a path string, got an integer",
		},
		{
			name: "project with spaces",
			text: entry + "projects = [\n  \"x/y\",\n  \"Platform/My API\",\n]\n",
			line: 6, key: "gitlab[1].projects[2]", msg: `"Platform/My API" has spaces; want a path such as "group/project"`,
		},
		{
			name: "empty project",
			text: entry + "projects = [\"x/y\", \"\"]\n",
			line: 4, key: "gitlab[1].projects[2]", msg: "must not be empty",
		},
		{
			name: "slash only group",
			text: entry + "projects = [\"x/y\"]\ngroups = [\"/\"]\n",
			line: 5, key: "gitlab[1].groups[1]", msg: "must not be empty",
		},
		{
			name: "empty path segment",
			text: entry + "groups = [\"infra//tools\"]\n",
			line: 4, key: "gitlab[1].groups[1]", msg: `"infra//tools" has an empty path segment`,
		},
		{
			name: "duplicate project",
			text: entry + "projects = [\"x/y\", \"/X/Y/\"]\n",
			line: 4, key: "gitlab[1].projects[2]", msg: `duplicate project "X/Y" (also gitlab[1].projects[1])`,
		},
		{
			name: "include_subgroups not bool",
			text: entry + "groups = [\"g\"]\ninclude_subgroups = \"yes\"\n",
			line: 5, key: "gitlab[1].include_subgroups", msg: "want true or false, got a string",
		},
		{
			name: "empty ca_file",
			text: entry + "groups = [\"g\"]\nca_file = \"\"\n",
			line: 5, key: "gitlab[1].ca_file", msg: "must not be empty",
		},
		{
			name: "error in second entry after farms",
			text: "[[farm]]\nname = \"eu\"\nurl = \"https://eu\"\n" + entry + "groups = [\"g\"]\n[[gitlab]]\nname = \"b\"\nurl = \"b\"\n",
			line: 10, key: "gitlab[2].url", msg: "not an absolute http(s) URL",
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
			if strings.Contains(err.Error(), "glpat") {
				t.Errorf("error leaks a secret: %q", err)
			}
		})
	}
}

func TestValidateGitLab(t *testing.T) {
	const primary = "[primary]\nurl = \"https://bb\"\n"
	const gitlab = "[[gitlab]]\nname = \"g\"\nurl = \"https://g\"\nprojects = [\"x/y\"]\n"
	const farm = "[[farm]]\nname = \"eu\"\nurl = \"https://eu\"\n"
	tests := []struct {
		name string
		text string
		want string // the whole error text; "" for valid
	}{
		{"gitlab only", gitlab, ""},
		{"primary only", primary, ""},
		{"primary and gitlab", primary + gitlab, ""},
		{"primary, farm and gitlab", primary + farm + gitlab, ""},
		{"groups only", "[[gitlab]]\nname = \"g\"\nurl = \"https://g\"\ngroups = [\"infra\"]\n", ""},
		{"neither", "[poll]\nfast = \"1s\"\n", "c.toml: primary.url: nothing to watch: set [primary] url or add a [[gitlab]] entry"},
		{"empty file", "", "c.toml: primary.url: nothing to watch: set [primary] url or add a [[gitlab]] entry"},
		{
			"primary table without url",
			"read_only = true\n[primary]\nca_file = \"/ca\"\n",
			"c.toml:2: primary.url: nothing to watch: set [primary] url or add a [[gitlab]] entry",
		},
		{
			"farm without primary",
			"read_only = true\n" + farm,
			`c.toml:3: farm[1]: farm "eu" needs a primary; set url in [primary] or pass --primary`,
		},
		{
			"farm without primary, with gitlab",
			gitlab + "\n" + farm,
			`c.toml:7: farm[1]: farm "eu" needs a primary; set url in [primary] or pass --primary`,
		},
		{
			"second farm without primary",
			gitlab + farm + "[[farm]]\nname = \"us\"\nurl = \"https://us\"\n",
			`c.toml:6: farm[1]: farm "eu" needs a primary; set url in [primary] or pass --primary`,
		},
		{
			"no projects and no groups",
			primary + "\n[[gitlab]]\nname = \"g\"\nurl = \"https://g\"\n",
			`c.toml:4: gitlab[1].projects: needs at least one project or group (projects = ["group/project"] or groups = ["group"])`,
		},
		{
			"empty projects and no groups",
			"[[gitlab]]\nname = \"g\"\nurl = \"https://g\"\nprojects = []\n",
			`c.toml:4: gitlab[1].projects: needs at least one project or group (projects = ["group/project"] or groups = ["group"])`,
		},
		{
			"second entry without projects",
			gitlab + "[[gitlab]]\nname = \"h\"\nurl = \"https://h\"\n",
			`c.toml:5: gitlab[2].projects: needs at least one project or group (projects = ["group/project"] or groups = ["group"])`,
		},
		{
			"missing url",
			gitlab + "\n[[gitlab]]\nname = \"h\"\ngroups = [\"infra\"]\n",
			"c.toml:6: gitlab[2].url: missing; set url in [[gitlab]] or pass --gitlab",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("c.toml", []byte(tt.text))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("Validate: %v\nwant %s", err, tt.want)
			}
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Errorf("error %T, want *Error", err)
			}
		})
	}

	t.Run("hand-built", func(t *testing.T) {
		c := Default()
		c.GitLab = []GitLab{{Name: "g", URL: "https://g", Projects: []string{"/x/y/"}}}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate: %v", err)
		}
		c.GitLab[0].Groups = []string{"infra tools"}
		if err := c.Validate(); err == nil || err.Error() != `gitlab[1].groups[1]: "infra tools" has spaces; want a path such as "group/project", not a display name` {
			t.Errorf("Validate: %v", err)
		}
		c.GitLab = nil
		if err := c.Validate(); err == nil || err.Error() != "primary.url: nothing to watch: set [primary] url or add a [[gitlab]] entry" {
			t.Errorf("Validate: %v", err)
		}
	})
}

func TestApplyGitLabFlags(t *testing.T) {
	const one = `[[gitlab]]
name = "corp"
url = "https://git.corp.example.com"
token_file = "/run/secrets/gitlab"
groups = ["infra"]
`
	const two = one + `
[[gitlab]]
name = "public"
url = "https://gitlab.com"
projects = ["gitlab-org/gitlab"]
`
	const named = `[[gitlab]]
name = "gitlab.example.com"
token_command = "pass show gitlab"
projects = ["a/b"]
`
	corp := GitLab{Name: "corp", URL: "https://git.corp.example.com", Token: Secret{File: "/run/secrets/gitlab"}, Groups: []string{"infra"}}
	public := GitLab{Name: "public", URL: "https://gitlab.com", Token: Secret{Env: "GITLAB_TOKEN"}, Projects: []string{"gitlab-org/gitlab"}}
	with := func(g GitLab, projects ...string) GitLab {
		g.Projects = append(append([]string(nil), g.Projects...), projects...)
		return g
	}
	tests := []struct {
		name    string
		file    string // "" for flags only
		flags   Flags
		want    []GitLab
		wantErr string
	}{
		{
			name:  "flags only",
			flags: Flags{GitLab: " https://gitlab.example.com/ ", GitLabProjects: []string{"platform/api", "/platform/web/"}},
			want: []GitLab{{
				Name: "gitlab.example.com", URL: "https://gitlab.example.com", Token: Secret{Env: "GITLAB_TOKEN"},
				Projects: []string{"platform/api", "platform/web"},
			}},
		},
		{
			name:  "name keeps the port and is lower case",
			flags: Flags{GitLab: "http://GitLab.Example.com:8080/gitlab", GitLabProjects: []string{"a/b"}},
			want: []GitLab{{
				Name: "gitlab.example.com:8080", URL: "http://GitLab.Example.com:8080/gitlab", Token: Secret{Env: "GITLAB_TOKEN"},
				Projects: []string{"a/b"},
			}},
		},
		{
			name: "file without flags",
			file: two,
			want: []GitLab{corp, public},
		},
		{
			name:  "--gitlab adds an entry next to the file's",
			file:  one,
			flags: Flags{GitLab: "https://gitlab.example.com", GitLabProjects: []string{"a/b"}},
			want: []GitLab{corp, {
				Name: "gitlab.example.com", URL: "https://gitlab.example.com", Token: Secret{Env: "GITLAB_TOKEN"},
				Projects: []string{"a/b"},
			}},
		},
		{
			name:  "--gitlab overrides the url of the entry named after its host and keeps its token",
			file:  named + "url = \"https://old.example.com\"\n",
			flags: Flags{GitLab: "https://gitlab.example.com", GitLabProjects: []string{"c/d"}},
			want: []GitLab{{
				Name: "gitlab.example.com", URL: "https://gitlab.example.com", Token: Secret{Command: "pass show gitlab"},
				Projects: []string{"a/b", "c/d"},
			}},
		},
		{
			name:  "--gitlab completes an entry without url",
			file:  named,
			flags: Flags{GitLab: "https://gitlab.example.com"},
			want: []GitLab{{
				Name: "gitlab.example.com", URL: "https://gitlab.example.com", Token: Secret{Command: "pass show gitlab"},
				Projects: []string{"a/b"},
			}},
		},
		{
			name:  "--gitlab with the url of a differently named entry uses that entry",
			file:  two,
			flags: Flags{GitLab: "https://gitlab.com/", GitLabProjects: []string{"x/y"}},
			want:  []GitLab{corp, with(public, "x/y")},
		},
		{
			name:  "--gitlab-project goes to the only entry",
			file:  one,
			flags: Flags{GitLabProjects: []string{"x/y", "x/z"}},
			want:  []GitLab{with(corp, "x/y", "x/z")},
		},
		{
			name:  "--gitlab-project completes an entry without projects",
			file:  "[[gitlab]]\nname = \"g\"\nurl = \"https://g\"\n",
			flags: Flags{GitLabProjects: []string{"x/y"}},
			want:  []GitLab{{Name: "g", URL: "https://g", Token: Secret{Env: "GITLAB_TOKEN"}, Projects: []string{"x/y"}}},
		},
		{
			name:  "--gitlab-project already listed",
			file:  two,
			flags: Flags{GitLab: "https://gitlab.com", GitLabProjects: []string{"GitLab-org/GitLab", "x/y", "x/y"}},
			want:  []GitLab{corp, with(public, "x/y")},
		},
		{
			name:    "--gitlab-project without --gitlab and no entries",
			flags:   Flags{Primary: "https://bb", GitLabProjects: []string{"x/y"}},
			wantErr: `--gitlab-project "x/y": use it with --gitlab URL`,
		},
		{
			name:    "--gitlab-project without --gitlab and two entries",
			file:    two,
			flags:   Flags{GitLabProjects: []string{"x/y"}},
			wantErr: `--gitlab-project "x/y": use it with --gitlab URL`,
		},
		{
			name:    "bad --gitlab",
			flags:   Flags{GitLab: "gitlab.example.com"},
			wantErr: `--gitlab "gitlab.example.com": not an absolute http(s) URL`,
		},
		{
			name:    "--gitlab with credentials",
			flags:   Flags{GitLab: "https://oauth2:glpat-secret@gitlab.example.com"},
			wantErr: `--gitlab "https://***@gitlab.example.com": must not contain credentials; set GITLAB_TOKEN instead`,
		},
		{
			name:    "--gitlab-project with spaces",
			flags:   Flags{GitLab: "https://g", GitLabProjects: []string{"My Project"}},
			wantErr: `--gitlab-project "My Project": "My Project" has spaces; want a path such as "group/project", not a display name`,
		},
		{
			name:    "empty --gitlab-project",
			flags:   Flags{GitLab: "https://g", GitLabProjects: []string{"/"}},
			wantErr: `--gitlab-project "/": must not be empty`,
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
			err := c.ApplyFlags(tt.flags, env(nil))
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
			if !reflect.DeepEqual(c.GitLab, tt.want) {
				t.Errorf("GitLab:\n got %#v\nwant %#v", c.GitLab, tt.want)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			// Applying the same flags again must not change anything.
			before := exported(c)
			if err := c.ApplyFlags(tt.flags, env(nil)); err != nil {
				t.Fatal(err)
			}
			if after := exported(c); !reflect.DeepEqual(before, after) {
				t.Errorf("second ApplyFlags changed the config:\n%#v\n%#v", before, after)
			}
		})
	}
}

func TestGitLabDefaultToken(t *testing.T) {
	c, err := Parse("c.toml", []byte("[[gitlab]]\nname = \"g\"\nurl = \"https://g\"\nprojects = [\"x/y\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyFlags(Flags{GitLab: "https://gitlab.example.com", GitLabProjects: []string{"a/b"}}, env(nil)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITLAB_TOKEN", "glpat-from-env")
	for _, g := range c.GitLab {
		if g.Token != (Secret{Env: EnvGitLabToken}) || g.Token.String() != "env:GITLAB_TOKEN" {
			t.Errorf("%s: token %#v, want env GITLAB_TOKEN", g.Name, g.Token)
		}
		got, err := g.Token.Resolve(context.Background())
		if err != nil || got != "glpat-from-env" {
			t.Errorf("%s: Resolve = %q, %v", g.Name, got, err)
		}
	}
	os.Unsetenv("GITLAB_TOKEN")
	if _, err := c.GitLab[0].Token.Resolve(context.Background()); err == nil || err.Error() != "environment variable GITLAB_TOKEN is not set" {
		t.Errorf("Resolve without GITLAB_TOKEN: %v", err)
	}
}

func TestGitLabInlineTokenNotPrinted(t *testing.T) {
	c, err := Parse("c.toml", []byte("[[gitlab]]\nname = \"g\"\nurl = \"https://g\"\nprojects = [\"x/y\"]\ntoken = \"glpat-s3cr3t\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.GitLab[0].Token.Resolve(context.Background()); err != nil || got != "glpat-s3cr3t" {
		t.Errorf("Resolve = %q, %v", got, err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, c.GitLab); strings.Contains(s, "s3cr3t") {
			t.Errorf("%s leaks the token: %s", verb, s)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://gitlab.example.com/x":          "https://gitlab.example.com/x",
		"https://oauth2:glpat-x@gitlab.example": "https://***@gitlab.example",
		// Everything up to the last "@" goes: a password may hold "/", "?"
		// or "#", and a path with an "@" loses nothing that matters.
		"https://glpat-x@h:8080/p?q=a@b": "https://***@b",
		"u:p@host":                       "***@host",
		"eu=http://u:p@h":                "eu=http://***@h",
		"https://h/path@x":               "https://***@x",
		"https://admin:s3cr/et@bb":       "https://***@bb",
		"https://glpat-ab?cd@host":       "https://***@host",
		"https://u:p#w@host/x":           "https://***@host/x",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
