package recording

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// TestSecretsScrubbed: an error message quoting a secret the writer was
// told of (or URL user info) is recorded without it, a secret that holds
// another scrubbed whole.
func TestSecretsScrubbed(t *testing.T) {
	const token, hook = "glpat-Secret123", "https://hooks.example/T0/glpat-Secret123/x"
	var b bytes.Buffer
	start := time.Date(2026, 3, 4, 3, 0, 0, 0, time.UTC)
	w, err := NewWriter(&b, Header{MirrortopVersion: "test", Start: start}, Options{Secrets: []string{token, hook, "pw1"}})
	if err != nil {
		t.Fatal(err)
	}
	w.Applied(start, []model.Reading{
		{Target: model.TargetID{GitLab: "gl"}, Endpoint: model.EPGitLabProjects, At: start,
			Err: errors.New("401: token glpat-Secret123 is not valid; posting to " + hook + " via https://admin:hunter22@proxy.example failed")},
	})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := Parse(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	all, err := rec.Decompressed()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"glpat-Secret123", "hooks.example", "hunter22"} {
		if bytes.Contains(all, []byte(s)) {
			t.Errorf("the recording holds %q", s)
		}
	}
	d, err := NewDecoder().Decode(rec.Frames[0])
	if err != nil || len(d.Readings) != 1 || d.Readings[0].Err == nil {
		t.Fatalf("the reading: %+v, %v", d, err)
	}
	if msg := d.Readings[0].Err.Error(); !strings.Contains(msg, "token [secret] is not valid; posting to [secret] via https://proxy.example failed") {
		t.Errorf("the recorded error: %q", msg)
	}
}
