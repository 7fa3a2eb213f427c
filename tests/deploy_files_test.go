package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
		assert.Equal(t, []string{"bash .ci/gate"}, s.Operation.PreRunCommands, "the gate runs before every deployment")
		assert.Contains(t, s.GitHub.Paths, "internal/**", "the program imports internal/")
		for k := range s.Operation.EnvironmentVariables {
			assert.NotContains(t, []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}, k, "no stored AWS keys")
		}
	}
}

// The deploy gate runs no CLI build, no rehearsal and no apt-get: every command line of the
// script is checked, and the packages it tests are everything but the rehearsal.
func TestDeployGateBuildsNothing(t *testing.T) {
	t.Parallel()
	script, err := os.ReadFile(filepath.Join(repoRoot, ".ci", "gate"))
	require.NoError(t, err)
	var commands []string
	for _, line := range strings.Split(string(script), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			commands = append(commands, l)
		}
	}
	for _, c := range commands {
		for _, banned := range []string{"apt-get", "apt ", "dpkg", "build-cli.sh", "ML_REST_API_PULUMI_ROOT", "go install", "go build"} {
			assert.NotContains(t, c, banned, "the gate must not install or build: %s", c)
		}
	}
	assert.Contains(t, commands, "go test -count=1 -timeout 900s $(packages)")
	out, err := exec.Command("bash", filepath.Join(repoRoot, ".ci", "gate"), "--list").Output()
	require.NoError(t, err)
	pkgs := strings.Fields(string(out))
	assert.Contains(t, pkgs, "github.com/ml-rest-api/ml-rest-api/tests", "the unit, contract and template tests")
	assert.Contains(t, pkgs, "github.com/ml-rest-api/ml-rest-api/internal/awscontract")
	assert.NotContains(t, pkgs, "github.com/ml-rest-api/ml-rest-api/tests/rehearsal", "no offline rehearsal (it needs the CLI)")
	full, err := os.ReadFile(filepath.Join(repoRoot, ".ci", "run"))
	require.NoError(t, err)
	assert.Contains(t, string(full), "build-cli.sh", ".ci/run stays the full verification")
}

// build-cli.sh uses a pulumi on PATH when it is the version the rehearsal supports (v3.250.0)
// and builds nothing; any other version is not used (here, with building refused, it fails
// and says why).
func TestBuildCLIUsesThePulumiOnPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version string
		used    bool
	}{{"v3.250.0", true}, {"v3.274.1", false}} {
		bin, home := t.TempDir(), t.TempDir()
		fake := filepath.Join(bin, "pulumi")
		require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho "+tc.version+"\n"), 0o755))
		cmd := exec.Command("bash", filepath.Join(repoRoot, "tests", "rehearsal", "build-cli.sh"))
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+home,
			"ML_REST_API_PULUMI_ROOT=", "ML_REST_API_PULUMI_NO_BUILD=1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if !tc.used {
			require.Error(t, err, tc.version)
			assert.Contains(t, stderr.String(), "is "+tc.version+", not v3.250.0, which the rehearsal supports")
			assert.Contains(t, stderr.String(), "ML_REST_API_PULUMI_NO_BUILD is set: not building it")
			continue
		}
		require.NoError(t, err, stderr.String())
		root := strings.TrimSpace(stdout.String())
		target, err := filepath.EvalSymlinks(filepath.Join(root, "bin", "pulumi"))
		require.NoError(t, err)
		want, _ := filepath.EvalSymlinks(fake)
		assert.Equal(t, want, target, "the rehearsal runs the pulumi found on PATH")
		assert.Contains(t, stderr.String(), "using the Pulumi CLI on PATH")
	}
}
