package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/notify"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// serve with a [[notify]] webhook: a node going down is posted once as
// firing and, back up, once as resolved; /metrics counts what was sent.
func TestServeNotifiesWebhook(t *testing.T) {
	var mu sync.Mutex
	var got []notify.Message
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m notify.Message
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("webhook body %q: %v", b, err)
		}
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer hook.Close()
	secret := hook.URL + "/hooks/T0KEN-do-not-print"
	t.Setenv("MIRRORTOP_TEST_HOOK", secret)
	s, path := startSim(t, sim.Options{Repos: 20, PushEvery: -1, FailRate: -1})
	if err := s.SetNodeDown("eu", "eu-2", true); err != nil {
		t.Fatal(err)
	}
	appendConfig(t, path, "\n[poll]\nfast = \"200ms\"\nslow = \"1h\"\n\n[serve]\nhttp_listen = \"127.0.0.1:0\"\n\n[[notify]]\nname = \"team\"\nurl_env = \"MIRRORTOP_TEST_HOOK\"\n")
	base, stop := startServe(t, "--config", path)
	waitReady(t, base)
	messages := func() []notify.Message {
		mu.Lock()
		defer mu.Unlock()
		return append([]notify.Message(nil), got...)
	}
	wait := func(n int) []notify.Message {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); len(messages()) < n; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d webhook messages, want %d: %+v", len(messages()), n, messages())
			}
		}
		return messages()
	}
	m := wait(1)
	if m[0].Status != "firing" || m[0].Kind != "node-down" || m[0].Severity != "critical" || m[0].Target != "eu/eu-2" {
		t.Fatalf("first message %+v", m[0])
	}
	if err := s.SetNodeDown("eu", "eu-2", false); err != nil {
		t.Fatal(err)
	}
	m = wait(2)
	if m[1].Status != "resolved" || m[1].Target != "eu/eu-2" || m[1].ClearedAt == nil {
		t.Fatalf("second message %+v", m[1])
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(messages()); n != 2 {
		t.Errorf("%d messages, want 2: %+v", n, messages())
	}
	_, body := httpGet(t, base+"/metrics")
	if !strings.Contains(string(body), "mirrortop_notify_sent_total 2\n") || !strings.Contains(string(body), "mirrortop_notify_dropped_total 0\n") {
		t.Errorf("metrics lack the webhook counts:\n%s", grepLines(string(body), "notify"))
	}
	if code := stop(); code != exitOK {
		t.Fatalf("serve exited %d", code)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
