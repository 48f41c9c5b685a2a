package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestREADMEExampleParses keeps the README's configuration example true.
func TestREADMEExampleParses(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## Configuration")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	_, rest, ok = strings.Cut(rest, "```toml\n")
	if !ok {
		t.Fatal("no toml example in the Configuration section")
	}
	example, _, _ := strings.Cut(rest, "```")
	cfg, err := Parse("README.md", []byte(example))
	if err != nil {
		t.Fatalf("README example: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("README example: %v", err)
	}
	if len(cfg.Farms) != 2 || cfg.Farms[0].Name != "eu" || len(cfg.Farms[0].Nodes) != 2 || cfg.UI.FPS != 20 || cfg.Alerts.MaxQueue != 500 {
		t.Errorf("README example parsed to %+v", cfg)
	}
	if cfg.Serve.SSHListen != ":2222" || cfg.Serve.HTTPListen != "127.0.0.1:8080" || cfg.Serve.MaxSessions != 50 || cfg.Serve.IdleTimeout != 30*time.Minute {
		t.Errorf("README example [serve] parsed to %+v", cfg.Serve)
	}
	if got := cfg.Keys["refresh"]; len(got) != 2 || got[1] != "f5" {
		t.Errorf("keys %v", cfg.Keys)
	}
}
