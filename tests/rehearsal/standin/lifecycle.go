package main

// What AWS and the provider do on change, as far as the rehearsal needs it (the sources are the
// rows of ../shared/reference/aws-lifecycle.md, "replacement" table: terraform-provider-aws v5
// ForceNew attributes, which pulumi-aws v6.83.2 bridges, and AWS's API references):
//
//   - a change to a ForceNew input replaces the resource (Diff answers Replaces); the engine
//     then creates the new one before it deletes the old one unless told otherwise;
//   - names AWS keeps unique refuse a second resource of the same name, so a create-before-delete
//     replacement of a fixed name fails (CreateEndpoint "Cannot create already existing
//     endpoint", CreateLogGroup ResourceAlreadyExistsException, CreateRole EntityAlreadyExists);
//   - a deployment a stage (or its canary) still points to cannot be deleted ("Active stages
//     pointing to this deployment must be moved or deleted", pulumi/pulumi-aws#5711);
//   - an endpoint configuration a live endpoint uses, or a model a live endpoint runs, is
//     not deleted (UpdateEndpoint: "You must not delete an EndpointConfig in use by an endpoint
//     that is live"; a deleted model breaks scale-out and instance replacement): the stand-in
//     refuses, so a rehearsal fails where the program would delete what runs;
//   - an endpoint whose autoscaled variant changes instance type is refused ("deregister the
//     scalable target first": https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling.html);
//   - adding or removing an endpoint's deploymentConfig.autoRollbackConfiguration replaces the
//     endpoint (ForceNew in endpoint.go; F8).

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
	"github.com/ml-rest-api/ml-rest-api/tests/mockaws"
)

// AccountEnv names the file where the stand-in keeps its account between operations.
const AccountEnv = "ML_REST_API_STANDIN_ACCOUNT"

// allButTags: every input except tags forces a replacement (SageMaker models and endpoint
// configurations have no update API).
const allButTags = "*"

// forceNew lists, per type, the inputs whose change replaces the resource.
var forceNew = map[string][]string{
	awstypes.SageMakerModel:                 {allButTags},
	awstypes.SageMakerEndpointConfiguration: {allButTags},
	awstypes.SageMakerEndpoint:              {"name"},
	awstypes.AppAutoscalingTarget:           {"resourceId", "scalableDimension", "serviceNamespace"},
	awstypes.AppAutoscalingPolicy:           {"name", "resourceId", "scalableDimension", "serviceNamespace"},
	awstypes.APIGatewayDeployment:           {"restApi", "triggers", "variables"},
	awstypes.APIGatewayStage:                {"restApi", "stageName"},
	awstypes.APIGatewayMethodSettings:       {"restApi", "stageName", "methodPath"},
	awstypes.APIGatewayApiKey:               {"name", "value"},
	awstypes.APIGatewayUsagePlanKey:         {"keyId", "keyType", "usagePlanId"},
	awstypes.CloudWatchMetricAlarm:          {"name"},
	awstypes.CloudWatchDashboard:            {"dashboardName"},
	awstypes.CloudWatchLogGroup:             {"name", "logGroupClass"},
	awstypes.CloudWatchLogMetricFilter:      {"name", "logGroupName"},
	awstypes.IAMRole:                        {"name", "path"},
	awstypes.IAMRolePolicy:                  {"name", "role"},
	awstypes.SNSTopic:                       {"name"},
	awstypes.SNSTopicSubscription:           {"topic", "protocol", "endpoint"},
	awstypes.WAFv2WebAcl:                    {"name", "scope"},
	awstypes.WAFv2WebAclAssociation:         {"resourceArn", "webAclArn"},
	// terraform-provider-aws appautoscaling/scheduled_action.go: the action's key is ForceNew.
	awstypes.AppAutoscalingScheduledAction: {"name", "resourceId", "scalableDimension", "serviceNamespace"},
	// apigateway/domain_name.go: domain_name ForceNew (certificate and TLS policy update in
	// place); base_path_mapping.go: a mapping belongs to one domain name.
	awstypes.APIGatewayDomainName:      {"domainName"},
	awstypes.APIGatewayBasePathMapping: {"domainName"},
}

// uniqueNames are the types whose name AWS keeps unique per account and region, with the input
// that carries it (CreateDomainName: "The domain name … already exists").
var uniqueNames = map[string]string{
	awstypes.SageMakerModel: "name", awstypes.SageMakerEndpointConfiguration: "name",
	awstypes.SageMakerEndpoint: "name", awstypes.CloudWatchLogGroup: "name", awstypes.IAMRole: "name",
	awstypes.APIGatewayDomainName: "domainName",
}

// replaces returns the changed inputs that force a replacement.
func replaces(typ string, diffs []string) []string {
	rules := forceNew[typ]
	var out []string
	for _, k := range diffs {
		if slices.Contains(rules, k) || (slices.Contains(rules, allButTags) && k != "tags") {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// physicalName is a resource's unique name, "" when its type has none.
func physicalName(typ string, in resource.PropertyMap) string {
	key, ok := uniqueNames[typ]
	if !ok {
		return ""
	}
	if v, ok := in[resource.PropertyKey(key)]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

// account is the stand-in's AWS account: what exists, kept across the engine's operations in a
// file (ML_REST_API_STANDIN_ACCOUNT; in memory when unset), as AWS keeps it across runs.
type account struct {
	mu   sync.Mutex
	path string
	// Live maps "<type>|<id>" to what exists.
	Live map[string]liveResource `json:"live"`
}

type liveResource struct {
	Type  string         `json:"type"`
	Name  string         `json:"name,omitempty"` // unique physical name
	State map[string]any `json:"state"`
	// Snapshot is what a deployment serves: the paths of its REST API's document when the
	// deployment was created (CreateDeployment snapshots the API; later changes to the API do
	// not reach a stage until a new deployment).
	Snapshot []string `json:"snapshot,omitempty"`
}

func openAccount(path string) (*account, error) {
	a := &account{path: path, Live: map[string]liveResource{}}
	if path == "" {
		return a, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return a, nil
	}
	if err != nil {
		return nil, err
	}
	return a, json.Unmarshal(b, a)
}

func (a *account) save() error {
	if a.path == "" {
		return nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return os.WriteFile(a.path, b, 0o600)
}

// create refuses a unique name that exists (a create-before-delete replacement of a fixed name
// included), then records the resource.
func (a *account) create(typ, id string, in, state resource.PropertyMap) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	name := physicalName(typ, in)
	if name != "" {
		for _, r := range a.Live {
			if r.Type == typ && r.Name == name {
				return fmt.Errorf("AWS: %s %q already exists: a fixed name cannot be replaced create-before-delete", typ, name)
			}
		}
	}
	r := liveResource{Type: typ, Name: name, State: mockaws.PlainMap(state)}
	if typ == tDeployment {
		api, ok := a.Live[tRestAPI+"|"+fmt.Sprint(r.State["restApi"])]
		if !ok {
			return fmt.Errorf("AWS: NotFoundException: REST API %v", r.State["restApi"])
		}
		r.Snapshot = documentPaths(api.State["body"])
	}
	a.Live[typ+"|"+id] = r
	return a.save()
}

// documentPaths are the paths of an OpenAPI body (sorted).
func documentPaths(body any) []string {
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	s, _ := body.(string)
	if json.Unmarshal([]byte(s), &doc) != nil {
		return nil
	}
	out := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func (a *account) update(typ, id string, state resource.PropertyMap) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if typ == tEndpoint {
		if err := a.instanceTypeChange(id, mockaws.PlainMap(state)); err != nil {
			return err
		}
	}
	r := a.Live[typ+"|"+id]
	r.Type, r.State = typ, mockaws.PlainMap(state)
	a.Live[typ+"|"+id] = r
	return a.save()
}

// delete refuses to delete what is in use: a deployment a stage or its canary points to, an
// endpoint configuration a live endpoint runs, a model a live endpoint's configuration names.
func (a *account) delete(typ, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.Live {
		switch {
		case typ == tEndpointConfig && r.Type == tEndpoint && r.State["endpointConfigName"] == id:
			return fmt.Errorf("AWS: endpoint configuration %s is in use by endpoint %v (You must not delete an EndpointConfig in use)", id, r.State["name"])
		case typ == tModel && r.Type == tEndpoint:
			if cfg, ok := a.Live[tEndpointConfig+"|"+fmt.Sprint(r.State["endpointConfigName"])]; ok && slices.Contains(variantModels(cfg.State), id) {
				return fmt.Errorf("stand-in: model %s runs on live endpoint %v; deleting it would break the endpoint's scale-out", id, r.State["name"])
			}
		}
	}
	if typ == tDeployment {
		for _, r := range a.Live {
			if r.Type != awstypes.APIGatewayStage {
				continue
			}
			canary, _ := r.State["canarySettings"].(map[string]any)
			if r.State["deployment"] == id || (canary != nil && canary["deploymentId"] == id) {
				return fmt.Errorf("AWS: BadRequestException: Active stages pointing to this deployment must be moved or deleted (stage %v uses %s)", r.State["stageName"], id)
			}
		}
	}
	delete(a.Live, typ+"|"+id)
	return a.save()
}

const (
	tModel          = awstypes.SageMakerModel
	tEndpointConfig = awstypes.SageMakerEndpointConfiguration
	tEndpoint       = awstypes.SageMakerEndpoint
	tScalingTarget  = awstypes.AppAutoscalingTarget
	tDeployment     = awstypes.APIGatewayDeployment
	tRestAPI        = awstypes.APIGatewayRestApi
)

// variantModels are the model names of a configuration's production and shadow variants.
func variantModels(config map[string]any) []string {
	var out []string
	vs, _ := config["productionVariants"].([]any)
	shadows, _ := config["shadowProductionVariants"].([]any)
	for _, v := range append(slices.Clone(vs), shadows...) {
		if m, ok := v.(map[string]any); ok {
			out = append(out, fmt.Sprint(m["modelName"]))
		}
	}
	return out
}

// variantTypes are the instance types of a configuration's production variants.
func variantTypes(config map[string]any) []string {
	var out []string
	vs, _ := config["productionVariants"].([]any)
	for _, v := range vs {
		if m, ok := v.(map[string]any); ok && m["instanceType"] != nil {
			out = append(out, fmt.Sprint(m["instanceType"]))
		}
	}
	return out
}

// instanceTypeChange refuses an endpoint update to a configuration of another instance type
// while a scalable target is registered on the endpoint's variant (caller holds the lock).
func (a *account) instanceTypeChange(id string, next map[string]any) error {
	old, ok := a.Live[tEndpoint+"|"+id]
	if !ok || old.State["endpointConfigName"] == next["endpointConfigName"] {
		return nil
	}
	from, fromOK := a.Live[tEndpointConfig+"|"+fmt.Sprint(old.State["endpointConfigName"])]
	to, toOK := a.Live[tEndpointConfig+"|"+fmt.Sprint(next["endpointConfigName"])]
	if !fromOK || !toOK || slices.Equal(variantTypes(from.State), variantTypes(to.State)) {
		return nil
	}
	for _, r := range a.Live {
		if r.Type == tScalingTarget && strings.HasPrefix(fmt.Sprint(r.State["resourceId"]), "endpoint/"+id+"/variant/") {
			return fmt.Errorf("AWS: ValidationException: endpoint %s: the instance type of an autoscaled variant cannot change; deregister the scalable target %v first", id, r.State["resourceId"])
		}
	}
	return nil
}

// rollbackBlockChanged reports whether an endpoint update adds or removes
// deploymentConfig.autoRollbackConfiguration (a replacement).
func rollbackBlockChanged(olds, news resource.PropertyMap) bool {
	has := func(m resource.PropertyMap) bool {
		dc, ok := m["deploymentConfig"]
		if !ok || !dc.IsObject() {
			return false
		}
		_, ok = dc.ObjectValue()["autoRollbackConfiguration"]
		return ok
	}
	return has(olds) != has(news)
}
