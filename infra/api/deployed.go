package api

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"

	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
)

// DeployedOperation is one operation as a document deploys it (read through
// awscontract.Import): the request template of the content type the route sends and the
// integration responses. The template tests and the preview command render these, not the
// files, so they render what is deployed.
type DeployedOperation struct {
	RequestTemplate string
	Responses       []IntegrationResponse
	// How API Gateway treats a request body: the templates by content type, the passthrough
	// behavior and contentHandling as imported.
	RequestTemplates                     map[string]string
	PassthroughBehavior, ContentHandling string
}

// ErrUnsupportedMediaType is API Gateway's own 415 (the UNSUPPORTED_MEDIA_TYPE gateway
// response): no template for the request's content type, and no passthrough.
var ErrUnsupportedMediaType = errors.New("415 Unsupported Media Type (API Gateway)")

// RequestTemplateFor is what API Gateway does with a request body of a content type
// (application/json when the client sends none) before it calls the model, by "Method request
// behavior for payloads without mapping templates"
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-passthrough-behaviors.html):
// the template for the type is rendered; without one, WHEN_NO_MATCH passes the body,
// WHEN_NO_TEMPLATES passes it when the integration has no template at all, and anything else
// is the 415. A passed body is unchanged only without contentHandling ("Content type
// conversions in API Gateway": text stays text, binary of a binary media type stays binary);
// a conversion is not modelled here and is an error. "" with no error: the bytes pass unchanged.
func (o DeployedOperation) RequestTemplateFor(contentType string) (string, error) {
	if contentType == "" {
		contentType = "application/json"
	}
	if t, ok := o.RequestTemplates[contentType]; ok {
		return t, nil
	}
	pass := o.PassthroughBehavior == "WHEN_NO_MATCH" || (o.PassthroughBehavior == "WHEN_NO_TEMPLATES" && len(o.RequestTemplates) == 0)
	switch {
	case !pass:
		return "", ErrUnsupportedMediaType
	case o.ContentHandling != "":
		return "", fmt.Errorf("contentHandling %s would convert the passed-through body; not modelled", o.ContentHandling)
	}
	return "", nil
}

// DeployedOperations reads every route's operation from the stack's document, imported once
// (awscontract.Import). The integration role's ARN reaches no template, so a placeholder
// stands in for it: the preview, the conformance command and the template tests call this
// before any role exists.
func DeployedOperations(cfg Spec, routes []Route, tmpl fs.FS) (map[string]DeployedOperation, error) {
	doc, err := APIDocument(cfg, routes, tmpl, "arn:aws:iam::111111111111:role/placeholder")
	if err != nil {
		return nil, err
	}
	imported, err := awscontract.Import(doc)
	if err != nil {
		return nil, err
	}
	out := map[string]DeployedOperation{}
	for _, r := range routes {
		op, err := readOperation(imported, r)
		if err != nil {
			return nil, err
		}
		out[r.Path] = op
	}
	return out, nil
}

// readOperation finds the route's operation among the imported objects.
func readOperation(imported []awscontract.Resource, r Route) (DeployedOperation, error) {
	var op DeployedOperation
	found := false
	for _, x := range imported {
		if x.Inputs["httpMethod"] != r.HTTPMethod || x.Inputs["resourceId"] != r.ResourcePath {
			continue
		}
		switch x.Type {
		case awstypes.APIGatewayIntegration:
			found = true
			tmpls, _ := x.Inputs["requestTemplates"].(map[string]any)
			op.RequestTemplates = map[string]string{}
			for ct, t := range tmpls {
				op.RequestTemplates[ct], _ = t.(string)
			}
			op.RequestTemplate = op.RequestTemplates[r.ContentType]
			op.PassthroughBehavior, _ = x.Inputs["passthroughBehavior"].(string)
			op.ContentHandling, _ = x.Inputs["contentHandling"].(string)
		case awstypes.APIGatewayIntegrationResponse:
			ir := IntegrationResponse{StatusCode: x.Inputs["statusCode"].(string)}
			ir.SelectionPattern, _ = x.Inputs["selectionPattern"].(string)
			tmpls, _ := x.Inputs["responseTemplates"].(map[string]any)
			ir.Template, _ = tmpls["application/json"].(string)
			for _, want := range r.IntegrationResponses { // the file it came from, as a label
				if want.SelectionPattern == ir.SelectionPattern {
					ir.TemplateName = want.TemplateName
				}
			}
			op.Responses = append(op.Responses, ir)
		}
	}
	if !found {
		return op, fmt.Errorf("the document has no %s %s", r.HTTPMethod, r.ResourcePath)
	}
	return op, nil
}

// Select picks the integration response API Gateway uses for SageMaker's status: a selection
// pattern must match the whole status code (Java regex, as the AWS examples assume); otherwise
// the default response (no pattern) applies.
func (o DeployedOperation) Select(status int) IntegrationResponse {
	var def IntegrationResponse
	for _, ir := range o.Responses {
		if ir.SelectionPattern == "" {
			def = ir
			continue
		}
		if regexp.MustCompile(`^(?:` + ir.SelectionPattern + `)$`).MatchString(strconv.Itoa(status)) {
			return ir
		}
	}
	return def
}
