package sim

import (
	"net/http"
	"strconv"
	"strings"
)

// glProjectMirrorParams are the pull mirror attributes of PUT /projects/:id
// (GitLab Premium): the only way to configure a pull mirror before 17.5,
// deprecated in 17.6 for PUT /projects/:id/mirror/pull.
var glProjectMirrorParams = []string{"mirror", "import_url", "mirror_trigger_builds", "only_mirror_protected_branches",
	"mirror_overwrites_diverged_branches", "mirror_branch_regex", "mirror_user_id"}

// glProjectOtherParams are the other project attributes the simulator
// takes (and ignores but for their validation).
var glProjectOtherParams = []string{"name", "description", "default_branch", "visibility"}

// glPutProject serves PUT /projects/:id with the pull mirror attributes:
// mirror turns the pull mirror on or off (on needs an import_url, given
// or already set), import_url sets the upstream (credentials in the URL),
// and the other flags as in PUT /mirror/pull. Grape's validation comes
// first (400 {"error": …}: a value of the wrong type, mutually exclusive
// parameters, none at all), then the project (404), then the record's
// (400 {"message": {"import_url": […]}}). It answers the project, as
// GitLab does. Part of a request it cannot apply changes nothing.
func (s *Sim) glPutProject(w http.ResponseWriter, r *http.Request, ref string) {
	args, err := readGLArgs(r)
	if err != nil {
		writeGL(w, http.StatusBadRequest, glError{err.Error()})
		return
	}
	known := glProjectOtherParams
	if !s.gl.opts.NoPremium {
		known = append(append([]string(nil), glProjectMirrorParams...), glProjectOtherParams...)
	}
	given := false
	for _, n := range known {
		if _, has := args[n]; has {
			given = true
		}
	}
	var bad []string
	if !given {
		bad = append(bad, strings.Join(known, ", ")+" are missing, at least one parameter must be provided")
	}
	premium := !s.gl.opts.NoPremium
	mirror, hasMirror := false, false
	var opts glPullOptions
	importURL, hasURL := "", false
	if premium {
		mirror, hasMirror = args.boolArg("mirror", &bad)
		opts = args.pullOptions(&bad)
		importURL, hasURL = args.strArg("import_url")
		if v, has := args.strArg("mirror_user_id"); has {
			if n, err := strconv.Atoi(v); err != nil || n <= 0 {
				bad = append(bad, "mirror_user_id is invalid")
			}
		}
	}
	if v, has := args.strArg("visibility"); has && v != "private" && v != "internal" && v != "public" {
		bad = append(bad, "visibility does not have a valid value")
	}
	if len(bad) > 0 {
		writeGL(w, http.StatusBadRequest, glError{strings.Join(bad, ", ")})
		return
	}
	s.glOnProject(w, ref, true, func(p *glProject) reply {
		if hasURL {
			if msg := glBlockedURL(importURL); msg != "" {
				return reply{http.StatusBadRequest, glFieldErrors{map[string][]string{"import_url": {msg}}}}
			}
		}
		m := p.pull
		if hasMirror && mirror && m == nil && !hasURL {
			return reply{http.StatusBadRequest, glFieldErrors{map[string][]string{"import_url": {"can't be blank"}}}}
		}
		if m == nil && (hasMirror && mirror || hasURL) {
			m = s.glNewPull(p)
			if !hasMirror {
				m.enabled = false // an import URL alone does not mirror
			}
		}
		if m == nil {
			return ok(s.glProjectOf(p)) // nothing about a mirror to change
		}
		if hasURL {
			m.url = importURL
		}
		opts.apply(m)
		if hasMirror && mirror != m.enabled {
			m.enabled = mirror
			switch {
			case !mirror && m.status != glStatusStarted:
				m.next, m.ev = 0, 0
			case mirror && !m.paused && m.status != glStatusStarted:
				s.glPlanPull(m, s.now)
			}
		}
		return ok(s.glProjectOf(p))
	})
}

// glNewPull gives a project a new, enabled pull mirror that never updated,
// as the project's attributes make it (only_mirror_protected_branches
// null); its first update is due now. Called with s.mu held.
func (s *Sim) glNewPull(p *glProject) *glMirror {
	m := s.glNewPullMirror(p)
	m.enabled, m.onlyProtPull = true, nil
	s.glPlanPull(m, s.now)
	return m
}

// glPullOptions are the pull mirror options a request sets; the has
// flags say which it holds.
type glPullOptions struct {
	trigger, only, overwrite                    bool
	regex                                       string
	hasTrigger, hasOnly, hasOverwrite, hasRegex bool
}

// pullOptions reads the pull mirror options (the same names in the pull
// mirror API and the project's attributes); bad collects GitLab's
// complaints, the protected-only and regex options being exclusive.
func (a glArgs) pullOptions(bad *[]string) glPullOptions {
	var o glPullOptions
	o.trigger, o.hasTrigger = a.boolArg("mirror_trigger_builds", bad)
	o.only, o.hasOnly = a.boolArg("only_mirror_protected_branches", bad)
	o.overwrite, o.hasOverwrite = a.boolArg("mirror_overwrites_diverged_branches", bad)
	o.regex, o.hasRegex = a.strArg("mirror_branch_regex")
	if _, present := a["only_mirror_protected_branches"]; present && o.hasRegex {
		*bad = append(*bad, "only_mirror_protected_branches, mirror_branch_regex are mutually exclusive")
	}
	return o
}

// apply sets the options a request holds on a pull mirror.
func (o glPullOptions) apply(m *glMirror) {
	if o.hasTrigger {
		m.triggerBuilds = o.trigger
	}
	if o.hasOnly {
		only := o.only
		m.onlyProtPull = &only
	}
	if o.hasOverwrite {
		m.overwrite = o.overwrite
	}
	if o.hasRegex {
		m.branchRegex = o.regex
	}
}
