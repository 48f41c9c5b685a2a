// Package serve serves one poller's console to a team over SSH and HTTP.
// It holds the hub (one poller applied to one shared state, published as
// immutable views), the HTTP side (health, readiness, snapshot), the
// access control (an OpenSSH authorized_keys file whose lines carry a
// role) and the SSH host key.
package serve

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/ssh"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Role is what a key may do.
type Role string

// Roles.
const (
	// RoleViewer watches the console; it has no action keys.
	RoleViewer Role = "viewer"
	// RoleOperator may also run actions.
	RoleOperator Role = "operator"
)

// maxKeysFile bounds the size of an authorized_keys file.
const maxKeysFile = 16 << 20

// Identity is who an accepted key belongs to.
type Identity struct {
	// Role is what the key may do: RoleViewer unless its line says
	// role="operator".
	Role Role
	// Fingerprint is the key's SHA256 fingerprint as ssh-keygen -l prints
	// it ("SHA256:…").
	Fingerprint string
	// Comment is the comment after the key, sanitized; often user@host.
	Comment string
	// Options are the line's other options (from=, command=, no-pty, …)
	// as written. They are kept but not enforced.
	Options []string
	// Line is the key's line in the file.
	Line int
}

// Keys is the set of public keys allowed in, read from an OpenSSH
// authorized_keys file. It is safe for concurrent use.
type Keys struct {
	path string
	set  atomic.Pointer[map[string]Identity]
}

// LoadAuthorizedKeys reads the OpenSSH authorized_keys file at path. A
// line may begin with the option role="operator" or role="viewer" (the
// default is viewer); other options such as from=, command= or no-pty are
// kept in the Identity but not enforced. Blank lines and lines starting
// with # are skipped. Any other line that is not a valid key, an unknown
// role, a cert-authority line, and one key listed twice with different
// roles are errors naming the file and line: nothing is skipped silently.
// A file writable by group or others is refused, as sshd does.
func LoadAuthorizedKeys(path string) (*Keys, error) {
	k := &Keys{path: path}
	if err := k.Reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// Path is the file the keys come from.
func (k *Keys) Path() string { return k.path }

// Len is the number of distinct keys allowed in.
func (k *Keys) Len() int { return len(*k.set.Load()) }

// Reload reads the file again. On an error the keys in use are kept.
func (k *Keys) Reload() error {
	data, err := readKeysFile(k.path)
	if err != nil {
		return err
	}
	set, err := parseAuthorizedKeys(k.path, data)
	if err != nil {
		return err
	}
	k.set.Store(&set)
	return nil
}

// Lookup returns the identity of pub, and false when pub is not allowed.
func (k *Keys) Lookup(pub ssh.PublicKey) (Identity, bool) {
	if pub == nil {
		return Identity{}, false
	}
	id, ok := (*k.set.Load())[string(pub.Marshal())]
	return id, ok
}

// readKeysFile reads an authorized_keys file, refusing one that others
// may write to or that is too large.
func readKeysFile(path string) ([]byte, error) {
	return readGuarded(path, "authorized keys", 0o022, maxKeysFile,
		"writable by group or others (mode %04o), so anyone could add a key; chmod go-w it")
}

// readGuarded reads a regular file of at most limit bytes whose mode has
// none of the deny bits (on systems with Unix modes); who names the file
// in errors, tooOpen says (with the mode) why a mode is refused. A missing
// file is an error matching fs.ErrNotExist.
func readGuarded(path, who string, deny fs.FileMode, limit int64, tooOpen string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", who, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", who, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s: not a regular file", who, path)
	}
	if m := fi.Mode().Perm(); runtime.GOOS != "windows" && m&deny != 0 {
		return nil, fmt.Errorf("%s %s: "+tooOpen, who, path, m)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", who, err)
	}
	if int64(len(data)) > limit {
		size := fmt.Sprintf("%d KiB", limit>>10)
		if limit >= 1<<20 {
			size = fmt.Sprintf("%d MiB", limit>>20)
		}
		return nil, fmt.Errorf("%s %s: larger than %s", who, path, size)
	}
	return data, nil
}

// parseAuthorizedKeys parses the lines of an authorized_keys file named
// name into a map from each key's wire form to its identity.
func parseAuthorizedKeys(name string, data []byte) (map[string]Identity, error) {
	set := map[string]Identity{}
	for i, line := range bytes.Split(data, []byte("\n")) {
		n := i + 1
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		// ParseAuthorizedKey skips lines it cannot parse to find the next
		// good one, so it is given one line at a time.
		pub, comment, opts, _, err := ssh.ParseAuthorizedKey(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: not a public key line (want [options] type base64-key [comment])", name, n)
		}
		id := Identity{
			Role:        RoleViewer,
			Fingerprint: ssh.FingerprintSHA256(pub),
			Comment:     model.Sanitize(comment),
			Line:        n,
		}
		seenRole := false
		for _, o := range opts {
			oname, val, hasVal := strings.Cut(o, "=")
			switch strings.ToLower(oname) {
			case "role":
				if seenRole {
					return nil, fmt.Errorf("%s:%d: role given twice", name, n)
				}
				seenRole = true
				r, err := parseRole(val, hasVal)
				if err != nil {
					return nil, fmt.Errorf("%s:%d: %v", name, n, err)
				}
				id.Role = r
			case "cert-authority":
				return nil, fmt.Errorf("%s:%d: cert-authority keys are not supported; list each user's key", name, n)
			default:
				id.Options = append(id.Options, o)
			}
		}
		key := string(pub.Marshal())
		if prev, dup := set[key]; dup {
			if prev.Role != id.Role {
				return nil, fmt.Errorf("%s:%d: key %s is also at line %d with role %q; list it once", name, n, id.Fingerprint, prev.Line, prev.Role)
			}
			continue
		}
		set[key] = id
	}
	return set, nil
}

// parseRole parses the value of a role option, which must be quoted.
func parseRole(val string, hasVal bool) (Role, error) {
	if !hasVal || len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
		return "", errors.New(`role must be role="operator" or role="viewer"`)
	}
	switch r := Role(val[1 : len(val)-1]); r {
	case RoleViewer, RoleOperator:
		return r, nil
	default:
		return "", fmt.Errorf(`unknown role %q (want "operator" or "viewer")`, model.Sanitize(string(r)))
	}
}
