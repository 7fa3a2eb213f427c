package infra

import (
	"fmt"
	"maps"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Component type tokens. Renaming one needs an alias.
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
	NameAPI     = "api"
	NameAccess  = "access"
	NameNotify  = "notifications"
	NameMonitor = "monitoring"
	NameWAF     = "waf"
	// CanarySuffix names the canary version of a model: <model>-canary.
	CanarySuffix = "-canary"
)

// Tag keys the program sets on every taggable resource.
const (
	TagProject = "project"
	TagStack   = "stack"
	TagModel   = "model"
)

var reservedTagKeys = []string{TagProject, TagStack, TagModel}

// child names a component's child resource: <component>-<role>.
func child(component, role string) string { return component + "-" + role }

// EndpointName is the physical name of a model's SageMaker endpoint. Endpoints are updated in
// place (a new endpoint configuration is swapped in), so a stable name is safe; it scopes the
// execution role's log permissions and the alarms to exactly this endpoint.
func EndpointName(project, stack, model string) string {
	return fmt.Sprintf("%s-%s-%s", project, stack, model)
}

// EndpointNames maps each configured model to its stable endpoint's name.
func (c *StackConfig) EndpointNames() map[string]string {
	out := map[string]string{}
	for model := range c.Models {
		out[model] = EndpointName(c.Project, c.Stack, model)
	}
	return out
}

// StageVariableEndpoint is the stage variable that holds a model's endpoint name.
func StageVariableEndpoint(model string) string { return model + "Endpoint" }

// Tags returns the common tags plus the stack's extra tags; model may be empty.
func (c *StackConfig) tags(model string) pulumi.StringMap {
	t := map[string]string{}
	maps.Copy(t, c.Tags)
	t[TagProject] = c.Project
	t[TagStack] = c.Stack
	if model != "" {
		t[TagModel] = model
	}
	return pulumi.ToStringMap(t)
}
