package model

import "testing"

func TestSanitize(t *testing.T) {
	cases := map[string]string{
		"plain-repo":                                   "plain-repo",
		"café ünïcode 日本":                              "café ünïcode 日本",
		"red\x1b[31mtext\x1b[0m":                       "redtext",
		"title\x1b]0;pwned\x07after":                   "titleafter",
		"title2\x1b]2;pwned\x1b\\after":                "title2after",
		"link\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\": "linkx",
		"clip\x1b]52;c;aGVsbG8=\x07":                   "clip",
		"bell\x07back\bcr\rnl\n":                       "bellbackcr nl ",
		"bidi\u202eevil\u2066x\u2069":                  "bidievilx",
		"c1\u009b31mcsi":                               "c1csi",
		"bad\xffutf8":                                  "bad\ufffdutf8",
		"tab\tsep":                                     "tab sep",
		"dcs\x1bPq#0;2;0;0;0\x1b\\end":                 "dcsend",
		"cursor\x1b[2J\x1b[Hhome":                      "cursorhome",
		"unterminated\x1b]0;title":                     "unterminated",
		"esc-at-end\x1b":                               "esc-at-end",
	}
	for in, want := range cases {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRepoLabel(t *testing.T) {
	for _, c := range []struct{ project, slug, id, want string }{
		{"PLAT", "api", "1", "PLAT/api"},
		{"", "", "42", "#42"},
		{"P\x1b[2J", "s\x07", "1", "P/s"},
	} {
		if got := RepoLabel(c.project, c.slug, c.id); got != c.want {
			t.Errorf("RepoLabel(%q, %q, %q) = %q, want %q", c.project, c.slug, c.id, got, c.want)
		}
	}
}
