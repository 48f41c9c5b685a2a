package serve

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// maxHostKeyFile bounds the size of a host key file.
const maxHostKeyFile = 1 << 20

// LoadOrCreateHostKey returns the SSH host key kept at path, generating an
// ed25519 key there in OpenSSH format (mode 0600, its directory made 0700
// when missing) the first time; created reports that it did. Like sshd,
// it refuses a key file that group or others may read or write. A file
// that is not an unencrypted private key is an error and is left as it
// is, never overwritten.
func LoadOrCreateHostKey(path string) (ssh.Signer, bool, error) {
	if path == "" {
		return nil, false, errors.New("host key: no file given")
	}
	s, err := loadHostKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return s, false, err
	}
	s, err = createHostKey(path)
	if errors.Is(err, fs.ErrExist) {
		// Another process made it in the meantime.
		s, err = loadHostKey(path)
		return s, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return s, true, nil
}

// loadHostKey reads and parses the host key at path; a missing file is
// an error matching fs.ErrNotExist.
func loadHostKey(path string) (ssh.Signer, error) {
	data, err := readGuarded(path, "host key", 0o077, maxHostKeyFile,
		"permissions %04o are too open: a private key must not be accessible by group or others; chmod 600 it")
	if err != nil {
		return nil, err
	}
	s, err := ssh.ParsePrivateKey(data)
	if err != nil {
		var pm *ssh.PassphraseMissingError
		if errors.As(err, &pm) {
			return nil, fmt.Errorf("host key %s: encrypted with a passphrase; a host key must be unencrypted", path)
		}
		// The parser's message says what is wrong without quoting the file.
		return nil, fmt.Errorf("host key %s: not a valid private key (%v); fix or remove the file to generate a new one", path, err)
	}
	return s, nil
}

// createHostKey generates an ed25519 key and writes it to path, which
// must not exist yet.
func createHostKey(path string) (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "mirrortop host key")
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("host key: %w", err)
	}
	_, err = f.Write(pem.EncodeToMemory(block))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Only the file made here is removed: a half-written key is no key.
		os.Remove(path)
		return nil, fmt.Errorf("host key: %w", err)
	}
	return s, nil
}
