package model

import (
	"net/url"
	"strings"
	"testing"
)

func FuzzParseDivergedRefs(f *testing.F) {
	for _, s := range []string{
		"",
		"Some refs have diverged and have not been updated on the remote:\n\nrefs/heads/main\nrefs/heads/develop",
		"Some refs have diverged and have not been updated on the remote:\r\nrefs/heads/main\r\nrefs/tags/v1.0\r\n",
		"Some refs have diverged and have not been updated on the remote:\n  refs/heads/a b\n\trefs/heads/c\nnot-a-ref\nrefs/",
		"13:push failed. Some refs have diverged and have not been updated on the remote:\nrefs/heads/x",
		"The default branch (main) has diverged from its upstream counterpart and could not be updated automatically.",
		"The default branch (feature/with (parens)) has diverged",
		"The default branch () has diverged",
		"The default branch (main has diverged",
		"has diverged. The default branch (",
		"remote: GitLab: You are not allowed to force push code to a protected branch on this project.",
		"Some refs have diverged and have not been updated on the remote:",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, ref := range ParseDivergedRefs(in) {
			if !strings.HasPrefix(ref, "refs/") {
				t.Fatalf("ParseDivergedRefs(%q): ref %q does not start with refs/", in, ref)
			}
			if strings.Contains(ref, "\n") {
				t.Fatalf("ParseDivergedRefs(%q): ref %q contains a newline", in, ref)
			}
			if Sanitize(ref) != ref || strings.ContainsAny(ref, " \t") {
				t.Fatalf("ParseDivergedRefs(%q): ref %q is not safe to show", in, ref)
			}
		}
	})
}

// maskedAway returns the URL u without its user info, as text; a password
// found there was not in the user info alone, so its presence in the output
// says nothing about masking.
func maskedAway(u *url.URL) string {
	v := *u
	v.User = nil
	return v.String()
}

func FuzzMaskURL(f *testing.F) {
	for _, s := range []string{
		"",
		"https://gitlab.example.com/group/project.git",
		"https://user:hunter2@gitlab.example.com/group/project.git",
		"https://oauth2:glpat-AbCdEf123456@example.com/mirror.git",
		"https://*****:*****@gitlab.com/gitlab-org/security/gitlab.git",
		"ssh://git@example.com:2222/group/project.git",
		"ssh://git:s3cret@example.com/group/project.git",
		"ssh://deploy:pa%40ss%3Aword@example.com/x.git",
		"git@example.com:group/project.git",
		"http://u:p@[::1]:8080/x?y=z#frag",
		"//user:pw@host/path://odd",
		"https://user:p@ss@host/x",
		"https://user:%zz@host/x",
		"https://user:@host/x",
		"https://:onlypw@host/x",
		"https://us%20er:pass%2Fword@host/p%20ath",
		"mailto:user:pw@example.com",
		"https://user:pw@host/\x00",
	} {
		f.Add(s)
	}
	const mask = "*****:*****@"
	f.Fuzz(func(t *testing.T, in string) {
		out := MaskURL(in)
		u, err := url.Parse(in)
		if err != nil {
			if strings.Contains(in, "@") && out != "(URL hidden: it may hold credentials)" {
				t.Fatalf("MaskURL(%q) = %q: unparsable URL with @ not hidden", in, out)
			}
			return
		}
		if u.User == nil {
			return
		}
		pw, ok := u.User.Password()
		if !ok || pw == "" {
			return
		}
		rest := maskedAway(u)
		for _, secret := range []string{pw, url.PathEscape(pw), url.QueryEscape(pw)} {
			if strings.Contains(rest, secret) || strings.Contains(mask, secret) {
				continue // the same text is also outside the user info
			}
			if strings.Contains(out, secret) {
				t.Fatalf("MaskURL(%q) = %q: password %q is visible", in, out, secret)
			}
		}
	})
}
