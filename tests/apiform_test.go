package tests

// The API's definition in one normal form: what API Gateway holds per resource path, method,
// integration, response, validator and gateway response, with IDs replaced by paths and names
// and every template replaced by the name of the templates/ file whose bytes it is. The golden
// testdata/golden/<stack>/api-definition.json was first written from the per-route resources
// the program registered before the API became one OpenAPI document (issue 13); the document,
// read the way API Gateway imports it (awscontract.Import), must give the same form, so nothing
// the old resources set is lost.

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/templates"
)

// apiForm is the normal form; maps marshal with sorted keys.
type apiForm struct {
	Resources        []string                  `json:"resources"`
	Validators       map[string]map[string]any `json:"validators"`
	Methods          map[string]*methodForm    `json:"methods"` // "GET /predicted-ratings/{user_id}"
	GatewayResponses map[string]map[string]any `json:"gatewayResponses"`
}

type methodForm struct {
	Method               map[string]any            `json:"method"`
	Integration          map[string]any            `json:"integration"`
	MethodResponses      map[string]map[string]any `json:"methodResponses"`
	IntegrationResponses map[string]map[string]any `json:"integrationResponses"`
}

// formRecord is one API Gateway object with plain inputs and its ID.
type formRecord struct {
	Type, ID string
	Inputs   map[string]any
}

// templateNames maps a template's exact bytes to its file name.
func templateNames(t testing.TB) map[string]string {
	t.Helper()
	names, err := templates.Names()
	require.NoError(t, err)
	out := map[string]string{}
	for _, n := range names {
		text, err := templates.Read(templates.Files, n)
		require.NoError(t, err)
		out[text] = "templates/" + n
	}
	return out
}

// buildForm builds the normal form from API Gateway objects; root is the root resource's ID.
func buildForm(t testing.TB, root string, recs []formRecord) apiForm {
	t.Helper()
	tn := templateNames(t)
	named := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			s, _ := v.(string)
			if n, ok := tn[s]; ok {
				out[k] = n
			} else {
				out[k] = v
			}
		}
		return out
	}
	// Resource paths from parent links.
	paths := map[string]string{root: ""}
	for changed := true; changed; {
		changed = false
		for _, r := range recs {
			if r.Type != tResource {
				continue
			}
			if p, ok := paths[r.Inputs["parentId"].(string)]; ok && paths[r.ID] == "" && r.ID != root {
				paths[r.ID] = p + "/" + r.Inputs["pathPart"].(string)
				changed = true
			}
		}
	}
	validators := map[string]string{}
	f := apiForm{Validators: map[string]map[string]any{}, Methods: map[string]*methodForm{}, GatewayResponses: map[string]map[string]any{}}
	for _, r := range recs {
		switch r.Type {
		case tResource:
			f.Resources = append(f.Resources, paths[r.ID])
		case tValidator:
			validators[r.ID] = r.Inputs["name"].(string)
			f.Validators[r.Inputs["name"].(string)] = without(r.Inputs, "restApi", "name")
		case tGatewayRes:
			f.GatewayResponses[r.Inputs["responseType"].(string)] = without(r.Inputs, "restApiId", "responseType")
		}
	}
	slices.Sort(f.Resources)
	method := func(r formRecord) *methodForm {
		key := r.Inputs["httpMethod"].(string) + " " + paths[r.Inputs["resourceId"].(string)]
		if f.Methods[key] == nil {
			f.Methods[key] = &methodForm{MethodResponses: map[string]map[string]any{}, IntegrationResponses: map[string]map[string]any{}}
		}
		return f.Methods[key]
	}
	for _, r := range recs {
		switch r.Type {
		case tMethod:
			m := without(r.Inputs, "restApi", "resourceId", "httpMethod", "requestValidatorId")
			if id, ok := r.Inputs["requestValidatorId"].(string); ok {
				m["requestValidator"] = validators[id]
			}
			method(r).Method = m
		case tIntegration:
			in := without(r.Inputs, "restApi", "resourceId", "httpMethod", "cacheNamespace")
			if rt, ok := in["requestTemplates"].(map[string]any); ok {
				in["requestTemplates"] = named(rt)
			}
			method(r).Integration = in
		case tMethodRes:
			method(r).MethodResponses[r.Inputs["statusCode"].(string)] = without(r.Inputs, "restApi", "resourceId", "httpMethod", "statusCode")
		case tIntegrationRes:
			ir := without(r.Inputs, "restApi", "resourceId", "httpMethod", "statusCode")
			if rt, ok := ir["responseTemplates"].(map[string]any); ok {
				ir["responseTemplates"] = named(rt)
			}
			method(r).IntegrationResponses[r.Inputs["statusCode"].(string)] = ir
		}
	}
	return f
}

// without copies m without the given keys and without empty values (an empty list or map is
// what AWS holds when nothing is set).
func without(m map[string]any, keys ...string) map[string]any {
	out := maps.Clone(m)
	for _, k := range keys {
		delete(out, k)
	}
	for k, v := range out {
		switch x := v.(type) {
		case nil:
			delete(out, k)
		case []any:
			if len(x) == 0 {
				delete(out, k)
			}
		case map[string]any:
			if len(x) == 0 {
				delete(out, k)
			}
		}
	}
	return out
}

// formFromImport is the form of a document as API Gateway imports it.
func formFromImport(t testing.TB, imported []awscontract.Resource) apiForm {
	t.Helper()
	var recs []formRecord
	for _, r := range imported {
		recs = append(recs, formRecord{Type: r.Type, ID: r.Name, Inputs: r.Inputs})
	}
	return buildForm(t, awscontract.ImportRoot, recs)
}

func formJSON(t testing.TB, f apiForm) []byte {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(f))
	return []byte(b.String())
}

// The document, read as API Gateway imports it, defines exactly what the golden says. The
// golden was written from the per-route resources before they were replaced by the document
// (commit "Pin the API's definition…"); the same test then compared both route by route. Any
// change to the API shows here as a reviewed diff.
func TestTheDocumentDefinesTheAPI(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		goldenFile(t, stack+"/api-definition.json", formJSON(t, formFromImport(t, importAPI(t, runStack(t, stack)).list)))
	}
}

// importedAPI is a run's API document as API Gateway imports it.
type importedAPI struct {
	t    testing.TB
	list []awscontract.Resource
}

// importAPI reads the body of the run's REST API.
func importAPI(t testing.TB, run *Run) importedAPI {
	t.Helper()
	body := run.Get(tRestAPI, "api-rest").Str("body")
	require.NotEmpty(t, body, "the REST API has a body")
	list, err := awscontract.Import(body)
	require.NoError(t, err)
	return importedAPI{t: t, list: list}
}

// get returns the inputs of an imported object: a resource by path, a method or integration
// by "<METHOD> <path>", a method or integration response by "<METHOD> <path> <status>", a
// validator by name, a gateway response by type.
func (a importedAPI) get(typ, name string) map[string]any {
	a.t.Helper()
	for _, r := range a.list {
		if r.Type == typ && r.Name == name {
			return r.Inputs
		}
	}
	require.Failf(a.t, "not in the document", "no %s %q", typ, name)
	return nil
}

func (a importedAPI) has(typ, name string) bool {
	for _, r := range a.list {
		if r.Type == typ && r.Name == name {
			return true
		}
	}
	return false
}

func (a importedAPI) all(typ string) []awscontract.Resource {
	var out []awscontract.Resource
	for _, r := range a.list {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}
