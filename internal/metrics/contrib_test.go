package metrics_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrortop/mirrortop/internal/metrics"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/ui"
)

var metricName = regexp.MustCompile(`mirrortop_[a-z0-9_]+`)

// exported lists the names of the metrics the collector describes.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	c := metrics.New(ui.NewShared(model.NewState(model.Spec{}), nil), metrics.Options{})
	ch := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	names := map[string]bool{}
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range ch {
		m := fq.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no name in %s", d)
		}
		names[m[1]] = true
	}
	if len(names) < 20 {
		t.Fatalf("only %d metrics described", len(names))
	}
	return names
}

// The shipped alert rules and dashboard name only metrics mirrortop
// exports, and the dashboard is valid JSON.
func TestContribNamesExportedMetrics(t *testing.T) {
	names := exported(t)
	for _, f := range []string{"prometheus/mirrortop.rules.yml", "grafana/mirrortop.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "contrib", f))
		if err != nil {
			t.Fatal(err)
		}
		used := metricName.FindAllString(string(b), -1)
		if len(used) < 10 {
			t.Errorf("%s names only %d metrics", f, len(used))
		}
		for _, n := range used {
			if !names[n] {
				t.Errorf("%s names %s, which mirrortop does not export", f, n)
			}
		}
		if filepath.Ext(f) == ".json" && !json.Valid(b) {
			t.Errorf("%s is not valid JSON", f)
		}
	}
}

// The README's metric table lists every exported metric and no other.
func TestReadmeListsExportedMetrics(t *testing.T) {
	names := exported(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(mirrortop_[a-z0-9_]+)`")
	var listed []string
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		listed = append(listed, m[1])
		if !names[m[1]] {
			t.Errorf("README lists %s, which mirrortop does not export", m[1])
		}
	}
	for n := range names {
		if !slices.Contains(listed, n) {
			t.Errorf("README's metric table lacks %s", n)
		}
	}
}
