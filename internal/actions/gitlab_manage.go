package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
)

// Authentication methods of a push mirror (auth_method, GitLab 16.10+).
const (
	AuthPassword = "password"
	AuthSSHKey   = "ssh_public_key"
)

// errRetypePassword refuses a pull mirror's change with a new URL or user
// and a blank password.
var errRetypePassword = errors.New("type the password again: GitLab stores it with the URL, and a new URL or user without it would lose it")

// HiddenText stands for a credential wherever people would see it.
const HiddenText = "set (hidden)"

// MirrorSettings is what the operator asks of a new or changed GitLab
// mirror. URL never holds credentials: User and Password are apart, and
// go into the request only (never into a plan's text or the audit).
type MirrorSettings struct {
	// URL is the remote (push) or the upstream (pull), without user info.
	URL string
	// AuthMethod is AuthPassword or AuthSSHKey (push mirrors).
	AuthMethod string
	// User and Password authenticate to the remote; Password "" is none
	// (for a change: unchanged, and refused with a new URL or user).
	User, Password string
	Enabled        bool
	// OnlyProtected is only_protected_branches (push) or
	// only_mirror_protected_branches (pull).
	OnlyProtected bool
	// KeepDivergent is keep_divergent_refs (push).
	KeepDivergent bool
	// Overwrite is mirror_overwrites_diverged_branches (pull).
	Overwrite bool
	// TriggerBuilds is mirror_trigger_builds (pull).
	TriggerBuilds bool
	// BranchRegex is mirror_branch_regex; "" for none.
	BranchRegex string
}

// SettingsOf reads a mirror's current settings, as a change starts from.
func SettingsOf(m *model.GitLabMirror) MirrorSettings {
	return MirrorSettings{URL: StripUserInfo(m.URL), AuthMethod: m.AuthMethod, Enabled: m.Enabled,
		OnlyProtected: m.OnlyProtected, KeepDivergent: m.KeepDivergentRefs, Overwrite: m.OverwriteDiverged,
		TriggerBuilds: m.TriggerBuilds, BranchRegex: m.BranchRegex}
}

// StripUserInfo removes a URL's user info for display (model.StripUserInfo).
func StripUserInfo(s string) string { return model.StripUserInfo(s) }

// Validate checks the settings as GitLab would, before anything is sent:
// an absolute http, https, ssh or git URL with a host and no user info
// (credentials have their own fields), an SSH key only with an ssh URL, a
// branch regex that compiles and is not combined with protected branches
// only.
func (s MirrorSettings) Validate(dir model.Direction) error {
	u, err := url.Parse(strings.TrimSpace(s.URL))
	switch {
	case strings.TrimSpace(s.URL) == "":
		return errors.New("the URL is required")
	case err != nil:
		return errors.New("the URL does not parse")
	case u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ssh" && u.Scheme != "git":
		return errors.New("the URL must start with https://, http://, ssh:// or git://")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("the URL has no host")
	case u.User != nil && !(u.Scheme == "ssh" && u.User.Username() == "git"):
		return errors.New("put the user and password in their own fields, not in the URL")
	}
	if dir == model.Push {
		switch s.AuthMethod {
		case AuthPassword:
		case AuthSSHKey:
			if u.Scheme != "ssh" {
				return errors.New("SSH public key authentication needs an ssh:// URL")
			}
		default:
			return fmt.Errorf("unknown authentication %q", s.AuthMethod)
		}
	}
	if s.Password != "" && s.User == "" {
		return errors.New("a password needs a user name")
	}
	if s.BranchRegex != "" {
		if s.OnlyProtected {
			return errors.New("a branch regex needs \"protected branches only\" off (GitLab takes one or the other)")
		}
		if _, err := regexp.Compile(s.BranchRegex); err != nil {
			return errors.New("the branch regex does not compile")
		}
	}
	return nil
}

// credURL embeds user and password in a URL, escaped as user info.
func credURL(raw, user, password string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || user == "" {
		return strings.TrimSpace(raw)
	}
	if password == "" {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}

// secretsOf lists a password in every form a request may carry it.
func secretsOf(password string) []string {
	if password == "" {
		return nil
	}
	return []string{password, url.QueryEscape(password), url.PathEscape(password), url.UserPassword("u", password).String()[2:]}
}

// credNote says which credentials a plan sends, never their value.
func credNote(s MirrorSettings) string {
	switch {
	case s.Password != "":
		return "Credentials: user " + model.Sanitize(s.User) + ", password: " + HiddenText + "."
	case s.User != "":
		return "Credentials: user " + model.Sanitize(s.User) + ", no password."
	}
	return ""
}

// PlanGitLabAddPush creates a push mirror on a project (POST
// …/remote_mirrors): password authentication sends the credentials inside
// the URL, SSH key authentication has GitLab make a key pair whose public
// key the console shows afterwards. The confirmation and the audit log see
// the URL without its credentials.
func PlanGitLabAddPush(instance, project string, s MirrorSettings) (Plan, error) {
	if err := s.Validate(model.Push); err != nil {
		return Plan{}, err
	}
	plain := strings.TrimSpace(s.URL)
	body := map[string]any{"url": plain, "enabled": s.Enabled, "auth_method": s.AuthMethod, "keep_divergent_refs": s.KeepDivergent}
	shown := map[string]any{"url": StripUserInfo(plain), "enabled": s.Enabled, "auth_method": s.AuthMethod, "keep_divergent_refs": s.KeepDivergent}
	if s.AuthMethod == AuthPassword {
		body["url"] = credURL(plain, s.User, s.Password)
	}
	if s.BranchRegex != "" {
		body["mirror_branch_regex"], shown["mirror_branch_regex"] = s.BranchRegex, s.BranchRegex
	} else {
		body["only_protected_branches"], shown["only_protected_branches"] = s.OnlyProtected, s.OnlyProtected
	}
	proj := model.Sanitize(project)
	p := Plan{Kind: KindGitLabAddPush, Key: "gitlab/" + instance + "/" + project + "/add-push", Target: instance + ":" + proj + " push mirror",
		Title:   "Add a push mirror to " + proj,
		Steps:   []Step{{GitLab: instance, Call: poller.AddPushCall(project, body, shown)}},
		Secrets: secretsOf(s.Password)}
	notes := []string{"Remote: " + model.Sanitize(StripUserInfo(plain)) + "."}
	if n := credNote(s); n != "" && s.AuthMethod == AuthPassword {
		notes = append(notes, n+" They go to GitLab inside the URL and are shown nowhere.")
	}
	if s.AuthMethod == AuthSSHKey {
		notes = append(notes, "GitLab generates an SSH key pair for the mirror: its public key is shown next, to install on the remote as a deploy key with write access.")
	}
	if s.Enabled {
		notes = append(notes, "The mirror is enabled: it pushes after the next push to the project.")
	} else {
		notes = append(notes, "The mirror is created disabled: it pushes nothing until resumed (e).")
	}
	p.Note = strings.Join(notes, " ")
	return p, nil
}

// GitLabPremium reports whether a version string says Enterprise Edition
// ("-ee"); pull mirroring needs Premium or Ultimate.
func GitLabPremium(v string) bool { return strings.HasSuffix(strings.TrimSpace(v), "-ee") }

// pullAPI decides between the pull mirror API (17.5+) and the project's
// attributes (before 17.5), and says which version decided it. An unknown
// version is taken to be 17.5 or later, and the plan says so.
func pullAPI(version string) (newAPI bool, why string) {
	v, ok := model.ParseGitLabVersion(version)
	if !ok {
		v = model.GitLabVersion{}
	}
	newAPI, known := pullMirrorAPI(v)
	switch {
	case !known:
		return true, "GitLab's version is unknown: using the pull mirror API (PUT …/mirror/pull, GitLab 17.5 and later)."
	case newAPI:
		return true, "GitLab " + model.Sanitize(version) + ": the pull mirror API (PUT …/mirror/pull, 17.5 and later)."
	}
	return false, "GitLab " + model.Sanitize(version) + " is older than 17.5: the pull mirror is set through the project's attributes (PUT /projects/:id)."
}

// pullFields are a pull mirror's settings in the field names of an API:
// the pull mirror API's, or the project's (before 17.5).
func pullFields(s MirrorSettings, newAPI bool, withURL bool) (body, shown map[string]any) {
	body, shown = map[string]any{}, map[string]any{}
	set := func(k string, v any) { body[k], shown[k] = v, v }
	if newAPI {
		set("enabled", s.Enabled)
		if withURL {
			set("url", strings.TrimSpace(s.URL))
			if s.User != "" {
				set("auth_user", s.User)
			}
			if s.Password != "" {
				body["auth_password"], shown["auth_password"] = s.Password, HiddenText
			}
		}
	} else {
		set("mirror", s.Enabled)
		if withURL {
			body["import_url"] = credURL(s.URL, s.User, s.Password)
			shown["import_url"] = StripUserInfo(strings.TrimSpace(s.URL))
		}
	}
	set("mirror_trigger_builds", s.TriggerBuilds)
	set("mirror_overwrites_diverged_branches", s.Overwrite)
	if s.BranchRegex != "" {
		set("mirror_branch_regex", s.BranchRegex)
	} else {
		set("only_mirror_protected_branches", s.OnlyProtected)
	}
	return body, shown
}

// PlanGitLabConfigurePull configures a pull mirror on a project that has
// none: PUT …/mirror/pull from GitLab 17.5 on (url, auth_user,
// auth_password and the mirror_* fields), else PUT /projects/:id (mirror,
// import_url with the credentials in it, the mirror_* fields). version is
// GitLab's ("" when unknown). Pull mirroring needs Premium: a version
// without "-ee" is refused, with nothing sent.
func PlanGitLabConfigurePull(instance, project, version string, s MirrorSettings) (Plan, error) {
	if err := s.Validate(model.Pull); err != nil {
		return Plan{}, err
	}
	if version != "" && !GitLabPremium(version) {
		return Plan{}, fmt.Errorf("pull mirroring needs GitLab Premium or Ultimate; this GitLab reports %s (not Enterprise Edition): nothing was sent", model.Sanitize(version))
	}
	newAPI, why := pullAPI(version)
	body, shown := pullFields(s, newAPI, true)
	call := poller.ConfigurePullCall(project, body, shown)
	if !newAPI {
		call = poller.EditProjectCall(project, body, shown)
	}
	proj := model.Sanitize(project)
	notes := []string{"Upstream: " + model.Sanitize(StripUserInfo(s.URL)) + ".", why}
	if n := credNote(s); n != "" {
		notes = append(notes, n)
	}
	if !s.Enabled {
		notes = append(notes, "The mirror is configured disabled: nothing is pulled until resumed (e).")
	}
	return Plan{Kind: KindGitLabConfigurePull, Key: "gitlab/" + instance + "/" + project + "/configure-pull",
		Target: instance + ":" + proj + " pull mirror", Title: "Configure a pull mirror on " + proj,
		Steps: []Step{{GitLab: instance, Call: call}}, Note: strings.Join(notes, " "), Secrets: secretsOf(s.Password)}, nil
}

// Change is one setting a change of a mirror's settings alters.
type Change struct {
	Field    string
	Old, New string
}

func (c Change) String() string { return c.Field + ": " + c.Old + " → " + c.New }

// PlanGitLabEdit changes a mirror's settings, sending only the fields that
// changed: a push mirror through PUT …/remote_mirrors/:id (its URL and
// authentication stay: GitLab's PUT takes no url), a pull mirror through
// PUT …/mirror/pull (PUT /projects/:id before 17.5), where a blank
// password means unchanged while the URL and user stay (GitLab stores the
// password with the URL: a new URL or user needs it typed again, unless
// the mirror has no stored credentials and no user is given). GitLab
// takes a branch regex or "protected branches only", not both in one
// request: when both change they go in two calls. The confirmation lists
// each change as "field: old → new".
func PlanGitLabEdit(m *model.GitLabMirror, version string, s MirrorSettings) (Plan, []Change, error) {
	old := SettingsOf(m)
	if m.Direction == model.Push {
		s.URL, s.AuthMethod, s.User, s.Password = old.URL, old.AuthMethod, "", ""
		if s.AuthMethod == "" {
			s.AuthMethod = AuthPassword
		}
	}
	if err := s.Validate(m.Direction); err != nil {
		return Plan{}, nil, err
	}
	var changes []Change
	fields := map[string]any{}
	shownFields := map[string]any{}
	b := func(name string, o, n bool) {
		if o != n {
			changes = append(changes, Change{name, strconv.FormatBool(o), strconv.FormatBool(n)})
			fields[name], shownFields[name] = n, n
		}
	}
	quote := func(v string) string {
		if v == "" {
			return "(none)"
		}
		return strconv.Quote(model.Sanitize(v))
	}
	newAPI, why := true, ""
	onlyName, regexName := "only_protected_branches", "mirror_branch_regex"
	if m.Direction == model.Push {
		b("enabled", old.Enabled, s.Enabled)
		b("keep_divergent_refs", old.KeepDivergent, s.KeepDivergent)
	} else {
		newAPI, why = pullAPI(version)
		onlyName = "only_mirror_protected_branches"
		if newAPI {
			b("enabled", old.Enabled, s.Enabled)
		} else {
			b("mirror", old.Enabled, s.Enabled)
		}
		b("mirror_trigger_builds", old.TriggerBuilds, s.TriggerBuilds)
		b("mirror_overwrites_diverged_branches", old.Overwrite, s.Overwrite)
		newURL := strings.TrimSpace(s.URL) != old.URL
		// GitLab keeps a pull mirror's credentials with its URL: a new URL
		// or user sent without the password loses the stored one.
		if s.Password == "" && (s.User != "" || newURL && StripUserInfo(m.URL) != m.URL) {
			return Plan{}, nil, errRetypePassword
		}
		if newURL || s.Password != "" || s.User != "" {
			if newAPI {
				if newURL {
					changes = append(changes, Change{"url", quote(old.URL), quote(strings.TrimSpace(s.URL))})
					fields["url"], shownFields["url"] = strings.TrimSpace(s.URL), strings.TrimSpace(s.URL)
				}
				if s.User != "" {
					changes = append(changes, Change{"auth_user", "(not shown by GitLab)", quote(s.User)})
					fields["auth_user"], shownFields["auth_user"] = s.User, s.User
				}
				if s.Password != "" {
					changes = append(changes, Change{"auth_password", "(hidden)", HiddenText})
					fields["auth_password"], shownFields["auth_password"] = s.Password, HiddenText
				}
			} else {
				changes = append(changes, Change{"import_url", quote(old.URL), quote(strings.TrimSpace(s.URL)) + credSuffix(s)})
				fields["import_url"] = credURL(s.URL, s.User, s.Password)
				shownFields["import_url"] = StripUserInfo(strings.TrimSpace(s.URL))
			}
		}
	}
	// The branch filter: only_… and mirror_branch_regex never in one body.
	var second map[string]any
	var secondShown map[string]any
	regexChanged := s.BranchRegex != old.BranchRegex
	onlyChanged := s.OnlyProtected != old.OnlyProtected
	switch {
	case regexChanged && s.BranchRegex != "":
		// Setting a regex turns protected branches only off in GitLab.
		changes = append(changes, Change{regexName, quote(old.BranchRegex), quote(s.BranchRegex)})
		fields[regexName], shownFields[regexName] = s.BranchRegex, s.BranchRegex
		if onlyChanged {
			changes = append(changes, Change{onlyName, strconv.FormatBool(old.OnlyProtected), "false (GitLab turns it off with a regex)"})
		}
	case regexChanged && onlyChanged:
		changes = append(changes, Change{regexName, quote(old.BranchRegex), "(none)"}, Change{onlyName, strconv.FormatBool(old.OnlyProtected), strconv.FormatBool(s.OnlyProtected)})
		fields[regexName], shownFields[regexName] = "", ""
		second = map[string]any{onlyName: s.OnlyProtected}
		secondShown = second
	case regexChanged:
		changes = append(changes, Change{regexName, quote(old.BranchRegex), "(none)"})
		fields[regexName], shownFields[regexName] = "", ""
	case onlyChanged:
		b(onlyName, old.OnlyProtected, s.OnlyProtected)
	}
	if len(changes) == 0 {
		return Plan{}, nil, errors.New("nothing changed: nothing to send")
	}
	call := func(body, shown map[string]any) poller.Call {
		switch {
		case m.Direction == model.Push:
			c := poller.EditPushCall(m.Project, m.ID, body)
			c.Shown = shown
			return c
		case newAPI:
			return poller.ConfigurePullCall(m.Project, body, shown)
		}
		return poller.EditProjectCall(m.Project, body, shown)
	}
	steps := []Step{{GitLab: m.Instance, Call: call(fields, shownFields)}}
	if second != nil {
		steps = append(steps, Step{GitLab: m.Instance, Call: call(second, secondShown)})
	}
	label := MirrorLabel(m)
	note := "Changes:"
	for _, c := range changes {
		note += "\n  " + c.String()
	}
	if why != "" {
		note += "\n" + why
	}
	return Plan{Kind: KindGitLabEdit, Key: "gitlab/" + m.Key(), Mirror: m.Key(), Target: m.Instance + ":" + label,
		Title: "Change the settings of the " + label, Steps: steps, Note: note, Secrets: secretsOf(s.Password)}, changes, nil
}

// credSuffix says, after a URL, which credentials go with it.
func credSuffix(s MirrorSettings) string {
	if s.Password != "" {
		return " (user " + model.Sanitize(s.User) + ", password: " + HiddenText + ")"
	}
	return ""
}

// GitLabGet reads a GitLab resource (path relative to /api/v4/, such as
// "version" or a push mirror's public key) through the instance's client,
// for what the console shows around an action. Reads change nothing and
// are not audited.
func (e *Executor) GitLabGet(ctx context.Context, instance, path string) ([]byte, error) {
	s, ok := e.sender(Step{GitLab: instance})
	if !ok {
		return nil, errors.New("no client for " + instance)
	}
	ans, err := s.Send(ctx, poller.Call{Method: http.MethodGet, Path: path})
	return ans.Body, err
}
