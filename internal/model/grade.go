package model

import "strings"

// Grade is how good a state reads, for colouring it the same way on screen
// and in a snapshot table.
type Grade int

// The grades, from good to not known.
const (
	GradeOK Grade = iota
	GradeWarn
	GradeBad
	GradeMuted // not known, or switched off
)

// StateGrade grades a server, node, farm or repository state: running and
// in sync are OK, down and failing are bad, not yet known is muted, and
// anything else (syncing, initialising, a state mirrortop does not know) is
// a warning.
func StateGrade(s string) Grade {
	switch strings.ToUpper(s) {
	case "SYNCHRONIZED", "RUNNING", RepoAvailable:
		return GradeOK
	case NodeDown, "ERROR", RepoErrorAvailable, RepoErrorInitializing:
		return GradeBad
	case NodeUnknown:
		return GradeMuted
	}
	return GradeWarn
}

// HealthGrade grades a GitLab mirror's health.
func HealthGrade(h string) Grade {
	switch h {
	case HealthOK:
		return GradeOK
	case HealthSyncing, HealthRetrying, HealthNever:
		return GradeWarn
	case HealthDisabled, HealthUnknown:
		return GradeMuted
	}
	return GradeBad
}
