package poller

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mirrortop/mirrortop/internal/model"
)

// terminalUnsafe reports whether s holds a character that must not reach
// the terminal: C0 controls, DEL, C1 controls or bidi controls.
func terminalUnsafe(s string) bool {
	for _, r := range s {
		switch {
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			return true
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return true
		}
	}
	return false
}

// checkGitLabMirror checks the model of one decoded mirror in direction d.
func checkGitLabMirror(t *testing.T, w wireGitLabMirror, d model.Direction) {
	t.Helper()
	m := w.model(d)
	if m.Direction != d {
		t.Errorf("direction %q, want %q", m.Direction, d)
	}
	if m.ID != int64(w.ID) {
		t.Errorf("id %d, want %d", m.ID, int64(w.ID))
	}
	if want := w.Enabled == nil || bool(*w.Enabled); m.Enabled != want {
		t.Errorf("enabled %v, want %v", m.Enabled, want)
	}
	if m.Status != strings.TrimSpace(m.Status) || m.Status != strings.ToLower(m.Status) {
		t.Errorf("status %q is not trimmed lower case", m.Status)
	}
	for field, s := range map[string]string{"status": m.Status, "url": m.URL} {
		if !utf8.ValidString(s) || terminalUnsafe(s) {
			t.Errorf("%s %q (from %q) is not safe to print", field, s, w.URL)
		}
	}
	// A password in the URL's user info is masked.
	if u, err := url.Parse(model.Sanitize(string(w.URL))); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			v := *u
			v.User = nil
			if rest := v.String(); !strings.Contains(rest, pw) && !strings.Contains("*****:*****@", pw) && strings.Contains(m.URL, pw) {
				t.Errorf("url %q shows the password %q of %q", m.URL, pw, w.URL)
			}
		}
	}
	if m.LastError != string(w.LastError) || m.BranchRegex != string(w.MirrorBranchRegex) || m.AuthMethod != string(w.AuthMethod) {
		t.Errorf("mirror %+v from %+v", m, w)
	}
	switch d {
	case model.Push:
		if m.OverwriteDiverged || m.TriggerBuilds {
			t.Errorf("push mirror with pull settings: %+v", m)
		}
		if m.OnlyProtected != bool(w.OnlyProtectedBranches) || m.KeepDivergentRefs != bool(w.KeepDivergentRefs) {
			t.Errorf("push settings %+v from %+v", m, w)
		}
	case model.Pull:
		if m.KeepDivergentRefs {
			t.Errorf("pull mirror with push settings: %+v", m)
		}
		if m.OnlyProtected != bool(w.OnlyMirrorProtected) || m.OverwriteDiverged != bool(w.OverwritesDiverged) || m.TriggerBuilds != bool(w.TriggerBuilds) {
			t.Errorf("pull settings %+v from %+v", m, w)
		}
	}
	m.Instance, m.Project = "gitlab", "group/project"
	if k := m.Key(); !strings.HasPrefix(k, "gitlab/group/project/"+string(d)+"/") {
		t.Errorf("key %q", k)
	}
}

func FuzzGitLabMirror(f *testing.F) {
	addFixtureSeeds(f, "gitlab", "remote-mirrors.json", "pull-mirror-15.6.json", "pull-mirror-17.5.json", "not-mirrored.json")
	for _, s := range []string{
		`{"id":1,"url":"https://*****:*****@gitlab.com/g/p.git","enabled":null,"update_status":" Finished ","last_update_at":null}`,
		`{"id":"2","url":"https://oauth2:glpat-SECRET123@example.com/m.git","enabled":"false","update_status":"failed","last_error":"Some refs have diverged and have not been updated on the remote:\n\nrefs/heads/main"}`,
		`{"id":3,"url":"ssh://git@example.com/g/p.git","auth_method":"ssh_public_key","only_protected_branches":"true","keep_divergent_refs":true,"mirror_overwrites_diverged_branches":true,"mirror_trigger_builds":true,"only_mirror_protected_branches":true}`,
		`{"id":4,"url":"https://u:p\u001b[31m@host/\u009b2J","update_status":"\u001b]0;owned\u0007to_retry\u202e"}`,
		`{"id":1e20,"url":12,"enabled":{},"update_status":["x"],"last_update_started_at":"not a date","last_successful_update_at":253402300800000}`,
		`{"id":-1,"url":"https://user:pa%3Ass@h@x/y","mirror_branch_regex":"^(main|release/.*)$"}`,
		`{"url":"https://host/\u00e9\ud800"}`,
		`[{"id":1},{"id":2,"enabled":false},null]`,
		`{"message":"The project is not mirrored"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ws []wireGitLabMirror
		if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' {
			if err := json.Unmarshal(data, &ws); err != nil {
				return
			}
		} else {
			var w wireGitLabMirror
			if err := json.Unmarshal(data, &w); err != nil {
				return
			}
			ws = append(ws, w)
		}
		for _, w := range ws {
			checkGitLabMirror(t, w, model.Push)
			checkGitLabMirror(t, w, model.Pull)
		}
	})
}
