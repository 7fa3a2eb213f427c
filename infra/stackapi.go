package infra

import (
	"fmt"

	"github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/infra/config"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/ml-rest-api/ml-rest-api/templates"
)

// StackAPI is the API a stack file deploys, known without AWS: the routes, each operation as
// the document carries it (api.DeployedOperations) and the stage variables. The preview and
// conformance commands render the templates from it.
type StackAPI struct {
	Config         *config.StackConfig
	Region         string
	Routes         []api.Route
	Operations     map[string]api.DeployedOperation
	StageVariables map[string]string
}

// LoadStackAPI reads dir/Pulumi.<stack>.yaml; region "" takes the stack's aws:region.
func LoadStackAPI(dir, stack, region string) (*StackAPI, error) {
	cfg, flat, err := config.LoadStackFile(dir, stack)
	if err != nil {
		return nil, err
	}
	if region == "" {
		region = flat["aws:region"]
	}
	if region == "" {
		return nil, fmt.Errorf("Pulumi.%s.yaml sets no aws:region", stack)
	}
	spec := cfg.APISpec()
	routes, err := api.Routes(spec, iampolicy.Platform{Partition: "aws", Region: region}, templates.Files)
	if err != nil {
		return nil, err
	}
	ops, err := api.DeployedOperations(spec, routes, templates.Files)
	if err != nil {
		return nil, err
	}
	return &StackAPI{Config: cfg, Region: region, Routes: routes, Operations: ops, StageVariables: api.StageVariables(cfg.API, cfg.EndpointNames())}, nil
}
