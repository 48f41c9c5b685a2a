package actions

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Fetcher GETs raw bodies from one server.
type Fetcher interface {
	Fetch(ctx context.Context, path string, query url.Values, max int64) ([]byte, error)
}

// maxAdvertisement bounds a ref advertisement (large repositories have
// tens of thousands of refs).
const maxAdvertisement = 32 << 20

// LsRemote lists a repository's refs as `git ls-remote` does, over git's
// smart HTTP protocol: GET <repo>/info/refs?service=git-upload-pack, parsed
// from pkt-lines. repoPath is the repository's path on the server
// ("/scm/plat/api.git"). Peeled tags appear as "refs/tags/v1^{}".
func LsRemote(ctx context.Context, f Fetcher, repoPath string) (map[string]string, error) {
	body, err := f.Fetch(ctx, strings.TrimRight(repoPath, "/")+"/info/refs", url.Values{"service": {"git-upload-pack"}}, maxAdvertisement)
	if err != nil {
		return nil, err
	}
	return parseAdvertisement(body)
}

// parseAdvertisement reads a smart HTTP ref advertisement (protocol v0/v1).
func parseAdvertisement(b []byte) (map[string]string, error) {
	refs := map[string]string{}
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, fmt.Errorf("ref advertisement: truncated pkt-line")
		}
		n, err := strconv.ParseUint(string(b[:4]), 16, 16)
		if err != nil {
			return nil, fmt.Errorf("ref advertisement: not git's smart HTTP protocol (%q)", safePrefix(b))
		}
		if n == 0 { // flush-pkt
			b = b[4:]
			continue
		}
		if n < 4 || int(n) > len(b) {
			return nil, fmt.Errorf("ref advertisement: bad pkt-line length %d", n)
		}
		line := b[4:n]
		b = b[n:]
		line = bytes.TrimSuffix(line, []byte("\n"))
		if bytes.HasPrefix(line, []byte("# service=")) || bytes.HasPrefix(line, []byte("version ")) {
			continue
		}
		if i := bytes.IndexByte(line, 0); i >= 0 {
			line = line[:i] // capabilities after the first ref
		}
		oid, name, ok := bytes.Cut(line, []byte(" "))
		if !ok || len(name) == 0 || !isObjectID(oid) {
			continue
		}
		if string(name) == "capabilities^{}" { // an empty repository
			continue
		}
		refs[string(name)] = string(oid)
	}
	return refs, nil
}

// isObjectID reports whether b is a SHA-1 or SHA-256 object id in hex.
func isObjectID(b []byte) bool {
	if len(b) != 40 && len(b) != 64 {
		return false
	}
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func safePrefix(b []byte) string {
	if len(b) > 16 {
		b = b[:16]
	}
	return strings.ToValidUTF8(string(b), "?")
}

// RefDelta is one ref that differs between the primary and a mirror.
type RefDelta struct {
	Ref     string
	Primary string // "" when the mirror has a ref the primary does not
	Mirror  string // "" when the mirror lacks the ref
}

// DiffRefs compares the refs of the primary and a mirror, by ref name.
func DiffRefs(primary, mirror map[string]string) []RefDelta {
	var out []RefDelta
	for ref, p := range primary {
		if m := mirror[ref]; m != p {
			out = append(out, RefDelta{Ref: ref, Primary: p, Mirror: m})
		}
	}
	for ref, m := range mirror {
		if _, ok := primary[ref]; !ok {
			out = append(out, RefDelta{Ref: ref, Mirror: m})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	return out
}

// RepoPath is the server path of a repository's clone URL ("/scm/…/x.git"),
// from the primary's clone URL when known, else Bitbucket's standard path.
// A context path before /scm/ is dropped, so that the path fits a node's
// own base URL.
func RepoPath(cloneURL, projectKey, slug string) string {
	if u, err := url.Parse(cloneURL); err == nil && u.Path != "" {
		if i := strings.Index(u.Path, "/scm/"); i >= 0 {
			return u.Path[i:]
		}
	}
	return "/scm/" + strings.ToLower(projectKey) + "/" + slug + ".git"
}
