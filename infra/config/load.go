package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/problems"
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
		errs = append(errs, decodeStrict(key, raw, dst)...)
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

// decodeStrict decodes JSON into dst and reports unknown keys with their full path.
func decodeStrict(key, raw string, dst any) []error {
	var generic any
	if err := json.Unmarshal([]byte(raw), &generic); err != nil {
		return []error{fmt.Errorf("%s: not a structured value (%v); write it as a YAML map under %s", keyPath(key), err, keyPath(key))}
	}
	errs := checkShape(generic, reflect.TypeOf(dst).Elem(), key)
	if len(errs) > 0 {
		return errs
	}
	// checkShape has vetted every key and type; the decoder stays strict as a backstop.
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return []error{fmt.Errorf("%s: %v", keyPath(key), err)}
	}
	return nil
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Map, reflect.Struct:
		return "a map"
	case reflect.Slice:
		return "a list"
	}
	return t.String()
}

// checkShape walks a decoded JSON value against the Go type and names every unknown key and
// every value of the wrong type, with its full path.
func checkShape(v any, t reflect.Type, path string) []error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return nil
	}
	wrong := func(got string) []error {
		return []error{fmt.Errorf("%s: expected %s, got a JSON %s; fix the value's type", keyPath(path), typeName(t), got)}
	}
	var errs []error
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			return wrong(jsonKind(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return wrong(jsonKind(v))
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			return wrong(jsonKind(v))
		}
	case reflect.Float64, reflect.Float32:
		if _, ok := v.(float64); !ok {
			return wrong(jsonKind(v))
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong(jsonKind(v))
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = t.Field(i).Type
			names = append(names, tag)
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			ft, ok := fields[k]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: unknown key %q; valid keys here: %s", keyPath(path), k, strings.Join(names, ", ")))
				continue
			}
			errs = append(errs, checkShape(m[k], ft, path+"."+k)...)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong(jsonKind(v))
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			errs = append(errs, checkShape(m[k], t.Elem(), path+"."+k)...)
		}
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			return wrong(jsonKind(v))
		}
		for i, e := range l {
			errs = append(errs, checkShape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return errs
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if x != float64(int64(x)) {
			return "fractional number"
		}
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	}
	return "value"
}
