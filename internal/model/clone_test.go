package model

import (
	"reflect"
	"testing"
	"time"
)

// TestCloneKnowsEveryField fails when a field is added to a type Clone
// copies: Clone must then share or copy it (see Clone).
func TestCloneKnowsEveryField(t *testing.T) {
	for _, c := range []struct {
		t reflect.Type
		n int
	}{
		{reflect.TypeFor[State](), 4}, {reflect.TypeFor[Primary](), 14}, {reflect.TypeFor[Farm](), 36},
		{reflect.TypeFor[Node](), 18}, {reflect.TypeFor[GitLabInstance](), 9}, {reflect.TypeFor[GitLabMirrorState](), 8},
		{reflect.TypeFor[GitLabHistory](), 3}, {reflect.TypeFor[MirrorHistory](), 5}, {reflect.TypeFor[UpdateFollow](), 8},
	} {
		if got := c.t.NumField(); got != c.n {
			t.Errorf("%v has %d fields, Clone knows %d: update Clone and this count", c.t, got, c.n)
		}
	}
}

// TestCloneIsIndependent applies readings to a clone and checks that the
// original does not change, and the other way round.
func TestCloneIsIndependent(t *testing.T) {
	at := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	s := NewState(Spec{PrimaryURL: "https://p", Farms: []FarmSpec{{Name: "eu", URL: "https://eu"}}})
	s.Apply(Reading{Target: TargetID{Farm: "eu"}, Endpoint: EPQueueCount, At: at, Data: 3})
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "eu"}, Endpoint: EPStatus, At: at, Data: ServerStatus{State: "SYNCHRONIZED"}})
	c, _ := s.Clone(nil)
	c.Apply(Reading{Target: TargetID{Farm: "eu"}, Endpoint: EPQueueCount, At: at.Add(time.Second), Data: 9})
	c.Apply(Reading{Target: TargetID{Farm: "eu", Node: "eu"}, Endpoint: EPStatus, At: at.Add(time.Second), Err: errTest})
	f := s.Farm("eu")
	if f.QueueDepth != 3 || f.QueueHistory.Len() != 1 || !f.Nodes[0].Up() {
		t.Fatalf("the original changed: depth %d, history %d, up %v", f.QueueDepth, f.QueueHistory.Len(), f.Nodes[0].Up())
	}
	if cf := c.Farm("eu"); cf.QueueDepth != 9 || cf.QueueHistory.Len() != 2 || cf.Nodes[0].Up() {
		t.Fatalf("the clone did not change: depth %d, history %d", cf.QueueDepth, cf.QueueHistory.Len())
	}
}

type testErr string

func (e testErr) Error() string { return string(e) }

const errTest = testErr("down")
