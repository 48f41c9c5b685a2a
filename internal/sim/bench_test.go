package sim

import (
	"net/http"
	"testing"
	"time"
)

func TestStart100k(t *testing.T) {
	t0 := time.Now()
	s := startSim(t, Options{Repos: 100000, PushEvery: -1, FailRate: -1})
	if el := time.Since(t0); el > 10*time.Second {
		t.Fatalf("Start with 100 000 repos took %v", el)
	} else {
		t.Logf("Start with 100 000 repos: %v", el)
	}
	c := newClient(t)
	var pg pageOf[map[string]any]
	c.getJSON(s.PrimaryURL()+api+"repos?start=99990&limit=25", &pg)
	if pg.Size != 10 || !pg.IsLastPage || pg.Values[9]["id"].(float64) != 100000 {
		t.Fatalf("last primary page: size %d last %v", pg.Size, pg.IsLastPage)
	}
	eu := farmInfo(t, s, "eu")
	var sp pageOf[syncStatusT]
	c.getJSON(eu.Nodes[0].URL+api+"supportInfo/repoSyncStatus?start=50000&limit=1000", &sp)
	if sp.Size != 1000 || sp.Values[0].ExternalRepoID != "50001" || sp.IsLastPage {
		t.Fatalf("node page: size %d first %v", sp.Size, sp.Values[0].ExternalRepoID)
	}
	var pr progressT
	c.getJSON(eu.URL+api+"progress", &pr)
	if pr.TotalRepos != 100000 || pr.SyncedRepos != 100000 {
		t.Fatalf("progress %+v", pr)
	}

	// Ten minutes without pending work, full syncs included.
	t0 = time.Now()
	s.Advance(10 * time.Minute)
	el := time.Since(t0)
	t.Logf("Advance(10m) idle with 100 000 repos: %v", el)
	if el > 5*time.Second {
		t.Fatalf("Advance(10m) took %v", el)
	}

	// repo-hashes streams every repository.
	r, err := c.do(http.MethodGet, s.PrimaryURL()+api+"repo-hashes")
	if err != nil || r.status != http.StatusOK || len(r.body) < 100000*100 {
		t.Fatalf("repo-hashes: %v %d, %d bytes", err, r.status, len(r.body))
	}
}

func BenchmarkStart100k(b *testing.B) {
	for b.Loop() {
		s, err := Start(Options{Repos: 100000, Manual: true, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

func BenchmarkRepoSyncStatusPage(b *testing.B) {
	s := startSim(b, Options{Repos: 100000, PushEvery: -1})
	c := newClient(b)
	url := farmInfo(b, s, "eu").Nodes[0].URL + api + "supportInfo/repoSyncStatus?start=50000&limit=1000"
	b.ResetTimer()
	for b.Loop() {
		r, err := c.do(http.MethodGet, url)
		if err != nil || r.status != http.StatusOK {
			b.Fatalf("%v %d", err, r.status)
		}
	}
}
