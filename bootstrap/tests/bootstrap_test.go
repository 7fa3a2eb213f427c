package tests

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/ml-rest-api/ml-rest-api/bootstrap/account"
	"github.com/ml-rest-api/ml-rest-api/infra/config"
	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
	goldenfile "github.com/ml-rest-api/ml-rest-api/internal/golden"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/ml-rest-api/ml-rest-api/tests/mockaws"
)

const (
	stack    = "eu-west-1"
	tRole    = awstypes.IAMRole
	tPolicy  = awstypes.IAMRolePolicy
	tOIDC    = awstypes.IAMOpenIdConnectProvider
	tAccount = awstypes.APIGatewayAccount
)

type bootRun struct {
	mon     *mockaws.Monitor
	outputs map[string]any
}

func (r *bootRun) get(t *testing.T, typ, name string) *mockaws.Res {
	t.Helper()
	x, ok := r.mon.Lookup(typ, name)
	require.True(t, ok, "no %s %s", typ, name)
	return x
}

// runBootstrap runs the bootstrap program under mocks with its committed stack file, edited.
func runBootstrap(t *testing.T, dryRun bool, edit func(c map[string]any)) (*bootRun, error) {
	t.Helper()
	cfg, _, err := config.ReadStackFile("..", stack)
	require.NoError(t, err)
	if edit != nil {
		var c map[string]any
		require.NoError(t, json.Unmarshal([]byte(cfg[account.Namespace+":account"]), &c))
		edit(c)
		b, err := json.Marshal(c)
		require.NoError(t, err)
		cfg[account.Namespace+":account"] = string(b)
	}
	run := &bootRun{mon: mockaws.New(cfg["aws:region"]), outputs: map[string]any{}}
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		c, err := account.LoadConfig(config.ContextConfig(ctx))
		if err != nil {
			return err
		}
		out, err := account.Deploy(ctx, c)
		if err != nil {
			return err
		}
		out.Export(ctx)
		roles := pulumi.StringMap{}
		for k, v := range out.DeployRoleArns {
			roles[k] = v
		}
		for name, v := range map[string]pulumi.Input{account.OutOIDCProviderArn: out.OIDCProviderArn, account.OutDeployRoleArns: roles, account.OutAPIGatewayLoggingRole: out.APIGatewayCloudWatchRole} {
			res, err := internals.UnsafeAwaitOutput(context.Background(), pulumi.ToOutput(v))
			if err != nil {
				return err
			}
			b, _ := json.Marshal(res.Value)
			var plain any
			_ = json.Unmarshal(b, &plain)
			run.outputs[name] = plain
		}
		return nil
	}, pulumi.WithMocks(account.Namespace, stack, run.mon), func(info *pulumi.RunInfo) {
		info.Config = cfg
		info.DryRun = dryRun
	})
	return run, err
}

func golden(t *testing.T, name, doc string) {
	t.Helper()
	goldenfile.JSON(t, filepath.Join("testdata", name), doc)
}

func TestBootstrap(t *testing.T) {
	run, err := runBootstrap(t, false, nil)
	require.NoError(t, err)

	p := run.get(t, tOIDC, "account-oidc-provider")
	assert.Equal(t, "https://api.pulumi.com/oidc", p.In("url"))
	assert.Equal(t, []any{"example-tv"}, p.In("clientIdLists"), "audience = the Pulumi organisation")
	providerArn := p.Out("arn")
	assert.Equal(t, providerArn, run.outputs[account.OutOIDCProviderArn])

	roles := run.outputs[account.OutDeployRoleArns].(map[string]any)
	for _, s := range []string{"dev", "prod"} {
		role := run.get(t, tRole, "account-deploy-"+s)
		assert.Equal(t, "ml-rest-api-deploy-"+s, role.In("name"))
		assert.Equal(t, role.Out("arn"), roles[s])
		var trust iampolicy.PolicyDocument
		require.NoError(t, json.Unmarshal([]byte(role.Str("assumeRolePolicy")), &trust))
		require.Len(t, trust.Statement, 1)
		assert.Equal(t, providerArn, trust.Statement[0].Principal["Federated"])
		assert.Equal(t, "example-tv", trust.Statement[0].Condition["StringEquals"]["api.pulumi.com/oidc:aud"])
		assert.Equal(t, "pulumi:deploy:org:example-tv:project:ml-rest-api:stack:"+s+":*", trust.Statement[0].Condition["StringLike"]["api.pulumi.com/oidc:sub"], "only this stack may assume it")
		golden(t, s+"-deploy-trust.json", role.Str("assumeRolePolicy"))
		golden(t, s+"-deploy-policy.json", run.get(t, tPolicy, "account-deploy-"+s+"-policy").Str("policy"))
	}
	acct := run.get(t, tAccount, "account-apigateway-account")
	assert.Equal(t, run.get(t, tRole, "account-apigateway-cloudwatch").Out("arn"), acct.In("cloudwatchRoleArn"))
	assert.Equal(t, acct.In("cloudwatchRoleArn"), run.outputs[account.OutAPIGatewayLoggingRole])
}

// Deploy permissions: explicit actions only; "*" only for the unscoped allowlist, in statements
// of their own; wildcard ARNs only where DeployWildcards says why; scoped to the stack.
func TestDeployPoliciesAreScoped(t *testing.T) {
	run, err := runBootstrap(t, false, nil)
	require.NoError(t, err)
	for _, s := range []string{"dev", "prod"} {
		var doc iampolicy.PolicyDocument
		require.NoError(t, json.Unmarshal([]byte(run.get(t, tPolicy, "account-deploy-"+s+"-policy").Str("policy")), &doc))
		for _, st := range doc.Statement {
			for _, a := range st.Action {
				assert.NotContains(t, a, "*", "%s: action wildcard %s", st.Sid, a)
			}
			for _, r := range st.Resource {
				switch {
				case r == "*":
					for _, a := range st.Action {
						_, ok := account.UnscopedDeployActions[a]
						assert.True(t, ok, "%s: %s on * is not in UnscopedDeployActions", st.Sid, a)
					}
				case strings.Contains(r, "*"):
					assert.True(t, account.DeployWildcardAllowed(r), "%s: wildcard %s is not in DeployWildcards", st.Sid, r)
				}
				assert.NotContains(t, r, "ml-rest-api-"+other(s), "%s: the %s role reaches the other stack", st.Sid, s)
			}
		}
	}
}

func other(s string) string {
	if s == "dev" {
		return "prod"
	}
	return "dev"
}

func TestExistingProviderIsReused(t *testing.T) {
	const existing = "arn:aws:iam::123456789012:oidc-provider/api.pulumi.com/oidc"
	run, err := runBootstrap(t, false, func(c map[string]any) {
		c["existingOidcProviderArn"] = existing
		c["manageApiGatewayAccount"] = false
	})
	require.NoError(t, err)
	_, created := run.mon.Lookup(tOIDC, "account-oidc-provider")
	assert.False(t, created, "AWS allows one provider per URL per account")
	_, acct := run.mon.Lookup(tAccount, "account-apigateway-account")
	assert.False(t, acct)
	var trust iampolicy.PolicyDocument
	require.NoError(t, json.Unmarshal([]byte(run.get(t, tRole, "account-deploy-dev").Str("assumeRolePolicy")), &trust))
	assert.Equal(t, existing, trust.Statement[0].Principal["Federated"])
	assert.Equal(t, "", run.outputs[account.OutAPIGatewayLoggingRole])
}

func TestBadBootstrapConfigs(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(c map[string]any)
		want string
	}{
		"unknown key": {func(c map[string]any) { c["stack"] = []any{"dev"} },
			`ml-rest-api-bootstrap:account: unknown key "stack"; valid keys here: pulumiOrg, project, stacks, existingOidcProviderArn, manageApiGatewayAccount`},
		"missing org and stacks": {func(c map[string]any) { delete(c, "pulumiOrg"); delete(c, "stacks") },
			"ml-rest-api-bootstrap:account.pulumiOrg: set it to your Pulumi Cloud organisation (got \"\")\nml-rest-api-bootstrap:account.stacks: list the ml-rest-api stacks that deploy into this account, e.g. [dev, prod]"},
		"duplicate stack": {func(c map[string]any) { c["stacks"] = []any{"dev", "dev"} },
			`ml-rest-api-bootstrap:account.stacks[1]: "dev" is listed twice`},
		"bad provider ARN": {func(c map[string]any) {
			c["existingOidcProviderArn"] = "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"
		},
			`ml-rest-api-bootstrap:account.existingOidcProviderArn: must be the ARN of the account's api.pulumi.com/oidc provider (got "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com")`},
	} {
		t.Run(name, func(t *testing.T) {
			run, err := runBootstrap(t, false, tc.edit)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, run.mon.Resources(), "nothing is registered on a bad configuration")
		})
	}
}

func TestBootstrapProjectFileLoads(t *testing.T) {
	p, err := workspace.LoadProject(filepath.Join("..", "Pulumi.yaml"))
	require.NoError(t, err)
	assert.Equal(t, account.Namespace, string(p.Name))
}

func TestBootstrapDryRun(t *testing.T) {
	run, err := runBootstrap(t, true, nil)
	require.NoError(t, err)
	assert.NotEmpty(t, run.mon.Resources())
}

// The deploy files of the main project assume exactly the roles this bootstrap creates.
func TestDeployFilesReferenceTheBootstrapRoles(t *testing.T) {
	cfg, _, err := config.ReadStackFile("..", stack)
	require.NoError(t, err)
	var c account.Config
	require.NoError(t, json.Unmarshal([]byte(cfg[account.Namespace+":account"]), &c))
	for _, s := range c.Stacks {
		raw, err := os.ReadFile(filepath.Join("..", "..", "Pulumi."+s+".deploy.yaml"))
		require.NoError(t, err, "bootstrap stack %s has no deploy file", s)
		var d workspace.ProjectStackDeployment
		require.NoError(t, yaml.Unmarshal(raw, &d))
		assert.Equal(t, "arn:aws:iam::"+mockaws.Account+":role/"+account.DeployRoleName(c.Project, s), d.DeploymentSettings.Operation.OIDC.AWS.RoleARN, s)
	}
}

// The bootstrap meets AWS's published contract too (internal/awscontract): every input of every
// resource against the API models, every IAM action against the services' operations, every
// ARN against its service's format, the trust policies against the keys each service sends.
func TestBootstrapMeetsTheAWSContract(t *testing.T) {
	models, err := awscontract.Load()
	require.NoError(t, err)
	run, err := runBootstrap(t, false, nil)
	require.NoError(t, err)
	var got []string
	for _, f := range awscontract.Check(models, mockaws.Contract(run.mon.Resources())) {
		got = append(got, f.String())
	}
	assert.Empty(t, strings.Join(got, "\n"))
	assert.NotEmpty(t, run.mon.Resources(), "the check saw the bootstrap's resources")
}
