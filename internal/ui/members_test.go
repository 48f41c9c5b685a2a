package ui

import (
	"errors"
	"strings"
	"testing"

	"github.com/mirrortop/mirrortop/internal/model"
)

// The Farms pane reads "1 of 3 polled" for a farm polled through its load
// balancer, and its detail lists every member and both states.
func TestFarmMembersAndReportedState(t *testing.T) {
	m, _ := newTestModel(t, 160, 40, nil)
	s := plain(m)
	var lab string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, " lab ") {
			lab = l
		}
	}
	if !strings.Contains(lab, "SYNCING (nodes: METADATA_SYNCHRONIZED) 1 of 3 polled") {
		t.Errorf("lab row %q", lab)
	}
	press(m, "j", "j", "enter")
	s = plain(m)
	for _, want := range []string{
		"State         SYNCING (nodes: METADATA_SYNCHRONIZED)\n",
		"Nodes         3 members, 1 polled, 1 up; 2 not polled (neither up nor down)\n",
		"Members (3; /farmNodes and the polled nodes)\n",
		"  lab-1            10.0.3.1:5701         not polled: " + model.WhyLBOnly,
		"  lab-2            10.0.3.2:5701         METADATA_SYNCHRONIZED  -        -       https://mirror-lab.example.com (node lab)\n",
		"  lab-3            10.0.3.3:5701         not polled: " + model.WhyLBOnly,
	} {
		if !strings.Contains(ansiTrimRight(s), want) {
			t.Errorf("farm detail lacks %q:\n%s", want, s)
		}
	}
}

// ansiTrimRight drops the padding at the end of each line.
func ansiTrimRight(s string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n")
}

// A discovered node joining and leaving its farm shows in the Events pane;
// a discovered node that is down shows its URL in the Nodes pane.
func TestMemberJoinLeaveEvents(t *testing.T) {
	m, _ := newTestModel(t, 180, 40, nil)
	eu := model.TargetID{Farm: "eu"}
	m.Update(readingsMsg{{Target: eu, Endpoint: model.EPMembers, At: t0, Data: model.Membership{Nodes: []model.NodeSpec{
		{Name: "eu-4", URL: "https://eu-4.mirror.example.com", Discovered: true}}}}})
	m.Update(readingsMsg{{Target: model.TargetID{Farm: "eu", Node: "eu-4"}, Endpoint: model.EPStatus, At: t0, Err: errConnRefused}})
	press(m, "5")
	if s := plain(m); !strings.Contains(s, "https://eu-4.mirror.example.com: GET /status: connection refused") {
		t.Errorf("nodes pane:\n%s", s)
	}
	m.Update(readingsMsg{{Target: eu, Endpoint: model.EPMembers, At: t0, Data: model.Membership{}}})
	press(m, "7")
	s := plain(m)
	if !strings.Contains(s, "node eu-4 joined farm eu") || !strings.Contains(s, "node eu-4 left farm eu") {
		t.Errorf("events pane:\n%s", s)
	}
	// Its leaving stays in sight: an alert, and the farm detail.
	press(m, "1", "enter")
	if s := ansiTrimRight(plain(m)); !strings.Contains(s, "Left the farm (no longer in /farmNodes)\n   eu-4             left now, was https://eu-4.mirror.example.com") {
		t.Errorf("farm detail:\n%s", s)
	}
	found := false
	for _, a := range m.state.Alerts(m.opt.Thresholds, t0) {
		found = found || a.Text == "node eu/eu-4 left the farm 0s ago (no longer in /farmNodes)"
	}
	if !found {
		t.Error("no alert for the node that left")
	}
}

var errConnRefused = errors.New("GET /status: connection refused")
