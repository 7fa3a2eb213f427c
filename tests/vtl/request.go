// Package vtl holds the Go side of the template renderer's contract (Render.java beside this
// file): the REQUEST.json that tests/vtl/render reads.
package vtl

// Request is REQUEST.json: the method request a template sees.
type Request struct {
	Method                string              `json:"method"`
	Resource              string              `json:"resource"`
	Path                  string              `json:"path"`
	PathParameters        map[string]string   `json:"pathParameters"`
	QueryStringParameters map[string][]string `json:"queryStringParameters"`
	Headers               map[string][]string `json:"headers"`
	Body                  *string             `json:"body"`
	StageVariables        map[string]string   `json:"stageVariables"`
	Context               map[string]any      `json:"context"`
}

// ContentType is the request's Content-Type header ("" without one; API Gateway then assumes
// application/json, api.DeployedOperation.RequestTemplateFor).
func (r Request) ContentType() string {
	if v := r.Headers["Content-Type"]; len(v) > 0 {
		return v[0]
	}
	return ""
}
