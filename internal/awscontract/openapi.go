package awscontract

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
)

// How API Gateway imports an OpenAPI 3.0 document (PutRestApi, mode overwrite): every path
// becomes a chain of resources, every operation a method, its x-amazon-apigateway-integration
// an integration with its integration responses, its responses method responses, and the
// document-level extensions request validators and gateway responses. Import returns those
// objects as the resources the per-object pulumi-aws types would have registered, with the same
// input names, so that the models' Put*/Create* request shapes and the rules check a document
// exactly as they checked the resources it replaced.
//
// Sources: "Working with API Gateway extensions to OpenAPI"
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions.html):
// x-amazon-apigateway-integration (type, httpMethod, uri, credentials, passthroughBehavior,
// requestParameters, requestTemplates, responses keyed by selection pattern or "default",
// timeoutInMillis, cacheKeyParameters, cacheNamespace, contentHandling — type and
// passthroughBehavior are documented in lower case and imported as the API's enum values),
// x-amazon-apigateway-request-validators / -request-validator, x-amazon-apigateway-gateway-responses,
// x-amazon-apigateway-api-key-source; "Import a REST API" and "Set up request parameters"
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/import-edge-optimized-api.html,
// https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-parameter-mapping.html):
// an apiKey security scheme named x-api-key in the header makes a method require an API key;
// parameters become method.request.<path|querystring|header>.<name> with their "required";
// response headers become method.response.header.<name>; a schema reference becomes the
// response model of its content type.

// ImportRoot is the root resource's ID among imported objects; other resources are named by
// their full path, methods by "<METHOD> <path>".
const ImportRoot = "/"

// BinaryMediaTypes reads x-amazon-apigateway-binary-media-types, the REST API's
// binaryMediaTypes on import (RestApi.binaryMediaTypes: a list of strings, API Gateway's
// apigateway api-2.json ListOfString; "x-amazon-apigateway-binary-media-types" in the OpenAPI
// extensions): a list of distinct, non-empty media types.
func BinaryMediaTypes(doc map[string]any) ([]string, error) {
	raw, ok := doc["x-amazon-apigateway-binary-media-types"]
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("x-amazon-apigateway-binary-media-types: want a list of media types, got %T", raw)
	}
	var out []string
	for i, v := range list {
		t, ok := v.(string)
		if !ok || t == "" || slices.Contains(out, t) {
			return nil, fmt.Errorf("x-amazon-apigateway-binary-media-types[%d]: want a distinct, non-empty media type, got %v", i, v)
		}
		out = append(out, t)
	}
	return out, nil
}

// importAPI stands for the REST API's ID in imported objects.
const importAPI = "(this api)"

// Types of the objects an import creates.
const (
	tMethod        = awstypes.APIGatewayMethod
	tIntegResponse = awstypes.APIGatewayIntegrationResponse
	tMethodResp    = awstypes.APIGatewayMethodResponse
	tValidator     = awstypes.APIGatewayRequestValidator
	tGatewayResp   = awstypes.APIGatewayResponse
)

// Extensions the import understands; any other x-amazon-apigateway-* key is an error here, so
// nothing in a document goes unchecked.
var (
	documentExtensions = []string{"x-amazon-apigateway-api-key-source", "x-amazon-apigateway-request-validators",
		"x-amazon-apigateway-gateway-responses", "x-amazon-apigateway-binary-media-types"}
	operationExtensions   = []string{"x-amazon-apigateway-integration", "x-amazon-apigateway-request-validator"}
	integrationKeys       = []string{"type", "httpMethod", "uri", "credentials", "passthroughBehavior", "requestParameters", "requestTemplates", "responses", "timeoutInMillis", "cacheKeyParameters", "cacheNamespace", "contentHandling"}
	integrationRespKeys   = []string{"statusCode", "responseParameters", "responseTemplates", "contentHandling"}
	gatewayResponseKeys   = []string{"statusCode", "responseParameters", "responseTemplates"}
	operationMethods      = []string{"get", "put", "post", "delete", "options", "head", "patch"}
	parameterLocations    = map[string]string{"path": "path", "query": "querystring", "header": "header"}
	integrationInputNames = map[string]string{"httpMethod": "integrationHttpMethod", "timeoutInMillis": "timeoutMilliseconds"}
)

// Import reads an OpenAPI 3.0 document the way API Gateway imports it and returns the objects
// it creates, in a stable order. It errs on what it does not understand.
func Import(body string) ([]Resource, error) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return nil, fmt.Errorf("the document is not JSON: %w", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		return nil, fmt.Errorf("openapi %q: this import reads OpenAPI 3.0 documents", v)
	}
	for k := range doc {
		if strings.HasPrefix(k, "x-amazon-apigateway-") && !slices.Contains(documentExtensions, k) {
			return nil, fmt.Errorf("%s: extension not understood by the contract", k)
		}
	}
	if _, err := BinaryMediaTypes(doc); err != nil {
		return nil, err
	}
	var out []Resource
	add := func(typ, name string, in map[string]any) {
		out = append(out, Resource{Type: typ, Name: name, Inputs: in})
	}
	validators, _ := doc["x-amazon-apigateway-request-validators"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(validators)) {
		v, _ := validators[name].(map[string]any)
		in := map[string]any{"restApi": importAPI, "name": name}
		for _, k := range []string{"validateRequestBody", "validateRequestParameters"} {
			if b, ok := v[k]; ok {
				in[k] = b
			}
		}
		add(tValidator, name, in)
	}
	gateway, _ := doc["x-amazon-apigateway-gateway-responses"].(map[string]any)
	for _, typ := range slices.Sorted(maps.Keys(gateway)) {
		g, _ := gateway[typ].(map[string]any)
		in, err := pick(g, gatewayResponseKeys, nil, "x-amazon-apigateway-gateway-responses."+typ)
		if err != nil {
			return nil, err
		}
		in["restApiId"], in["responseType"] = importAPI, typ
		add(tGatewayResp, typ, in)
	}
	keySchemes := apiKeySchemes(doc)
	paths, _ := doc["paths"].(map[string]any)
	created := map[string]bool{}
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		if !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("path %q does not start with /", path)
		}
		parent := ImportRoot
		for _, part := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
			id := strings.TrimSuffix(parent, "/") + "/" + part
			if !created[id] {
				created[id] = true
				add(tResource, id, map[string]any{"restApi": importAPI, "parentId": parent, "pathPart": part})
			}
			parent = id
		}
		item, _ := paths[path].(map[string]any)
		for _, verb := range slices.Sorted(maps.Keys(item)) {
			if !slices.Contains(operationMethods, verb) {
				if verb == "parameters" || strings.HasPrefix(verb, "x-amazon-apigateway-") {
					return nil, fmt.Errorf("paths.%s.%s: not understood by the contract", path, verb)
				}
				continue
			}
			op, _ := item[verb].(map[string]any)
			objs, err := importOperation(doc, path, strings.ToUpper(verb), op, keySchemes)
			if err != nil {
				return nil, fmt.Errorf("paths.%s.%s: %w", path, verb, err)
			}
			out = append(out, objs...)
		}
	}
	return out, nil
}

// apiKeySchemes are the security schemes that make a method require an API key.
func apiKeySchemes(doc map[string]any) map[string]bool {
	out := map[string]bool{}
	schemes, _ := at(doc, "components.securitySchemes").(map[string]any)
	for name, s := range schemes {
		sm, _ := s.(map[string]any)
		if sm["type"] == "apiKey" && sm["in"] == "header" && strings.EqualFold(fmt.Sprint(sm["name"]), "x-api-key") {
			out[name] = true
		}
	}
	return out
}

func importOperation(doc map[string]any, path, verb string, op map[string]any, keySchemes map[string]bool) ([]Resource, error) {
	for k := range op {
		if strings.HasPrefix(k, "x-amazon-apigateway-") && !slices.Contains(operationExtensions, k) {
			return nil, fmt.Errorf("%s: extension not understood by the contract", k)
		}
	}
	id := verb + " " + path
	method, err := importMethod(path, verb, op, keySchemes)
	if err != nil {
		return nil, err
	}
	out := []Resource{{Type: tMethod, Name: id, Inputs: method}}
	responses, _ := op["responses"].(map[string]any)
	rs, err := importMethodResponses(doc, id, path, verb, responses)
	if err != nil {
		return nil, err
	}
	out = append(out, rs...)
	is, err := importIntegration(id, path, verb, op, responses)
	if err != nil {
		return nil, err
	}
	return append(out, is...), nil
}

// importMethod is the method an operation creates: API key, request parameters, validator.
func importMethod(path, verb string, op map[string]any, keySchemes map[string]bool) (map[string]any, error) {
	method := map[string]any{"restApi": importAPI, "resourceId": path, "httpMethod": verb, "authorization": "NONE", "apiKeyRequired": false}
	security, _ := op["security"].([]any)
	for _, req := range security {
		for name := range req.(map[string]any) {
			if !keySchemes[name] {
				return nil, fmt.Errorf("security scheme %q: only the x-api-key header scheme is understood", name)
			}
			method["apiKeyRequired"] = true
		}
	}
	params := map[string]any{}
	list, _ := op["parameters"].([]any)
	for _, p := range list {
		pm, _ := p.(map[string]any)
		loc, ok := parameterLocations[fmt.Sprint(pm["in"])]
		if !ok {
			return nil, fmt.Errorf("parameter %v: location %v is not path, query or header", pm["name"], pm["in"])
		}
		required, _ := pm["required"].(bool)
		params["method.request."+loc+"."+fmt.Sprint(pm["name"])] = required
	}
	if len(params) > 0 {
		method["requestParameters"] = params
	}
	if v, ok := op["x-amazon-apigateway-request-validator"].(string); ok {
		method["requestValidatorId"] = v
	}

	return method, nil
}

// importMethodResponses are the method responses an operation declares.
func importMethodResponses(doc map[string]any, id, path, verb string, responses map[string]any) ([]Resource, error) {
	var out []Resource
	for _, code := range slices.Sorted(maps.Keys(responses)) {
		rm, _ := responses[code].(map[string]any)
		in := map[string]any{"restApi": importAPI, "resourceId": path, "httpMethod": verb, "statusCode": code}
		headers, _ := rm["headers"].(map[string]any)
		if len(headers) > 0 {
			declared := map[string]any{}
			for h := range headers {
				declared["method.response.header."+h] = false
			}
			in["responseParameters"] = declared
		}
		content, _ := rm["content"].(map[string]any)
		if len(content) > 0 {
			models := map[string]any{}
			for ct, c := range content {
				ref, _ := at(c.(map[string]any), "schema.$ref").(string)
				name, ok := strings.CutPrefix(ref, "#/components/schemas/")
				if !ok {
					return nil, fmt.Errorf("responses.%s.content.%s: a response model is a reference to #/components/schemas/<name>", code, ct)
				}
				if at(doc, "components.schemas."+name) == nil {
					return nil, fmt.Errorf("responses.%s.content.%s: schema %q is not defined", code, ct, name)
				}
				models[ct] = name
			}
			in["responseModels"] = models
		}
		out = append(out, Resource{Type: tMethodResp, Name: id + " " + code, Inputs: in})
	}

	return out, nil
}

// importIntegration is the operation's integration and its integration responses.
func importIntegration(id, path, verb string, op, responses map[string]any) ([]Resource, error) {
	var out []Resource
	integ, ok := op["x-amazon-apigateway-integration"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("no x-amazon-apigateway-integration")
	}
	in, err := pick(integ, integrationKeys, []string{"responses"}, "x-amazon-apigateway-integration")
	if err != nil {
		return nil, err
	}
	for from, to := range integrationInputNames {
		if v, ok := in[from]; ok {
			in[to] = v
			delete(in, from)
		}
	}
	for _, k := range []string{"type", "passthroughBehavior"} {
		if s, ok := in[k].(string); ok {
			in[k] = strings.ToUpper(s)
		}
	}
	in["restApi"], in["resourceId"], in["httpMethod"] = importAPI, path, verb
	out = append(out, Resource{Type: tIntegration, Name: id, Inputs: in})

	irs, _ := integ["responses"].(map[string]any)
	for _, pattern := range slices.Sorted(maps.Keys(irs)) {
		ir, _ := irs[pattern].(map[string]any)
		rin, err := pick(ir, integrationRespKeys, nil, "x-amazon-apigateway-integration.responses."+pattern)
		if err != nil {
			return nil, err
		}
		status, _ := rin["statusCode"].(string)
		if _, declared := responses[status]; !declared {
			return nil, fmt.Errorf("integration response %q answers %q, which the operation's responses do not declare", pattern, status)
		}
		if pattern != "default" {
			rin["selectionPattern"] = pattern
		}
		rin["restApi"], rin["resourceId"], rin["httpMethod"] = importAPI, path, verb
		out = append(out, Resource{Type: tIntegResponse, Name: id + " " + status, Inputs: rin})
	}
	return out, nil
}

// pick copies the known keys of an extension object (skipping those in skip) and errs on any
// other key.
func pick(obj map[string]any, known, skip []string, where string) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range obj {
		switch {
		case slices.Contains(skip, k):
		case slices.Contains(known, k):
			out[k] = v
		default:
			return nil, fmt.Errorf("%s.%s: not understood by the contract", where, k)
		}
	}
	return out, nil
}
