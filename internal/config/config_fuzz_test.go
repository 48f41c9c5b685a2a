package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// secretMarker marks the inline secrets of the seeds; a token or password
// value holding it is a secret whose text must never be shown.
const secretMarker = "SEKRET"

// secretKey reports whether a TOML key holds an inline secret.
func secretKey(k string) bool { return k == "token" || k == "password" }

// treeStrings walks a decoded TOML tree and returns the inline secret values
// (strings under token or password keys) and every other key and string.
func treeStrings(v any, key string, secrets, others *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			*others = append(*others, k)
			treeStrings(e, k, secrets, others)
		}
	case []map[string]any:
		for _, e := range v {
			treeStrings(e, "", secrets, others)
		}
	case []any:
		for _, e := range v {
			treeStrings(e, "", secrets, others)
		}
	case string:
		if secretKey(key) {
			*secrets = append(*secrets, v)
		} else {
			*others = append(*others, v)
		}
	default:
		*others = append(*others, fmt.Sprint(v))
	}
}

// inlineSecretLine matches a line starting `token = "…"` or `password = '…'`.
var inlineSecretLine = regexp.MustCompile(`^[ \t]*(?:token|password)[ \t]*=[ \t]*(?:"([^"\\\n]*)"|'([^'\n]*)')`)

// inlineSecrets returns the secrets to look for in what Parse says about
// data: the marked token and password values that appear nowhere else.
func inlineSecrets(data []byte) []string {
	text := strings.TrimPrefix(string(data), "\ufeff")
	var candidates, others []string
	var root map[string]any
	if _, err := toml.Decode(text, &root); err == nil {
		treeStrings(root, "", &candidates, &others)
	} else {
		// The file does not parse: take the secrets from lines that
		// start with a plain `token = "…"`.
		for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
			if m := inlineSecretLine.FindStringSubmatch(line); m != nil {
				candidates = append(candidates, m[1]+m[2])
			}
		}
	}
	var out []string
	for _, s := range candidates {
		if !strings.Contains(s, secretMarker) || strings.Count(text, s) != 1 {
			continue // not marked, or also written somewhere else
		}
		elsewhere := false
		for _, o := range others {
			if strings.Contains(o, s) {
				elsewhere = true
				break
			}
		}
		if !elsewhere {
			out = append(out, s)
		}
	}
	return out
}

// secrets returns every Secret of c.
func secrets(c *Config) []Secret {
	s := []Secret{c.Primary.Auth.Token, c.Primary.Auth.Password}
	for _, f := range c.Farms {
		s = append(s, f.Target.Auth.Token, f.Target.Auth.Password)
	}
	for _, g := range c.GitLab {
		s = append(s, g.Token)
	}
	return s
}

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("example.toml"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		fullExample,
		"",
		"\ufeff[primary]\nurl = \"https://a\"\n",
		"[primary]\nurl = \"https://bitbucket.example.com\"\n[primary.auth]\ntype = \"bearer\"\ntoken = \"SEKRET-123\"\n",
		"[primary]\nurl = \"https://a\"\n[primary.auth]\ntype = \"basic\"\nuser = \"admin\"\npassword = 'SEKRET-pw'\n",
		"[primary]\nurl = \"https://a\"\n[primary.auth]\ntoken = \"SEKRET-123\"\ntoken_env = \"BITBUCKET_TOKEN\"\n",
		"[primary]\nurl = \"https://a\"\n[primary.auth]\ntype = \"nonsense\"\ntoken = \"SEKRET-123\"\n",
		"[primary]\nurl = \"https://a\"\n[primary.auth]\ntoken = \"SEKRET-123\"\ntokn = 1\n",
		"[primary]\nurl = \"https://a\"\n[primary.auth]\ntoken = \"SEKRET-123\"\n[[farm]]\nname = \"eu\"\nurl = \"notaurl\"\n",
		"[primary]\nurl = \"https://a\"\n[primary.auth]\ntoken = \"SEKRET-123\"\ntoken = \"SEKRET-123\"\n",
		"[primary]\nurl = \"https://a\"\n[primary.auth]\ntoken = \"SEKRET-123\" x\n",
		"[primary]\nurl = \"https://a\"\n[primary.auth]\ntoken = \"SEKRET-123\n",
		"[primary]\nurl = \"https://user:SEKRET-inurl@a\"\n",
		"[[gitlab]]\nname = \"g\"\nurl = \"https://gitlab.example.com\"\ntoken = \"SEKRET-glpat\"\nprojects = [\"group/project\"]\n",
		"[[gitlab]]\nname = \"g\"\nurl = \"https://g\"\ntoken = \"SEKRET-glpat\"\ntoken_command = \"pass show gitlab\"\nprojects = [\"../x\", \"\"]\n",
		"[[farm]]\nname = \"eu\"\n[farm.auth]\npassword = \"SEKRET-farm\"\n[[farm.node]]\nname = \"1\"\nurl = \"https://1\"\n",
		"[poll]\nfast = \"0s\"\nslow = \"-1m\"\ntimeout = \"forever\"\npage_size = 99999999999\nper_host = -3\nmax_body_mb = 1.5\n",
		"[ui]\ntheme = \"../dark\"\nfps = 0\n[alerts]\nmax_lag = \"-1s\"\nmax_queue = -1\n",
		"[keys]\nrefresh = []\nquit = [\"\", 1]\nsearch = [[\"x\"]]\n",
		"read_only = \"yes\"\nstate_dir = 5\nunknown_key = true\n[primary]\nurl = \"https://a\"\n",
		"[[primary]]\nurl = 1\n",
		"primary = 1\nfarm = \"x\"\ngitlab = []\n",
		"[primary]\nurl = \"\"\"\nhttps://a\n\"\"\"\n",
		"a = 1979-05-27T07:32:00Z\nb = inf\nc = nan\nd = 0x10\n",
		"[primary\nurl = \"https://a\"\n",
		"x = \"\x00\"\n",
		"\n\n\n[primary]\nurl = \"https://a\"\n\n[[farm]]\nname = \"eu\"\n",
	} {
		f.Add([]byte(s))
	}
	const name = "fuzz.toml"
	f.Fuzz(func(t *testing.T, data []byte) {
		hidden := inlineSecrets(data)
		c, err := Parse(name, data)
		if err != nil {
			if c != nil {
				t.Errorf("Parse returned a config with the error %v", err)
			}
			var ce *Error
			if !errors.As(err, &ce) || err != error(ce) {
				t.Fatalf("error %v is a %T, want *config.Error", err, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, name) {
				t.Errorf("error %q does not start with %s", msg, name)
			}
			for _, s := range hidden {
				if strings.Contains(msg, s) {
					t.Errorf("error %q shows the inline secret %q", msg, s)
				}
			}
			return
		}
		if c == nil {
			t.Fatal("Parse returned neither a config nor an error")
		}
		if c.Path != name {
			t.Errorf("Path %q, want %q", c.Path, name)
		}
		if err := c.Validate(); err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("Validate error %v is a %T, want *config.Error", err, err)
			}
			for _, s := range hidden {
				if strings.Contains(err.Error(), s) {
					t.Errorf("Validate error %q shows the inline secret %q", err, s)
				}
			}
		}
		// Printing the configuration never shows an inline secret.
		js, jerr := json.Marshal(exported(c))
		shown := fmt.Sprintf("%v\n%+v\n%#v\n%s", exported(c), exported(c), exported(c), js)
		if jerr != nil {
			shown = fmt.Sprintf("%v\n%+v\n%#v", exported(c), exported(c), exported(c))
		}
		for _, sec := range secrets(c) {
			for _, s := range hidden {
				if strings.Contains(sec.Inline, s) && strings.Contains(shown, s) {
					t.Errorf("printing the config shows the inline secret %q", s)
				}
			}
		}
		for _, w := range c.Warnings {
			for _, s := range hidden {
				if strings.Contains(w, s) {
					t.Errorf("warning %q shows the inline secret %q", w, s)
				}
			}
		}
	})
}
