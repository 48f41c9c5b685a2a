package themes

import (
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, name := range Builtin() {
		if b, err := builtin.ReadFile(name + ".toml"); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"",
		"name = \"mine\"\n[colors]\ntext = \"#1e90ff\"\nmuted = \"#abc\"\nok = \"default\"\nbad = \"255\"\n",
		"\ufeffname = \"bom\"\n[colors]\ntext = \"0\"\n",
		"name = \"   \"\ndescription = \"blank name\"\n",
		"[colors]\ntext = \"256\"\n",
		"[colors]\ntext = \"007\"\nmuted = \"-1\"\naccent = \"#12345\"\nok = \"#ggg\"\nwarn = \"DEFAULT\"\nbad = \" 1\"\n",
		"[colors]\ntext = 7\nmuted = true\naccent = [\"1\"]\nok = {r = 1}\n",
		"[colors]\nbogus = \"1\"\ntext = \"1\"\n",
		"colors = \"red\"\n",
		"colors.text = \"1\"\ncolors.\"selected_bg\" = \"#000\"\n",
		"[colors]\ntext = \"\"\"\n1\"\"\"\n",
		"name = 5\nextra = 1\n",
		"[colors\ntext = \"1\"\n",
		"[[colors]]\ntext = \"1\"\n",
		"description = '''\nmulti\nline'''\n[colors]\nheader_fg = \"#FFF\"\nheader_bg = \"#000000\"\nalert_fg = \"15\"\nalert_bg = \"0\"\n",
	} {
		f.Add([]byte(s))
	}
	const file = "fuzz.toml"
	f.Fuzz(func(t *testing.T, data []byte) {
		th, err := Parse(file, data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), file) {
				t.Errorf("error %q does not name %s", err, file)
			}
			return
		}
		for _, k := range colorKeys {
			// Colours left out stay "" (Load fills them in); every
			// colour given must be valid.
			if c := *k.field(&th.Colors); c != "" && !ValidColor(c) {
				t.Errorf("colour %s = %q is not valid", k.key, c)
			}
		}
		if strings.TrimSpace(th.Name) == "" {
			t.Errorf("theme has no name")
		}
	})
}
