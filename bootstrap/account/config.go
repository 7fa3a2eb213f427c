// Package account is the ml-rest-api account bootstrap: the OIDC provider for Pulumi Cloud,
// one deploy role per stack, and the API Gateway account CloudWatch role.
package account

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/infra/config"
	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/problems"
	"github.com/ml-rest-api/ml-rest-api/internal/strictjson"
)

// Namespace is the bootstrap project's config namespace (its Pulumi.yaml name).
const Namespace = "ml-rest-api-bootstrap"

// KeyAccount is the one config key of the bootstrap.
const KeyAccount = "account"

// Config is the bootstrap's validated configuration.
type Config struct {
	Stack                   string   `json:"-"`
	PulumiOrg               string   `json:"pulumiOrg"`
	Project                 string   `json:"project,omitempty"`
	Stacks                  []string `json:"stacks"`
	ExistingOIDCProviderArn string   `json:"existingOidcProviderArn,omitempty"`
	ManageAPIGatewayAccount *bool    `json:"manageApiGatewayAccount,omitempty"`
}

var (
	reOrg         = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)
	reStack       = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)
	reProviderArn = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/api\.pulumi\.com/oidc$`)
)

// LoadConfig decodes ml-rest-api-bootstrap:account strictly, applies defaults and validates,
// reporting every problem at once with the key and the fix.
func LoadConfig(src config.ConfigSource) (*Config, error) {
	var errs []error
	for _, k := range src.Keys() {
		if name, ok := strings.CutPrefix(k, Namespace+":"); ok && name != KeyAccount {
			errs = append(errs, fmt.Errorf("%s: unknown key; the bootstrap reads only %s:%s", k, Namespace, KeyAccount))
		}
	}
	c := &Config{Stack: src.Stack()}
	raw, ok := src.Get(Namespace + ":" + KeyAccount)
	if !ok {
		errs = append(errs, fmt.Errorf("%s:%s: missing; set {pulumiOrg, stacks} in Pulumi.%s.yaml", Namespace, KeyAccount, src.Stack()))
	} else {
		errs = append(errs, strictjson.Decode(Namespace+":"+KeyAccount, raw, c)...)
	}
	if len(errs) == 0 {
		if c.Project == "" {
			c.Project = names.Namespace
		}
		if c.ManageAPIGatewayAccount == nil {
			yes := true
			c.ManageAPIGatewayAccount = &yes
		}
		errs = c.validate()
	}
	if len(errs) > 0 {
		return nil, problems.List(errs).Err("invalid bootstrap configuration")
	}
	return c, nil
}

func (c *Config) validate() []error {
	var errs []error
	key := Namespace + ":" + KeyAccount
	if !reOrg.MatchString(c.PulumiOrg) {
		errs = append(errs, fmt.Errorf("%s.pulumiOrg: set it to your Pulumi Cloud organisation (got %q)", key, c.PulumiOrg))
	}
	if len(c.Stacks) == 0 {
		errs = append(errs, fmt.Errorf("%s.stacks: list the %s stacks that deploy into this account, e.g. [dev, prod]", key, c.Project))
	}
	seen := map[string]bool{}
	for i, s := range c.Stacks {
		if !reStack.MatchString(s) {
			errs = append(errs, fmt.Errorf("%s.stacks[%d]: not a stack name (got %q)", key, i, s))
		}
		if seen[s] {
			errs = append(errs, fmt.Errorf("%s.stacks[%d]: %q is listed twice", key, i, s))
		}
		seen[s] = true
	}
	if a := c.ExistingOIDCProviderArn; a != "" && !reProviderArn.MatchString(a) {
		errs = append(errs, fmt.Errorf("%s.existingOidcProviderArn: must be the ARN of the account's api.pulumi.com/oidc provider (got %q)", key, a))
	}
	return errs
}

// DeployRoleName is the role a stack's deployments assume (the deploy files name it).
func DeployRoleName(project, stack string) string { return project + "-deploy-" + stack }
