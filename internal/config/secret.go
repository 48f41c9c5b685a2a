package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// commandTimeout bounds a secret command.
const commandTimeout = 10 * time.Second

// maxCommandOutput bounds what a secret command may print.
const maxCommandOutput = 64 << 10

// maxStderrLine is the longest stderr line quoted in a command error.
const maxStderrLine = 160

// redacted replaces secrets in printed output.
const redacted = "***"

// Secret says where a password or token comes from. At most one of its
// fields is set. Printing a Secret never shows an inline value.
type Secret struct {
	// Inline is the secret itself (discouraged).
	Inline string
	// Env names an environment variable holding the secret.
	Env string
	// File is a file holding the secret; a leading "~" is the home directory.
	File string
	// Command is a shell command printing the secret on stdout.
	Command string
}

// IsSet reports whether any source is set.
func (s Secret) IsSet() bool {
	return s.Inline != "" || s.Env != "" || s.File != "" || s.Command != ""
}

// keys returns the config keys of the sources set, for a secret called
// name ("token" or "password"), in canonical order.
func (s Secret) keys(name string) []string {
	var keys []string
	for _, src := range []struct{ v, suffix string }{
		{s.Inline, ""}, {s.Env, "_env"}, {s.File, "_file"}, {s.Command, "_command"},
	} {
		if src.v != "" {
			keys = append(keys, name+src.suffix)
		}
	}
	return keys
}

// key returns the config key of the first source set.
func (s Secret) key(name string) string {
	if keys := s.keys(name); len(keys) > 0 {
		return keys[0]
	}
	return name
}

// Resolve returns the secret's value. Values from files and commands are
// trimmed of surrounding whitespace. Errors never contain the secret.
func (s Secret) Resolve(ctx context.Context) (string, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	switch n := len(s.keys("")); {
	case n == 0:
		return "", errors.New("no secret source is set")
	case n > 1:
		return "", fmt.Errorf("more than one secret source is set (%s)", s)
	}
	switch {
	case s.Inline != "":
		return s.Inline, nil
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", s.Env)
		}
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty", s.Env)
		}
		return v, nil
	case s.File != "":
		return readSecretFile(s.File)
	default:
		return runSecretCommand(ctx, s.Command)
	}
}

// readSecretFile reads a secret file, trimming trailing whitespace.
func readSecretFile(name string) (string, error) {
	path := ExpandHome(name)
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("secret file %s: %w", path, err)
	}
	v := strings.TrimRight(string(data), " \t\r\n")
	if v == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return v, nil
}

// runSecretCommand runs command with sh -c and returns its trimmed
// stdout. Errors name the command and its exit status and may quote a
// short first line of stderr, but never stdout.
func runSecretCommand(ctx context.Context, command string) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	stdout := &capBuffer{max: maxCommandOutput}
	stderr := &capBuffer{max: 4 << 10}
	cmd := exec.CommandContext(cctx, "sh", "-c", command)
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return "", fmt.Errorf("secret command %q: %w", command, ctx.Err())
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		return "", fmt.Errorf("secret command %q timed out after %s", command, commandTimeout)
	case err != nil:
		msg := fmt.Sprintf("secret command %q failed", command)
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg += ": " + ee.ProcessState.String()
		} else if !errors.Is(err, exec.ErrWaitDelay) {
			msg += ": " + err.Error()
		}
		if line := stderrHint(stderr.String(), stdout.String()); line != "" {
			msg += ": " + line
		}
		return "", errors.New(msg)
	case stdout.over:
		return "", fmt.Errorf("secret command %q printed more than %d bytes", command, maxCommandOutput)
	}
	v := strings.TrimSpace(stdout.String())
	if v == "" {
		return "", fmt.Errorf("secret command %q printed nothing", command)
	}
	return v, nil
}

// stderrHint returns the first line of a failed command's stderr as it
// may be quoted in an error: without escape sequences or other control
// characters (model.Sanitize), and left out
// when it is long or repeats what the command printed on stdout (which
// may be the secret). Anything in it that looks like a token is replaced
// by ***, also inside quotes, brackets or a URL: a script may echo the
// value it failed to check.
func stderrHint(stderr, stdout string) string {
	line := strings.Join(strings.Fields(model.Sanitize(firstLine(stderr))), " ")
	if line == "" || len(line) > maxStderrLine {
		return ""
	}
	for out := range strings.Lines(stdout) {
		if out = strings.TrimSpace(out); len(out) >= 4 && strings.Contains(line, out) {
			return ""
		}
	}
	return hideTokens(line)
}

// hideTokens replaces each run of token characters (letters, digits and
// -_+/=.~) that looks like a token with ***. Quotes, brackets, commas,
// spaces, ":" and "@" end a run, so a token is found wherever it is
// quoted, and in a URL's user:password@ part.
func hideTokens(s string) string {
	isTok := func(r rune) bool {
		return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_+/=.~", r))
	}
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexFunc(s, isTok)
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		j := strings.IndexFunc(s, func(r rune) bool { return !isTok(r) })
		if j < 0 {
			j = len(s)
		}
		if run := s[:j]; looksLikeToken(run) {
			b.WriteString(redacted)
		} else {
			b.WriteString(run)
		}
		s = s[j:]
	}
	return b.String()
}

// looksLikeToken reports whether a run of token characters holds a part
// (between "/" and ".") of 16 characters or more mixing letters and
// digits, as API tokens, JWTs and generated passwords do; host names,
// paths, dates and version numbers are made of shorter parts.
func looksLikeToken(run string) bool {
	for part := range strings.FieldsFuncSeq(run, func(r rune) bool { return r == '/' || r == '.' }) {
		if len(part) < 16 {
			continue
		}
		letter := strings.ContainsFunc(part, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' })
		digit := strings.ContainsFunc(part, func(r rune) bool { return r >= '0' && r <= '9' })
		if letter && digit {
			return true
		}
	}
	return false
}

// firstLine returns the first non-blank line of s, trimmed.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

// capBuffer keeps at most max bytes and notes whether more came.
type capBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *capBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.max - b.Len(); len(p) > room {
		b.over = true
		p = p[:max(room, 0)]
	}
	b.Buffer.Write(p)
	return n, nil
}

// String describes the sources set, e.g. "env:BITBUCKET_TOKEN",
// "file:~/.token", `command:"pass show x"` or "inline:***"; "unset" when
// none is.
func (s Secret) String() string {
	var parts []string
	if s.Inline != "" {
		parts = append(parts, "inline:"+redacted)
	}
	if s.Env != "" {
		parts = append(parts, "env:"+s.Env)
	}
	if s.File != "" {
		parts = append(parts, "file:"+s.File)
	}
	if s.Command != "" {
		parts = append(parts, fmt.Sprintf("command:%q", s.Command))
	}
	if len(parts) == 0 {
		return "unset"
	}
	return strings.Join(parts, ",")
}

// GoString is like the Go syntax of s with any inline value redacted.
func (s Secret) GoString() string {
	return fmt.Sprintf("config.Secret{Inline:%q, Env:%q, File:%q, Command:%q}", mask(s.Inline), s.Env, s.File, s.Command)
}

// Format makes every fmt verb print String, or GoString for %#v, so that
// no verb can show an inline secret.
func (s Secret) Format(f fmt.State, verb rune) { format(f, verb, s) }

// MarshalJSON encodes s with any inline value redacted.
func (s Secret) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Inline  string `json:"inline,omitempty"`
		Env     string `json:"env,omitempty"`
		File    string `json:"file,omitempty"`
		Command string `json:"command,omitempty"`
	}{mask(s.Inline), s.Env, s.File, s.Command})
}

// Auth says how to authenticate to a server.
type Auth struct {
	// Type is "basic", "bearer" or "none". When empty, it is "bearer" if a
	// token is set, "basic" if a user or password is set, else "none".
	Type string
	// User is the basic auth user name.
	User string
	// Password is the basic auth password.
	Password Secret
	// Token is the bearer token (an HTTP access token).
	Token Secret
}

// effectiveType returns the type, inferring it when empty.
func (a Auth) effectiveType() string {
	switch t := strings.ToLower(strings.TrimSpace(a.Type)); {
	case t != "":
		return t
	case a.Token.IsSet():
		return AuthBearer
	case a.User != "" || a.Password.IsSet():
		return AuthBasic
	default:
		return AuthNone
	}
}

// isZero reports whether a configures nothing at all.
func (a Auth) isZero() bool {
	return a.Type == "" && a.User == "" && !a.Password.IsSet() && !a.Token.IsSet()
}

// isNone reports whether a asks for no credentials.
func (a Auth) isNone() bool {
	return a.effectiveType() == AuthNone && a.User == "" && !a.Password.IsSet() && !a.Token.IsSet()
}

// normalized returns a with its type inferred and file paths expanded.
func (a Auth) normalized() Auth {
	a.Type = a.effectiveType()
	a.Password.File = ExpandHome(a.Password.File)
	a.Token.File = ExpandHome(a.Token.File)
	return a
}

// Resolve resolves the secrets a needs. Errors say which secret failed
// and never contain a secret.
func (a Auth) Resolve(ctx context.Context) (Credentials, error) {
	switch t := a.effectiveType(); t {
	case AuthNone:
		return Credentials{Type: AuthNone}, nil
	case AuthBasic:
		if a.User == "" {
			return Credentials{}, errors.New("basic auth needs a user")
		}
		pw, err := a.Password.Resolve(ctx)
		if err != nil {
			return Credentials{}, fmt.Errorf("password for %s: %w", a.User, err)
		}
		return Credentials{Type: AuthBasic, User: a.User, Password: pw}, nil
	case AuthBearer:
		tok, err := a.Token.Resolve(ctx)
		if err != nil {
			return Credentials{}, fmt.Errorf("token: %w", err)
		}
		return Credentials{Type: AuthBearer, Token: tok}, nil
	default:
		return Credentials{}, fmt.Errorf("unknown auth type %q", a.Type)
	}
}

// Credentials are resolved credentials. Printing them, with any fmt verb
// or as JSON, never shows the password or token.
type Credentials struct {
	// Type is "basic", "bearer" or "none".
	Type string
	// User is the basic auth user name.
	User string
	// Password is the basic auth password.
	Password string
	// Token is the bearer token.
	Token string
}

// String describes c without its secrets, e.g. "basic user=admin password=***".
func (c Credentials) String() string {
	parts := []string{c.Type}
	if c.Type == "" {
		parts[0] = AuthNone
	}
	if c.User != "" {
		parts = append(parts, "user="+c.User)
	}
	if c.Password != "" {
		parts = append(parts, "password="+redacted)
	}
	if c.Token != "" {
		parts = append(parts, "token="+redacted)
	}
	return strings.Join(parts, " ")
}

// GoString is like the Go syntax of c with the secrets redacted.
func (c Credentials) GoString() string {
	return fmt.Sprintf("config.Credentials{Type:%q, User:%q, Password:%q, Token:%q}",
		c.Type, c.User, mask(c.Password), mask(c.Token))
}

// Format makes every fmt verb print String, or GoString for %#v, so that
// no verb can show a secret.
func (c Credentials) Format(f fmt.State, verb rune) { format(f, verb, c) }

// MarshalJSON encodes c with the secrets redacted.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Type     string `json:"type"`
		User     string `json:"user,omitempty"`
		Password string `json:"password,omitempty"`
		Token    string `json:"token,omitempty"`
	}{c.Type, c.User, mask(c.Password), mask(c.Token)})
}

// format prints v's String, quoted for %q, or its GoString for %#v.
func format(f fmt.State, verb rune, v interface {
	fmt.Stringer
	fmt.GoStringer
}) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, v.GoString())
	case verb == 'q':
		fmt.Fprintf(f, "%q", v.String())
	default:
		io.WriteString(f, v.String())
	}
}

// mask returns "***" for a non-empty secret and "" otherwise.
func mask(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}
