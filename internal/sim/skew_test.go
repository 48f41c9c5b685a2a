package sim

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// dateOf is the time in an answer's Date header.
func dateOf(t *testing.T, r resp) time.Time {
	t.Helper()
	at, err := http.ParseTime(r.header.Get("Date"))
	if err != nil {
		t.Fatalf("Date %q: %v", r.header.Get("Date"), err)
	}
	return at
}

func TestDateFollowsSimClockAndSkew(t *testing.T) {
	s := startSim(t, quiet(Options{GitLab: &GitLabOptions{}}))
	c := newClient(t)
	eu := s.Farms()[0]
	// A manual clock: the Date header is the simulated time, not the real one.
	for _, u := range []string{s.PrimaryURL() + "/status", eu.Nodes[1].URL + "/status", eu.URL + "/status", s.GitLabURL() + "/api/v4/version"} {
		if got := dateOf(t, c.get(u)); !got.Equal(testStart) {
			t.Fatalf("%s: Date %v, want %v", u, got, testStart)
		}
	}
	// A refused request tells the time too.
	if got := dateOf(t, newClient(t).withBearer("wrong").get(s.PrimaryURL()+api+"mirrorServers")); !got.Equal(testStart) {
		t.Fatalf("401: Date %v", got)
	}
	s.Advance(90 * time.Second)
	if err := s.SetClockSkew(eu.Name+"/"+eu.Nodes[1].Name, 45*time.Second); err != nil {
		t.Fatal(err)
	}
	now := testStart.Add(90 * time.Second)
	if got := dateOf(t, c.get(eu.Nodes[1].URL+"/status")); !got.Equal(now.Add(45 * time.Second)) {
		t.Fatalf("skewed node: Date %v, want %v", got, now.Add(45*time.Second))
	}
	if got := dateOf(t, c.get(eu.Nodes[0].URL+"/status")); !got.Equal(now) {
		t.Fatalf("other node: Date %v", got)
	}
	if err := s.SetClockSkew("nope", time.Second); err == nil {
		t.Fatal("an unknown target skewed")
	}
	if err := s.SetClockSkew("", time.Second); err == nil {
		t.Fatal("every target skewed")
	}
	if err := s.SetClockSkew(eu.Name+"/"+eu.Nodes[1].Name, 0); err != nil {
		t.Fatal(err)
	}
	if got := dateOf(t, c.get(eu.Nodes[1].URL+"/status")); !got.Equal(now) {
		t.Fatalf("skew put back: Date %v", got)
	}
}

func TestSkewFaultKind(t *testing.T) {
	for spec, want := range map[string]time.Duration{"eu/eu-2::skew=45s": 45 * time.Second, "primary:/x:skew=-2m": -2 * time.Minute, "eu::skew=30": 30 * time.Second} {
		target, path, f, err := ParseFault(spec)
		if err != nil || path != "" || !reflect.DeepEqual(f, Fault{Skew: want}) || target == "" {
			t.Errorf("ParseFault(%q) = %q %q %+v %v", spec, target, path, f, err)
		}
	}
	for _, bad := range []string{"*::skew=45s", "eu::skew", "eu::skew=0", "eu::skew=soon"} {
		if _, _, _, err := ParseFault(bad); err == nil {
			t.Errorf("ParseFault(%q) accepted", bad)
		}
	}
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	target, path, f, _ := ParseFault("us/us-1::skew=-1m")
	if err := s.SetFault(target, path, f); err != nil {
		t.Fatal(err)
	}
	us := s.Farms()[1]
	if got := dateOf(t, c.get(us.Nodes[0].URL+"/status")); !got.Equal(testStart.Add(-time.Minute)) {
		t.Fatalf("Date %v", got)
	}
	// Through the load balancer, whichever node answers, its own Date.
	for range 4 {
		r := c.get(us.URL + "/status")
		if got := dateOf(t, r); !got.Equal(testStart) && !got.Equal(testStart.Add(-time.Minute)) {
			t.Fatalf("load balancer Date %v", got)
		}
	}

	// The control server: skewSeconds sets it, GET lists it, DELETE clears it.
	expectCtl(t, s, http.MethodPost, "/faults", `{"target":"primary","skewSeconds":45}`, http.StatusNoContent)
	if got := dateOf(t, c.get(s.PrimaryURL()+"/status")); !got.Equal(testStart.Add(45 * time.Second)) {
		t.Fatalf("primary Date %v", got)
	}
	var list []faultJSON
	if err := json.Unmarshal(expectCtl(t, s, http.MethodGet, "/faults", "", http.StatusOK), &list); err != nil {
		t.Fatal(err)
	}
	want := []faultJSON{{Target: "primary", SkewSeconds: 45}, {Target: "us/us-1", SkewSeconds: -60}}
	if !reflect.DeepEqual(list, want) {
		t.Fatalf("GET /faults = %+v", list)
	}
	expectCtl(t, s, http.MethodPost, "/faults", `{"skewSeconds":45}`, http.StatusBadRequest)
	expectCtl(t, s, http.MethodPost, "/faults", `{"target":"nope","skewSeconds":45}`, http.StatusNotFound)
	expectCtl(t, s, http.MethodDelete, "/faults", "", http.StatusNoContent)
	if got := dateOf(t, c.get(s.PrimaryURL()+"/status")); !got.Equal(testStart) {
		t.Fatalf("after DELETE: Date %v", got)
	}
}
