package poller_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// A stuck lock on the simulator: repo-lock-owners lists it with its old
// acquire time, the farm's diagnostics (on) list the repository on every
// node, the verdict names the lock, and max_lock alerts.
func TestStuckLockAndDiagnosticsOn(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 30, PushEvery: -1, FailRate: -1})
	if err := s.StickLock("eu", 7, 23*time.Minute); err != nil {
		t.Fatal(err)
	}
	s.Advance(2 * time.Minute) // time enough for any sync: this one stays stuck
	cfg := simConfig(t, s)
	p, err := poller.New(context.Background(), cfg, poller.Options{UserAgent: "mirrortop/test"})
	if err != nil {
		t.Fatal(err)
	}
	st := model.NewState(p.Spec())
	st.ApplyBatch(p.RunOnce(context.Background()))
	now := s.Now()
	eu := st.Farm("eu")
	if eu.Diagnostics != model.DiagnosticsOn {
		t.Fatalf("eu diagnostics %q", eu.Diagnostics)
	}
	for _, n := range eu.Nodes {
		if !reflect.DeepEqual(n.OutOfSync, map[string]bool{"7": true}) {
			t.Errorf("%s out of sync %v", n.Name, n.OutOfSync)
		}
	}
	if us := st.Farm("us"); us.Diagnostics != model.DiagnosticsUnsupported {
		t.Errorf("us (8.x) diagnostics %q", us.Diagnostics)
	}
	var m *model.Mismatch
	for i := range eu.Mismatches {
		if eu.Mismatches[i].RepoID == "7" {
			m = &eu.Mismatches[i]
		}
	}
	if m == nil {
		t.Fatalf("repository 7 not mismatched: %+v", eu.Mismatches)
	}
	v := model.Explain(eu, m, 10*time.Minute, now)
	want := "lock held 25m by farm-refchange-poller:thread-3 on node eu-2 — likely stuck"
	if v.Line != want || v.Lock == nil || v.Lock.Held != 25*time.Minute {
		t.Errorf("verdict %q (%+v), want %q", v.Line, v.Lock, want)
	}
	if !strings.HasPrefix(v.Evidence[0], "waiting in the queue (INCREMENTAL, attempt 1") ||
		v.Evidence[1] != "in delayed sync (out of sync on node eu-1, eu-2, eu-3 by the farm's own diagnostics)" {
		t.Errorf("evidence %q", v.Evidence)
	}
	var alerts []string
	for _, a := range st.Alerts(model.Thresholds{MaxLock: 10 * time.Minute}, now) {
		if strings.HasPrefix(a.Key, "lock/") {
			alerts = append(alerts, a.Text)
		}
	}
	if want := []string{"farm eu: lock on repository 7 held 25m > 10m by farm-refchange-poller:thread-3 on node eu-2"}; !reflect.DeepEqual(alerts, want) {
		t.Errorf("alerts %q", alerts)
	}
	// Released, the waiting sync runs and the lock is gone.
	if err := s.ReleaseLock("eu", 7); err != nil {
		t.Fatal(err)
	}
	s.Advance(30 * time.Second)
	st.ApplyBatch(p.RunOnce(context.Background()))
	if l := eu.LockOf("7"); l != nil {
		t.Errorf("lock still listed after release: %+v", l)
	}
}

// A 9.x farm with diagnostics off: the resource answers 409, which is a
// setting (Diagnostics off) and never an error.
func TestDiagnosticsOffIsNoError(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 20, PushEvery: -1, FailRate: -1,
		Farms: []sim.FarmSpec{{Name: "ap", Layout: sim.Layout9, Nodes: 2, AllProjects: true}}})
	cfg := simConfig(t, s)
	p, err := poller.New(context.Background(), cfg, poller.Options{UserAgent: "mirrortop/test"})
	if err != nil {
		t.Fatal(err)
	}
	st := model.NewState(p.Spec())
	rs := p.RunOnce(context.Background())
	st.ApplyBatch(rs)
	got := 0
	for _, r := range rs {
		if r.Endpoint == model.EPOutOfSync {
			got++
			if r.Err != nil || r.Unsupported || r.Data != model.DiagnosticsOff {
				t.Errorf("%s: %+v", r.Target, r)
			}
		}
	}
	if got != 2 {
		t.Errorf("%d out-of-sync readings, want one per node", got)
	}
	ap := st.Farm("ap")
	if ap.Diagnostics != model.DiagnosticsOff {
		t.Errorf("diagnostics %q", ap.Diagnostics)
	}
	for _, n := range ap.Nodes {
		if errs := n.Endpoints.Errors(); len(errs) != 0 {
			t.Errorf("%s errors %v", n.Name, errs)
		}
	}
	if n := s.RequestCount("ap/ap-1", "/rest/mirroring/latest/supportInfo/out-of-sync-repos/content"); n != 1 {
		t.Errorf("ap-1 was asked %d times", n)
	}
}

// The answer's shape is not published beyond "string": every plausible
// form decodes to the same ids; 409, and an error that says the feature is
// not enabled, mean off.
func TestOutOfSyncDecoding(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		want   []string
		err    error
	}{
		{200, `["12","57"]`, []string{"12", "57"}, nil},
		{200, `[12, 57]`, []string{"12", "57"}, nil},
		{200, `{"values":[12,"57"],"isLastPage":true}`, []string{"12", "57"}, nil},
		{200, `"12,57"`, []string{"12", "57"}, nil},
		{200, "12, 57\n", []string{"12", "57"}, nil},
		{200, "12\n57", []string{"12", "57"}, nil},
		{200, ``, []string{}, nil},
		{200, `""`, []string{}, nil},
		{409, `{"errors":[{"message":"disabled"}]}`, nil, poller.ErrDiagnosticsOff},
		{400, `{"errors":[{"message":"Repository diagnostics sync is not enabled"}]}`, nil, poller.ErrDiagnosticsOff},
		{404, `{"errors":[{"message":"no"}]}`, nil, poller.ErrUnsupported},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/rest/mirroring/latest/supportInfo/out-of-sync-repos/content" || r.Method != http.MethodGet {
				t.Errorf("request %s %s", r.Method, r.URL.Path)
			}
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.WriteHeader(c.status)
			_, _ = w.Write([]byte(c.body))
		}))
		cl, err := poller.NewClient(poller.ClientOptions{BaseURL: srv.URL, Auth: poller.Auth{}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := cl.OutOfSyncRepos(context.Background())
		if err != c.err || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%d %q: got %q, %v; want %q, %v", c.status, c.body, got, err, c.want, c.err)
		}
		srv.Close()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("12, seven"))
	}))
	defer srv.Close()
	cl, _ := poller.NewClient(poller.ClientOptions{BaseURL: srv.URL})
	if _, err := cl.OutOfSyncRepos(context.Background()); err == nil {
		t.Error("text that is no list of ids decoded")
	}
}
