package tests

// The AWS contract check: every resource the program registers for every committed stack is
// validated against AWS's published API models (aws-sdk-go v1.55.8) and the rules the models
// cannot express (package internal/awscontract). Zero findings is the bar.

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	restapi "github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/infra/inference"
	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/tests/mockaws"
)

func loadContract(t testing.TB) *awscontract.Models {
	t.Helper()
	ms, err := awscontract.Load()
	require.NoError(t, err)
	return ms
}

func findings(t testing.TB, run *Run) []string {
	t.Helper()
	var out []string
	for _, f := range awscontract.Check(loadContract(t), mockaws.Contract(run.Resources())) {
		out = append(out, f.String())
	}
	return out
}

func TestCommittedStacksMeetTheAWSContract(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		run := runStack(t, stack)
		got := findings(t, run)
		assert.Empty(t, strings.Join(got, "\n"), "%s: %d finding(s)", stack, len(got))
	}
}

// API Gateway refuses a stage variable value outside [A-Za-z0-9-._~:/?#&=,]+ (so no "*" and no
// empty value) and names outside [A-Za-z0-9_]. dev allows any origin: that is a static '*'
// header, never a corsOrigins variable.
func TestStageVariablesAreWhatAPIGatewayAccepts(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		run := runStack(t, stack)
		st := run.Get(tStage, "api-stage")
		vars := map[string]string{}
		for k, v := range st.Map("variables") {
			vars[k] = v.(string)
		}
		for k, v := range asStrings(st.Map("canarySettings")["stageVariableOverrides"]) {
			require.NoError(t, awscontract.StageVariable(k, v), "%s canary override", stack)
		}
		require.NoError(t, restapi.CheckStageVariables(vars), stack)
		if run.Config.API.CORS.AnyOrigin() {
			assert.NotContains(t, vars, restapi.StageVarCORSOrigins, "%s: any origin is a static header", stack)
		} else {
			assert.Equal(t, strings.Join(run.Config.API.CORS.AllowedOrigins, ","), vars[restapi.StageVarCORSOrigins], stack)
		}
	}
	assert.EqualError(t, restapi.CheckStageVariables(map[string]string{"corsOrigins": "*", "ok": "a", "empty": ""}),
		"stage variable corsOrigins = \"*\": API Gateway accepts only non-empty values of letters, digits and -._~:/?#&=,\n"+
			"stage variable empty = \"\": API Gateway accepts only non-empty values of letters, digits and -._~:/?#&=,")
}

func asStrings(v any) map[string]string {
	out := map[string]string{}
	m, _ := v.(map[string]any)
	for k, x := range m {
		out[k], _ = x.(string)
	}
	return out
}

// The program's own copies of AWS's lists and limits equal the model's, so they cannot drift.
func TestConfigRulesMatchTheModels(t *testing.T) {
	t.Parallel()
	sm, ok := loadContract(t).Service("sagemaker")
	require.True(t, ok)
	assert.Equal(t, sm.Shapes["ProductionVariantInstanceType"].Enum, inference.SageMakerInstanceTypes,
		"infra/instancetypes.go must list the model's ProductionVariantInstanceType enum")
	assert.Equal(t, float64(inference.MaxEnvironmentEntries), *sm.Shapes["EnvironmentMap"].Max)
	assert.Equal(t, float64(inference.MaxEnvironmentKey), *sm.Shapes["EnvironmentKey"].Max)
	assert.Equal(t, float64(inference.MaxEnvironmentValue), *sm.Shapes["EnvironmentValue"].Max)
	assert.Equal(t, "[a-zA-Z_][a-zA-Z0-9_]*", sm.Shapes["EnvironmentKey"].Pattern)
	logs, _ := loadContract(t).Service("logs")
	assert.Equal(t, `^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$`, logs.Shapes["TagKey"].Pattern, "the tag rule's character set")
}
