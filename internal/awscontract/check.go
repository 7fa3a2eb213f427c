package awscontract

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Resource is one registered resource as the contract sees it: its type token, logical name,
// inputs (plain Go values: map[string]any, []any, string, float64, bool) and, where known, the
// outputs the provider computed (used to resolve references between resources).
type Resource struct {
	Type, Name string
	Inputs     map[string]any
	Outputs    map[string]any
}

// Key names a resource in findings: type::name.
func (r Resource) Key() string { return r.Type + "::" + r.Name }

// Finding is one input AWS would refuse, or one the contract cannot vouch for.
type Finding struct {
	Resource string // type::name
	Path     string // the input path, e.g. variables.corsOrigins
	Rule     string // the API member (service:Shape$member) or the rule id
	Message  string
	Source   string // where the rule comes from
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s: %s: %s [%s]", f.Resource, f.Path, f.Message, f.Rule)
	if f.Source != "" {
		s += " (source: " + f.Source + ")"
	}
	return s
}

// Unknown is how an input that is not yet known (a preview, an unresolved output) arrives; it
// cannot be checked and is skipped, as a provider's Check skips it.
const Unknown = "<computed>"

// Check validates every resource against the API models and the rules, and returns every
// finding, sorted.
func Check(ms *Models, resources []Resource) []Finding {
	var out []Finding
	for _, r := range resources {
		out = append(out, CheckOne(ms, r, resources)...)
	}
	sortFindings(out)
	return out
}

// CheckOne validates one resource; all are the resources it may reference (the endpoint
// configuration an endpoint names, the scaling target of its variant).
func CheckOne(ms *Models, r Resource, all []Resource) []Finding {
	c := &checker{models: ms}
	c.resource(r)
	env := &Env{Models: ms, All: all}
	for _, rule := range Rules {
		if !rule.Applies(r.Type) {
			continue
		}
		for _, f := range rule.Check(env, r) {
			f.Resource = r.Key()
			f.Rule, f.Source = rule.ID, rule.Source
			c.findings = append(c.findings, f)
		}
	}
	sortFindings(c.findings)
	return c.findings
}

func sortFindings(fs []Finding) {
	sort.Slice(fs, func(i, j int) bool { return fs[i].String() < fs[j].String() })
}

type checker struct {
	models   *Models
	findings []Finding
	res      Resource
	svc      *Model
}

func (c *checker) add(path, rule, format string, args ...any) {
	c.findings = append(c.findings, Finding{Resource: c.res.Key(), Path: path, Rule: rule, Message: fmt.Sprintf(format, args...), Source: "aws-sdk-go " + SDKVersion + " models/apis/" + c.svc.Service + "/" + c.svc.APIVersion + "/api-2.json"})
}

func (c *checker) resource(r Resource) {
	c.res = r
	mp, ok := Mappings[r.Type]
	if !ok {
		c.findings = append(c.findings, Finding{Resource: r.Key(), Rule: "mapping",
			Message: "no contract mapping for this resource type; add one to internal/awscontract/mapping.go"})
		return
	}
	svc, ok := c.models.Service(mp.Service)
	if !ok {
		c.findings = append(c.findings, Finding{Resource: r.Key(), Rule: "mapping", Message: "model " + mp.Service + " is not loaded"})
		return
	}
	c.svc = svc
	present := c.object("", r.Inputs, mp.Shape, mp.Fields)
	// Required members: sent from an input, or filled by the provider (and then checked here
	// the way the provider fills them).
	sh := svc.Shapes[mp.Shape]
	for _, req := range sh.Required {
		if present[req] {
			continue
		}
		fill, ok := mp.Filled[req]
		if !ok {
			c.add(req, mp.Service+":"+mp.Shape+"$"+req, "required member %s is not sent (no input maps to it)", req)
			continue
		}
		if fill.AutoName {
			// Pulumi's auto-name: the logical name, a dash and seven random hex characters.
			c.value("(auto-name of "+r.Name+")", r.Name+"-0a1b2c3", sh.Members[req].Shape, mp.Service+":"+mp.Shape+"$"+req)
		}
	}
}

// object checks an object input against a structure shape through a field table, and returns
// the members it sent.
func (c *checker) object(path string, in map[string]any, shapeName string, fields map[string]Field) map[string]bool {
	sh := c.svc.Shapes[shapeName]
	present := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		p := join(path, k)
		f, ok := fields[k]
		if !ok {
			c.add(p, "mapping", "input %q has no contract mapping in %s; map it to its API member (or say why it is not sent)", k, shapeName)
			continue
		}
		if f.NotSent != "" || v == nil {
			continue
		}
		target := f.Shape
		rule := c.svc.Service + ":" + target
		if target == "" {
			ref, ok := sh.Members[f.Member]
			if !ok {
				c.add(p, "mapping", "maps to %s$%s, which the model does not define", shapeName, f.Member)
				continue
			}
			target = ref.Shape
			rule = c.svc.Service + ":" + shapeName + "$" + f.Member
			present[f.Member] = true
		}
		if f.Convert != nil {
			cv, err := f.Convert(v)
			if err != nil {
				c.add(p, rule, "%v", err)
				continue
			}
			v = cv
		}
		if f.Fields == nil {
			c.value(p, v, target, rule)
			continue
		}
		// A block (or a list of blocks) whose keys map one by one.
		switch x := v.(type) {
		case map[string]any:
			c.requireMembers(p, c.object(p, x, target, f.Fields), target, rule)
		case []any:
			lt := c.svc.Shapes[target]
			c.length(p, len(x), lt, rule, "items")
			for i, e := range x {
				ep := fmt.Sprintf("%s[%d]", p, i)
				if o, ok := e.(map[string]any); ok && lt.Member != nil {
					c.requireMembers(ep, c.object(ep, o, lt.Member.Shape, f.Fields), lt.Member.Shape, rule)
				} else {
					c.add(ep, rule, "expected an object")
				}
			}
		default:
			c.add(p, rule, "expected an object or a list of objects, got %T", v)
		}
	}
	return present
}

func (c *checker) requireMembers(path string, present map[string]bool, shapeName, rule string) {
	for _, req := range c.svc.Shapes[shapeName].Required {
		if !present[req] {
			c.add(path, rule, "required member %s of %s is missing", req, shapeName)
		}
	}
}

// value checks a plain value against a shape: type, enum, length, range, pattern, and for
// lists, maps and structures every element (structures by their members' exact names).
func (c *checker) value(path string, v any, shapeName, rule string) {
	if s, ok := v.(string); ok && s == Unknown {
		return
	}
	sh, ok := c.svc.Shapes[shapeName]
	if !ok {
		c.add(path, rule, "shape %s is not in the model", shapeName)
		return
	}
	switch sh.Type {
	case "string":
		c.stringValue(path, v, sh, shapeName, rule)
	case "integer", "long", "double", "float":
		c.numberValue(path, v, sh, shapeName, rule)
	case "boolean":
		if _, ok := v.(bool); !ok {
			c.add(path, rule, "expected true or false, got %T", v)
		}
	case "list":
		l, ok := v.([]any)
		if !ok {
			c.add(path, rule, "expected a list, got %T", v)
			return
		}
		c.length(path, len(l), sh, rule, "items")
		for i, e := range l {
			c.value(fmt.Sprintf("%s[%d]", path, i), e, sh.Member.Shape, rule)
		}
	case "map":
		m, ok := v.(map[string]any)
		if !ok {
			c.add(path, rule, "expected a map, got %T", v)
			return
		}
		c.length(path, len(m), sh, rule, "entries")
		for _, k := range slices.Sorted(maps.Keys(m)) {
			c.value(join(path, k)+" (key)", k, sh.Key.Shape, rule)
			c.value(join(path, k), m[k], sh.Value.Shape, rule)
		}
	case "structure":
		m, ok := v.(map[string]any)
		if !ok {
			c.add(path, rule, "expected an object, got %T", v)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			ref, ok := sh.Members[k]
			if !ok {
				c.add(join(path, k), rule, "%s has no member %q", shapeName, k)
				continue
			}
			c.value(join(path, k), m[k], ref.Shape, c.svc.Service+":"+shapeName+"$"+k)
		}
		for _, req := range sh.Required {
			if _, ok := m[req]; !ok {
				c.add(path, rule, "required member %s of %s is missing", req, shapeName)
			}
		}
	case "timestamp", "blob":
	default:
		c.add(path, rule, "shape type %q is not checked", sh.Type)
	}
}

// stringValue checks a string against its shape: enum, length and pattern.
func (c *checker) stringValue(path string, v any, sh *Shape, shapeName, rule string) {
	s, ok := v.(string)
	if !ok {
		c.add(path, rule, "expected a string, got %T", v)
		return
	}
	if len(sh.Enum) > 0 && !slices.Contains(sh.Enum, s) {
		c.add(path, rule, "%q is not one of the %d values of %s", s, len(sh.Enum), shapeName)
	}
	c.length(path, utf8.RuneCountInString(s), sh, rule, "characters")
	if sh.Pattern != "" {
		re, err := patternFor(sh)
		switch {
		case err != nil:
			c.add(path, rule, "%v; add a Go equivalent to equivalentPatterns", err)
		case !re.MatchString(s):
			c.add(path, rule, "%q does not match %s's pattern %s", truncate(s), shapeName, sh.Pattern)
		}
	}
}

// numberValue checks a number against its shape: whole numbers and range.
func (c *checker) numberValue(path string, v any, sh *Shape, shapeName, rule string) {
	n, ok := v.(float64)
	if !ok {
		c.add(path, rule, "expected a number, got %T", v)
		return
	}
	if (sh.Type == "integer" || sh.Type == "long") && n != math.Trunc(n) {
		c.add(path, rule, "expected a whole number, got %g", n)
	}
	if sh.Min != nil && n < *sh.Min {
		c.add(path, rule, "%g is below %s's minimum %g", n, shapeName, *sh.Min)
	}
	if sh.Max != nil && n > *sh.Max {
		c.add(path, rule, "%g is above %s's maximum %g", n, shapeName, *sh.Max)
	}
}

func (c *checker) length(path string, n int, sh *Shape, rule, unit string) {
	if sh.Min != nil && float64(n) < *sh.Min {
		c.add(path, rule, "%d %s, fewer than the minimum %g", n, unit, *sh.Min)
	}
	if sh.Max != nil && float64(n) > *sh.Max {
		c.add(path, rule, "%d %s, more than the maximum %g", n, unit, *sh.Max)
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// lookup finds a resource by type and an output or input value (a reference between resources).
func lookup(all []Resource, typ, key, value string) (Resource, bool) {
	for _, r := range all {
		if r.Type != typ {
			continue
		}
		if s, _ := r.Outputs[key].(string); s == value {
			return r, true
		}
		if s, _ := r.Inputs[key].(string); s == value {
			return r, true
		}
	}
	return Resource{}, false
}

// str reads a string at a dotted path of plain values ("" when absent).
func str(v map[string]any, path string) string {
	s, _ := at(v, path).(string)
	return s
}

// num reads a number at a dotted path (and whether it is there).
func num(v map[string]any, path string) (float64, bool) {
	n, ok := at(v, path).(float64)
	return n, ok
}

func at(v map[string]any, path string) any {
	var cur any = v
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}
