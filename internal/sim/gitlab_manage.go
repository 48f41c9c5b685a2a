package sim

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// glMsgURLMissing is GitLab's answer to a missing url (a parameter error;
// a URL its URL blocker refuses is a validation error of the attribute,
// glBlockedURL).
const glMsgURLMissing = "url is missing"

// glCheckURL checks a mirror URL GitLab was sent as GitLab does: not
// blank, a scheme GitLab mirrors (http, https, ssh, git), and a host. It
// returns the 400 reply, or false when the URL is good.
func glCheckURL(raw string) (reply, bool) {
	if strings.TrimSpace(raw) == "" {
		return reply{http.StatusBadRequest, glError{glMsgURLMissing}}, true
	}
	if msg := glBlockedURL(strings.TrimSpace(raw)); msg != "" {
		return reply{http.StatusBadRequest, glFieldErrors{map[string][]string{"url": {msg}}}}, true
	}
	return reply{}, false
}

// glAddRemoteMirror serves POST /projects/:id/remote_mirrors: a new push
// mirror (201, shown as GitLab shows it: credentials masked), disabled
// unless enabled=true, with status "none" until its first update, which
// the project's next push starts. 400 for a missing or bad url, an unknown
// auth_method, or only_protected_branches with mirror_branch_regex; 404
// for an unknown project.
func (s *Sim) glAddRemoteMirror(w http.ResponseWriter, r *http.Request, ref string) {
	args, err := readGLArgs(r)
	if err != nil {
		writeGL(w, http.StatusBadRequest, glError{err.Error()})
		return
	}
	var bad []string
	rawURL, hasURL := args.strArg("url")
	enabled, _ := args.boolArg("enabled", &bad)
	keep, _ := args.boolArg("keep_divergent_refs", &bad)
	only, hasOnly := args.boolArg("only_protected_branches", &bad)
	regex, hasRegex := args.strArg("mirror_branch_regex")
	auth, hasAuth := args.strArg("auth_method")
	if !hasAuth {
		auth = "password"
	}
	if auth != "password" && auth != "ssh_public_key" {
		bad = append(bad, "auth_method does not have a valid value")
	}
	if hasOnly && hasRegex {
		bad = append(bad, "only_protected_branches, mirror_branch_regex are mutually exclusive")
	}
	if !hasURL {
		bad = append([]string{glMsgURLMissing}, bad...)
	}
	if len(bad) > 0 {
		writeGL(w, http.StatusBadRequest, glError{strings.Join(bad, ", ")})
		return
	}
	if rp, isBad := glCheckURL(rawURL); isBad {
		glSend(w, rp)
		return
	}
	s.glOnProject(w, ref, true, func(p *glProject) reply {
		m := &glMirror{id: s.gl.nextPushID(), proj: p, url: strings.TrimSpace(rawURL), enabled: enabled, scenario: glHealthy,
			authMethod: auth, onlyProtected: only, keepDivergent: keep, branchRegex: regex, status: glStatusNone}
		if auth == "ssh_public_key" {
			if u, err := url.Parse(m.url); err == nil {
				m.hostKeys = []string{glFingerprint(s, u.Hostname())}
			}
		}
		if len(p.push) == 0 && !s.glPushScheduled(p) && s.opts.PushEvery > 0 {
			s.seq++
			s.events.push(event{at: s.now + s.glPushGap(), seq: s.seq, kind: evGLProjectPush, gp: p})
		}
		p.push = append(p.push, m)
		return reply{http.StatusCreated, s.glRemoteMirrorOf(m)}
	})
}

// nextPushID is the id of the next push mirror: one more than any so far.
func (g *gitLab) nextPushID() int {
	next := 301
	for _, p := range g.projects {
		for _, m := range p.push {
			next = max(next, m.id+1)
		}
	}
	if g.lastPushID >= next {
		next = g.lastPushID + 1
	}
	g.lastPushID = next
	return next
}

// glPushScheduled reports whether random pushes to a project are
// scheduled already (it had push mirrors at the start).
func (s *Sim) glPushScheduled(p *glProject) bool {
	for _, e := range s.events {
		if e.kind == evGLProjectPush && e.gp == p {
			return true
		}
	}
	return false
}

// glPublicKey serves GET …/remote_mirrors/:id/public_key (17.9 and
// later): the SSH public key GitLab generated for the mirror, 404 unless
// it authenticates by SSH key.
func (s *Sim) glPublicKey(w http.ResponseWriter, ref, mid string) {
	s.glOnPushMirror(w, ref, mid, false, func(m *glMirror) reply {
		if m.authMethod != "ssh_public_key" {
			return glFail(http.StatusNotFound, glMsgNotFound)
		}
		return ok(map[string]string{"public_key": s.glMirrorPublicKey(m)})
	})
}

// glMirrorPublicKey is a mirror's SSH public key, an ed25519 key derived
// from the project and mirror id, in authorized_keys form.
func (s *Sim) glMirrorPublicKey(m *glMirror) string {
	d := s.digest("gitlab-mirror-key", m.proj.fullPath()+"/"+strconv.Itoa(m.id))
	pub := ed25519.NewKeyFromSeed(d[:ed25519.SeedSize]).Public().(ed25519.PublicKey)
	var b []byte
	for _, part := range [][]byte{[]byte("ssh-ed25519"), pub} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(part)))
		b = append(b, part...)
	}
	return "ssh-ed25519 " + base64.StdEncoding.EncodeToString(b) + " " + m.proj.path + "-mirror-" + strconv.Itoa(m.id)
}

// glNewPullMirror makes the pull mirror a PUT /mirror/pull configures on a
// project that had none: the next pull mirror id, status "none", disabled
// until the request enables it (which makes its first update due at once).
// Called with s.mu held.
func (s *Sim) glNewPullMirror(p *glProject) *glMirror {
	next := 4101
	for _, q := range s.gl.projects {
		if q.pull != nil {
			next = max(next, q.pull.id+1)
		}
	}
	f := false
	m := &glMirror{pull: true, id: next, proj: p, scenario: glHealthy, onlyProtPull: &f, status: glStatusNone}
	p.pull = m
	return m
}

// glCredURL puts auth_user and auth_password into a pull mirror's URL, the
// way GitLab keeps them (never served: answers mask them).
func glCredURL(raw, user, password string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (user == "" && password == "") {
		return strings.TrimSpace(raw)
	}
	if password == "" {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}
