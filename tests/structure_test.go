package tests

import (
	"sort"
	"strings"
	"testing"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// taggable classifies every AWS type the program registers: true when it takes tags. A new type
// must be added here, so nobody forgets its tags.
var taggable = map[string]bool{
	tRole: true, tModel: true, tEndpointConfig: true, tEndpoint: true, tScalingTarget: true, tAlarm: true,
	tRestAPI: true, tStage: true, tLogGroup: true, tAPIKey: true, tUsagePlan: true, tUsagePlanKey: false,
	tRolePolicy: false, tScalingPolicy: false, tSchedule: false, tResource: false, tMethod: false, tIntegration: false,
	tIntegrationRes: false, tMethodRes: false, tValidator: false, tGatewayRes: false, tDeployment: false,
	tMethodSettings: false, tAccount: false, tDomainName: true, tBasePathMapping: false,
	tLogMetricFilter: false, tDashboard: false, tTopic: true, tTopicSubscription: false, tWebACL: true, tWebACLAssoc: false,
}

func TestEveryTaggableResourceIsTagged(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		run := runStack(t, stack)
		extra := map[string]string{"dev": "development", "prod": "production"}[stack]
		for _, r := range run.Resources() {
			if !r.Custom {
				continue
			}
			tag, known := taggable[r.Type]
			require.True(t, known, "classify %s in taggable", r.Type)
			if !tag {
				continue
			}
			tags := r.Map("tags")
			assert.Equal(t, names.Namespace, tags["project"], r.Name)
			assert.Equal(t, stack, tags["stack"], r.Name)
			assert.Equal(t, "ml-platform", tags["team"], r.Name)
			assert.Equal(t, extra, tags["environment"], r.Name)
			if strings.Contains(r.Parent, names.TypeModelEndpoint) {
				model := strings.TrimSuffix(r.Parent[strings.LastIndex(r.Parent, "::")+2:], names.CanarySuffix)
				assert.Equal(t, model, tags["model"], r.Name)
			}
		}
	}
}

// Every resource belongs to a component and carries its component's name as a prefix.
func TestChildrenAreParentedAndPrefixed(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		run := runStack(t, stack)
		for _, r := range run.Resources() {
			if !r.Custom {
				assert.Contains(t, r.Parent, "::pulumi:pulumi:Stack::", "components sit at the top: %s", r.Name)
				continue
			}
			require.NotEmpty(t, r.Parent, "%s %s has no parent component", r.Type, r.Name)
			component := r.Parent[strings.LastIndex(r.Parent, "::")+2:]
			assert.True(t, strings.HasPrefix(r.Name, component+"-"), "%s is not prefixed by its component %s", r.Name, component)
		}
	}
}

// The resource inventory of each committed stack (type::name::parent, sorted) is pinned: a
// refactor (moving code between packages, the OpenAPI document) must not change a URN unless
// the change means to, and the diff of this golden file shows which it does.
func TestResourceInventory(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		run := runStack(t, stack)
		var lines []string
		for _, r := range run.Resources() {
			parent := ""
			if r.Parent != "" {
				u := resource.URN(r.Parent)
				parent = string(u.Type()) + "$" + u.Name()
			}
			lines = append(lines, r.Type+"::"+r.Name+"::"+parent)
		}
		sort.Strings(lines)
		goldenFile(t, stack+"/inventory.txt", []byte(strings.Join(lines, "\n")+"\n"))
	}
}
