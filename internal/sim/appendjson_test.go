package sim

import (
	"bytes"
	"strconv"
	"testing"
	"time"
)

// The hand-written encoders must write exactly what encoding/json writes,
// including for strings that need escaping and for optional fields.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	odd := []string{"", "plain", "ünïcode <b>&amp;</b>", "quote\" back\\slash", "ctl\x01\x1b[31m\n\t", "\u2028line"}
	var syncs syncStatusList
	var repos repoList
	for i, v := range odd {
		// Ids, dates and hashes are the simulator's own safe strings;
		// display strings may hold anything.
		id := strconv.Itoa(i)
		syncs = append(syncs, syncStatusJSON{ExternalRepoID: id, UpstreamID: "u-" + id, LocalRepoID: i, LocalProjectID: -i,
			FailedSyncCount: i * 3, InitialSyncDate: formatMs(int64(i) * 1e9), LastSyncDate: "2026-01-02T03:04:05.006Z",
			Hashes: hashesJSON{Content: contentHash(i, uint32(i)), Metadata: metadataHash(i, 7)}, RepoSlug: v})
		r := repoJSON{Slug: v, ID: i, Name: v + "name", HierarchyID: v, ScmID: "git", State: "AVAILABLE", StatusMessage: v,
			Forkable: i%2 == 0, Public: i%3 == 0, Archived: i%2 == 1,
			Project:    projectJSON{Key: v, ID: i, Name: v, Description: v, Public: i%2 == 0, Type: "NORMAL"},
			Properties: repoProperties{ContentHash: contentHash(i, 3), MetadataHash: zeroHash}}
		if i%2 == 0 {
			r.Project.Links.Self = []link{{Href: "http://h/" + v}}
			r.Links.Clone = []link{{Href: "http://h/scm/" + v, Name: "http"}, {Href: "ssh://h/" + v, Name: v}}
			r.Links.Self = []link{}
			r.Properties.DefaultBranchID = "refs/heads/" + v
		}
		repos = append(repos, r)
	}
	for _, p := range []page{
		{Size: len(syncs), Limit: 1000, IsLastPage: true, Values: syncs},
		func() page { p := makePage(5, 2, []syncStatusJSON(syncs), false); p.Values = syncs; return p }(),
		{Size: 0, Limit: 25, IsLastPage: true, Values: syncStatusList{}},
		func() page { p := makePage(0, 3, []repoJSON(repos), false); p.Values = repos; return p }(),
		{Size: len(repos), Limit: 1000, IsLastPage: true, Values: repos},
	} {
		got := p.appendJSON(nil)
		want, err := encodeJSON(p, false)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(append(got, '\n'), want) {
			t.Errorf("appendJSON differs from encoding/json:\n got %s\nwant %s", got, want)
		}
	}
	if b := (page{Values: []int{1}}).appendJSON(nil); b != nil {
		t.Errorf("a page of other values must fall back to reflection, got %s", b)
	}
}

func TestFormatMsMatchesTimeFormat(t *testing.T) {
	for _, ms := range []int64{0, 1, 999, 1000, 1763625600123, 1709164800000 - 1, 253402300799999, -1, -62135596800000, 253402300800000} {
		if got, want := formatMs(ms), time.UnixMilli(ms).UTC().Format(isoMillis); got != want {
			t.Errorf("formatMs(%d) = %s, want %s", ms, got, want)
		}
	}
}
