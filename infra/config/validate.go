package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/infra/inference"
	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/internal/problems"
)

var (
	reModelName    = regexp.MustCompile(`^[a-z][a-zA-Z0-9]{0,23}$`)
	reEndpointName = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)
	reAPIKeyValue  = regexp.MustCompile(`^[A-Za-z0-9]{20,128}$`)
)

// problems collects validation errors; every message names the key path and the fix.
type problemList struct{ problems.List }

func (p *problemList) add(path, format string, args ...any) { p.Add(keyPath(path), format, args...) }

// has reports whether a problem was already found at path or under it (a stage variable built
// from a value already refused is not reported twice).
func (p *problemList) has(path string) bool {
	for _, e := range p.List {
		if msg := e.Error(); strings.HasPrefix(msg, keyPath(path)+":") || strings.HasPrefix(msg, keyPath(path)+"[") {
			return true
		}
	}
	return false
}

// Validate checks the decoded, defaulted configuration and reports every problem at once: each
// component's own settings (their Validate), then the rules that span keys.
func (c *StackConfig) Validate() error {
	var p problemList
	for _, name := range sortedKeys(c.Models) {
		c.Models[name].Validate(&p.List, keyPath(KeyModels+"."+name))
	}
	c.API.Validate(&p.List, keyPath(KeyAPI))
	c.Access.Validate(&p.List, keyPath(KeyAccess))
	if m := c.Monitoring; m != nil {
		m.Validate(&p.List, keyPath(KeyMonitoring))
	}
	if w := c.WAF; w != nil {
		w.Validate(&p.List, keyPath(KeyWAF))
	}
	c.validateModels(&p)
	c.validateRoutes(&p)
	c.validateAPIKeyValues(&p)
	c.validateCanary(&p)
	c.validateTags(&p)
	c.validateStageVariables(&p)
	if pr := c.Protection; pr != nil && pr.KMSKeyArn != "" && !awscontract.ValidKMSKeyARN(pr.KMSKeyArn) {
		p.add(KeyProtection+".kmsKeyArn", "must be a KMS key ARN like arn:aws:kms:eu-west-1:123456789012:key/<uuid> (got %q)", pr.KMSKeyArn)
	}
	if len(p.List) > 0 {
		return configError(p.List)
	}
	return nil
}

// validateModels: the names models give the stage variable and the endpoints, and the alarms
// the guardrails roll back on.
func (c *StackConfig) validateModels(p *problemList) {
	if len(c.Models) == 0 {
		p.add(KeyModels, "declare at least one model (e.g. ratings)")
	}
	for _, name := range sortedKeys(c.Models) {
		path := KeyModels + "." + name
		if !reModelName.MatchString(name) {
			p.add(path, "model names must match %s (they name the stage variable <model>Endpoint)", reModelName)
		}
		for _, suffix := range []string{"", names.CanarySuffix} {
			if ep := names.EndpointName(c.Project, c.Stack, name) + suffix; !reEndpointName.MatchString(ep) {
				p.add(path, "endpoint name %q is longer than 63 characters or malformed; shorten the model or stack name", ep)
			}
		}
		if c.Models[name].Guardrails != nil && (c.Monitoring == nil || c.Monitoring.Alarms == nil) {
			p.add(path+".deploymentGuardrails", "rolls back on the endpoint alarms: set %s.alarms", keyPath(KeyMonitoring))
		}
	}
}

// validateRoutes: every route targets a declared model; plan route throttles name routes.
func (c *StackConfig) validateRoutes(p *problemList) {
	for i, r := range c.API.Routes {
		if _, ok := c.Models[r.Model]; !ok {
			p.add(fmt.Sprintf("%s.routes[%d].model", KeyAPI, i), "model %q is not declared under %s; use one of %s", r.Model, keyPath(KeyModels), strings.Join(sortedKeys(c.Models), ", "))
		}
	}
	for _, plan := range sortedKeys(c.Access.Plans) {
		for _, route := range sortedKeys(c.Access.Plans[plan].RouteThrottles) {
			if _, ok := c.API.Route(route); !ok {
				p.add(KeyAccess+".plans."+plan+".routeThrottles."+route, "no route has path %q; use one of %s", route, strings.Join(c.API.RoutePaths(), ", "))
			}
		}
	}
}

// validateAPIKeyValues: each supplied key value belongs to a client and has a form API Gateway
// accepts.
func (c *StackConfig) validateAPIKeyValues(p *problemList) {
	for _, name := range sortedKeys(c.APIKeyValues) {
		path := KeyAPIKeyValues + "." + name
		if _, ok := c.Access.Clients[name]; !ok {
			p.add(path, "no client %q under %s; remove the value or add the client", name, keyPath(KeyAccess+".clients"))
		}
		if !reAPIKeyValue.MatchString(c.APIKeyValues[name]) {
			p.add(path, "an API key value must be 20-128 letters or digits (value not shown)")
		}
	}
}

func (c *StackConfig) validateCanary(p *problemList) {
	cn := c.Canary
	if cn == nil {
		return
	}
	stable, ok := c.Models[cn.Model]
	if !ok {
		p.add(KeyCanary+".model", "model %q is not declared under %s; use one of %s", cn.Model, keyPath(KeyModels), strings.Join(sortedKeys(c.Models), ", "))
	}
	if cn.MaxPercentTraffic <= 0 || cn.MaxPercentTraffic > 100 {
		p.add(KeyCanary+".maxPercentTraffic", "must be greater than 0 and at most 100 (got %g)", cn.MaxPercentTraffic)
	}
	if cn.PercentTraffic <= 0 || cn.PercentTraffic > cn.MaxPercentTraffic {
		p.add(KeyCanary+".percentTraffic", "must be greater than 0 and at most %g (maxPercentTraffic) (got %g)", cn.MaxPercentTraffic, cn.PercentTraffic)
	}
	c.validateCanaryVersion(p, ok && stable.ModelPackage != nil)
	if ok {
		cm := c.CanaryModel()
		if cm.ModelDataURL == stable.ModelDataURL && cm.Image == stable.Image && packageArn(cm) == packageArn(stable) {
			p.add(KeyCanary, "the canary is identical to models.%s; change modelDataUrl, modelPackageArn or image, or remove the canary block", cn.Model)
		}
	}
}

// validateCanaryVersion: a canary of a registry model is another package version (and maybe
// image); of any other model, another artifact and/or image.
func (c *StackConfig) validateCanaryVersion(p *problemList, fromRegistry bool) {
	cn := c.Canary
	switch {
	case fromRegistry && cn.ModelDataURL != "":
		p.add(KeyCanary+".modelDataUrl", "models.%s comes from the model registry: set canary.modelPackageArn to the version to try instead", cn.Model)
	case fromRegistry && cn.ModelPackageArn == "":
		// The package defines the container: an image alone would deploy the same version.
		p.add(KeyCanary, "set modelPackageArn (the registry version to try) for the canary version of %q; with a registry model, image only names the package's image for the pull grant", cn.Model)
	case !fromRegistry && cn.ModelPackageArn != "":
		p.add(KeyCanary+".modelPackageArn", "models.%s does not come from the model registry (no modelPackage): set modelDataUrl and/or image instead", cn.Model)
	case !fromRegistry && cn.ModelDataURL == "" && cn.Image == nil:
		p.add(KeyCanary, "set modelDataUrl and/or image for the canary version of %q", cn.Model)
	}
	inference.ValidateModelDataURL(&p.List, keyPath(KeyCanary+".modelDataUrl"), cn.ModelDataURL, false)
	if cn.ModelPackageArn != "" {
		inference.ValidateModelPackageArn(&p.List, keyPath(KeyCanary+".modelPackageArn"), cn.ModelPackageArn)
	}
	if cn.Image != nil {
		inference.ValidateImage(&p.List, keyPath(KeyCanary+".image"), *cn.Image)
	}
}

func packageArn(m inference.Config) string {
	if m.ModelPackage == nil {
		return ""
	}
	return m.ModelPackage.Arn
}

// validateTags applies AWS's tag rules (awscontract.Tag: lengths, characters, the reserved
// aws: prefix) and its limit of 50 tags per resource, of which the program sets up to three.
func (c *StackConfig) validateTags(p *problemList) {
	if max := awscontract.MaxTags - len(names.ReservedTagKeys); len(c.Tags) > max {
		p.add(KeyTags, "at most %d extra tags (AWS allows %d per resource; the program sets %d) (got %d)", max, awscontract.MaxTags, len(names.ReservedTagKeys), len(c.Tags))
	}
	for _, k := range sortedKeys(c.Tags) {
		if slices.Contains(names.ReservedTagKeys, k) {
			p.add(KeyTags+"."+k, "tag %q is set by the program; choose another key", k)
		} else if err := awscontract.Tag(k, c.Tags[k]); err != nil {
			p.add(KeyTags+"."+k, "%v", err)
		}
	}
}

// validateStageVariables refuses a configuration whose stage variables (or canary override) API
// Gateway would refuse (awscontract.StageVariable), naming the key each variable comes from.
func (c *StackConfig) validateStageVariables(p *problemList) {
	endpoints := c.EndpointNames()
	from := map[string]string{
		api.StageVarMaxItems: KeyAPI + ".maxItems", api.StageVarMaxK: KeyAPI + ".maxK", api.StageVarCORSOrigins: KeyAPI + ".cors.allowedOrigins",
	}
	for model := range c.Models {
		from[names.StageVariableEndpoint(model)] = KeyModels + "." + model
	}
	for i, r := range c.API.Routes {
		from[api.StageVariableInferenceTypes(r.Path)] = fmt.Sprintf("%s.routes[%d].inferenceTypes", KeyAPI, i)
		from[api.StageVariableContentTypes(r.Path)] = fmt.Sprintf("%s.routes[%d].contentTypes", KeyAPI, i)
	}
	vars := api.StageVariables(c.API, endpoints)
	for _, k := range sortedKeys(vars) {
		if err := awscontract.StageVariable(k, vars[k]); err != nil && !p.has(from[k]) {
			p.add(from[k], "%v", err)
		}
	}
	if cn := c.Canary; cn != nil {
		if err := awscontract.StageVariable(names.StageVariableEndpoint(cn.Model), endpoints[cn.Model]+names.CanarySuffix); err != nil {
			p.add(KeyCanary+".model", "canary override: %v", err)
		}
	}
}

// StableModel is the configuration the stable endpoint of a model runs: models.<name>, or the
// canary's version while the canary is being promoted (canary.promote).
func (c *StackConfig) StableModel(name string) inference.Config {
	if cn := c.Canary; cn != nil && cn.Promote && cn.Model == name {
		m := c.CanaryModel()
		m.Shadow = c.Models[name].Shadow // a shadow test stays on the stable endpoint
		return m
	}
	return c.Models[name]
}

// CanaryModel is the model configuration of the canary version: the stable model with the
// canary's artifact and image.
func (c *StackConfig) CanaryModel() inference.Config {
	m := c.Models[c.Canary.Model]
	m.Shadow = nil // the canary endpoint runs the candidate alone; a shadow test is the stable one's
	if c.Canary.ModelDataURL != "" {
		m.ModelDataURL = c.Canary.ModelDataURL
	}
	if c.Canary.ModelPackageArn != "" && m.ModelPackage != nil {
		mp := *m.ModelPackage
		mp.Arn = c.Canary.ModelPackageArn
		m.ModelPackage = &mp
	}
	if c.Canary.Image != nil {
		m.Image = *c.Canary.Image
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
