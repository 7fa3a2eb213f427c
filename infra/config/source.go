package config

import (
	"encoding/json"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type contextSource struct{ ctx *pulumi.Context }

// ContextConfig reads configuration from the running Pulumi program. The Go language host
// passes the whole configuration in PULUMI_CONFIG, which lets LoadConfig reject unknown keys;
// where that variable is absent (inline Automation API programs) only declared keys are read.
func ContextConfig(ctx *pulumi.Context) ConfigSource { return contextSource{ctx} }

func (s contextSource) Project() string               { return s.ctx.Project() }
func (s contextSource) Stack() string                 { return s.ctx.Stack() }
func (s contextSource) Get(key string) (string, bool) { return s.ctx.GetConfig(key) }
func (s contextSource) IsSecret(key string) bool      { return s.ctx.IsConfigSecret(key) }
func (s contextSource) Keys() []string {
	var all map[string]string
	if err := json.Unmarshal([]byte(os.Getenv(pulumi.EnvConfig)), &all); err != nil {
		return nil
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	return keys
}

// ConfigSource is where stack configuration comes from: the Pulumi context in a real run,
// a map in tests.
type ConfigSource interface {
	Project() string
	Stack() string
	// Get returns a key's raw value (structured values arrive as JSON text).
	Get(key string) (string, bool)
	IsSecret(key string) bool
	// Keys lists every configured key, or returns nil when the runtime cannot list them.
	Keys() []string
}
