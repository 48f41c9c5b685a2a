package doctor

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// bbTarget is one Bitbucket server the checks look at.
type bbTarget struct {
	name   string // "primary", "eu", "eu/eu-1"
	url    string
	health model.Health
}

// servers lists the primary, each farm's own URL (when it is not also a
// node's) and each node.
func servers(s *model.State) []bbTarget {
	out := []bbTarget{}
	if s.Primary.URL != "" {
		out = append(out, bbTarget{"primary", s.Primary.URL, s.Primary.Endpoints})
	}
	for _, f := range s.Farms {
		own := true
		for _, n := range f.Nodes {
			if n.URL == f.URL {
				own = false
			}
		}
		if own && f.URL != "" {
			out = append(out, bbTarget{f.Name, f.URL, f.Endpoints})
		}
		for _, n := range f.Nodes {
			name := f.Name + "/" + n.Name
			if n.Name == f.Name {
				name = f.Name
			}
			out = append(out, bbTarget{name, n.URL, n.Endpoints})
		}
	}
	return out
}

// answered reports whether any endpoint of a target got an HTTP answer.
func answered(h model.Health) bool {
	for _, e := range h {
		if !e.LastOK.IsZero() || e.Status != 0 {
			return true
		}
	}
	return false
}

// lastErr returns the error of a failing endpoint, preferring /status.
func lastErr(h model.Health) string {
	if e := h[model.EPStatus]; e.Failing() {
		return e.Err
	}
	for _, e := range h {
		if e.Failing() {
			return e.Err
		}
	}
	return ""
}

func checkReachable(in *Input) []Check {
	var out []Check
	for _, t := range servers(in.State) {
		c := Check{Target: t.name, Check: CheckReach}
		sp, probed := in.Probes.Status[t.url]
		tp, hasTLS := in.Probes.TLS[t.url]
		switch {
		case probed && sp.Answered() && sp.Status < 300:
			c.Status, c.Message = OK, t.url+" answers (state "+cmpOr(sp.State, "unknown")+")"
		case probed && sp.Answered():
			c.Status, c.Message = Warn, t.url+" answers GET /status with HTTP "+strconv.Itoa(sp.Status)
			c.Fix = "the server is starting, stopping or in maintenance: wait, or check its logs"
		case probed && hasTLS && tp.Err == "":
			c.Status, c.Message = OK, t.url+" answers TLS (its certificate fails verification: see https)"
		case !probed && t.health[model.EPStatus].Failing() && t.health[model.EPStatus].Status == 0:
			c.Status, c.Message = Fail, t.url+" does not answer: "+t.health[model.EPStatus].Err
			c.Fix = "check the URL, DNS, the firewall and that Bitbucket runs on that host and port"
		case !probed && answered(t.health):
			c.Status, c.Message = OK, t.url+" answers"
		case !probed && len(t.health) == 0:
			c.Status, c.Message = Unknown, t.url+": not read yet"
		default:
			reason := sp.Err
			if !probed || reason == "" {
				reason = lastErr(t.health)
			}
			c.Status, c.Message = Fail, t.url+" does not answer: "+cmpOr(reason, "no answer")
			c.Fix = "check the URL, DNS, the firewall and that Bitbucket runs on that host and port"
		}
		out = append(out, c)
	}
	for _, g := range in.State.GitLab {
		c := Check{Target: "gitlab " + g.Name, Check: CheckReach}
		gp, probed := in.Probes.GitLab[g.Name]
		switch {
		case probed && (gp.TokenErr == "" || gp.TokenStatus != 0):
			c.Status, c.Message = OK, g.URL+" answers"
		case probed:
			c.Status, c.Message = Fail, g.URL+" does not answer: "+gp.TokenErr
			c.Fix = "check the URL, DNS and the firewall"
		case answered(g.Endpoints):
			c.Status, c.Message = OK, g.URL+" answers"
		default:
			c.Status, c.Message = Unknown, g.URL+": not read yet"
		}
		out = append(out, c)
	}
	return out
}

// loopback reports whether a URL's host is a loopback address.
func loopback(u string) bool {
	pu, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := pu.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// httpsCheck judges one URL's scheme and certificate. Smart Mirroring
// requires HTTPS with a valid certificate on the primary and every
// mirror; plain HTTP on a loopback address (a test setup such as the
// demo) is a warning rather than a failure.
func httpsCheck(in *Input, target, u string, expiry func() (tp TLSProbe, ok bool)) Check {
	c := Check{Target: target, Check: CheckHTTPS}
	if !strings.HasPrefix(strings.ToLower(u), "https://") {
		c.Message = u + " is plain HTTP: Smart Mirroring requires HTTPS with a valid certificate on the primary and every mirror"
		c.Fix = "serve Bitbucket over HTTPS (a CA-signed certificate) and use the https:// URL"
		c.Status = Fail
		if loopback(u) {
			c.Status = Warn
			c.Message += " (loopback: a test setup)"
		}
		return c
	}
	tp, ok := expiry()
	days := func() int { return int(tp.Expiry.Sub(in.Now).Hours() / 24) }
	switch {
	case !ok:
		c.Status, c.Message = Unknown, u+": certificate not read yet"
	case tp.Err != "":
		c.Status, c.Message = Unknown, u+": no TLS handshake: "+tp.Err
	case tp.Problem == TLSExpired:
		c.Status = Fail
		c.Message = fmt.Sprintf("certificate expired %s (%d days ago)", tp.Expiry.Format("2006-01-02"), -days())
		c.Fix = "renew the certificate: mirrors refuse an expired one"
	case tp.Problem == TLSWrongName:
		c.Status, c.Message = Fail, "certificate does not match the host name: "+tp.Detail
		c.Fix = "use a certificate whose names include the host in " + u + ", or the URL of a name it has"
	case tp.Problem == TLSUnknownIssuer:
		c.Status, c.Message = Fail, "certificate signed by an unknown authority (self-signed or a private CA)"
		c.Fix = "Smart Mirroring needs a CA-signed certificate the other side trusts; for mirrortop alone, set ca_file"
	case tp.Problem != "":
		c.Status, c.Message = Fail, "certificate "+tp.Problem+": "+tp.Detail
		c.Fix = "replace the certificate"
	case in.Settings.CertDays > 0 && days() < in.Settings.CertDays:
		c.Status = Warn
		c.Message = fmt.Sprintf("certificate valid, expires in %d days (%s)", days(), tp.Expiry.Format("2006-01-02"))
		c.Fix = "renew the certificate before it expires"
	default:
		c.Status = OK
		c.Message = fmt.Sprintf("certificate valid, expires in %d days (%s)", days(), tp.Expiry.Format("2006-01-02"))
	}
	return c
}

func checkHTTPS(in *Input) []Check {
	var out []Check
	for _, t := range servers(in.State) {
		out = append(out, httpsCheck(in, t.name, t.url, func() (TLSProbe, bool) {
			if tp, ok := in.Probes.TLS[t.url]; ok {
				return tp, true
			}
			// Without a probe, what the poll saw: an expiry, or a TLS error.
			if exp := certExpiry(in.State, t.url); !exp.IsZero() {
				return TLSProbe{Expiry: exp}, true
			}
			if e := lastErr(t.health); strings.Contains(e, "TLS") {
				return TLSProbe{Problem: tlsProblemOf(e), Detail: e}, true
			}
			return TLSProbe{}, false
		}))
	}
	return out
}

// certExpiry is the certificate expiry the poll recorded for a URL.
func certExpiry(s *model.State, u string) (t time.Time) {
	if s.Primary.URL == u {
		return s.Primary.CertExpiry
	}
	for _, f := range s.Farms {
		if f.URL == u && !f.CertExpiry.IsZero() {
			return f.CertExpiry
		}
		for _, n := range f.Nodes {
			if n.URL == u {
				return n.CertExpiry
			}
		}
	}
	return t
}

// tlsProblemOf reads the problem out of a poller error text.
func tlsProblemOf(e string) string {
	switch {
	case strings.Contains(e, "expired"):
		return TLSExpired
	case strings.Contains(e, "host name"):
		return TLSWrongName
	case strings.Contains(e, "unknown authority"):
		return TLSUnknownIssuer
	}
	return "invalid"
}

// authTarget is one target whose credentials are judged together: the
// primary, or a farm with its nodes.
type authTarget struct {
	name    string
	healths []model.Health
}

func checkAuth(in *Input) []Check {
	var ts []authTarget
	if in.State.Primary.URL != "" {
		ts = append(ts, authTarget{name: "primary", healths: []model.Health{in.State.Primary.Endpoints}})
	}
	for _, f := range in.State.Farms {
		t := authTarget{name: f.Name, healths: []model.Health{f.Endpoints}}
		for _, n := range f.Nodes {
			t.healths = append(t.healths, n.Endpoints)
		}
		ts = append(ts, t)
	}
	var out []Check
	for _, t := range ts {
		c := Check{Target: t.name, Check: CheckAuth}
		refused, worst, authOK := 0, 0, false
		for _, h := range t.healths {
			for ep, e := range h {
				if e.Failing() {
					if st := model.AuthStatus(e.Status, e.Err); st != 0 {
						refused++
						if worst != 401 {
							worst = st
						}
					}
				} else if ep != model.EPStatus && !e.LastOK.IsZero() {
					authOK = true
				}
			}
		}
		switch {
		case worst == 401:
			c.Status, c.Message = Fail, fmt.Sprintf("%s (%d endpoints)", model.AuthMessage(401), refused)
			c.Fix = "check the token or password (an expired HTTP access token, a locked or renamed user); a farm without [farm.auth] uses the primary's"
		case worst == 403:
			c.Status, c.Message = Fail, fmt.Sprintf("%s (%d endpoints)", model.AuthMessage(403), refused)
			c.Fix = "use the credentials of a user with ADMIN (or SYS_ADMIN) permission on the primary"
		case authOK:
			c.Status, c.Message = OK, "credentials accepted; the mirroring resources answer"
		default:
			c.Status, c.Message = Unknown, "no authenticated resource answered (see reachable)"
		}
		out = append(out, c)
	}
	return out
}

// parseVersion reads "major.minor" of a version string.
func parseVersion(v string) (major, minor int, ok bool) {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	a, err1 := strconv.Atoi(parts[0])
	b, err2 := strconv.Atoi(strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	return a, b, err1 == nil && err2 == nil
}

// versionCheck judges one version against Smart Mirroring's 4.2 minimum.
func versionCheck(target, v, primary string) Check {
	c := Check{Target: target, Check: CheckVersion}
	major, minor, ok := parseVersion(v)
	switch {
	case v == "":
		c.Status, c.Message = Unknown, "version not read (application-properties did not answer)"
	case !ok:
		c.Status, c.Message = Unknown, "version "+v+" not understood"
	case major < 4 || major == 4 && minor < 2:
		c.Status, c.Message = Fail, "Bitbucket "+v+": Smart Mirroring needs 4.2 or later"
		c.Fix = "upgrade to a supported Bitbucket Data Center version"
	default:
		c.Status, c.Message = OK, "Bitbucket "+v
		if pm, _, pok := parseVersion(primary); pok && target != "primary" && pm != major {
			c.Status = Warn
			c.Message += " while the primary runs " + primary
			c.Fix = "upgrade the primary and its mirrors to the same major version"
		}
	}
	return c
}

func checkVersions(in *Input) []Check {
	s := in.State
	var out []Check
	if s.Primary.URL != "" {
		out = append(out, versionCheck("primary", s.Primary.Version, ""))
	}
	for _, f := range s.Farms {
		for _, n := range f.Nodes {
			name := f.Name + "/" + n.Name
			if n.Name == f.Name {
				name = f.Name
			}
			out = append(out, versionCheck(name, n.Version, s.Primary.Version))
		}
		c := Check{Target: f.Name, Check: CheckLayout}
		switch f.Layout {
		case model.Layout9:
			c.Status, c.Message = OK, "9.x mirror API (/upstreamServer)"
		case model.Layout8:
			c.Status, c.Message = OK, "8.x mirror API (/upstreamServers/{id})"
		default:
			c.Status, c.Message = Unknown, "the mirror API did not answer"
		}
		out = append(out, c)
	}
	return out
}

func checkSSH(in *Input) []Check {
	if in.State.Primary.URL == "" {
		return nil
	}
	c := Check{Target: "primary", Check: CheckSSH}
	sp := in.Probes.SSH
	switch {
	case sp == nil:
		c.Status, c.Message = Unknown, "not asked (the console asks when the checks open)"
	case sp.Err == "" && sp.Enabled:
		c.Status, c.Message = OK, "SSH access for Git is on"
		if sp.Port > 0 {
			c.Message += " (port " + strconv.Itoa(sp.Port) + ")"
		}
	case sp.Err == "":
		c.Status, c.Message = Fail, "SSH access for Git is off on the primary: mirrors sync over SSH"
		c.Fix = "turn SSH access on in the primary's Server settings"
	case sp.Status == 404:
		c.Status, c.Message = Unknown, "this Bitbucket has no /rest/ssh/latest/settings: check SSH by hand"
	default:
		c.Status, c.Message = Unknown, "cannot read the SSH settings: "+sp.Err
	}
	return []Check{c}
}

func norm(u string) string { return strings.ToLower(strings.TrimRight(u, "/")) }

func checkMirrorURLs(in *Input) []Check {
	s := in.State
	if s.Primary.URL == "" {
		return nil
	}
	var out []Check
	if e := s.Primary.Endpoints[model.EPMirrorServers]; e == nil || e.LastOK.IsZero() {
		reason := "not read"
		if e.Failing() {
			reason = e.Err
		}
		return []Check{{Target: "primary", Check: CheckMirrorURL, Status: Unknown, Message: "the mirror servers could not be read: " + reason}}
	}
	matched := map[string]bool{}
	for _, ms := range s.Primary.MirrorServers {
		name := model.Sanitize(ms.Name)
		c := Check{Target: name, Check: CheckMirrorURL}
		var farm *model.Farm
		for _, f := range s.Farms {
			if norm(f.URL) == norm(ms.BaseURL) {
				farm = f
			}
			for _, n := range f.Nodes {
				if norm(n.URL) == norm(ms.BaseURL) {
					farm = f
				}
			}
		}
		byName := s.Farm(name)
		if farm == nil && byName != nil {
			matched[byName.Name] = true
			c.Status = Warn
			c.Message = "the primary knows this mirror as " + ms.BaseURL + " but it is configured at " + byName.URL
			c.Fix = "point the farm at the base URL the primary knows (a mirror's base URL cannot change)"
			out = append(out, c)
			continue
		}
		switch {
		case !strings.HasPrefix(strings.ToLower(ms.BaseURL), "https://"):
			c.Status = Fail
			if loopback(ms.BaseURL) {
				c.Status = Warn
			}
			c.Message = "base URL " + ms.BaseURL + " is not HTTPS"
			c.Fix = "a mirror's base URL must be HTTPS"
		case farm == nil && !ms.Enabled:
			c.Status, c.Message = OK, "base URL "+ms.BaseURL+" (disabled on the primary; not watched)"
		case farm == nil && in.Settings.DiscoverFarms:
			c.Status, c.Message = Warn, "base URL "+ms.BaseURL+" is not watched (discovery left it out)"
		case farm == nil:
			c.Status, c.Message = Warn, "base URL "+ms.BaseURL+" is not configured and discovery is off"
			c.Fix = "add a [[farm]] for it, or turn discover_farms on"
		case farm.Discovered:
			c.Status, c.Message = OK, "base URL "+ms.BaseURL+", watched through discovery"
		default:
			c.Status, c.Message = OK, "base URL "+ms.BaseURL+" is the configured farm "+farm.Name
		}
		if farm != nil {
			matched[farm.Name] = true
			c.Target = farm.Name
		}
		out = append(out, c)
	}
	for _, f := range s.Farms {
		if !matched[f.Name] && !f.Discovered {
			out = append(out, Check{Target: f.Name, Check: CheckMirrorURL, Status: Warn,
				Message: "the primary does not list this farm (" + f.URL + ") among its mirrors",
				Fix:     "check the farm's URL, or that the mirror is registered with this primary"})
		}
	}
	return out
}

func checkGitLab(in *Input) []Check {
	var out []Check
	for _, g := range in.State.GitLab {
		target := "gitlab " + g.Name
		gp, ok := in.Probes.GitLab[g.Name]
		if !ok {
			out = append(out, Check{Target: target, Check: CheckToken, Status: Unknown, Message: "not asked"})
			continue
		}
		tok := Check{Target: target, Check: CheckToken}
		scope := Check{Target: target, Check: CheckScope}
		switch {
		case gp.TokenStatus == 401:
			tok.Status, tok.Message = Fail, "the token is refused (HTTP 401): wrong, revoked or expired"
			tok.Fix = "create a new token (read_api to watch, api to act) and set GITLAB_TOKEN or token_env/_file/_command"
			out = append(out, tok)
			continue
		case gp.TokenErr != "" && gp.TokenStatus == 0:
			out = append(out, Check{Target: target, Check: CheckToken, Status: Unknown, Message: "no answer: " + gp.TokenErr})
			continue
		case gp.TokenErr != "":
			tok.Status, tok.Message = Unknown, "the token's scopes cannot be read (HTTP "+strconv.Itoa(gp.TokenStatus)+"): not a personal, project or group access token?"
			scope.Status, scope.Message = Unknown, "unknown: read_api is needed to watch, api to act"
		default:
			t := gp.Token
			switch {
			case t.Revoked || !t.Active:
				tok.Status, tok.Message = Fail, "the token is revoked or inactive"
				tok.Fix = "create a new token"
			case !t.ExpiresAt.IsZero() && in.Settings.CertDays > 0 && t.ExpiresAt.Sub(in.Now).Hours()/24 < float64(in.Settings.CertDays):
				tok.Status = Warn
				tok.Message = fmt.Sprintf("the token expires in %d days (%s)", int(t.ExpiresAt.Sub(in.Now).Hours()/24), t.ExpiresAt.Format("2006-01-02"))
				tok.Fix = "rotate the token before it expires"
			default:
				tok.Status, tok.Message = OK, "the token is valid"
				if !t.ExpiresAt.IsZero() {
					tok.Message += ", expires " + t.ExpiresAt.Format("2006-01-02")
				}
			}
			has := map[string]bool{}
			for _, s := range t.Scopes {
				has[s] = true
			}
			list := strings.Join(t.Scopes, ", ")
			switch {
			case has["api"]:
				scope.Status, scope.Message = OK, "scopes "+list+": watches and acts"
			case has["read_api"] && in.Settings.ReadOnly:
				scope.Status, scope.Message = OK, "scopes "+list+": read_api is enough read-only"
			case has["read_api"]:
				scope.Status, scope.Message = Warn, "scopes "+list+": read_api watches, but syncing or resolving a mirror needs api"
				scope.Fix = "give the token the api scope, or run read-only"
			default:
				scope.Status, scope.Message = Fail, "scopes "+cmpOr(list, "none")+": watching needs read_api (acting needs api)"
				scope.Fix = "create a token with read_api (or api)"
			}
		}
		out = append(out, tok, scope)
		out = append(out, pullCheck(target, gp))
	}
	return out
}

// pullCheck says whether the pull-mirror API (GitLab Premium or Ultimate,
// 15.6 and later) answers for a watched project.
func pullCheck(target string, gp GitLabProbe) Check {
	c := Check{Target: target, Check: CheckPull}
	switch {
	case gp.Project == "":
		c.Status, c.Message = Unknown, "no watched project to ask"
	case gp.ProjectStatus == 404:
		c.Status, c.Message = Warn, "project "+gp.Project+" not found (or not visible to the token)"
		c.Fix = "check the project path and the token user's membership"
	case gp.PullStatus == 200 || gp.PullStatus == 400:
		c.Status, c.Message = OK, "the pull-mirror API answers (project "+gp.Project+")"
	case gp.PullStatus == 404:
		c.Status = Warn
		c.Message = "GET /projects/:id/mirror/pull is 404 on " + gp.Project + ": pull mirrors need GitLab Premium or Ultimate (and 15.6 or later)"
		c.Fix = "pull mirrors are not watched on this GitLab; push mirrors are"
	case gp.PullStatus == 401 || gp.PullStatus == 403:
		c.Status = Warn
		c.Message = "the pull-mirror API refuses the token on " + gp.Project + " (HTTP " + strconv.Itoa(gp.PullStatus) + "): it needs a Maintainer"
		c.Fix = "use a token of a Maintainer of the watched projects"
	default:
		c.Status, c.Message = Unknown, "no answer: "+gp.PullErr
	}
	return c
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// nodeTarget names a node as the other checks do: "eu/eu-1", or the farm
// alone when the farm's own URL stands for its only node.
func nodeTarget(f *model.Farm, n *model.Node) string {
	if n.Name == f.Name {
		return f.Name
	}
	return f.Name + "/" + n.Name
}

// checkClock compares each node's clock with the primary's, from the Date
// headers of their answers: past MaxClockSkew (30 s by default) a mirror
// cannot authenticate to the primary, and its syncs stall or lag.
func checkClock(in *Input) []Check {
	s := in.State
	if s.Primary.URL == "" {
		return nil
	}
	limit := in.Settings.MaxClockSkew
	var out []Check
	for _, f := range s.Farms {
		for _, n := range f.Nodes {
			c := Check{Target: nodeTarget(f, n), Check: CheckClock}
			skew, ok := s.ClockSkew(n)
			switch {
			case !ok:
				c.Status, c.Message = Unknown, "clock not compared: no Date header from it and the primary"
			case limit > 0 && (skew > limit || -skew > limit):
				c.Status = Fail
				c.Message = fmt.Sprintf("clock %s the primary's: past %s a mirror cannot authenticate to the primary, so its syncs stall or lag",
					skewWords(skew), model.ShortDuration(limit))
				c.Fix = "synchronise the clocks of the primary and every mirror node (NTP)"
			case skew == 0:
				c.Status, c.Message = OK, "clock agrees with the primary's"
			default:
				c.Status, c.Message = OK, "clock "+skewWords(skew)+" the primary's"
			}
			out = append(out, c)
		}
	}
	return out
}

// skewWords says a skew in words: "45s ahead of", "2m behind".
func skewWords(d time.Duration) string {
	if d < 0 {
		return model.ShortDuration(-d) + " behind"
	}
	return model.ShortDuration(d) + " ahead of"
}

// checkMembers compares the nodes polled with the farm's membership (its
// /status memberCount and /farmNodes): members that are not polled at
// their own URL are neither seen up nor down.
func checkMembers(in *Input) []Check {
	var out []Check
	for _, f := range in.State.Farms {
		h := f.Health()
		c := Check{Target: f.Name, Check: CheckMembers}
		var missing []string
		for _, mb := range f.Members() {
			if !mb.Polled {
				missing = append(missing, mb.Name)
			}
		}
		switch {
		case h.NodesTotal == 0:
			c.Status, c.Message = Unknown, "membership not read (no node answered /status or /farmNodes)"
		case h.NodesPolled < h.NodesTotal:
			c.Status = Warn
			c.Message = fmt.Sprintf("%d of %d members polled", h.NodesPolled, h.NodesTotal)
			if len(missing) > 0 {
				c.Message += "; not polled: " + strings.Join(missing, ", ")
			}
			c.Fix = "list each node's own HTTP URL under [[farm.node]], or set node_url so that every /farmNodes member is polled"
		default:
			c.Status, c.Message = OK, fmt.Sprintf("all %d members polled at their own URL", h.NodesTotal)
		}
		out = append(out, c)
	}
	return out
}

// checkDiagnostics says whether each farm answers the 9.x out-of-sync
// diagnostics. Off is Bitbucket's default and not a fault: mirrortop then
// explains out-of-sync repositories from the queue, locks and hashes.
func checkDiagnostics(in *Input) []Check {
	var out []Check
	for _, f := range in.State.Farms {
		c := Check{Target: f.Name, Check: CheckDiag, Status: OK}
		switch f.Diagnostics {
		case model.DiagnosticsOn:
			c.Message = "on: the farm lists its out-of-sync repositories"
		case model.DiagnosticsOff:
			c.Message = model.DiagnosticsOffText + " (plugin.mirroring.repository.diagnostics.sync.enabled=true on the mirror turns it on; mirrortop explains out-of-sync repositories without it)"
		case model.DiagnosticsUnsupported:
			c.Message = "not in this farm's API (out-of-sync-repos is 9.x)"
		default:
			c.Status, c.Message = Unknown, "not read (no node answered out-of-sync-repos)"
		}
		out = append(out, c)
	}
	return out
}
