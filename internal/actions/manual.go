package actions

import (
	"fmt"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// ManualSteps are the commands an administrator would run to look into and
// repair a repository that a farm does not have in sync: compare refs, make
// a ref change that the farm picks up, re-seed the project, or restart the
// node so that farm vet runs again. primaryBase and farmBase are base URLs;
// repoPath is the repository's path under them.
func ManualSteps(f *model.Farm, repo *model.Repo, primaryBase, farmBase, repoPath string, interval time.Duration) []string {
	name := label(repo)
	settings := "syncSettings/projects/" + repo.ProjectID
	if f.Layout == model.Layout8 {
		settings = "upstreamServers/" + f.Upstream.ID + "/settings/projects/" + repo.ProjectID
	}
	return []string{
		"# 1. Compare the refs of the primary and the mirror (and of each node):",
		"git ls-remote " + primaryBase + repoPath,
		"git ls-remote " + farmBase + repoPath,
		"",
		fmt.Sprintf("# 2. Wait for the scheduled full sync (every %s), or make a ref change", fmtInterval(interval)),
		"#    on the primary that the farm syncs at once (a throwaway branch):",
		"git push " + primaryBase + repoPath + " HEAD:refs/heads/mirror-resync",
		"git push " + primaryBase + repoPath + " :refs/heads/mirror-resync",
		"",
		"# 3. Re-seed " + model.Sanitize(repo.ProjectKey) + " on farm " + f.Name + " (heavy: every repository of the project is cloned again):",
		"curl -u ADMIN -X DELETE " + farmBase + "/rest/mirroring/latest/" + settings,
		"curl -u ADMIN -X POST   " + farmBase + "/rest/mirroring/latest/" + settings,
		"",
		"# 4. If one node stays behind, restart it: farm vet runs at start-up and",
		"#    repairs what it finds different from the primary's repo-hashes.",
		"",
		"# Repository: " + name + " (id " + model.Sanitize(repo.ID) + ")",
	}
}
