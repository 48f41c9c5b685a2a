package actions

import (
	"fmt"
	"strings"
	"testing"
)

// pktLines frames lines as git pkt-lines; "" is a flush-pkt.
func pktLines(lines ...string) []byte {
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			b.WriteString("0000")
			continue
		}
		fmt.Fprintf(&b, "%04x%s", len(l)+4, l)
	}
	return []byte(b.String())
}

func FuzzParseAdvertisement(f *testing.F) {
	const (
		a = "95d09f2b10159347eece71399a7e2e907ea3df4f"
		b = "e83c5163316f89bfbde7d9ab23ca2e25604af290"
		s = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" // SHA-256 repository
	)
	for _, seed := range [][]byte{
		pktLines("# service=git-upload-pack\n", "", a+" HEAD\x00multi_ack thin-pack side-band ofs-delta symref=HEAD:refs/heads/main agent=git/2.43.0\n",
			a+" refs/heads/main\n", b+" refs/tags/v1.0\n", a+" refs/tags/v1.0^{}\n", ""),
		pktLines("# service=git-upload-pack\n", "", "0000000000000000000000000000000000000000 capabilities^{}\x00report-status\n", ""),
		pktLines("# service=git-upload-pack\n", "", "version 2\n", "agent=git/2.43.0\n", "ls-refs=unborn\n", ""),
		pktLines(s+" refs/heads/main\x00object-format=sha256\n", ""),
		pktLines(a+" refs/heads/no-newline", "short refs/heads/x\n", a+"\n", a+"refs/heads/glued\n"),
		[]byte("0000"),
		[]byte(""),
		[]byte("00"),
		[]byte("zzzz"),
		[]byte("0003"),
		[]byte("ffff" + a),
		[]byte("<html><body>Sign in</body></html>"),
		[]byte("0001"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		refs, err := parseAdvertisement(data)
		if err != nil {
			if refs != nil {
				t.Errorf("refs %v returned with error %v", refs, err)
			}
			return
		}
		for name, oid := range refs {
			if name == "" {
				t.Errorf("empty ref name (oid %q) from %q", oid, data)
			}
			if len(oid) < 40 {
				t.Errorf("ref %q: oid %q shorter than 40", name, oid)
			}
			// An object id is hexadecimal (40 digits for SHA-1, 64 for
			// SHA-256); it is printed as it is, so nothing else may pass.
			if strings.Trim(oid, "0123456789abcdefABCDEF") != "" {
				t.Errorf("ref %q: oid %q is not hexadecimal", name, oid)
			}
		}
	})
}
