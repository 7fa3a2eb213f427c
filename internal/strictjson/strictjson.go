// Package strictjson decodes structured Pulumi config values strictly: an unknown key or a
// value of the wrong type is an error naming its full key path, and every one is reported.
package strictjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Decode decodes a structured config value (JSON text) into dst and reports every unknown key
// and every value of the wrong type with its full key path (path: e.g. ml-rest-api:api).
func Decode(path, raw string, dst any) []error {
	var generic any
	if err := json.Unmarshal([]byte(raw), &generic); err != nil {
		return []error{fmt.Errorf("%s: not a structured value (%v); write it as a YAML map under %s", path, err, path)}
	}
	errs := checkShape(generic, reflect.TypeOf(dst).Elem(), path)
	if len(errs) > 0 {
		return errs
	}
	// checkShape has vetted every key and type; the decoder stays strict as a backstop.
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return []error{fmt.Errorf("%s: %v", path, err)}
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
		return []error{fmt.Errorf("%s: expected %s, got a JSON %s; fix the value's type", path, typeName(t), got)}
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
				errs = append(errs, fmt.Errorf("%s: unknown key %q; valid keys here: %s", path, k, strings.Join(names, ", ")))
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
