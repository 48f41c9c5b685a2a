package poller

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unsafe"

	"github.com/mirrortop/mirrortop/internal/model"
)

// lenientSyncStatus and lenientRepos decode a page the general way, with
// the decoders the client falls back to.
func lenientSyncStatus(b []byte) ([]*model.RepoSyncStatus, pageMeta, error) {
	out, meta, _, _, err := decodeSyncStatusPage(b, nil)
	return out, meta, err
}

func lenientRepos(b []byte) ([]model.Repo, pageMeta, bool, error) {
	out, meta, _, single, err := decodeRepoPage(b, nil)
	return out, meta, single, err
}

// sameMeta compares paging fields, pointers by value.
func sameMeta(a, b pageMeta) bool {
	return reflect.DeepEqual(a, b)
}

// checkScanSyncStatus asserts that when the scanner accepts a body, the
// general decoder accepts it too and agrees on every value.
func checkScanSyncStatus(t *testing.T, b []byte, pool *strPool) (fast bool) {
	t.Helper()
	fast = checkScanSyncStatusPrev(t, b, pool, nil)
	if want, _, err := lenientSyncStatus(b); err == nil && fast {
		// Reusing the previous cycle's strings never changes a value,
		// whether the previous list matches or not.
		checkScanSyncStatusPrev(t, b, pool, append([]*model.RepoSyncStatus{{}}, want...))
		rev := slices.Clone(want)
		slices.Reverse(rev)
		checkScanSyncStatusPrev(t, b, pool, rev)
	}
	return fast
}

func checkScanSyncStatusPrev(t *testing.T, b []byte, pool *strPool, prev []*model.RepoSyncStatus) (fast bool) {
	t.Helper()
	prefix := []*model.RepoSyncStatus{{ExternalRepoID: "kept"}}
	got, meta, n, err := scanSyncStatusPage(b, pool, prev, prefix)
	if err != nil {
		if len(got) != 1 || got[0].ExternalRepoID != "kept" {
			t.Fatalf("a refused page changed the list: %+v", got)
		}
		return false
	}
	want, wmeta, werr := lenientSyncStatus(b)
	if werr != nil {
		t.Fatalf("scanner accepted %q, encoding/json says %v", b, werr)
	}
	if n != len(want) || len(want) > 0 && !reflect.DeepEqual(got[1:], want) {
		t.Fatalf("scanner and encoding/json disagree on %q:\n got %+v\nwant %+v", b, got[1:], want)
	}
	if !sameMeta(meta, wmeta) {
		t.Fatalf("paging of %q: scanner %+v, encoding/json %+v", b, meta, wmeta)
	}
	return true
}

func checkScanRepos(t *testing.T, b []byte, pool *strPool) (fast bool) {
	t.Helper()
	fast = checkScanReposPrev(t, b, pool, nil)
	if want, _, _, err := lenientRepos(b); err == nil && fast {
		checkScanReposPrev(t, b, pool, want)
		rev := slices.Clone(want)
		slices.Reverse(rev)
		checkScanReposPrev(t, b, pool, append(rev, model.Repo{}))
	}
	return fast
}

func checkScanReposPrev(t *testing.T, b []byte, pool *strPool, prev []model.Repo) (fast bool) {
	t.Helper()
	got, meta, n, err := scanRepoPage(b, pool, prev, nil)
	if err != nil {
		if len(got) != 0 {
			t.Fatalf("a refused page changed the list: %+v", got)
		}
		return false
	}
	want, wmeta, single, werr := lenientRepos(b)
	if werr != nil || single {
		t.Fatalf("scanner accepted %q, encoding/json says %v (single %v)", b, werr, single)
	}
	if n != len(want) || len(want) > 0 && !reflect.DeepEqual(got, want) {
		t.Fatalf("scanner and encoding/json disagree on %q:\n got %+v\nwant %+v", b, got, want)
	}
	if !sameMeta(meta, wmeta) {
		t.Fatalf("paging of %q: scanner %+v, encoding/json %+v", b, meta, wmeta)
	}
	return true
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fixtures", "bitbucket", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The documented shapes take the scanner; every variation a server may send
// falls back to the general decoder with the same outcome.
func TestScannerAgreesWithEncodingJSON(t *testing.T) {
	pool := newStrPool(time.Minute)
	if !checkScanSyncStatus(t, fixture(t, "repo-sync-status-doc.json"), pool) {
		t.Errorf("the documented shape should not need the general decoder")
	}
	// A second cycle over the same answer shares the first one's strings.
	doc := fixture(t, "repo-sync-status-doc.json")
	first, _, _, _ := scanSyncStatusPage(doc, nil, nil, nil)
	second, _, _, _ := scanSyncStatusPage(doc, nil, first, nil)
	if second[0] != first[0] {
		t.Errorf("an unchanged entry was not shared with the previous cycle")
	}
	changed := []byte(strings.Replace(string(doc), `"failedSyncCount":1`, `"failedSyncCount":2`, 1))
	third, _, _, _ := scanSyncStatusPage(changed, nil, first, nil)
	if third[0] == first[0] || third[0].FailedSyncCount != 2 {
		t.Fatalf("a changed entry must be new: %+v", third[0])
	}
	if unsafeData(third[0].Hashes.Content) != unsafeData(first[0].Hashes.Content) || unsafeData(third[0].ExternalRepoID) != unsafeData(first[0].ExternalRepoID) {
		t.Errorf("a changed entry did not reuse the previous cycle's strings")
	}
	// This fixture carries a real server's variations (numbers as strings,
	// epoch dates): the general decoder reads it.
	if checkScanSyncStatus(t, fixture(t, "repo-sync-status.json"), pool) {
		t.Errorf("a page with quirky types must go to the general decoder")
	}
	for _, name := range []string{"repos-page1.json", "repos-page2.json"} {
		if !checkScanRepos(t, fixture(t, name), pool) {
			t.Errorf("%s: the documented shape should not need the general decoder", name)
		}
	}
	if checkScanRepos(t, fixture(t, "repos-single.json"), pool) {
		t.Errorf("the single-repository shape must go to the general decoder")
	}
	const ss = `{"size":1,"limit":25,"isLastPage":false,"start":0,"nextPageStart":1,"values":[{"externalRepoId":"1","upstreamId":"u","localRepoId":1001,"localProjectId":11,"failedSyncCount":0,"initialSyncDate":"2026-02-29T08:00:00.000Z","lastSyncDate":"2026-11-20T08:00:00.123Z","repoSlug":"r","hashes":{"content":"c","metadata":"m","extra":[1,{"a":null}]},"extra":{"x":"\u001b"}}]}`
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{ss, true},
		{strings.Replace(ss, `"2026-02-29T08`, `"2024-02-29T08`, 1), true},
		{strings.Replace(ss, `"2026-11-20T08:00:00.123Z"`, `1763625600000`, 1), false},         // epoch number
		{strings.Replace(ss, `"2026-11-20T08:00:00.123Z"`, `"2026-11-20T08:00:00Z"`, 1), true}, // other date form
		{strings.Replace(ss, `"2026-11-20T08:00:00.123Z"`, `"2026-13-20T08:00:00.123Z"`, 1), true},
		{strings.Replace(ss, `"2026-11-20T08:00:00.123Z"`, `"1969-12-31T23:59:59.999Z"`, 1), true},
		{strings.Replace(ss, `"localRepoId":1001`, `"localRepoId":"1001"`, 1), false},
		{strings.Replace(ss, `"localRepoId":1001`, `"localRepoId":1.5`, 1), false},
		{strings.Replace(ss, `"localRepoId":1001`, `"localRepoId":null`, 1), false},
		{strings.Replace(ss, `"externalRepoId":"1"`, `"externalRepoId":"1\u001b[2J"`, 1), false},
		{strings.Replace(ss, `"externalRepoId":"1"`, `"externalrepoid":"x"`, 1), false},
		{strings.Replace(ss, `"externalRepoId":"1"`, `"externalRepoId":"1\xff"`, 1), false},
		{strings.Replace(ss, `"externalRepoId":"1"`, `"externalRepoId":"ünï"`, 1), true},
		// Fields read but not kept may hold anything the general decoder takes.
		{strings.Replace(ss, `"repoSlug":"r"`, `"repoSlug":{"odd":[1,null]}`, 1), true},
		{strings.Replace(ss, `"localProjectId":11`, `"localProjectId":null`, 1), true},
		{strings.Replace(ss, `"isLastPage":false`, `"isLastPage":"false"`, 1), false},
		{strings.Replace(ss, `"values":[`, `"values":[null,`, 1), false},
		{ss + ` {}`, false},
		{ss[:len(ss)-5], false},
		{`{"values":[]}`, true},
		{`{"values":[],"values":[]}`, false},
		{`{}`, true},
		{`null`, false},
		{`[]`, false},
	} {
		if fast := checkScanSyncStatus(t, []byte(tc.body), pool); fast != tc.fast {
			t.Errorf("scanner took %q: %v, want %v", tc.body, fast, tc.fast)
		}
	}
	const rp = `{"size":1,"limit":25,"isLastPage":true,"start":0,"values":[{"slug":"a","id":1,"name":"A","state":"available","project":{"key":"P","id":2,"name":"Proj","links":{"self":[{"href":"x"}]}},"links":{"clone":[{"href":"ssh://h/a.git","name":"ssh"},{"href":"https://h/scm/p/a.git","name":"HTTP"},{"href":"","name":"http"}],"self":[{"href":"y"}]},"properties":{"contentHash":"c","metadataHash":"m"}}]}`
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{rp, true},
		{strings.Replace(rp, `"id":1,`, `"id":"1",`, 1), true},
		{strings.Replace(rp, `"id":2,`, `"id":"2",`, 1), true},
		{strings.Replace(rp, `"id":1,`, `"id":1e3,`, 1), true},
		{strings.Replace(rp, `"name":"ssh"`, `"name":null`, 1), false},
		{strings.Replace(rp, `"contentHash":"c"`, `"contentHash":7`, 1), false},
		{strings.Replace(rp, `"links":{"clone"`, `"links":{"clone":[],"clone"`, 1), false},
		{strings.Replace(rp, `"slug":"a",`, `"slug":"a","Slug":"b",`, 1), false},
		{strings.Replace(rp, `{"size":1,`, `{"id":9,"size":1,`, 1), false},
	} {
		if fast := checkScanRepos(t, []byte(tc.body), pool); fast != tc.fast {
			t.Errorf("scanner took %q: %v, want %v", tc.body, fast, tc.fast)
		}
	}
}

// The pool hands back one string for equal bytes and forgets strings not
// used for two rotation periods.
func TestStrPoolSharesAndForgets(t *testing.T) {
	p := newStrPool(time.Minute)
	a := p.str([]byte("0123456789abcdef"))
	b := p.str([]byte("0123456789abcdef"))
	if a != b || unsafeData(a) != unsafeData(b) {
		t.Fatalf("equal bytes gave two strings")
	}
	start := time.Now()
	p.maybeRotate(start.Add(30 * time.Second)) // too early: nothing happens
	p.maybeRotate(start.Add(61 * time.Second))
	if c := p.str([]byte("0123456789abcdef")); unsafeData(c) != unsafeData(a) {
		t.Fatalf("a string of the previous generation was not reused")
	}
	p.maybeRotate(start.Add(122 * time.Second))
	if c := p.str([]byte("0123456789abcdef")); unsafeData(c) != unsafeData(a) {
		t.Fatalf("a string still in use was dropped")
	}
	p.maybeRotate(start.Add(183 * time.Second))
	if c := p.str([]byte("0123456789abcdef")); unsafeData(c) != unsafeData(a) {
		t.Fatalf("a string still in use was dropped")
	}
	p.maybeRotate(start.Add(244 * time.Second))
	p.maybeRotate(start.Add(305 * time.Second))
	if c := p.str([]byte("0123456789abcdef")); unsafeData(c) == unsafeData(a) {
		t.Fatalf("a string unused for two periods was kept")
	}
	var nilPool *strPool
	if nilPool.str([]byte("x")) != "x" {
		t.Fatal("a nil pool must copy")
	}
}

func FuzzScanPages(f *testing.F) {
	addFixtureSeeds(f, "bitbucket", "repo-sync-status.json", "repo-sync-status-doc.json", "repos-page1.json", "repos-page2.json", "repos-single.json")
	f.Add([]byte(`{"values":[{"externalRepoId":"1","initialSyncDate":"2026-11-20T08:00:00.000Z","hashes":{"content":"c"}}],"isLastPage":true}`))
	f.Add([]byte(`{"values":[{"slug":"a","links":{"clone":[{"href":"h","name":"http"}]},"project":{"id":1}}],"nextPageStart":3}`))
	pool := newStrPool(time.Minute)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkScanSyncStatus(t, data, pool)
		checkScanRepos(t, data, pool)
	})
}

func unsafeData(s string) *byte { return unsafe.StringData(s) }

// scanSpecial's eight-bytes-at-a-time test agrees with a plain loop.
func TestScanSpecial(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			switch r.IntN(4) {
			case 0:
				b[i] = byte(r.IntN(256))
			default:
				b[i] = byte(0x20 + r.IntN(0x5f))
			}
		}
		wantSpecial, wantASCII := false, true
		for _, c := range b {
			if c < 0x20 || c == '\\' {
				wantSpecial = true
			}
			if c >= 0x80 {
				wantASCII = false
			}
		}
		special, ascii := scanSpecial(b)
		if special != wantSpecial || !special && ascii != wantASCII {
			t.Fatalf("%q: special %v ascii %v, want %v %v", b, special, ascii, wantSpecial, wantASCII)
		}
	}
}

// A page buffer goes back to the pool only after a good read and while it
// is of a normal page's size: an oversized answer's buffer is not kept.
func TestPageBufferPooling(t *testing.T) {
	small := make([]byte, 0, 512<<10)
	big := make([]byte, 0, 2*maxPooledBody)
	for _, c := range []struct {
		name string
		buf  []byte
		err  error
		want bool
	}{
		{"normal page", small, nil, true},
		{"answer over max_body_mb", small, bodyTooLarge{max: 1 << 20}, false},
		{"grown past the pooled size", big, nil, false},
	} {
		if got := pooled(c.buf, c.err); got != c.want {
			t.Errorf("%s: pooled %v, want %v", c.name, got, c.want)
		}
	}
}

// Through getPage: the buffer of a read over max_body_mb does not go back
// to the pool. (The pool may drop what it is given, so only the absence of
// the grown buffer is checked.)
func TestGetPageDropsOversizedBuffers(t *testing.T) {
	const limit = 1 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte(" "), 2*limit))
	}))
	defer srv.Close()
	c, err := NewClient(ClientOptions{BaseURL: srv.URL, MaxBody: limit})
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		pageBufs.Get()
	}
	err = c.getPage(context.Background(), "/x", nil, func([]byte) error { return nil })
	if !errors.Is(err, errBodyTooLarge) {
		t.Fatalf("oversized read: %v", err)
	}
	for range 1000 {
		if b := pageBufs.Get().(*[]byte); cap(*b) >= limit/2 {
			t.Fatalf("an oversized read's buffer (%d bytes) went back to the pool", cap(*b))
		}
	}
}

// readBody reads a whole body, reuses the buffer it is given, and never
// grows it past the limit (plus the byte that finds an answer too large).
func TestReadBody(t *testing.T) {
	const limit = 1 << 20
	body := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	read := func(buf []byte, n int) ([]byte, error) {
		lr := newLimitReader(iotest.HalfReader(bytes.NewReader(body(n))), limit)
		return readBody(buf, &lr, limit)
	}
	for _, n := range []int{0, 1, 32 << 10, 100_000, limit} {
		got, err := read(nil, n)
		if err != nil || !bytes.Equal(got, body(n)) {
			t.Fatalf("%d bytes: read %d, %v", n, len(got), err)
		}
		if cap(got) > limit+1 {
			t.Errorf("%d bytes: buffer of %d, over the limit", n, cap(got))
		}
	}
	got, err := read(nil, limit+1)
	if !errors.Is(err, errBodyTooLarge) || cap(got) > limit+1 {
		t.Errorf("over the limit: %v, buffer of %d", err, cap(got))
	}
	reuse := make([]byte, 7, 64<<10)
	got, err = read(reuse, 1000)
	if err != nil || len(got) != 1000 || &got[0] != &reuse[:1][0] {
		t.Errorf("a big enough buffer is not reused (%d bytes, %v)", len(got), err)
	}
}
