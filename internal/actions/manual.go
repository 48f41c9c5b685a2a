package actions

import (
	"fmt"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
)

// ManualSteps are the commands an administrator would run to look into and
// repair a repository that a farm does not have in sync: compare refs, make
// a ref change that the farm picks up, re-seed the project, or restart the
// node so that farm vet runs again. primaryBase and farmBase are base URLs;
// repoPath is the repository's path under them. The lines are for a
// screen: server-provided parts are sanitized.
func ManualSteps(f *model.Farm, repo *model.Repo, primaryBase, farmBase, repoPath string, interval time.Duration) []string {
	name := label(repo)
	// The same paths the re-seed action calls.
	remove := poller.RemoveProjectCall(f.Layout, f.Upstream.ID, repo.ProjectID)
	add := poller.AddProjectCall(f.Layout, f.Upstream.ID, repo.ProjectID)
	lines := []string{
		"# 1. Compare the refs of the primary and the mirror (and of each node):",
		"git ls-remote " + primaryBase + repoPath,
		"git ls-remote " + farmBase + repoPath,
		"",
		fmt.Sprintf("# 2. Wait for the scheduled full sync (every %s), or make a ref change", fmtInterval(interval)),
		"#    on the primary that the farm syncs at once (a throwaway branch):",
		"git push " + primaryBase + repoPath + " HEAD:refs/heads/mirror-resync",
		"git push " + primaryBase + repoPath + " :refs/heads/mirror-resync",
		"",
		"# 3. Re-seed " + repo.ProjectKey + " on farm " + f.Name + " (heavy: every repository of the project is cloned again):",
		"curl -u ADMIN -X " + remove.Method + " " + farmBase + remove.Path,
		"curl -u ADMIN -X " + add.Method + "   " + farmBase + add.Path,
		"",
		"# 4. If one node stays behind, restart it: farm vet runs at start-up and",
		"#    repairs what it finds different from the primary's repo-hashes.",
		"",
		"# Repository: " + name + " (id " + repo.ID + ")",
	}
	for i, l := range lines { // every line, so no part needs it on its own
		lines[i] = model.Sanitize(l)
	}
	return lines
}
