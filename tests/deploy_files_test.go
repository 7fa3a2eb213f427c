package tests

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// The Pulumi Deployments files decode strictly into the CLI's own types (a misspelled key
// fails), and carry the settings the README promises.
func TestDeploymentSettingsFiles(t *testing.T) {
	t.Parallel()
	want := map[string]string{"dev": "refs/heads/main", "prod": "refs/heads/release"}
	for _, stack := range stacks {
		raw, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi."+stack+".deploy.yaml"))
		require.NoError(t, err)
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		var d workspace.ProjectStackDeployment
		require.NoError(t, dec.Decode(&d), stack)
		s := d.DeploymentSettings
		require.NotNil(t, s.SourceContext)
		assert.Equal(t, want[stack], s.SourceContext.Git.Branch, stack)
		assert.Empty(t, s.SourceContext.Git.RepoURL, "repoUrl must not be set alongside gitHub")
		require.NotNil(t, s.GitHub)
		assert.True(t, s.GitHub.DeployCommits)
		assert.True(t, s.GitHub.PreviewPullRequests)
		assert.Contains(t, s.GitHub.Paths, "Pulumi."+stack+".yaml")
		assert.Contains(t, s.GitHub.Paths, "templates/**")
		require.NotNil(t, s.Operation)
		require.NotNil(t, s.Operation.OIDC)
		require.NotNil(t, s.Operation.OIDC.AWS, "AWS credentials through OIDC")
		assert.Equal(t, "arn:aws:iam::123456789012:role/ml-rest-api-deploy-"+stack, s.Operation.OIDC.AWS.RoleARN)
		assert.Equal(t, []string{"bash .ci/run"}, s.Operation.PreRunCommands, "the tests gate every deployment")
		for k := range s.Operation.EnvironmentVariables {
			assert.NotContains(t, []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}, k, "no stored AWS keys")
		}
	}
}
