// Command ml-rest-api is the Pulumi program: API Gateway (REST) in front of SageMaker endpoints,
// with VTL mapping templates and no compute in between. Everything stack-specific is data in
// Pulumi.<stack>.yaml; see README.md.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ml-rest-api/ml-rest-api/infra"
)

// main wires: load config -> infra.Deploy -> export (infra.Program).
func main() { pulumi.Run(infra.Program) }
