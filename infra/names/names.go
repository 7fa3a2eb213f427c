// Package names is the leaf every part of the program names things with: the config
// namespace, component type tokens, logical child names, physical names and tags. It imports
// nothing of the program, so every package may use it.
package names

import (
	"fmt"
	"maps"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Namespace is the project's config namespace; it equals Pulumi.yaml's `name`.
const Namespace = "ml-rest-api"

// Component type tokens. Renaming one needs an alias (it is part of every child's URN).
const (
	TypeModelEndpoint = Namespace + ":inference:ModelEndpoint"
	TypeRestAPI       = Namespace + ":api:RestApi"
	TypeAccess        = Namespace + ":access:Access"
	TypeNotifications = Namespace + ":ops:Notifications"
	TypeMonitoring    = Namespace + ":ops:Monitoring"
	TypeFirewall      = Namespace + ":ops:Firewall"
)

// Logical names of the top-level components.
const (
	API     = "api"
	Access  = "access"
	Notify  = "notifications"
	Monitor = "monitoring"
	WAF     = "waf"
	// CanarySuffix names the canary version of a model: <model>-canary (component and endpoint).
	CanarySuffix = "-canary"
)

// Tag keys the program sets on every taggable resource.
const (
	TagProject = "project"
	TagStack   = "stack"
	TagModel   = "model"
)

// ReservedTagKeys are the tag keys the program sets itself; config may not set them.
var ReservedTagKeys = []string{TagProject, TagStack, TagModel}

// Child names a component's child resource: <component>-<role>.
func Child(component, role string) string { return component + "-" + role }

// EndpointName is the physical name of a model's SageMaker endpoint. Endpoints are updated in
// place (a new endpoint configuration is swapped in), so a stable name is safe; it scopes the
// execution role's log permissions and the alarms to exactly this endpoint.
func EndpointName(project, stack, model string) string {
	return fmt.Sprintf("%s-%s-%s", project, stack, model)
}

// VariantName is the fixed production variant name: deployment guardrails need the same name
// across endpoint configurations, the autoscaling resource id and the metrics' dimensions
// contain it.
const VariantName = "AllTraffic"

// ShadowVariantName is a shadow variant's name (models.<m>.shadow): SageMaker copies a share of
// the production variant's requests to it and discards its answers.
const ShadowVariantName = "Shadow"

// EndpointLogGroup is the log group SageMaker writes an endpoint's container logs to.
func EndpointLogGroup(endpointName string) string { return "/aws/sagemaker/Endpoints/" + endpointName }

// EndpointAlarmName derives an alarm's name from the endpoint name (known before the endpoint
// exists), so the alarms can name the endpoint in their dimensions without a dependency cycle.
func EndpointAlarmName(endpointName, kind string) string { return endpointName + "-" + kind }

// StageVariableEndpoint is the stage variable that holds a model's endpoint name.
func StageVariableEndpoint(model string) string { return model + "Endpoint" }

// APIName is the REST API's name (the ApiName dimension of its metrics).
func APIName(project, stack string) string { return project + "-" + stack }

// MetricsNamespace is the stack's own CloudWatch namespace.
func MetricsNamespace(project, stack string) string { return project + "/" + stack }

// Tags returns the common tags plus the stack's extra tags; model may be empty.
func Tags(project, stack string, extra map[string]string, model string) pulumi.StringMap {
	t := map[string]string{}
	maps.Copy(t, extra)
	t[TagProject] = project
	t[TagStack] = stack
	if model != "" {
		t[TagModel] = model
	}
	return pulumi.ToStringMap(t)
}
