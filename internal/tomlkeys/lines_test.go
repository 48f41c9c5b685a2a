package tomlkeys

import "testing"

func TestLineIndex(t *testing.T) {
	const text = `# top
read_only = true
poll.fast = "1s"

[primary]
url = "https://a"
auth = { type = "bearer",
         token_env = "T" }

[[farm]]
name = 'a'
description = """
[[farm]]
name = "fake"
"""

[[farm.node]]
name = "a1"

[[farm.node]]
"name" = "a2"

[farm.auth]
user = "u"

[[farm]]
name = "b"
tags = [ "x",
  "y" ]

[[farm.node]]
name = "b1"
`
	ix := Index(text)
	want := map[string]int{
		"read_only":               2,
		"poll":                    3,
		"poll.fast":               3,
		"primary":                 5,
		"primary.url":             6,
		"primary.auth":            7,
		"primary.auth.type":       7,
		"primary.auth.token_env":  8,
		"farm":                    10,
		"farm[1]":                 10,
		"farm[1].name":            11,
		"farm[1].description":     12,
		"farm[1].node[1]":         17,
		"farm[1].node[1].name":    18,
		"farm[1].node[2].name":    21,
		"farm[1].auth":            23,
		"farm[1].auth.user":       24,
		"farm[2]":                 26,
		"farm[2].name":            27,
		"farm[2].tags[2]":         29,
		"farm[2].node[1].name":    32,
		"farm[3]":                 0,
		"farm[1].node[3]":         0,
		"farm[2].node[2]":         0,
		"farm[1].description.foo": 0,
	}
	for key, line := range want {
		if got := ix.Exact(key); got != line {
			t.Errorf("line of %s = %d, want %d", key, got, line)
		}
	}
	for key, line := range map[string]int{
		"farm[2].node[1].url": 31,
		"farm[2].url":         26,
		"primary.auth.user":   7,
		"poll.slow":           3,
		"nothing.here":        0,
	} {
		if got := ix.Line(key); got != line {
			t.Errorf("nearest line of %s = %d, want %d", key, got, line)
		}
	}
}
