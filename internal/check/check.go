// Package check judges a snapshot by the conventions of Nagios plugins,
// which Icinga, Naemon, Zabbix's and Checkmk's agents also run: one status
// line ("MIRRORTOP OK - summary | performance data"), longer text on the
// lines after it, and the exit code 0 (OK), 1 (WARNING), 2 (CRITICAL) or
// 3 (UNKNOWN).
package check

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/snapshot"
)

// Status is a check's outcome, and its exit code.
type Status int

// The statuses, in the plugin conventions' order.
const (
	OK Status = iota
	Warning
	Critical
	Unknown
)

func (s Status) String() string {
	switch s {
	case OK:
		return "OK"
	case Warning:
		return "WARNING"
	case Critical:
		return "CRITICAL"
	}
	return "UNKNOWN"
}

// worse is the worse of two statuses (UNKNOWN is worst: what cannot be
// judged is never OK).
func worse(a, b Status) Status { return max(a, b) }

// Options narrow and tune the judgement.
type Options struct {
	// Farms, when set, are the only farms judged (their alerts, nodes
	// and figures); alerts of no farm (the primary's certificate, GitLab)
	// are then left out.
	Farms []string
	// Thresholds are the [alerts] thresholds the snapshot's alerts were
	// raised with, given again as the performance data's warning levels.
	Thresholds model.Thresholds
}

// Perf is one performance datum: 'label'=value[UOM];warn;crit;min;max.
type Perf struct {
	Label      string
	Value      float64
	UOM        string
	Warn, Crit string
	Min, Max   string
}

func (p Perf) String() string {
	v := strconv.FormatFloat(p.Value, 'f', -1, 64)
	s := "'" + p.Label + "'=" + v + p.UOM + ";" + p.Warn + ";" + p.Crit + ";" + p.Min + ";" + p.Max
	return strings.TrimRight(s, ";")
}

// Result is a judgement: the status, the one-line summary, the
// performance data and the longer text.
type Result struct {
	Status  Status
	Summary string
	Perf    []Perf
	Long    []string
}

// UnknownResult is the result of a check that could not read what it
// judges.
func UnknownResult(why string) Result { return Result{Status: Unknown, Summary: why} }

// Write prints the result as a plugin does.
func (r Result) Write(w io.Writer) {
	line := "MIRRORTOP " + r.Status.String() + " - " + plain(r.Summary)
	if len(r.Perf) > 0 {
		ps := make([]string, len(r.Perf))
		for i, p := range r.Perf {
			ps[i] = p.String()
		}
		line += " | " + strings.Join(ps, " ")
	}
	fmt.Fprintln(w, line)
	for _, l := range r.Long {
		fmt.Fprintln(w, plain(l))
	}
}

// plain keeps a text on one line and away from the performance data: the
// plugin format gives "|" and newlines a meaning.
func plain(s string) string {
	return strings.NewReplacer("|", "/", "\n", " ", "\r", " ").Replace(s)
}

// label makes a farm's name safe in a performance label.
func label(parts ...string) string {
	s := strings.Join(parts, "_")
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
			return r
		}
		return '_'
	}, s)
}

// Judge judges a snapshot: UNKNOWN when the primary could not be read or a
// farm asked for is not in it; else CRITICAL or WARNING by the worst alert
// of the farms judged, OK without one.
func Judge(snap snapshot.Snapshot, o Options) Result {
	for _, e := range snap.Errors {
		if e.Target == "primary" && (e.Endpoint == string(model.EPStatus) || e.Endpoint == string(model.EPRepos)) {
			return UnknownResult(fmt.Sprintf("cannot read the primary (%s): %s", e.Endpoint, e.Message))
		}
	}
	if snap.Primary.State == model.NodeDown {
		return UnknownResult("cannot read the primary")
	}
	farms := snap.Farms
	if len(o.Farms) > 0 {
		farms = nil
		for _, name := range o.Farms {
			i := slices.IndexFunc(snap.Farms, func(f snapshot.SnapFarm) bool { return f.Name == name })
			if i < 0 {
				return UnknownResult(fmt.Sprintf("no farm %q in what the primary and the config list", name))
			}
			farms = append(farms, snap.Farms[i])
		}
	}
	judged := map[string]bool{}
	for _, f := range farms {
		judged[f.Name] = true
	}
	var r Result
	var alerts []snapshot.SnapAlert
	for _, a := range snap.Alerts {
		if len(o.Farms) > 0 && !judged[a.Farm] {
			continue
		}
		alerts = append(alerts, a)
	}
	// Worst first, then as the snapshot lists them.
	slices.SortStableFunc(alerts, func(a, b snapshot.SnapAlert) int { return severityOf(b) - severityOf(a) })
	up, total := 0, 0
	for _, f := range farms {
		up += f.NodesUp
		total += f.NodesTotal
	}
	for _, a := range alerts {
		st := Warning
		if a.Severity == string(model.SeverityCritical) {
			st = Critical
		}
		r.Status = worse(r.Status, st)
		r.Long = append(r.Long, st.String()+": "+a.Message)
	}
	head := fmt.Sprintf("%d farm(s), %d/%d nodes up", len(farms), up, total)
	switch len(alerts) {
	case 0:
		r.Summary = head + ", no alert"
	case 1:
		r.Summary = head + ": " + alerts[0].Message
	default:
		r.Summary = fmt.Sprintf("%s: %s (and %d more alerts)", head, alerts[0].Message, len(alerts)-1)
	}
	th := o.Thresholds
	for _, f := range farms {
		r.Perf = append(r.Perf, Perf{Label: label(f.Name, "nodes_up"), Value: float64(f.NodesUp), Min: "0", Max: strconv.Itoa(f.NodesTotal)})
		if f.QueueDepth != nil {
			r.Perf = append(r.Perf, Perf{Label: label(f.Name, "queue"), Value: float64(*f.QueueDepth), Warn: limit(th.MaxQueue), Min: "0"})
		}
		r.Perf = append(r.Perf, Perf{Label: label(f.Name, "mismatches"), Value: float64(len(f.Mismatches)), Warn: limit(th.MaxMismatches), Min: "0"},
			Perf{Label: label(f.Name, "worst_lag"), Value: math.Round(f.WorstLagS), UOM: "s", Warn: seconds(th.MaxLag), Min: "0"})
		r.Long = append(r.Long, fmt.Sprintf("farm %s: %s, %d/%d nodes up, %d mismatches, worst lag %s",
			f.Name, f.State, f.NodesUp, f.NodesTotal, len(f.Mismatches), model.ShortDuration(time.Duration(f.WorstLagS*float64(time.Second)))))
	}
	return r
}

func severityOf(a snapshot.SnapAlert) int {
	if a.Severity == string(model.SeverityCritical) {
		return 1
	}
	return 0
}

// limit is a count threshold as a warning level ("" when disabled).
func limit(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// seconds is a duration threshold as a warning level in seconds.
func seconds(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}
