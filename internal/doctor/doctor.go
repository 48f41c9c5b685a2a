// Package doctor holds preflight checks of a mirrortop setup against Smart
// Mirroring's requirements and known failure causes: reachability, HTTPS
// with a valid certificate, credentials and permissions, versions, SSH on
// the primary, the mirrors' base URLs as the primary knows them, and the
// GitLab token and tier.
//
// Every check is a pure function of an Input: the state of one poll (or
// of the running console) and a few Probes that the poll does not make (a
// TLS handshake per HTTPS server, an unauthenticated GET /status, the
// primary's SSH settings, the GitLab token's scopes). Run makes the poll
// and the probes; Checks derives the lines.
package doctor

import (
	"cmp"
	"slices"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Status is the outcome of one check.
type Status string

// The outcomes, from best to worst; UNKNOWN says why it could not tell.
const (
	OK      Status = "OK"
	Warn    Status = "WARN"
	Fail    Status = "FAIL"
	Unknown Status = "UNKNOWN"
)

// Check is one line of the report: what was checked on which target, the
// outcome, what was found, and what to do about a problem.
type Check struct {
	Target  string `json:"target"`
	Check   string `json:"check"`
	Status  Status `json:"status"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Report is every check of a run, in a stable order.
type Report struct {
	Checks []Check `json:"checks"`
}

// Exit codes of `mirrortop doctor`.
const (
	ExitOK        = 0 // every check OK (UNKNOWN lines aside)
	ExitWarn      = 1 // some check WARN
	ExitFail      = 2 // some check FAIL
	ExitUnchecked = 3 // nothing could be checked: nothing answered
)

// ExitCode is the report's exit code: ExitUnchecked when nothing answered
// (every reachability check failed, or every check is UNKNOWN), else the
// worst outcome.
func (r Report) ExitCode() int {
	if r.nothingChecked() {
		return ExitUnchecked
	}
	code := ExitOK
	for _, c := range r.Checks {
		switch c.Status {
		case Fail:
			return ExitFail
		case Warn:
			code = ExitWarn
		}
	}
	return code
}

func (r Report) nothingChecked() bool {
	reach, reached, known := 0, 0, 0
	for _, c := range r.Checks {
		if c.Status != Unknown {
			known++
		}
		if c.Check == CheckReach {
			reach++
			if c.Status != Fail {
				reached++
			}
		}
	}
	return known == 0 || (reach > 0 && reached == 0)
}

// Counts returns how many checks have each status.
func (r Report) Counts() map[Status]int {
	out := map[Status]int{}
	for _, c := range r.Checks {
		out[c.Status]++
	}
	return out
}

// Check names.
const (
	CheckReach     = "reachable"
	CheckHTTPS     = "https"
	CheckAuth      = "authentication"
	CheckVersion   = "version"
	CheckLayout    = "api layout"
	CheckSSH       = "ssh for git"
	CheckMirrorURL = "mirror base url"
	CheckToken     = "token"
	CheckScope     = "token scope"
	CheckPull      = "pull mirror api"
	CheckClock     = "clock"
	CheckMembers   = "members"
	CheckDiag      = "diagnostics"
)

// Settings are the parts of the configuration the checks read.
type Settings struct {
	// CertDays warns about a certificate expiring within this many days
	// ([alerts] cert_days; 0 turns the warning off).
	CertDays int
	// DiscoverFarms is [poll] discover_farms.
	DiscoverFarms bool
	// ReadOnly is read_only: actions are off, so a GitLab token needs no
	// more than read_api.
	ReadOnly bool
	// MaxClockSkew is [alerts] max_clock_skew: a node's clock further off
	// the primary's fails (0 only reports it).
	MaxClockSkew time.Duration
}

// Input is what the checks are computed from.
type Input struct {
	State    *model.State
	Probes   Probes
	Settings Settings
	Now      time.Time
}

// StateCheck derives check lines from an Input. More checks on the state
// are added by appending to StateChecks.
type StateCheck func(in *Input) []Check

// StateChecks are the checks Checks runs, in order.
var StateChecks = []StateCheck{
	checkReachable,
	checkHTTPS,
	checkAuth,
	checkVersions,
	checkSSH,
	checkMirrorURLs,
	checkMembers,
	checkClock,
	checkDiagnostics,
	checkGitLab,
}

// Checks runs every StateCheck on in, in order.
func Checks(in Input) Report {
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	r := Report{Checks: []Check{}}
	for _, f := range StateChecks {
		for _, c := range f(&in) {
			c.Message = model.Sanitize(c.Message)
			c.Fix = model.Sanitize(c.Fix)
			r.Checks = append(r.Checks, c)
		}
	}
	return r
}

// Worst returns the worst status of a set: FAIL, WARN, UNKNOWN, OK.
func Worst(cs []Check) Status {
	w := OK
	for _, c := range cs {
		if c.Status.Severity() > w.Severity() {
			w = c.Status
		}
	}
	return w
}

// Severity orders statuses: OK 0, UNKNOWN 1, WARN 2, FAIL 3.
func (s Status) Severity() int {
	switch s {
	case Fail:
		return 3
	case Warn:
		return 2
	case Unknown:
		return 1
	}
	return 0
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(a, b) })
	return out
}
