package config

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSecretResolve(t *testing.T) {
	home := setHome(t)
	t.Setenv("MT_TEST_TOKEN", "from-env")
	t.Setenv("MT_TEST_EMPTY", "")
	if err := os.WriteFile(filepath.Join(home, "token"), []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "blank"), []byte(" \n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		s       Secret
		want    string
		wantErr string
	}{
		{"inline", Secret{Inline: "in line"}, "in line", ""},
		{"env", Secret{Env: "MT_TEST_TOKEN"}, "from-env", ""},
		{"env unset", Secret{Env: "MT_TEST_UNSET_VAR"}, "", "environment variable MT_TEST_UNSET_VAR is not set"},
		{"env empty", Secret{Env: "MT_TEST_EMPTY"}, "", "environment variable MT_TEST_EMPTY is empty"},
		{"file with trailing newline", Secret{File: filepath.Join(home, "token")}, "from-file", ""},
		{"file under home", Secret{File: "~/token"}, "from-file", ""},
		{"missing file", Secret{File: "~/missing"}, "", "secret file " + filepath.Join(home, "missing") + ": no such file or directory"},
		{"blank file", Secret{File: "~/blank"}, "", "secret file " + filepath.Join(home, "blank") + " is empty"},
		{"command", Secret{Command: "printf secret"}, "secret", ""},
		{"command output trimmed", Secret{Command: "echo '  spaced  '"}, "spaced", ""},
		{"command printing nothing", Secret{Command: "true"}, "", `secret command "true" printed nothing`},
		{"no source", Secret{}, "", "no secret source is set"},
		{"two sources", Secret{Inline: "x", Env: "MT_TEST_TOKEN"}, "", "more than one secret source is set (inline:***,env:MT_TEST_TOKEN)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.Resolve(context.Background())
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSecretCommandFailure(t *testing.T) {
	tests := []struct {
		name    string
		command string
		want    string
	}{
		{
			name:    "exit status and stderr line",
			command: "printf topsecret; echo 'vault is sealed' >&2; echo 'second line' >&2; exit 3",
			want:    `secret command "printf topsecret; echo 'vault is sealed' >&2; echo 'second line' >&2; exit 3" failed: exit status 3: vault is sealed`,
		},
		{
			name:    "long stderr is left out",
			command: "printf topsecret; printf '%0300d' 0 >&2; exit 1",
			want:    `secret command "printf topsecret; printf '%0300d' 0 >&2; exit 1" failed: exit status 1`,
		},
		{
			name:    "stderr repeating stdout is left out",
			command: "printf 'hunter2secret'; echo 'bad value hunter2secret' >&2; exit 1",
			want:    `secret command "printf 'hunter2secret'; echo 'bad value hunter2secret' >&2; exit 1" failed: exit status 1`,
		},
		{
			name:    "a token-like word on stderr is hidden",
			command: "echo 'token glpat-Ab12Cd34Ef56Gh78 rejected' >&2; exit 1",
			want:    `secret command "echo 'token glpat-Ab12Cd34Ef56Gh78 rejected' >&2; exit 1" failed: exit status 1: token *** rejected`,
		},
		{
			name:    "control characters on stderr are dropped",
			command: "printf 'vault \\033[2Jsealed\\n' >&2; exit 1",
			want:    `secret command "printf 'vault \\033[2Jsealed\\n' >&2; exit 1" failed: exit status 1: vault sealed`,
		},
		{
			name:    "no stderr",
			command: "printf topsecret; exit 2",
			want:    `secret command "printf topsecret; exit 2" failed: exit status 2`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Secret{Command: tt.command}.Resolve(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tt.want {
				t.Errorf("error %q\n want %q", err, tt.want)
			}
			if strings.Count(err.Error(), "topsecret") > strings.Count(tt.command, "topsecret") {
				t.Errorf("error %q contains stdout", err)
			}
		})
	}

	t.Run("context canceled", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := Secret{Command: "printf topsecret; sleep 5"}.Resolve(ctx)
		if err == nil || !strings.Contains(err.Error(), `secret command "printf topsecret; sleep 5"`) {
			t.Errorf("error %v", err)
		}
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("took %v", d)
		}
	})
}

func TestAuthResolve(t *testing.T) {
	t.Setenv("MT_TEST_PW", "pw")
	tests := []struct {
		name    string
		a       Auth
		want    Credentials
		wantErr string
	}{
		{"none", Auth{Type: "none"}, Credentials{Type: "none"}, ""},
		{"zero", Auth{}, Credentials{Type: "none"}, ""},
		{"basic", Auth{Type: "basic", User: "admin", Password: Secret{Env: "MT_TEST_PW"}}, Credentials{Type: "basic", User: "admin", Password: "pw"}, ""},
		{"bearer inferred", Auth{Token: Secret{Command: "printf tok"}}, Credentials{Type: "bearer", Token: "tok"}, ""},
		{"bearer missing env", Auth{Type: "bearer", Token: Secret{Env: "MT_TEST_UNSET_VAR"}}, Credentials{}, "token: environment variable MT_TEST_UNSET_VAR is not set"},
		{"basic missing password", Auth{Type: "basic", User: "admin"}, Credentials{}, "password for admin: no secret source is set"},
		{"unknown type", Auth{Type: "ntlm"}, Credentials{}, `unknown auth type "ntlm"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.a.Resolve(context.Background())
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

func TestCredentialsRedaction(t *testing.T) {
	const secret = "hunter2-secret"
	tests := []struct {
		c        Credentials
		wantText string
	}{
		{Credentials{Type: "basic", User: "admin", Password: secret}, "basic user=admin password=***"},
		{Credentials{Type: "bearer", Token: secret}, "bearer token=***"},
		{Credentials{Type: "none"}, "none"},
	}
	for _, tt := range tests {
		c := tt.c
		outputs := map[string]string{
			"String":   c.String(),
			"GoString": c.GoString(),
			"%v":       fmt.Sprintf("%v", c),
			"%+v":      fmt.Sprintf("%+v", c),
			"%#v":      fmt.Sprintf("%#v", c),
			"%s":       fmt.Sprintf("%s", c),
			"%q":       fmt.Sprintf("%q", c),
			"%x":       fmt.Sprintf("%x", c),
			"%d":       fmt.Sprintf("%d", c),
			"pointer":  fmt.Sprintf("%+v", &c),
			"nested":   fmt.Sprintf("%+v %#v", struct{ C Credentials }{c}, []Credentials{c}),
		}
		js, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		outputs["JSON"] = string(js)
		jsp, _ := json.Marshal(&c)
		outputs["JSON pointer"] = string(jsp)
		for how, out := range outputs {
			if strings.Contains(out, secret) {
				t.Errorf("%s of %s leaks the secret: %s", how, tt.wantText, out)
			}
		}
		if outputs["String"] != tt.wantText || outputs["%v"] != tt.wantText || outputs["%+v"] != tt.wantText {
			t.Errorf("String %q, %%v %q, %%+v %q; want %q", outputs["String"], outputs["%v"], outputs["%+v"], tt.wantText)
		}
	}

	c := Credentials{Type: "basic", User: "admin", Password: secret}
	if got, want := fmt.Sprintf("%#v", c), `config.Credentials{Type:"basic", User:"admin", Password:"***", Token:""}`; got != want {
		t.Errorf("%%#v = %s, want %s", got, want)
	}
	js, _ := json.Marshal(c)
	if got, want := string(js), `{"type":"basic","user":"admin","password":"***"}`; got != want {
		t.Errorf("JSON %s, want %s", got, want)
	}
}

func TestSecretRedaction(t *testing.T) {
	const secret = "inline-secret-value"
	a := Auth{Type: "bearer", Token: Secret{Inline: secret}, Password: Secret{Inline: secret}}
	cfg := Default()
	cfg.Primary.Auth = a
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for how, out := range map[string]string{
		"String": a.Token.String(),
		"%v":     fmt.Sprintf("%v", a),
		"%+v":    fmt.Sprintf("%+v", cfg),
		"%#v":    fmt.Sprintf("%#v", cfg),
		"%s":     fmt.Sprintf("%s", a.Token),
		"JSON":   string(js),
	} {
		if strings.Contains(out, secret) {
			t.Errorf("%s leaks the inline secret: %s", how, out)
		}
	}
	if got := (Secret{Env: "X"}).String(); got != "env:X" {
		t.Errorf("String %q", got)
	}
	if got := fmt.Sprint(Secret{Command: "pass show x"}); got != `command:"pass show x"` {
		t.Errorf("String %q", got)
	}
}

func TestHideTokens(t *testing.T) {
	for in, want := range map[string]string{
		`token glpat-Ab12Cd34Ef56Gh78 rejected`:                                  `token *** rejected`,
		`token "glpat-Ab12Cd34Ef56Gh78" rejected`:                                `token "***" rejected`,
		`token glpat-Ab12Cd34Ef56Gh78, rejected`:                                 `token ***, rejected`,
		`(ABCDEFGHIJKLMNOPQRST1234)`:                                             `(***)`,
		`fetch https://oauth2:glpat-Ab12Cd34Ef56Gh78@gitlab.example.com`:         `fetch https://oauth2:***@gitlab.example.com`,
		`jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc`:               `jwt ***`,
		`dial https://vault01.corp.example:8200 refused at 2026-11-22T03:20:00Z`: `dial https://vault01.corp.example:8200 refused at 2026-11-22T03:20:00Z`,
		`/home/ops/.config/mirrortop/token-2024 not found (v1.2.3)`:              `/home/ops/.config/mirrortop/token-2024 not found (v1.2.3)`,
		`permission denied`:                 `permission denied`,
		`all letters averyveryverylongword`: `all letters averyveryverylongword`,
	} {
		if got := hideTokens(in); got != want {
			t.Errorf("hideTokens(%q) = %q, want %q", in, got, want)
		}
	}
}
