// Command bootstrap is the ml-rest-api account bootstrap: what exists once per AWS account and
// region rather than once per stack. See README.md beside this file.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ml-rest-api/ml-rest-api/bootstrap/account"
	"github.com/ml-rest-api/ml-rest-api/infra/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg, err := account.LoadConfig(config.ContextConfig(ctx))
		if err != nil {
			return err
		}
		out, err := account.Deploy(ctx, cfg)
		if err != nil {
			return err
		}
		out.Export(ctx)
		return nil
	})
}
