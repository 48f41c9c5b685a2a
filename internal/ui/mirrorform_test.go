package ui

import (
	"strings"
	"testing"

	"github.com/mirrortop/mirrortop/internal/actions"
)

// The mirror form: c opens it on the GitLab pane, the password field
// shows masks and never the text, a bad URL stays in the form with the
// reason and sends nothing, and enter reviews the plan with focus on No.
func TestMirrorFormMasksAndValidates(t *testing.T) {
	m, r, _ := actionModel(t, false)
	press(m, "6", "c")
	s := plain(m)
	for _, want := range []string{"Add a GitLab mirror", "Project", "Direction", "URL", "Password/token", "Enabled", "[x]", "disabled unless enabled=true"} {
		if !strings.Contains(s, want) {
			t.Fatalf("form lacks %q:\n%s", want, s)
		}
	}
	press(m, "ftp://h/x.git")
	press(m, "enter")
	if s := plain(m); !strings.Contains(s, "the URL must start with https://") || len(r.ran) != 0 {
		t.Fatalf("a bad URL:\n%s", s)
	}
	for range len("ftp://h/x.git") {
		press(m, "backspace")
	}
	press(m, "https://h.example/x.git", "tab", "tab", "bot", "tab", "hunter2pw")
	s = plain(m)
	if strings.Contains(s, "hunter2pw") || !strings.Contains(s, "•••••••••") {
		t.Fatalf("the password shows:\n%s", s)
	}
	press(m, "tab") // the field left shows masks too
	if s := plain(m); strings.Contains(s, "hunter2pw") || !strings.Contains(s, "•••••••••") {
		t.Fatalf("the password shows:\n%s", s)
	}
	press(m, "enter")
	s = plain(m)
	if strings.Contains(s, "hunter2pw") || !strings.Contains(s, "password: set (hidden)") || !strings.Contains(s, "[N] no") {
		t.Fatalf("confirmation:\n%s", s)
	}
	drive(m, "y")
	if len(r.ran) != 1 || r.ran[0].Kind != actions.KindGitLabAddPush {
		t.Fatalf("ran %+v", r.ran)
	}
}

// Esc leaves the form and sends nothing; at 80x24 the whole add form fits.
func TestMirrorFormFits80x24(t *testing.T) {
	m, r, _ := actionModel(t, false)
	m.Update(sizeMsg(80, 24))
	press(m, "6", "c")
	s := plain(m)
	for _, want := range []string{"Branch regex", "enter review", "Keep divergent refs"} {
		if !strings.Contains(s, want) {
			t.Fatalf("80x24 form lacks %q:\n%s", want, s)
		}
	}
	press(m, "esc")
	if len(r.ran) != 0 || !strings.Contains(plain(m), "cancelled") {
		t.Fatal("esc")
	}
}

// Changing a pull mirror's URL with the password left blank stays in the
// form with the reason (GitLab would lose the stored password) and sends
// nothing; typed again, the change goes to the confirmation.
func TestMirrorFormEditPullAsksPasswordAgain(t *testing.T) {
	m, r, _ := actionModel(t, false)
	press(m, "6", "/", "data/etl", "enter", "m")
	if s := plain(m); !strings.Contains(s, "Change the settings of the data/etl pull mirror") {
		t.Fatalf("edit form:\n%s", s)
	}
	press(m, "tab", "tab")
	if s := plain(m); !strings.Contains(s, "blank: unchanged; required if URL or user change") {
		t.Fatalf("password hint:\n%s", s)
	}
	press(m, "shift+tab", "shift+tab", "end", "x", "enter")
	if s := plain(m); !strings.Contains(s, "type the password again: GitLab stores it with the URL") || len(r.ran) != 0 {
		t.Fatalf("a new URL without the password:\n%s", s)
	}
	press(m, "tab", "bot", "tab", "hunter2pw", "enter")
	if s := plain(m); strings.Contains(s, "hunter2pw") || !strings.Contains(s, "[N] no") {
		t.Fatalf("confirmation:\n%s", s)
	}
}
