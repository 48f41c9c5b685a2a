package poller

import (
	"context"
	"hash/maphash"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// strPool shares the strings that big payloads repeat — a node's hashes
// nearly always equal the primary's, thousands of repositories name the same
// project, and the same values come back every cycle — among the clients of
// one poller. Strings not asked for
// during two rotation periods are forgotten. A nil pool copies every string.
type strPool struct {
	seed    maphash.Seed
	every   time.Duration
	rotated atomic.Int64 // UnixNano of the last rotation
	shards  [64]poolShard
}

type poolShard struct {
	mu        sync.Mutex
	cur, prev map[string]string
}

func newStrPool(every time.Duration) *strPool {
	p := &strPool{seed: maphash.MakeSeed(), every: every}
	p.rotated.Store(time.Now().UnixNano())
	return p
}

// str returns the pool's copy of b.
func (p *strPool) str(b []byte) string {
	if p == nil {
		return string(b)
	}
	sh := &p.shards[maphash.Bytes(p.seed, b)%uint64(len(p.shards))]
	sh.mu.Lock()
	v, ok := sh.cur[string(b)]
	if !ok {
		if v, ok = sh.prev[string(b)]; !ok {
			v = string(b)
		}
		if sh.cur == nil {
			sh.cur = make(map[string]string)
		}
		sh.cur[v] = v
	}
	sh.mu.Unlock()
	return v
}

// maybeRotate starts a new generation once a rotation period has passed.
func (p *strPool) maybeRotate(now time.Time) {
	if p == nil {
		return
	}
	last := p.rotated.Load()
	if now.UnixNano()-last < int64(p.every) || !p.rotated.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	for i := range p.shards {
		sh := &p.shards[i]
		sh.mu.Lock()
		sh.prev, sh.cur = sh.cur, make(map[string]string, len(sh.cur))
		sh.mu.Unlock()
	}
}

// pageBufs recycle the buffers the pages of big lists are read into, and
// answerBufs those of single answers (status, settings, queue…), so that a
// small answer does not take a page-sized buffer from a page read that
// then has to grow a new one. Every string kept from a body is a copy.
var (
	pageBufs   = sync.Pool{New: func() any { return new([]byte) }}
	answerBufs = sync.Pool{New: func() any { return new([]byte) }}
)

// maxPooledBody is the largest buffer kept for reuse: a page of 1 000
// repositories fits; a buffer grown by an oversized answer is left to the
// collector rather than kept, one per request that was in flight, until
// the pool is next emptied.
const maxPooledBody = 4 << 20

// pooled reports whether a page buffer goes back to the pool after a read
// that ended with err.
func pooled(buf []byte, err error) bool {
	return err == nil && cap(buf) <= maxPooledBody
}

// readBody reads r to its end into buf[:0]. The buffer doubles as it fills
// but never grows past limit+1 bytes: r (a limitReader) fails a read past
// limit, and an answer at the limit must not cost twice the limit (a
// doubling buffer would, and while it copies, three times).
func readBody(buf []byte, r io.Reader, limit int64) ([]byte, error) {
	const minRead = 32 << 10
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			want := max(2*cap(buf), minRead)
			if lim := limit + 1; lim > 0 && int64(want) > lim {
				want = int(max(lim, int64(len(buf))+1))
			}
			nb := make([]byte, len(buf), want) // append's growth would overshoot
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// getPage GETs one page of a big list and hands its whole body to decode;
// errors from decode are worded like any other undecodable answer.
func (c *Client) getPage(ctx context.Context, path string, query url.Values, decode func([]byte) error) error {
	return c.getWhole(ctx, &pageBufs, path, query, decode)
}

// getWhole GETs path and hands the whole body, read into a buffer from
// bufs, to decode.
func (c *Client) getWhole(ctx context.Context, bufs *sync.Pool, path string, query url.Values, decode func([]byte) error) error {
	_, err := c.do(ctx, http.MethodGet, path, query, nil, func(r io.Reader) error {
		bp := bufs.Get().(*[]byte)
		buf, err := readBody(*bp, r, c.maxBody)
		if err == nil {
			err = decode(buf)
		}
		if pooled(buf, err) {
			*bp = buf
			bufs.Put(bp)
		}
		return err
	})
	return err
}

var syncStatusKeys = []string{"externalRepoId", "localRepoId", "failedSyncCount",
	"initialSyncDate", "lastSyncDate", "hashes"}

var hashesKeys = []string{"content", "metadata"}

// reuse returns old when b spells it, else the pool's copy of b. Lists come
// back in the same order every cycle, so comparing with the value at the
// same position of the previous list finds most strings without hashing.
func reuse(b []byte, old string, pool *strPool) string {
	if string(b) == old {
		return old
	}
	return pool.str(b)
}

// reuseOwn is reuse for strings not worth pooling.
func reuseOwn(b []byte, old string) string {
	if string(b) == old {
		return old
	}
	return string(b)
}

// heapCopy returns a pointer to a copy of v, leaving v itself on the stack.
func heapCopy[T any](v T) *T { return &v }

// scanSyncStatusPage decodes a repoSyncStatus page that follows the
// documented types, appending its values to out; prev is the previous
// cycle's list: an entry equal to the one at the same position there is
// that entry (no new allocation), and other entries reuse its strings. It
// returns errFallback (and out unchanged) for anything else.
func scanSyncStatusPage(b []byte, pool *strPool, prev, out []*model.RepoSyncStatus) ([]*model.RepoSyncStatus, pageMeta, int, error) {
	s := &scanner{b: b}
	n0 := len(out)
	var meta pageMeta
	good, sawValues := true, false
	ok := s.object(pageKeys, func(k []byte) bool {
		if s.pageField(k, &meta, &good) {
			return good
		}
		if string(k) != "values" {
			return s.skipUnknown(k, 1)
		}
		if sawValues {
			return false
		}
		sawValues = true
		return s.array(func() bool {
			var v, old model.RepoSyncStatus
			var oldp *model.RepoSyncStatus
			if len(out) < len(prev) {
				oldp = prev[len(out)]
				old = *oldp
			}
			ok := s.object(syncStatusKeys, func(k []byte) bool {
				switch string(k) {
				case "externalRepoId", "initialSyncDate", "lastSyncDate":
					str, ok := s.plainString()
					if !ok {
						return false
					}
					switch string(k) {
					case "externalRepoId":
						v.ExternalRepoID = reuseOwn(str, old.ExternalRepoID)
					case "initialSyncDate":
						v.InitialSyncDate = model.MillisOf(isoTime(str))
					case "lastSyncDate":
						v.LastSyncDate = model.MillisOf(isoTime(str))
					}
					return true
				case "localRepoId", "failedSyncCount":
					n, ok := s.integer()
					switch string(k) {
					case "localRepoId":
						v.LocalRepoID = model.Int32(n)
					default:
						v.FailedSyncCount = model.Int32(n)
					}
					return ok
				case "hashes":
					return s.object(hashesKeys, func(k []byte) bool {
						switch string(k) {
						case "content", "metadata":
							str, ok := s.plainString()
							if string(k) == "content" {
								v.Hashes.Content = reuse(str, old.Hashes.Content, pool)
							} else {
								v.Hashes.Metadata = reuse(str, old.Hashes.Metadata, pool)
							}
							return ok
						}
						return s.skipUnknown(k, 3)
					})
				}
				return s.skipUnknown(k, 2)
			})
			if oldp != nil && v == old {
				out = append(out, oldp)
			} else {
				out = append(out, heapCopy(v))
			}
			return ok
		})
	})
	if !ok || !good || !s.end() {
		return out[:n0], pageMeta{}, 0, errFallback
	}
	return out, meta, len(out) - n0, nil
}

var repoKeys = []string{"links", "id", "slug", "name", "state", "project", "properties"}

var repoPageKeys = append(append([]string{}, pageKeys...), repoKeys...)

var (
	projectKeys    = []string{"id", "key", "name"}
	propertiesKeys = []string{"contentHash", "metadataHash"}
	linkKeys       = []string{"name", "href"}
	linksKeys      = []string{"clone"}
)

// scalarText reads a string or a number as text, as flexString does for
// the documented types.
func (s *scanner) scalarText() ([]byte, bool) {
	if s.next() == '"' {
		return s.plainString()
	}
	return s.number()
}

// scanRepoPage decodes a page of repositories that follows the documented
// types, appending its values to out and reusing the strings of prev, the
// previous cycle's list; errFallback (and out unchanged) for anything else,
// including the single-repository shape.
func scanRepoPage(b []byte, pool *strPool, prev, out []model.Repo) ([]model.Repo, pageMeta, int, error) {
	s := &scanner{b: b}
	n0 := len(out)
	var meta pageMeta
	good, sawValues := true, false
	ok := s.object(repoPageKeys, func(k []byte) bool {
		if s.pageField(k, &meta, &good) {
			return good
		}
		switch string(k) {
		case "values":
			if sawValues {
				return false
			}
			sawValues = true
			return s.array(func() bool {
				var old model.Repo
				if len(out) < len(prev) {
					old = prev[len(out)]
				}
				v, ok := s.repo(pool, &old)
				out = append(out, v)
				return ok
			})
		case "links", "id", "slug", "name", "state", "project", "properties":
			return false // a single repository, not a page
		}
		return s.skipUnknown(k, 1)
	})
	if !ok || !good || !s.end() {
		return out[:n0], pageMeta{}, 0, errFallback
	}
	return out, meta, len(out) - n0, nil
}

// repo reads one repository object.
func (s *scanner) repo(pool *strPool, old *model.Repo) (model.Repo, bool) {
	var v model.Repo
	var state []byte
	sawLinks := false
	ok := s.object(repoKeys, func(k []byte) bool {
		switch string(k) {
		case "id":
			t, ok := s.scalarText()
			v.ID = reuseOwn(t, old.ID)
			return ok
		case "slug", "name", "state":
			t, ok := s.plainString()
			switch string(k) {
			case "slug":
				v.Slug = reuseOwn(t, old.Slug)
			case "name":
				v.Name = reuseOwn(t, old.Name)
			default:
				state = t
			}
			return ok
		case "project":
			return s.object(projectKeys, func(k []byte) bool {
				switch string(k) {
				case "id":
					t, ok := s.scalarText()
					v.ProjectID = reuse(t, old.ProjectID, pool)
					return ok
				case "key":
					t, ok := s.plainString()
					v.ProjectKey = reuse(t, old.ProjectKey, pool)
					return ok
				}
				return s.skipUnknown(k, 3) // name and the rest are not kept
			})
		case "properties":
			return s.object(propertiesKeys, func(k []byte) bool {
				switch string(k) {
				case "contentHash", "metadataHash":
					t, ok := s.plainString()
					if string(k) == "contentHash" {
						v.Hashes.Content = reuse(t, old.Hashes.Content, pool)
					} else {
						v.Hashes.Metadata = reuse(t, old.Hashes.Metadata, pool)
					}
					return ok
				}
				return s.skipUnknown(k, 3)
			})
		case "links":
			if sawLinks {
				return false
			}
			sawLinks = true
			sawClone := false
			return s.object(linksKeys, func(k []byte) bool {
				if string(k) != "clone" {
					return s.skipUnknown(k, 3)
				}
				if sawClone {
					return false
				}
				sawClone = true
				return s.array(func() bool {
					var name, href []byte
					ok := s.object(linkKeys, func(k []byte) bool {
						switch string(k) {
						case "name":
							t, ok := s.plainString()
							name = t
							return ok
						case "href":
							t, ok := s.plainString()
							href = t
							return ok
						}
						return s.skipUnknown(k, 5)
					})
					if ok && len(href) > 0 && (v.CloneURL == "" || isHTTPName(name)) {
						v.CloneURL = reuseOwn(href, old.CloneURL)
					}
					return ok
				})
			})
		}
		return s.skipUnknown(k, 2)
	})
	if len(state) > 0 {
		v.State = upper(flexString(reuse(state, old.State, pool)))
	}
	return v, ok
}

// isHTTPName reports whether a clone link's name is http or https.
func isHTTPName(name []byte) bool {
	return strings.EqualFold(string(name), "http") || strings.EqualFold(string(name), "https")
}
