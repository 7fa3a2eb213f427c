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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/infra"
	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/templates"
	"github.com/ml-rest-api/ml-rest-api/tests/mockaws"
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

// formFromResources is the form of the per-route resources a run registered (the program
// before issue 13).
func formFromResources(t testing.TB, run *Run) apiForm {
	t.Helper()
	var recs []formRecord
	for _, x := range run.Resources() {
		switch x.Type {
		case tResource, tMethod, tIntegration, tMethodRes, tIntegrationRes, tValidator, tGatewayRes:
			recs = append(recs, formRecord{Type: x.Type, ID: x.ID, Inputs: mockaws.PlainMap(x.Inputs)})
		}
	}
	return buildForm(t, run.Get(tRestAPI, "api-rest").Out("rootResourceId").(string), recs)
}

func TestAPIDefinitionForm(t *testing.T) {
	for _, stack := range stacks {
		run := runStack(t, stack)
		golden(t, stack+"/api-definition.json", formJSON(t, formFromResources(t, run)))
	}
}

// The document, read as API Gateway imports it, defines exactly what the per-route resources
// defined (the golden), route by route.
func TestTheDocumentDefinesWhatTheResourcesDid(t *testing.T) {
	for _, stack := range stacks {
		run := runStack(t, stack)
		routes, err := infra.Routes(run.Config, infra.Platform{Partition: "aws", Region: "eu-west-1", AccountID: mockAccount}, templates.Files)
		require.NoError(t, err)
		doc, err := infra.APIDocument(run.Config, routes, templates.Files, run.Get(tRole, "api-role").Out("arn").(string))
		require.NoError(t, err)
		imported, err := awscontract.Import(doc)
		require.NoError(t, err)
		old, fromDoc := formFromResources(t, run), formFromImport(t, imported)
		for key, m := range old.Methods {
			require.Contains(t, fromDoc.Methods, key)
			assert.Equal(t, string(formJSON(t, apiForm{Methods: map[string]*methodForm{key: m}})),
				string(formJSON(t, apiForm{Methods: map[string]*methodForm{key: fromDoc.Methods[key]}})), "%s %s", stack, key)
		}
		assert.Equal(t, string(formJSON(t, old)), string(formJSON(t, fromDoc)), stack)
	}
}
