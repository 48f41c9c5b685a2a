package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/serve"
)

// unitFile is the systemd unit shipped for `mirrortop serve`.
const unitFile = "../../contrib/systemd/mirrortop.service"

// unitDirectives reads a systemd unit: every Key=value of its sections
// (continuation lines joined), in order, comments left out.
func unitDirectives(t *testing.T, path string) [][2]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	var out [][2]string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not a Key=value line: %q", path, line)
		}
		out = append(out, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return out
}

// directive is the one value of key in a unit; several or none fail.
func directive(t *testing.T, d [][2]string, key string) string {
	t.Helper()
	var vals []string
	for _, kv := range d {
		if kv[0] == key {
			vals = append(vals, kv[1])
		}
	}
	if len(vals) != 1 {
		t.Fatalf("unit has %d %s= lines (%q), want 1", len(vals), key, vals)
	}
	return vals[0]
}

// serveFlags are the flags of `mirrortop serve` as its -h lists them:
// each name, and whether it takes a value.
func serveFlags(t *testing.T) map[string]bool {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"serve", "-h"}, &out, &errb); code != exitOK {
		t.Fatalf("serve -h: exit %d\n%s", code, errb.String())
	}
	re := regexp.MustCompile(`(?m)^  -([A-Za-z0-9][A-Za-z0-9_-]*)(?: ([a-z]+))?(?:\t.*)?$`)
	flags := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(out.String()+errb.String(), -1) {
		flags[m[1]] = m[2] != ""
	}
	for _, must := range []string{"config", "ssh", "http", "authorized-keys", "host-key", "demo"} {
		if _, ok := flags[must]; !ok {
			t.Fatalf("serve -h lists no -%s; parsed %v from:\n%s%s", must, flags, out.String(), errb.String())
		}
	}
	return flags
}

// checkServeArgs fails unless args (what follows `mirrortop serve`) are
// flags that serve accepts, each with a value where it takes one, and
// nothing else; and serve itself parses them (-h after them ends it
// before it serves anything).
func checkServeArgs(t *testing.T, flags map[string]bool, args []string) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for name, takesValue := range flags {
		if takesValue {
			fs.String(name, "", "")
		} else {
			fs.Bool(name, false, "")
		}
	}
	if err := fs.Parse(args); err != nil {
		t.Errorf("serve %q: %v", args, err)
		return
	}
	if fs.NArg() > 0 {
		t.Errorf("serve %q: %q is not a flag", args, fs.Arg(0))
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // were -h taken as a value, serve would stop at once
	var out, errb bytes.Buffer
	if code := run(ctx, append(append([]string{"serve"}, args...), "-h"), &out, &errb); code != exitOK {
		t.Errorf("serve %q -h: exit %d: %s", args, code, errb.String())
	}
}

// TestContribUnitExecStart checks that the systemd unit starts `mirrortop
// serve` with flags that serve accepts: renaming --config breaks it.
func TestContribUnitExecStart(t *testing.T) {
	d := unitDirectives(t, unitFile)
	exec := directive(t, d, "ExecStart")
	exec = strings.TrimLeft(exec, "-@:+!") // systemd's prefixes
	if strings.ContainsAny(exec, `"'$%`) {
		t.Fatalf("ExecStart %q: quotes, variables and specifiers are not checked here", exec)
	}
	words := strings.Fields(exec)
	if len(words) < 2 || words[0] != "/usr/local/bin/mirrortop" || words[1] != "serve" {
		t.Fatalf("ExecStart %q: want /usr/local/bin/mirrortop serve ...", exec)
	}
	if got, want := strings.Join(words[2:], " "), "--config /etc/mirrortop/config.toml"; got != want {
		t.Errorf("ExecStart flags %q, want %q", got, want)
	}
	checkServeArgs(t, serveFlags(t), words[2:])
}

// TestContribUnitSettings checks the unit's state folder and hardening:
// its environment puts mirrortop's state folder (host key, audit log) in
// the StateDirectory systemd keeps, and the default config file where
// ExecStart points; a bad configuration is not restarted in a loop.
func TestContribUnitSettings(t *testing.T) {
	d := unitDirectives(t, unitFile)
	for key, want := range map[string]string{
		"Type":                     "exec",
		"DynamicUser":              "yes",
		"StateDirectory":           "mirrortop",
		"StateDirectoryMode":       "0700",
		"UMask":                    "0077",
		"ReadOnlyPaths":            "/etc/mirrortop",
		"EnvironmentFile":          "-/etc/mirrortop/secrets.env",
		"NoNewPrivileges":          "yes",
		"ProtectSystem":            "strict",
		"ProtectHome":              "yes",
		"CapabilityBoundingSet":    "",
		"KillSignal":               "SIGTERM",
		"Restart":                  "on-failure",
		"RestartPreventExitStatus": strconv.Itoa(exitUsage),
		"WantedBy":                 "multi-user.target",
	} {
		if got := directive(t, d, key); got != want {
			t.Errorf("%s=%s, want %s", key, got, want)
		}
	}
	for _, name := range []string{"HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"} {
		t.Setenv(name, "") // only what the unit sets counts
	}
	for _, kv := range d {
		if kv[0] != "Environment" {
			continue
		}
		name, val, ok := strings.Cut(kv[1], "=")
		if !ok {
			t.Fatalf("Environment=%s: want NAME=value", kv[1])
		}
		t.Setenv(name, val)
	}
	cfg := config.Default()
	if cfg.StateDir != "/var/lib/mirrortop" || cfg.HostKeyPath() != "/var/lib/mirrortop/host_key" {
		t.Errorf("state folder %q, host key %q; want /var/lib/mirrortop (StateDirectory=mirrortop)", cfg.StateDir, cfg.HostKeyPath())
	}
	if got := config.DefaultPath(); got != "/etc/mirrortop/config.toml" {
		t.Errorf("default config %q, want /etc/mirrortop/config.toml", got)
	}
	// The serve timeout for stopping fits in the unit's.
	if stop, err := time.ParseDuration(directive(t, d, "TimeoutStopSec")); err != nil || stop <= serveShutdownTimeout+2*time.Second {
		t.Errorf("TimeoutStopSec=%s (%v): want more than serve's %s and a session's grace", directive(t, d, "TimeoutStopSec"), err, serveShutdownTimeout)
	}
}

// servingSection is the README's "Serving a team".
func servingSection(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n## Serving a team\n")
	if !ok {
		t.Fatal(`README has no "Serving a team" section`)
	}
	sec, _, _ := strings.Cut(rest, "\n## ")
	return sec
}

// codeBlocks are the fenced blocks of a Markdown text whose info string
// is lang ("" for none), continuation lines joined.
func codeBlocks(text, lang string) []string {
	var out []string
	for {
		_, rest, ok := strings.Cut(text, "```"+lang+"\n")
		if !ok {
			return out
		}
		block, after, _ := strings.Cut(rest, "```")
		out = append(out, strings.ReplaceAll(block, "\\\n", " "))
		text = after
	}
}

// TestREADMEServeCommands checks every `mirrortop serve` line of the
// README's "Serving a team" (the container's too) against serve's flags,
// and every session option after `ssh ... --` against what a session takes.
func TestREADMEServeCommands(t *testing.T) {
	flags := serveFlags(t)
	var serves, sshs int
	for _, block := range codeBlocks(servingSection(t), "sh") {
		for _, line := range strings.Split(block, "\n") {
			words := strings.Fields(line)
			for i, w := range words {
				if strings.HasPrefix(w, "#") {
					words = words[:i]
					break
				}
			}
			for i := 0; i+1 < len(words); i++ {
				if strings.HasSuffix(words[i], "mirrortop") && words[i+1] == "serve" {
					serves++
					checkServeArgs(t, flags, words[i+2:])
				}
			}
			if len(words) > 0 && words[0] == "ssh" {
				sshs++
				if i := indexOf(words, "--"); i >= 0 {
					if _, err := parseSessionArgs(words[i+1:]); err != nil {
						t.Errorf("%q: %v", line, err)
					}
				}
				if indexOf(words, "-t") < 0 || indexOf(words, "-p") < 0 {
					t.Errorf("%q: want ssh -t -p PORT", line)
				}
			}
		}
	}
	if serves != 4 || sshs != 3 {
		t.Errorf("found %d serve lines and %d ssh lines in the README, want 4 and 3", serves, sshs)
	}
}

func indexOf(words []string, w string) int {
	for i, x := range words {
		if x == w {
			return i
		}
	}
	return -1
}

// TestREADMEServeExample checks the README's keys file (two viewers and an
// operator, read by the server's own loader), its [serve] table, and that
// its audit lines name those keys with their roles.
func TestREADMEServeExample(t *testing.T) {
	sec := servingSection(t)
	var keysText string
	for _, b := range codeBlocks(sec, "") {
		if strings.Contains(b, "ssh-ed25519") {
			keysText = b
			break
		}
	}
	if keysText == "" {
		t.Fatal("no authorized_keys block in Serving a team")
	}
	path := filepath.Join(t.TempDir(), "authorized_keys")
	if err := os.WriteFile(path, []byte(keysText), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := serve.LoadAuthorizedKeys(path)
	if err != nil {
		t.Fatalf("README keys file: %v", err)
	}
	if keys.Len() != 3 {
		t.Fatalf("README keys file: %d keys, want 3", keys.Len())
	}
	ids := map[string]serve.Identity{} // by comment
	for _, line := range strings.Split(keysText, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		pub, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		id, ok := keys.Lookup(pub)
		if !ok {
			t.Fatalf("%s not let in", comment)
		}
		ids[comment] = id
	}
	for who, role := range map[string]serve.Role{"alice@laptop": serve.RoleOperator, "bob@desk": serve.RoleViewer, "carol@desk": serve.RoleViewer} {
		if ids[who].Role != role {
			t.Errorf("%s: role %q, want %q", who, ids[who].Role, role)
		}
	}

	tomls := codeBlocks(sec, "toml")
	if len(tomls) != 1 {
		t.Fatalf("%d toml blocks in Serving a team, want 1", len(tomls))
	}
	cfg, err := config.Parse("README.md", []byte(tomls[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	want := config.Serve{SSHListen: ":2222", HTTPListen: "127.0.0.1:9090", AuthorizedKeys: "/etc/mirrortop/authorized_keys",
		MaxSessions: config.DefaultMaxSessions, IdleTimeout: config.DefaultIdleTimeout, FPS: config.DefaultServeFPS}
	if cfg.Serve != want {
		t.Errorf("README [serve] %+v, want %+v", cfg.Serve, want)
	}

	jsons := codeBlocks(sec, "json")
	if len(jsons) != 1 {
		t.Fatalf("%d json blocks in Serving a team, want 1", len(jsons))
	}
	var lines []actions.AuditEntry
	for _, l := range strings.Split(strings.TrimSpace(jsons[0]), "\n") {
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		var e actions.AuditEntry
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("audit line %q: %v", l, err)
		}
		lines = append(lines, e)
	}
	if len(lines) != 2 {
		t.Fatalf("%d audit lines, want 2", len(lines))
	}
	alice, bob := lines[0], lines[1]
	if alice.User != "alice" || alice.Key != ids["alice@laptop"].Fingerprint || alice.Role != string(serve.RoleOperator) ||
		alice.Action != actions.KindApprove || alice.Outcome != actions.OutcomeDone || alice.Status != 200 {
		t.Errorf("alice's audit line %+v", alice)
	}
	if bob.User != "bob" || bob.Key != ids["bob@desk"].Fingerprint || bob.Role != string(serve.RoleViewer) ||
		bob.Action != actions.KindApprove || bob.Outcome != actions.OutcomeRefused || bob.Request != "" || bob.Status != 0 {
		t.Errorf("bob's audit line %+v", bob)
	}
	if !strings.Contains(sec, "`"+string(actions.OutcomeAlreadyRunning)+"`") {
		t.Errorf("Serving a team does not name the %q outcome", actions.OutcomeAlreadyRunning)
	}
}
