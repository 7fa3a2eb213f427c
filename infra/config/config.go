// Package config is the stack's configuration: each component's settings composed into one
// StackConfig, decoded strictly, defaulted, and validated with the rules that span components.
// Only the composition root (package infra) sees all of it.
package config

import (
	"github.com/ml-rest-api/ml-rest-api/infra/access"
	"github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/infra/inference"
	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/infra/ops"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Config keys (each one structured value per concern, declared in Pulumi.yaml's `config:`).
const (
	KeyModels       = "models"
	KeyAPI          = "api"
	KeyAccess       = "access"
	KeyCanary       = "canary"
	KeyAPIKeyValues = "apiKeyValues"
	KeyTags         = "tags"
	KeyMonitoring   = "monitoring"
	KeyWAF          = "waf"
	KeyProtection   = "protection"
)

// configKeys lists every key the program reads; any other key in the project namespace is an error.
var configKeys = []string{KeyModels, KeyAPI, KeyAccess, KeyCanary, KeyAPIKeyValues, KeyTags, KeyMonitoring, KeyWAF, KeyProtection}

// StackConfig is the whole validated configuration of one stack.
type StackConfig struct {
	Project string
	Stack   string

	Models map[string]inference.Config
	API    api.Config
	Access access.Config
	// Canary is nil when no model canary is running.
	Canary *CanaryConfig
	// APIKeyValues holds client API key values supplied as Pulumi secrets (client name → value).
	APIKeyValues map[string]string
	// Tags are added to every taggable resource, after the project/stack/model tags.
	Tags map[string]string
	// Monitoring, WAF and Protection are nil when the stack turns them off.
	Monitoring *ops.MonitoringConfig
	WAF        *ops.WAFConfig
	Protection *ProtectionConfig
}

// ProtectionConfig guards production resources.
type ProtectionConfig struct {
	// ProtectEndpoints sets Pulumi's protect on the stable SageMaker endpoints.
	ProtectEndpoints bool `json:"protectEndpoints,omitempty"`
	// ProtectLogGroups sets protect on the API log groups; RetainLogGroups keeps them on destroy.
	ProtectLogGroups bool `json:"protectLogGroups,omitempty"`
	// ProtectAPI sets protect on the REST API and its stage (their invoke URL is what apps call).
	ProtectAPI bool `json:"protectApi,omitempty"`
	// ProtectAPIKeys sets protect and retainOnDelete on the API keys (AWS-generated values cannot
	// be recovered) and protect on the usage plans.
	ProtectAPIKeys  bool `json:"protectApiKeys,omitempty"`
	RetainLogGroups bool `json:"retainLogGroups,omitempty"`
	// KMSKeyArn encrypts instance endpoint volumes and the log groups.
	KMSKeyArn string `json:"kmsKeyArn,omitempty"`
}

// CanaryConfig routes a share of one model's traffic to a second version of it.
type CanaryConfig struct {
	Model          string  `json:"model"`
	PercentTraffic float64 `json:"percentTraffic"`
	ModelDataURL   string  `json:"modelDataUrl,omitempty"`
	// ModelPackageArn is the canary's registry model version (for a model from the registry).
	ModelPackageArn   string                 `json:"modelPackageArn,omitempty"`
	Image             *inference.ImageConfig `json:"image,omitempty"`
	MaxPercentTraffic float64                `json:"maxPercentTraffic,omitempty"`
	// Promote is step 1 of a promotion: the stable endpoint moves to the canary's version while
	// the canary endpoint keeps running, so a rolled-back stable update still has the proven
	// version live. Step 2 copies the version into models.<model> and removes this block: the
	// stable endpoint is then unchanged and only the canary is deleted (F1).
	Promote bool `json:"promote,omitempty"`
}

// DefaultCanaryMaxPercent caps canary.percentTraffic unless canary.maxPercentTraffic says
// otherwise.
const DefaultCanaryMaxPercent = 50.0

func (c *StackConfig) applyDefaults() {
	for name, m := range c.Models {
		m.ApplyDefaults()
		c.Models[name] = m
	}
	c.API.ApplyDefaults(c.Stack)
	if c.WAF != nil {
		c.WAF.ApplyDefaults()
	}
	if cn := c.Canary; cn != nil {
		if cn.MaxPercentTraffic == 0 {
			cn.MaxPercentTraffic = DefaultCanaryMaxPercent
		}
		if cn.Image != nil {
			cn.Image.ApplyDefaults()
		}
	}
	if c.APIKeyValues == nil {
		c.APIKeyValues = map[string]string{}
	}
}

// EndpointNames maps each configured model to its stable endpoint's name.
func (c *StackConfig) EndpointNames() map[string]string {
	out := map[string]string{}
	for model := range c.Models {
		out[model] = names.EndpointName(c.Project, c.Stack, model)
	}
	return out
}

// ResourceTags are the common tags plus the stack's extra tags; model may be empty.
func (c *StackConfig) ResourceTags(model string) pulumi.StringMap {
	return names.Tags(c.Project, c.Stack, c.Tags, model)
}

// APISpec is the API's settings with the stack they belong to.
func (c *StackConfig) APISpec() api.Spec {
	return api.Spec{Project: c.Project, Stack: c.Stack, Config: c.API}
}
