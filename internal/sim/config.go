package sim

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// ConfigTOML returns a mirrortop configuration pointing at this simulator:
// the primary (with its credentials when authentication is configured),
// every farm with its load balancer, sync interval and nodes (or, for a
// farm with DiscoverNodes, a node_url template through its load balancer's
// /node/{name} paths), and, when
// Options.GitLab is set, a [[gitlab]] table for the GitLab instance with
// its token and top-level groups. With Options.TLS the URLs are https://
// ones and ca_file names CAFile on [primary] (the farms inherit it) and on
// [[gitlab]].
func (s *Sim) ConfigTOML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# mirrortop config for the simulator at %s\n", s.Now().Format(time.RFC3339))
	b.WriteString("[primary]\n")
	fmt.Fprintf(&b, "url = %s\n", tomlString(s.PrimaryURL()))
	if ca := s.CAFile(); ca != "" {
		fmt.Fprintf(&b, "ca_file = %s\n", tomlString(ca))
	}
	switch {
	case s.opts.User != "":
		b.WriteString("[primary.auth]\n")
		b.WriteString("type = \"basic\"\n")
		fmt.Fprintf(&b, "user = %s\n", tomlString(s.opts.User))
		fmt.Fprintf(&b, "password = %s\n", tomlString(s.opts.Password))
	case s.opts.Token != "":
		b.WriteString("[primary.auth]\n")
		b.WriteString("type = \"bearer\"\n")
		fmt.Fprintf(&b, "token = %s\n", tomlString(s.opts.Token))
	}
	for _, f := range s.Farms() {
		b.WriteString("\n[[farm]]\n")
		fmt.Fprintf(&b, "name = %s\n", tomlString(f.Name))
		fmt.Fprintf(&b, "url = %s\n", tomlString(f.URL))
		fmt.Fprintf(&b, "sync_interval = %s\n", tomlString(s.opts.SyncInterval.String()))
		if s.farmByName[f.Name].spec.DiscoverNodes {
			fmt.Fprintf(&b, "node_url = %s\n", tomlString(f.URL+nodePathPrefix+"{name}"))
			continue
		}
		for _, n := range f.Nodes {
			b.WriteString("\n[[farm.node]]\n")
			fmt.Fprintf(&b, "name = %s\n", tomlString(n.Name))
			fmt.Fprintf(&b, "url = %s\n", tomlString(n.URL))
		}
	}
	if s.gl != nil {
		b.WriteString("\n[[gitlab]]\n")
		fmt.Fprintf(&b, "name = %s\n", tomlString(glTarget))
		fmt.Fprintf(&b, "url = %s\n", tomlString(s.GitLabURL()))
		if ca := s.CAFile(); ca != "" {
			fmt.Fprintf(&b, "ca_file = %s\n", tomlString(ca))
		}
		if s.gl.opts.Token != "" {
			fmt.Fprintf(&b, "token = %s\n", tomlString(s.gl.opts.Token))
		}
		fmt.Fprintf(&b, "groups = [%s, %s]\n", tomlString("platform"), tomlString("data"))
		b.WriteString("include_subgroups = true\n")
	}
	return b.String()
}

// WriteConfig writes ConfigTOML to path with mode 0600 (also when the file
// already existed with another mode).
func (s *Sim) WriteConfig(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(s.ConfigTOML()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// tomlString quotes v as a TOML basic string.
func tomlString(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
