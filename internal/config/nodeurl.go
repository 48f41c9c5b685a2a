package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// The placeholders of a node URL template: a /farmNodes member's name and
// the host of its cluster address.
const (
	PlaceholderName = "{name}"
	PlaceholderHost = "{host}"
)

// CheckNodeURL returns why a node URL template cannot make node URLs, or
// "": it must use {name} or {host} (else every member gets the same URL),
// no other placeholder, and make an absolute http(s) URL without
// credentials, query or fragment.
func CheckNodeURL(tmpl string) string {
	rest := strings.NewReplacer(PlaceholderName, "", PlaceholderHost, "").Replace(tmpl)
	if i := strings.IndexAny(rest, "{}"); i >= 0 {
		if j := strings.IndexByte(rest[i:], '}'); rest[i] == '{' && j > 0 {
			return fmt.Sprintf("unknown placeholder %s; use {name} (the member's name) or {host} (the host of its address)", rest[i:i+j+1])
		}
		return "has an unmatched brace; the placeholders are {name} and {host}"
	}
	if rest == tmpl {
		return "has no {name} or {host}: every member would get the same URL"
	}
	u, err := ExpandNodeURL(tmpl, "node-1", "node-1.example.com")
	if err != nil {
		return err.Error()
	}
	if msg := checkURL(u); msg != "" {
		return msg
	}
	return ""
}

// ExpandNodeURL makes a member's node URL from a template, refusing a name
// or host that would make it point elsewhere: only letters, digits, '-',
// '.' and '_' are taken (no '/', '@', ':', '?', '#', '%', spaces or
// control characters), and not "." or "..".
func ExpandNodeURL(tmpl, name, host string) (string, error) {
	if strings.Contains(tmpl, PlaceholderName) {
		if msg := unsafeLabel(name); msg != "" {
			return "", errors.New("its name " + msg)
		}
	}
	if strings.Contains(tmpl, PlaceholderHost) {
		if msg := unsafeLabel(host); msg != "" {
			return "", errors.New("its address " + msg)
		}
	}
	s := strings.NewReplacer(PlaceholderName, name, PlaceholderHost, host).Replace(tmpl)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", errors.New("does not make an absolute http(s) URL")
	}
	return strings.TrimRight(s, "/"), nil
}

// unsafeLabel says why s cannot go into a URL template, or "".
func unsafeLabel(s string) string {
	switch {
	case s == "":
		return "is empty"
	case s == "." || s == "..":
		return fmt.Sprintf("%q is a path step", s)
	}
	for _, r := range s {
		ok := r == '-' || r == '.' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return fmt.Sprintf("has %q, which could make the URL point elsewhere", r)
		}
	}
	return ""
}
