package serve

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// newKey returns a fresh ed25519 public key and its authorized_keys text
// without comment or newline.
func newKey(t *testing.T) (ssh.PublicKey, string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sp, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
}

// writeKeys writes an authorized_keys file with mode 0600 and returns its
// path.
func writeKeys(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "authorized_keys")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadAuthorizedKeysRoles(t *testing.T) {
	op, opLine := newKey(t)
	view, viewLine := newKey(t)
	def, defLine := newKey(t)
	opt, optLine := newKey(t)
	stranger, _ := newKey(t)
	text := "# team keys\n" +
		"\n" +
		`role="operator" ` + opLine + " alice@laptop\n" +
		`  role="viewer" ` + viewLine + " bob@desk\r\n" +
		"   # indented comment\n" +
		defLine + "\n" +
		`from="10.0.0.0/8",no-pty,ROLE="operator",command="echo hi there" ` + optLine + " carol"
	k, err := LoadAuthorizedKeys(writeKeys(t, text))
	if err != nil {
		t.Fatal(err)
	}
	if k.Len() != 4 {
		t.Errorf("Len = %d, want 4", k.Len())
	}
	for _, c := range []struct {
		pub  ssh.PublicKey
		want Identity
	}{
		{op, Identity{Role: RoleOperator, Fingerprint: ssh.FingerprintSHA256(op), Comment: "alice@laptop", Line: 3}},
		{view, Identity{Role: RoleViewer, Fingerprint: ssh.FingerprintSHA256(view), Comment: "bob@desk", Line: 4}},
		{def, Identity{Role: RoleViewer, Fingerprint: ssh.FingerprintSHA256(def), Line: 6}},
		{opt, Identity{Role: RoleOperator, Fingerprint: ssh.FingerprintSHA256(opt), Comment: "carol", Line: 7,
			Options: []string{`from="10.0.0.0/8"`, "no-pty", `command="echo hi there"`}}},
	} {
		got, ok := k.Lookup(c.pub)
		if !ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Lookup = %+v, %v; want %+v", got, ok, c.want)
		}
		if !strings.HasPrefix(got.Fingerprint, "SHA256:") || len(got.Fingerprint) != len("SHA256:")+43 {
			t.Errorf("fingerprint %q is not as ssh-keygen -l prints it", got.Fingerprint)
		}
	}
	if id, ok := k.Lookup(stranger); ok {
		t.Errorf("unknown key accepted as %+v", id)
	}
	if _, ok := k.Lookup(nil); ok {
		t.Error("nil key accepted")
	}
}

// TestLookupParsedKey looks up a key that went through the SSH wire form,
// as a server sees it, rather than the same Go value.
func TestLookupParsedKey(t *testing.T) {
	pub, line := newKey(t)
	k, err := LoadAuthorizedKeys(writeKeys(t, `role="operator" `+line+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	wire, err := ssh.ParsePublicKey(pub.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := k.Lookup(wire); !ok || id.Role != RoleOperator {
		t.Errorf("Lookup = %+v, %v", id, ok)
	}
}

func TestLoadAuthorizedKeysErrors(t *testing.T) {
	_, a := newKey(t)
	_, b := newKey(t)
	// A valid key with one character changed in its base64 body.
	fields := strings.Fields(b)
	broken := fields[0] + " " + fields[1][:20] + "!" + fields[1][21:]
	for _, c := range []struct{ name, text, want string }{
		{"unknown role", "# c\n" + `role="admin" ` + a, `:2: unknown role "admin" (want "operator" or "viewer")`},
		{"unquoted role", `role=operator ` + a, `:1: role must be role="operator" or role="viewer"`},
		{"empty role", `role ` + a, `:1: role must be role="operator" or role="viewer"`},
		{"role twice", `role="viewer",role="operator" ` + a, `:1: role given twice`},
		{"malformed", a + "\n\nssh-ed25519 not-base64 x\n", `:3: not a public key line (want [options] type base64-key [comment])`},
		{"corrupt key", a + "\n" + broken, `:2: not a public key line`},
		{"typo in option", a + "\n" + `role="operator" ,` + b, `:2: not a public key line`},
		{"bare word", "hello\n" + a, `:1: not a public key line`},
		{"cert authority", `cert-authority ` + a, `:1: cert-authority keys are not supported`},
		{"conflicting duplicate", a + "\n" + `role="operator" ` + a, `:2: key SHA256:`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeKeys(t, c.text)
			_, err := LoadAuthorizedKeys(path)
			if err == nil || !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %s%s…", err, path, c.want)
			}
		})
	}
}

func TestLoadAuthorizedKeysSameKeyTwiceSameRole(t *testing.T) {
	pub, a := newKey(t)
	k, err := LoadAuthorizedKeys(writeKeys(t, a+" first\n"+a+" second\n"))
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := k.Lookup(pub); !ok || id.Comment != "first" || id.Line != 1 || k.Len() != 1 {
		t.Errorf("Lookup = %+v, %v; Len %d", id, ok, k.Len())
	}
}

func TestLoadAuthorizedKeysFile(t *testing.T) {
	_, a := newKey(t)
	path := writeKeys(t, a)
	if err := os.Chmod(path, 0o662); err != nil {
		t.Fatal(err)
	}
	_, err := LoadAuthorizedKeys(path)
	if err == nil || err.Error() != "authorized keys "+path+": writable by group or others (mode 0662), so anyone could add a key; chmod go-w it" {
		t.Errorf("group-writable file: err = %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAuthorizedKeys(path); err != nil {
		t.Errorf("world-readable file refused: %v", err)
	}
	if _, err := LoadAuthorizedKeys(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: err = %v", err)
	}
	if _, err := LoadAuthorizedKeys(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: err = %v", err)
	}
}

func TestKeysReload(t *testing.T) {
	old, a := newKey(t)
	added, b := newKey(t)
	path := writeKeys(t, a+"\n")
	k, err := LoadAuthorizedKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(`role="operator" `+b+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := k.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Lookup(old); ok {
		t.Error("removed key still accepted")
	}
	if id, ok := k.Lookup(added); !ok || id.Role != RoleOperator {
		t.Errorf("added key: %+v, %v", id, ok)
	}
	// A bad file keeps the keys in use.
	if err := os.WriteFile(path, []byte(`role="root" `+a+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := k.Reload(); err == nil || !strings.Contains(err.Error(), path+`:1: unknown role "root"`) {
		t.Errorf("Reload of a bad file: err = %v", err)
	}
	if _, ok := k.Lookup(added); !ok {
		t.Error("a failed reload dropped the keys in use")
	}
}

func TestAuthorizedKeysCommentSanitized(t *testing.T) {
	pub, a := newKey(t)
	k, err := LoadAuthorizedKeys(writeKeys(t, a+" eve\x1b[2J@host\n"))
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := k.Lookup(pub); strings.ContainsRune(id.Comment, 0x1b) {
		t.Errorf("comment %q holds an escape", id.Comment)
	}
}
