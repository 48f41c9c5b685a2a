package poller_test

import (
	"context"
	"slices"
	"testing"

	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// TestSecrets: the poller lists the credentials it resolved (the
// Bitbucket password, the GitLab token), each once.
func TestSecrets(t *testing.T) {
	s := startSim(t, sim.Options{GitLab: &sim.GitLabOptions{Token: "glpat-poller-secret"}})
	p, err := poller.New(context.Background(), simConfig(t, s), poller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := p.Secrets()
	slices.Sort(got)
	if want := []string{"glpat-poller-secret", "s3cret-pw"}; !slices.Equal(got, want) {
		t.Fatalf("Secrets() = %q, want %q", got, want)
	}
}
