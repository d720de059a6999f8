package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	c, err := Load(write(t, `{"data_dir": "/tmp/x", "sweep_interval": "30s",
		"tokens": [{"name": "a", "token": "0123456789abcdef", "role": "platform_admin"}],
		"listen": "0.0.0.0:9000"}`))
	if err != nil {
		t.Fatalf("Load = %v", err)
	}
	if c.DataDir != "/tmp/x" || time.Duration(c.SweepInterval) != 30*time.Second || c.Retention.BCCMessages != "30d" {
		t.Errorf("Load = %+v", c)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name, body string
	}{
		{"unknown key", `{"listn": "127.0.0.1:1"}`},
		{"public listen without auth", `{"listen": "0.0.0.0:50051"}`},
		{"bad duration", `{"sweep_interval": 30}`},
		{"bad url", `{"public_base_url": "ftp://x"}`},
		{"bad token", `{"tokens": [{"name": "a", "role": "business"}]}`},
		{"negative retention", `{"retention": {"bcc_messages": "-1d"}}`},
		{"retention in hours", `{"retention": {"invitations": "72h"}}`},
		{"bad log level", `{"log_level": "loud"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Load(write(t, tt.body)); !errors.Is(err, ErrInvalid) {
				t.Errorf("Load(%s) = %v, want ErrInvalid", tt.body, err)
			}
		})
	}
}
