package ui

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
)

// The GitLab pane's own keys: add a mirror, change a mirror's settings.
const (
	ActAddMirror  Action = "add_mirror"
	ActEditMirror Action = "edit_mirror"
)

// bindings are the GitLab pane's own keys; in the pane they come before
// the console's (c adds a mirror there, and opens the checks elsewhere).
func (gitlabPane) bindings() []*binding {
	return []*binding{
		newBinding(ActAddMirror, "Actions", "add GitLab push / pull mirror (GitLab pane)", "c").dangerous(),
		newBinding(ActEditMirror, "Actions", "change GitLab mirror settings (GitLab pane)", "m").dangerous(),
	}
}

func (gitlabPane) act(m *Model, a Action) tea.Cmd {
	if m.opt.Actions == nil {
		m.setStatus(toneWarn, "actions are not available here")
		return nil
	}
	switch a {
	case ActAddMirror:
		return m.openAddForm()
	case ActEditMirror:
		g := m.gitlabMirror(m.subject())
		if g == nil {
			m.setStatus(toneMuted, "m changes the settings of the selected GitLab mirror")
			return nil
		}
		return m.openEditForm(g)
	}
	return nil
}

// paneKey returns the active pane's own action a key press is bound to,
// and whether read-only mode took it away; "" when the key is not one.
func (m *Model) paneKey(k tea.KeyPressMsg) (a Action, refused bool) {
	h, ok := m.panes[m.active].kind.(binder)
	if !ok || m.mode != modeNormal {
		return "", false
	}
	for _, own := range h.bindings() {
		b := m.keys.by[own.action]
		if b == nil || !slices.Contains(b.Keys(), k.String()) {
			continue
		}
		return own.action, !b.Enabled()
	}
	return "", false
}

// gitlabReader reads GitLab resources for the console (an
// *actions.Executor); a runner without it shows no version or public key.
type gitlabReader interface {
	GitLabGet(ctx context.Context, instance, path string) ([]byte, error)
}

// fieldKind is what a form field holds.
type fieldKind uint8

const (
	fieldText fieldKind = iota
	fieldSecret
	fieldBool
	fieldChoice
)

// formField is one line of the mirror form.
type formField struct {
	name    string // what the form's code calls it
	label   string
	kind    fieldKind
	input   textinput.Model
	on      bool
	choices []string
	idx     int
	hint    string
}

func (f *formField) value() string {
	switch f.kind {
	case fieldChoice:
		return f.choices[f.idx]
	case fieldBool:
		return strconv.FormatBool(f.on)
	}
	return strings.TrimSpace(f.input.Value())
}

// mirrorForm adds a push or pull mirror, or changes a mirror's settings.
type mirrorForm struct {
	instance string
	edit     *model.GitLabMirror // nil: a new mirror
	projects []string
	pulls    map[string]bool // projects with a pull mirror
	fields   []*formField
	focus    int
	err      string
}

func textField(name, label, value, hint string, limit int) *formField {
	f := &formField{name: name, label: label, kind: fieldText, input: newField(limit), hint: hint}
	f.input.SetValue(value)
	f.input.Blur()
	return f
}

func secretField(name, label, hint string) *formField {
	f := textField(name, label, "", hint, reasonLimit)
	f.kind = fieldSecret
	f.input.EchoMode = textinput.EchoPassword
	return f
}

func boolField(name, label string, on bool, hint string) *formField {
	return &formField{name: name, label: label, kind: fieldBool, on: on, hint: hint}
}

func choiceField(name, label string, choices []string, idx int, hint string) *formField {
	return &formField{name: name, label: label, kind: fieldChoice, choices: choices, idx: idx, hint: hint}
}

func (fm *mirrorForm) field(name string) *formField {
	for _, f := range fm.fields {
		if f.name == name {
			return f
		}
	}
	return nil
}

// dir is the direction the form sets up.
func (fm *mirrorForm) dir() model.Direction {
	if fm.edit != nil {
		return fm.edit.Direction
	}
	return model.Direction(fm.field("dir").value())
}

// shown reports whether a field applies to the form's current choices.
func (fm *mirrorForm) shown(f *formField) bool {
	dir := fm.dir()
	ssh := fm.field("auth") != nil && fm.field("auth").value() == actions.AuthSSHKey
	switch f.name {
	case "auth", "keep":
		return dir == model.Push
	case "user", "password":
		return dir == model.Pull || !ssh
	case "overwrite", "trigger":
		return dir == model.Pull
	}
	return true
}

func (fm *mirrorForm) move(step int) {
	for i := 1; i <= len(fm.fields); i++ {
		j := ((fm.focus+step*i)%len(fm.fields) + len(fm.fields)) % len(fm.fields)
		if fm.shown(fm.fields[j]) {
			fm.setFocus(j)
			return
		}
	}
}

func (fm *mirrorForm) setFocus(i int) {
	if f := fm.fields[fm.focus]; f.kind == fieldText || f.kind == fieldSecret {
		f.input.Blur()
	}
	fm.focus = i
	if f := fm.fields[i]; f.kind == fieldText || f.kind == fieldSecret {
		f.input.Focus()
	}
}

// openAddForm opens the form of a new mirror on the selected row's project
// (or the first watched one); GitLab's version, which decides the pull
// mirror's API, is the one the poller read.
func (m *Model) openAddForm() tea.Cmd {
	instance, project := "", ""
	if g := m.gitlabMirror(m.subject()); g != nil {
		instance, project = g.Instance, g.Project
	}
	var inst *model.GitLabInstance
	for _, g := range m.state.GitLab {
		if instance == "" || g.Name == instance {
			inst = g
			break
		}
	}
	if inst == nil {
		m.setStatus(toneMuted, "no GitLab instance is watched")
		return nil
	}
	fm := &mirrorForm{instance: inst.Name, projects: slices.Clone(inst.Projects), pulls: map[string]bool{}}
	for _, g := range inst.Mirrors {
		if g.Direction == model.Pull {
			fm.pulls[g.Project] = true
		}
	}
	if project == "" && len(fm.projects) > 0 {
		project = fm.projects[0]
	}
	if !slices.Contains(fm.projects, project) {
		fm.projects = append(fm.projects, project)
	}
	names := make([]string, len(fm.projects))
	for i, p := range fm.projects {
		names[i] = model.Sanitize(p)
	}
	fm.fields = []*formField{
		choiceField("project", "Project", names, slices.Index(fm.projects, project), "space: next watched project"),
		choiceField("dir", "Direction", []string{string(model.Push), string(model.Pull)}, 0, "push: to a remote; pull: from an upstream (Premium)"),
		textField("url", "URL", "", "https://host/group/repo.git or ssh://git@host/…; no credentials here", lineLimit),
		choiceField("auth", "Authentication", []string{actions.AuthPassword, actions.AuthSSHKey}, 0, "ssh_public_key: GitLab makes a key pair, shown after"),
		textField("user", "User", "", "user name for the password or token", reasonLimit),
		secretField("password", "Password/token", "typed hidden; never shown, logged or audited"),
		boolField("enabled", "Enabled", true, "a new mirror is disabled unless this is on"),
		boolField("only", "Protected branches only", false, "off to use a branch regex"),
		boolField("keep", "Keep divergent refs", false, "skip refs that diverged on the remote"),
		boolField("overwrite", "Overwrite diverged branches", false, "local commits on them are lost"),
		boolField("trigger", "Trigger pipelines", false, "run pipelines for mirror updates"),
		textField("regex", "Branch regex", "", "mirror only matching branches (needs protected only off)", reasonLimit),
	}
	m.glForm = fm
	fm.setFocus(2)
	return nil
}

// openEditForm opens the form of a mirror's settings, filled from its
// readings: a push mirror's URL and authentication stay (GitLab's PUT
// takes no url); a pull mirror's may change, a blank password meaning
// unchanged while the URL and user stay (PlanGitLabEdit asks for it again
// otherwise).
func (m *Model) openEditForm(g *model.GitLabMirrorState) tea.Cmd {
	mirror := g.GitLabMirror
	s := actions.SettingsOf(&mirror)
	fm := &mirrorForm{instance: g.Instance, edit: &mirror}
	if g.Direction == model.Pull {
		fm.fields = append(fm.fields,
			textField("url", "URL", s.URL, "the upstream; credentials in their own fields", lineLimit),
			textField("user", "User", "", "blank: unchanged; a new user needs the password", reasonLimit),
			secretField("password", "Password/token", "blank: unchanged; required if URL or user change; typed hidden"))
	}
	fm.fields = append(fm.fields,
		boolField("enabled", "Enabled", s.Enabled, ""),
		boolField("only", "Protected branches only", s.OnlyProtected, "off to use a branch regex"),
		boolField("keep", "Keep divergent refs", s.KeepDivergent, "skip refs that diverged on the remote"),
		boolField("overwrite", "Overwrite diverged branches", s.Overwrite, "local commits on them are lost"),
		boolField("trigger", "Trigger pipelines", s.TriggerBuilds, ""),
		textField("regex", "Branch regex", s.BranchRegex, "needs protected branches only off", reasonLimit))
	m.glForm = fm
	fm.focus = 0
	if !fm.shown(fm.fields[0]) {
		fm.move(1)
	}
	fm.setFocus(fm.focus)
	return nil
}

// settings reads the form.
func (fm *mirrorForm) settings() actions.MirrorSettings {
	s := actions.MirrorSettings{AuthMethod: actions.AuthPassword,
		Enabled: fm.field("enabled").on, OnlyProtected: fm.field("only").on, BranchRegex: fm.field("regex").value()}
	if f := fm.field("url"); f != nil {
		s.URL = f.value()
	}
	if f := fm.field("auth"); f != nil && fm.dir() == model.Push {
		s.AuthMethod = f.value()
	}
	if fm.dir() == model.Push {
		s.KeepDivergent = fm.field("keep").on
	} else {
		s.Overwrite, s.TriggerBuilds = fm.field("overwrite").on, fm.field("trigger").on
	}
	if f := fm.field("user"); f != nil && fm.shown(f) {
		s.User = f.value()
	}
	if f := fm.field("password"); f != nil && fm.shown(f) {
		s.Password = f.input.Value()
	}
	return s
}

// handleFormKey routes a key to the mirror form.
func (m *Model) handleFormKey(k tea.KeyPressMsg) tea.Cmd {
	fm := m.glForm
	f := fm.fields[fm.focus]
	switch key := k.String(); key {
	case "ctrl+c":
		return m.quit()
	case "esc":
		m.glForm = nil
		m.setStatus(toneMuted, "cancelled: nothing was sent")
	case "tab", "down":
		fm.move(1)
	case "shift+tab", "up":
		fm.move(-1)
	case "enter":
		return m.submitForm()
	case "space", " ", "left", "right":
		switch f.kind {
		case fieldBool:
			f.on = !f.on
		case fieldChoice:
			step := 1
			if key == "left" {
				step = len(f.choices) - 1
			}
			f.idx = (f.idx + step) % len(f.choices)
		default:
			editField(&f.input, k)
		}
		fm.err = ""
	default:
		if f.kind == fieldText || f.kind == fieldSecret {
			editField(&f.input, k)
			fm.err = ""
		}
	}
	return nil
}

// submitForm checks the form and opens the confirmation of its plan; a
// problem stays in the form, and nothing is sent.
func (m *Model) submitForm() tea.Cmd {
	fm := m.glForm
	s := fm.settings()
	version := m.gitlabVersion(fm.instance).Raw // read by the poller (GET /version)
	var p actions.Plan
	var err error
	switch {
	case fm.edit != nil:
		p, _, err = actions.PlanGitLabEdit(fm.edit, version, s)
	case fm.dir() == model.Push:
		p, err = actions.PlanGitLabAddPush(fm.instance, fm.projects[fm.field("project").idx], s)
	default:
		project := fm.projects[fm.field("project").idx]
		if fm.pulls[project] {
			err = errors.New(model.Sanitize(project) + " has a pull mirror already: change it with m")
		} else {
			p, err = actions.PlanGitLabConfigurePull(fm.instance, project, version, s)
		}
	}
	if err != nil {
		fm.err = err.Error()
		return nil
	}
	m.glForm = nil
	m.confirm(p)
	return nil
}

// viewForm draws the mirror form over the pane area; the password field
// shows one mask character per typed one, never the text.
func (m *Model) viewForm(b *strings.Builder) {
	fm := m.glForm
	width := max(20, m.width-4)
	var title string
	var lines []string
	if fm.edit != nil {
		title = "Change the settings of the " + actions.MirrorLabel(fm.edit)
		if fm.edit.Direction == model.Push {
			lines = append(lines, "URL "+actions.StripUserInfo(fm.edit.URL)+" ("+cmp.Or(fm.edit.AuthMethod, actions.AuthPassword)+"; GitLab changes neither: delete the mirror and add it again to change them)")
		}
	} else {
		title = "Add a GitLab mirror (" + model.Sanitize(fm.instance) + ")"
		lines = append(lines, m.st.tone(toneMuted).Render("GitLab makes a new mirror disabled unless enabled=true is sent: Enabled is on by default."))
	}
	if v := m.gitlabVersion(fm.instance).Raw; v != "" {
		title += " · GitLab " + model.Sanitize(v)
	}
	for i, f := range fm.fields {
		if !fm.shown(f) {
			continue
		}
		mark := "  "
		if i == fm.focus {
			mark = "> "
		}
		var val string
		switch f.kind {
		case fieldBool:
			val = "[ ]"
			if f.on {
				val = "[x]"
			}
		case fieldChoice:
			val = "‹ " + f.choices[f.idx] + " ›"
		default:
			if i == fm.focus {
				val = m.fieldView(&f.input, max(10, width-32))
			} else if f.kind == fieldSecret {
				val = strings.Repeat("•", len([]rune(f.input.Value())))
			} else {
				val = f.input.Value()
			}
		}
		lines = append(lines, fmt.Sprintf("%s%-28s %s", mark, f.label, val))
	}
	if h := fm.fields[fm.focus].hint; h != "" {
		lines = append(lines, "  "+h)
	}
	if fm.err != "" {
		lines = append(lines, m.st.tone(toneBad).Render(m.st.glyphs[glyphWarn]+" "+fm.err))
	}
	lines = append(lines, m.st.tone(toneMuted).Render("tab/shift+tab field · space toggle · enter review · esc cancel"))
	m.line(b, "", nil)
	m.line(b, " │ "+m.st.title.Render(title), nil)
	for i := 0; i < m.pageHeight()-1; i++ {
		if i < len(lines) {
			m.line(b, " │ "+lines[i], nil)
		} else {
			m.line(b, "", nil)
		}
	}
}

// glKeyMsg is a new push mirror's public key, or why it is not shown.
type glKeyMsg struct {
	title, key string
	err        error
	status     int
}

// afterAddPush reads the public key of a push mirror just made with SSH
// authentication, to show it.
func (m *Model) afterAddPush(res actions.Result) tea.Cmd {
	if res.Plan.Kind != actions.KindGitLabAddPush || res.Outcome != actions.OutcomeDone || len(res.Steps) == 0 || len(res.Plan.Steps) == 0 {
		return nil
	}
	st := res.Plan.Steps[0]
	if body, ok := st.Call.Body.(map[string]any); !ok || body["auth_method"] != actions.AuthSSHKey {
		return nil
	}
	var created struct {
		ID int64 `json:"id"`
	}
	if json.Unmarshal(res.Steps[0].Body, &created) != nil || created.ID == 0 {
		return nil
	}
	r, ok := m.opt.Actions.(gitlabReader)
	if !ok {
		return nil
	}
	path := strings.TrimSuffix(st.Call.Path, "/remote_mirrors")
	title := res.Plan.Target + " " + strconv.FormatInt(created.ID, 10)
	return func() tea.Msg {
		body, err := r.GitLabGet(context.Background(), st.GitLab, path+"/remote_mirrors/"+strconv.FormatInt(created.ID, 10)+"/public_key")
		msg := glKeyMsg{title: title, err: err}
		var he *poller.HTTPError
		if errors.As(err, &he) {
			msg.status = he.Status
		}
		var k struct {
			PublicKey string `json:"public_key"`
		}
		if err == nil && json.Unmarshal(body, &k) == nil {
			msg.key = model.Sanitize(k.PublicKey)
		}
		return msg
	}
}

// showPublicKey opens the dialog with a new mirror's public key (y copies
// it), or says where GitLab shows it.
func (m *Model) showPublicKey(msg glKeyMsg) {
	d := &dialog{title: "SSH public key of the new " + msg.title, info: true}
	switch {
	case msg.key != "":
		d.lines = append(d.lines, "Install this key on the remote as a deploy key with write access:", "")
		width := max(20, m.width-8)
		for k := msg.key; k != ""; {
			n := min(len(k), width)
			d.lines = append(d.lines, "  "+k[:n])
			k = k[n:]
		}
		d.lines = append(d.lines, "", "y copies the key (OSC 52); any other key closes.")
		d.copy = msg.key
	case msg.status == http.StatusNotFound:
		d.lines = append(d.lines, "This GitLab has no API for the key (GitLab 17.9 and later have it).",
			"Find it in the project's Settings > Repository > Mirroring repositories: the mirror's \"Copy SSH public key\" button.",
			"Install it on the remote as a deploy key with write access.", "", "Any key closes.")
	default:
		d.lines = append(d.lines, "The public key could not be read: "+model.Sanitize(fmt.Sprint(msg.err)),
			"Find it in the project's Settings > Repository > Mirroring repositories, and install it on the remote as a deploy key with write access.", "", "Any key closes.")
	}
	m.dialog = d
}
