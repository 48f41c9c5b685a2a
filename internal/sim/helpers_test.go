package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const api = "/rest/mirroring/latest/"

var testStart = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// startSim starts a simulator with a manual clock, a fixed seed and start
// time, and closes it when the test ends.
func startSim(t testing.TB, o Options) *Sim {
	t.Helper()
	o.Manual = true
	if o.Seed == 0 {
		o.Seed = 42
	}
	if o.Start.IsZero() {
		o.Start = testStart
	}
	s, err := Start(o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// quiet returns options without random pushes or failures.
func quiet(o Options) Options {
	o.PushEvery = -1
	o.FailRate = -1
	return o
}

type client struct {
	t      testing.TB
	hc     *http.Client
	header http.Header
}

func newClient(t testing.TB) *client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, hc: &http.Client{Timeout: 20 * time.Second, Transport: tr}, header: http.Header{}}
}

func (c *client) withBasic(user, pass string) *client {
	r, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	r.SetBasicAuth(user, pass)
	c.header.Set("Authorization", r.Header.Get("Authorization"))
	return c
}

func (c *client) withBearer(token string) *client {
	c.header.Set("Authorization", "Bearer "+token)
	return c
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (c *client) do(method, url string) (resp, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return resp{}, err
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.hc.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}, nil
}

func (c *client) get(url string) resp {
	c.t.Helper()
	r, err := c.do(http.MethodGet, url)
	if err != nil {
		c.t.Fatalf("GET %s: %v", url, err)
	}
	return r
}

// getJSON asserts a 200 JSON answer and decodes it into v.
func (c *client) getJSON(url string, v any) {
	c.t.Helper()
	r := c.get(url)
	if r.status != http.StatusOK {
		c.t.Fatalf("GET %s: status %d, body %s", url, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != contentTypeJSON {
		c.t.Fatalf("GET %s: Content-Type %q", url, ct)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	if err := dec.Decode(v); err != nil {
		c.t.Fatalf("GET %s: decode %T: %v (body %s)", url, v, err, r.body)
	}
}

// expectStatus asserts a status and, for errors, a RestErrors body.
func (c *client) expectStatus(method, url string, want int) resp {
	c.t.Helper()
	r, err := c.do(method, url)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	if r.status != want {
		c.t.Fatalf("%s %s: status %d, want %d (body %s)", method, url, r.status, want, r.body)
	}
	if want >= 400 {
		var e struct {
			Errors []struct {
				Message string `json:"message"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(r.body, &e); err != nil || len(e.Errors) == 0 || e.Errors[0].Message == "" {
			c.t.Fatalf("%s %s: not a RestErrors body: %s", method, url, r.body)
		}
	}
	return r
}

type pageOf[T any] struct {
	Size          int  `json:"size"`
	Limit         int  `json:"limit"`
	IsLastPage    bool `json:"isLastPage"`
	Start         int  `json:"start"`
	NextPageStart *int `json:"nextPageStart"`
	Values        []T  `json:"values"`
}

type syncStatusT struct {
	ExternalRepoID  string `json:"externalRepoId"`
	UpstreamID      string `json:"upstreamId"`
	LocalRepoID     int    `json:"localRepoId"`
	LocalProjectID  int    `json:"localProjectId"`
	FailedSyncCount int    `json:"failedSyncCount"`
	InitialSyncDate string `json:"initialSyncDate"`
	LastSyncDate    string `json:"lastSyncDate"`
	Hashes          struct {
		Content  string `json:"content"`
		Metadata string `json:"metadata"`
	} `json:"hashes"`
	RepoSlug string `json:"repoSlug"`
}

type queueT struct {
	Values []struct {
		ExternalRepoID string `json:"externalRepoId"`
		Type           string `json:"type"`
		Attempt        int    `json:"attempt"`
		CreatedAt      string `json:"createdAt"`
	} `json:"values"`
}

type progressT struct {
	Discovering bool `json:"discovering"`
	SyncedRepos int  `json:"syncedRepos"`
	TotalRepos  int  `json:"totalRepos"`
}

func farmInfo(t testing.TB, s *Sim, name string) FarmInfo {
	t.Helper()
	for _, f := range s.Farms() {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no farm %q", name)
	return FarmInfo{}
}

// statusOf returns the repoSyncStatus entry of a repository on a node.
func statusOf(t testing.TB, c *client, nodeURL, id string) (syncStatusT, bool) {
	t.Helper()
	var pg pageOf[syncStatusT]
	c.getJSON(nodeURL+api+"supportInfo/repoSyncStatus?limit=1000", &pg)
	for _, v := range pg.Values {
		if v.ExternalRepoID == id {
			return v, true
		}
	}
	return syncStatusT{}, false
}

func rawFields(t testing.TB, body []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return m
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	return strings.Trim(s, "0123456789abcdef") == ""
}
