package serve

import (
	"bytes"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestHostKeyCreatedOnceAndReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "mirrortop")
	path := filepath.Join(dir, "host_key")
	s1, created, err := LoadOrCreateHostKey(path)
	if err != nil || !created {
		t.Fatalf("first load: created %v, err %v", created, err)
	}
	if s1.PublicKey().Type() != ssh.KeyAlgoED25519 {
		t.Errorf("key type %s, want ed25519", s1.PublicKey().Type())
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("key file mode %04o, want 0600", m)
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("made directory: %v, %v; want mode 0700", di.Mode().Perm(), err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\n")) {
		t.Errorf("key file is not in OpenSSH format:\n%.40s", data)
	}
	// The file on its own gives the same key, as ssh-keygen would read it.
	parsed, err := ssh.ParsePrivateKey(data)
	if err != nil || !bytes.Equal(parsed.PublicKey().Marshal(), s1.PublicKey().Marshal()) {
		t.Errorf("file holds another key (err %v)", err)
	}

	s2, created, err := LoadOrCreateHostKey(path)
	if err != nil || created {
		t.Fatalf("second load: created %v, err %v", created, err)
	}
	if !bytes.Equal(s2.PublicKey().Marshal(), s1.PublicKey().Marshal()) {
		t.Error("second load gave another key")
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, data) {
		t.Error("second load rewrote the file")
	}
	// The signer signs and the signature checks with the public key.
	sig, err := s2.Sign(nil, []byte("hello"))
	if err != nil || s1.PublicKey().Verify([]byte("hello"), sig) != nil {
		t.Errorf("signature does not verify (err %v)", err)
	}
}

func TestHostKeyTooOpenRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "host_key")
	if _, _, err := LoadOrCreateHostKey(path); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadOrCreateHostKey(path)
		if err == nil || !strings.Contains(err.Error(), "host key "+path+": permissions 0"+octal(mode)+" are too open") || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: err = %v", mode, err)
		}
	}
}

// octal formats a mode as three octal digits.
func octal(m os.FileMode) string {
	const digits = "01234567"
	p := uint32(m.Perm())
	return string([]byte{digits[p>>6&7], digits[p>>3&7], digits[p&7]})
}

func TestHostKeyCorruptNotOverwritten(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"garbage", "not a key at all\n", "not a valid private key"},
		{"empty", "", "not a valid private key"},
		{"truncated", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n", "not a valid private key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "host_key")
			if err := os.WriteFile(path, []byte(c.data), 0o600); err != nil {
				t.Fatal(err)
			}
			s, created, err := LoadOrCreateHostKey(path)
			if err == nil || s != nil || created || !strings.HasPrefix(err.Error(), "host key "+path+": "+c.want) {
				t.Errorf("signer %v, created %v, err = %v", s, created, err)
			}
			if got, _ := os.ReadFile(path); string(got) != c.data {
				t.Errorf("file changed to %q", got)
			}
		})
	}
}

func TestHostKeyEncryptedRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "host_key")
	if _, _, err := LoadOrCreateHostKey(path); err != nil {
		t.Fatal(err)
	}
	// Re-encode the key with a passphrase.
	priv, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ssh.ParseRawPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(raw, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	enc := filepath.Join(t.TempDir(), "enc_key")
	if err := os.WriteFile(enc, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateHostKey(enc); err == nil || err.Error() != "host key "+enc+": encrypted with a passphrase; a host key must be unencrypted" {
		t.Errorf("err = %v", err)
	}
}

func TestHostKeyPathErrors(t *testing.T) {
	if _, _, err := LoadOrCreateHostKey(""); err == nil {
		t.Error("empty path accepted")
	}
	// A directory where the key should be.
	if _, _, err := LoadOrCreateHostKey(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: err = %v", err)
	}
	// A parent that is a file.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, created, err := LoadOrCreateHostKey(filepath.Join(file, "host_key")); err == nil || created {
		t.Errorf("parent is a file: created %v, err = %v", created, err)
	}
}
