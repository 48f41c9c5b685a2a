package config

import "testing"

func TestNodeURLParsesAndExpands(t *testing.T) {
	c, err := Parse("config.toml", []byte("[primary]\nurl = \"https://p.example.com\"\n[[farm]]\nname = \"syd\"\nurl = \"https://syd.example.com\"\nnode_url = \" https://{name}.mirror.example.com:7990/ \"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.Farms[0].NodeURL; got != "https://{name}.mirror.example.com:7990/" {
		t.Errorf("node_url %q", got)
	}
	for _, tt := range []struct{ tmpl, name, host, want, err string }{
		{"https://{name}.mirror.example.com:7990", "syd-1", "10.0.0.1", "https://syd-1.mirror.example.com:7990", ""},
		{"http://{host}:7990/bitbucket/", "x", "10.0.0.7", "http://10.0.0.7:7990/bitbucket", ""},
		{"http://127.0.0.1:80/node/{name}", "eu_2.b", "", "http://127.0.0.1:80/node/eu_2.b", ""},
		{"http://lb/node/{name}", "..", "", "", `its name ".." is a path step`},
		{"https://{name}.example.com", "evil.com/x", "", "", `its name has '/', which could make the URL point elsewhere`},
		{"https://{name}.example.com", "a@evil.com", "", "", `its name has '@', which could make the URL point elsewhere`},
		{"https://{name}.example.com", "a?b", "", "", `its name has '?', which could make the URL point elsewhere`},
		{"https://{name}.example.com", "a#b", "", "", `its name has '#', which could make the URL point elsewhere`},
		{"https://{name}.example.com", "a b", "", "", `its name has ' ', which could make the URL point elsewhere`},
		{"https://{name}.example.com", "a\x1bb", "", "", `its name has '\x1b', which could make the URL point elsewhere`},
		{"https://{host}:7990", "a", "evil.com:1", "", `its address has ':', which could make the URL point elsewhere`},
		{"https://{host}:7990", "a", "", "", `its address is empty`},
	} {
		got, err := ExpandNodeURL(tt.tmpl, tt.name, tt.host)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if got != tt.want || msg != tt.err {
			t.Errorf("ExpandNodeURL(%q, %q, %q) = %q, %q; want %q, %q", tt.tmpl, tt.name, tt.host, got, msg, tt.want, tt.err)
		}
	}
}
