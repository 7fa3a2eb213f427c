package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/problems"
	"github.com/ml-rest-api/ml-rest-api/internal/strictjson"
)

// LoadConfig decodes every key strictly, applies defaults and validates the result. It reports
// every problem at once; each message names the config key path and the fix.
func LoadConfig(src ConfigSource) (*StackConfig, error) {
	c := &StackConfig{Project: src.Project(), Stack: src.Stack()}
	var errs []error
	if src.Project() != names.Namespace {
		errs = append(errs, fmt.Errorf("project name %q: this program's config namespace is %q; keep Pulumi.yaml's name: %s", src.Project(), names.Namespace, names.Namespace))
	}
	errs = append(errs, unknownTopLevelKeys(src.Keys())...)

	decode := func(key string, dst any, required bool) {
		raw, ok := src.Get(names.Namespace + ":" + key)
		if ok && !required && strings.TrimSpace(raw) == "{}" {
			ok = false // Pulumi.yaml's default for an optional key: off
		}
		if !ok {
			if required {
				errs = append(errs, fmt.Errorf("%s: missing; add it to Pulumi.%s.yaml (see README, Configuration)", keyPath(key), src.Stack()))
			}
			return
		}
		errs = append(errs, strictjson.Decode(keyPath(key), raw, dst)...)
	}
	decode(KeyModels, &c.Models, true)
	decode(KeyAPI, &c.API, true)
	decode(KeyAccess, &c.Access, true)
	decode(KeyCanary, &c.Canary, false)
	decode(KeyTags, &c.Tags, false)
	decode(KeyAPIKeyValues, &c.APIKeyValues, false)
	decode(KeyMonitoring, &c.Monitoring, false)
	decode(KeyWAF, &c.WAF, false)
	decode(KeyProtection, &c.Protection, false)
	if len(c.APIKeyValues) > 0 && !src.IsSecret(names.Namespace+":"+KeyAPIKeyValues) {
		errs = append(errs, fmt.Errorf("%s: must be a secret; set each value with `pulumi config set --secret --path '%s.<client>' <value>`", keyPath(KeyAPIKeyValues), KeyAPIKeyValues))
	}
	if len(errs) > 0 {
		return nil, configError(errs)
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

const heading = "invalid stack configuration"

func configError(errs []error) error { return problems.List(errs).Err(heading) }

func keyPath(path string) string { return names.Namespace + ":" + path }

func unknownTopLevelKeys(keys []string) []error {
	var errs []error
	known := map[string]bool{}
	for _, k := range configKeys {
		known[k] = true
	}
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	for _, k := range sorted {
		name, ok := strings.CutPrefix(k, names.Namespace+":")
		if !ok || known[name] {
			continue
		}
		errs = append(errs, fmt.Errorf("%s: unknown key; known keys are %s", k, strings.Join(configKeys, ", ")))
	}
	return errs
}
