package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	restapi "github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/templates"
)

// validateOpenAPI loads a document with kin-openapi and validates it against OpenAPI 3.0.
func validateOpenAPI(t *testing.T, doc string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	d, err := loader.LoadFromData([]byte(doc))
	require.NoError(t, err)
	require.NoError(t, d.Validate(context.Background()))
	return d
}

// clientDocument is the stack's client document, indented as committed.
func clientDocument(t *testing.T, stack string) []byte {
	t.Helper()
	cfg, err := loadConfig(t, stack)
	require.NoError(t, err)
	routes, err := restapi.Routes(cfg.APISpec(), platform, templates.Files)
	require.NoError(t, err)
	doc, err := restapi.ClientDocument(cfg.APISpec(), routes, stackConfig(t, stack)["aws:region"])
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, json.Indent(&b, []byte(doc), "", "  "))
	b.WriteByte('\n')
	return b.Bytes()
}

// Both documents are valid OpenAPI 3.0: the one deployed in RestApi.body and the client one.
func TestOpenAPIDocumentsValidate(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		run := runStack(t, stack)
		deployed := validateOpenAPI(t, run.Get(tRestAPI, "api-rest").Str("body"))
		client := validateOpenAPI(t, string(clientDocument(t, stack)))
		// Same paths and operations, and no AWS extension in the client document.
		for path, item := range deployed.Paths.Map() {
			c := client.Paths.Find(path)
			require.NotNil(t, c, "%s: %s is in the client document", stack, path)
			for verb := range item.Operations() {
				if verb != "OPTIONS" {
					assert.NotNil(t, c.GetOperation(verb), "%s %s %s", stack, verb, path)
				}
			}
		}
		assert.Equal(t, deployed.Paths.Len(), client.Paths.Len())
		assert.NotContains(t, string(clientDocument(t, stack)), "x-amazon-apigateway")
	}
}

// docs/openapi.<stack>.json is what the program deploys (refresh: go test ./tests -run
// TestClientDocumentsAreCommitted -update, then review the diff).
func TestClientDocumentsAreCommitted(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		got := clientDocument(t, stack)
		path := filepath.Join(repoRoot, "docs", "openapi."+stack+".json")
		if *update {
			require.NoError(t, os.WriteFile(path, got, 0o644))
			continue
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run go test ./tests -run %s -update", t.Name())
		assert.Equal(t, string(want), string(got), "%s is stale; refresh with -update and review the diff", path)
	}
}

// The client document promises what the templates accept: its patterns take the README's
// examples and refuse what the templates refuse; enums are the route's inference types.
func TestClientDocumentParameters(t *testing.T) {
	t.Parallel()
	d := validateOpenAPI(t, string(clientDocument(t, "prod")))
	param := func(path, name string) *openapi3.Parameter {
		for _, p := range d.Paths.Find(path).Get.Parameters {
			if p.Value.Name == name {
				return p.Value
			}
		}
		require.Failf(t, "no parameter", "%s %s", path, name)
		return nil
	}
	cases := []struct {
		path, name string
		ok, bad    []string
	}{
		{"/predicted-ratings/{user_id}", "user_id", []string{"321", "0", "999999999"}, []string{"0321", "1234567890", "a1", ""}},
		{"/predicted-ratings/{user_id}", "items", []string{"101,131,162", "7"}, []string{"1,,2", ",1", "1,", "01", "1234567890", "1;2"}},
		{"/recommended-movies/{user_id}", "user_id", []string{"U:114521", "a.b-c_d"}, []string{"-u", "u u", ""}},
		{"/recommended-movies/{user_id}", "k", []string{"3", "50"}, []string{"0", "010", "-1", "10000"}},
	}
	for _, c := range cases {
		re := regexp.MustCompile(param(c.path, c.name).Schema.Value.Pattern)
		for _, v := range c.ok {
			assert.True(t, re.MatchString(v), "%s accepts %q", c.name, v)
		}
		for _, v := range c.bad {
			assert.False(t, re.MatchString(v), "%s refuses %q", c.name, v)
		}
	}
	it := param("/recommended-movies/{user_id}", "inference_type")
	assert.Equal(t, []any{"deterministic", "stochastic_plackett_luce", "stochastic_plackett_luce_cached", "stochastic_gumbel_softmax_trick", "stochastic_epsilon_greedy"}, it.Schema.Value.Enum)
	assert.Contains(t, param("/recommended-movies/{user_id}", "k").Description, "1 to 50", "prod's maxK")
	csv := d.Paths.Find("/propensity-scores").Post
	assert.Contains(t, csv.RequestBody.Value.Content, "text/csv")
	assert.NotNil(t, csv.Responses.Value("415"))
}
