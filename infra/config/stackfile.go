package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"gopkg.in/yaml.v3"
)

// ReadStackFile reads dir/Pulumi.<stack>.yaml into the flat form the Pulumi CLI hands a
// program: key → value, structured values as JSON text. Secure (encrypted) values cannot be
// decrypted without the CLI; they are reported in secure and left out of the map.
func ReadStackFile(dir, stack string) (cfg map[string]string, secure []string, err error) {
	path := filepath.Join(dir, "Pulumi."+stack+".yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg = map[string]string{}
	for k, v := range file.Config {
		if m, ok := v.(map[string]any); ok && len(m) == 1 && m["secure"] != nil {
			secure = append(secure, k)
			continue
		}
		if s, ok := v.(string); ok {
			cfg[k] = s
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", path, k, err)
		}
		cfg[k] = string(b)
	}
	sort.Strings(secure)
	return cfg, secure, nil
}

// LoadStackFile reads and validates dir/Pulumi.<stack>.yaml (the preview and conformance
// commands); it also returns the flat file (aws:region and the like).
func LoadStackFile(dir, stack string) (*StackConfig, map[string]string, error) {
	flat, _, err := ReadStackFile(dir, stack)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := LoadConfig(MapSource{StackName: stack, Config: flat})
	return cfg, flat, err
}

// MapSource is a ConfigSource over a flat key → value map (tests, previews).
type MapSource struct {
	StackName string
	Config    map[string]string
	Secrets   []string
}

func (s MapSource) Project() string { return names.Namespace }
func (s MapSource) Stack() string   { return s.StackName }
func (s MapSource) Get(k string) (string, bool) {
	v, ok := s.Config[k]
	return v, ok
}
func (s MapSource) IsSecret(k string) bool { return slices.Contains(s.Secrets, k) }
func (s MapSource) Keys() []string         { return sortedKeys(s.Config) }
