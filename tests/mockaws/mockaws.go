// Package mockaws is a recording Pulumi mock monitor for programs built on pulumi-aws: it
// records every registration, fills the outputs the provider computes (ids, ARNs, auto-names,
// invoke URLs, API key values) per type, answers the known invokes and rejects any other, and
// marks the outputs the provider keeps secret. The main program's tests and the bootstrap's
// share it.
package mockaws

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
)

// Account is the AWS account the mocks answer with.
const Account = "123456789012"

// Res is one recorded registration.
type Res struct {
	Type, Name string
	Parent     string // parent URN ("" for the stack's direct children)
	Custom     bool
	ID         string
	Inputs     resource.PropertyMap
	State      resource.PropertyMap
	DependsOn  []string
	// Protect, RetainOnDelete and DeleteBeforeReplace are the resource options the program set.
	Protect, RetainOnDelete, DeleteBeforeReplace bool
}

// In returns an input as plain Go values (secrets unwrapped), nil when absent.
func (r *Res) In(key string) any { return Plain(r.Inputs[resource.PropertyKey(key)]) }

// Out returns a state (output) value as plain Go values.
func (r *Res) Out(key string) any { return Plain(r.State[resource.PropertyKey(key)]) }

// DependsOnRes reports whether r lists o among its dependencies.
func (r *Res) DependsOnRes(o *Res) bool {
	for _, d := range r.DependsOn {
		if strings.HasSuffix(d, o.Type+"::"+o.Name) {
			return true
		}
	}
	return false
}

// Str returns a string input ("" when absent).
func (r *Res) Str(key string) string { s, _ := r.In(key).(string); return s }

// Map returns a map input.
func (r *Res) Map(key string) map[string]any { m, _ := r.In(key).(map[string]any); return m }

// Plain turns a property value into plain Go values (secrets unwrapped, unknowns as
// "<computed>").
func Plain(v resource.PropertyValue) any {
	switch {
	case v.IsNull():
		return nil
	case v.IsSecret():
		return Plain(v.SecretValue().Element)
	case v.IsComputed():
		return "<computed>"
	case v.IsOutput():
		if !v.OutputValue().Known {
			return "<computed>"
		}
		return Plain(v.OutputValue().Element)
	case v.IsObject():
		m := map[string]any{}
		for k, e := range v.ObjectValue() {
			m[string(k)] = Plain(e)
		}
		return m
	case v.IsArray():
		var l []any
		for _, e := range v.ArrayValue() {
			l = append(l, Plain(e))
		}
		return l
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	}
	return v.V
}

// PlainMap is Plain of a whole property map: an object of plain Go values (empty for none).
func PlainMap(m resource.PropertyMap) map[string]any {
	out, _ := Plain(resource.NewObjectProperty(m)).(map[string]any)
	return out
}

// Monitor is the recording mock resource monitor.
type Monitor struct {
	region string
	mu     sync.Mutex
	list   []*Res
	byKey  map[string]*Res
	dups   []string
	calls  []pulumi.MockCallArgs
}

// New returns a monitor for a stack in region.
func New(region string) *Monitor { return &Monitor{region: region, byKey: map[string]*Res{}} }

// Resources returns every registration, in order.
func (m *Monitor) Resources() []*Res {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Res(nil), m.list...)
}

// Lookup returns the registration of (type, logical name).
func (m *Monitor) Lookup(typ, name string) (*Res, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.byKey[typ+"::"+name]
	return r, ok
}

// Duplicates lists (type::name) keys registered more than once.
func (m *Monitor) Duplicates() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.dups...)
}

// Calls returns the invokes made with a token, as plain argument maps.
func (m *Monitor) Calls(token string) []map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []map[string]any
	for _, c := range m.calls {
		if c.Token == token {
			out = append(out, PlainMap(c.Args))
		}
	}
	return out
}

func (m *Monitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := &Res{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.DependsOn = rpc.GetDependencies()
		r.Protect, r.RetainOnDelete, r.DeleteBeforeReplace = rpc.GetProtect(), rpc.GetRetainOnDelete(), rpc.GetDeleteBeforeReplace()
	}
	if args.Custom {
		r.ID, r.State = Computed(m.region, args.TypeToken, args.Name, args.Inputs)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := r.Type + "::" + r.Name
	if _, ok := m.byKey[key]; ok {
		m.dups = append(m.dups, key)
	}
	m.byKey[key] = r
	m.list = append(m.list, r)
	return r.ID, r.State, nil
}

// shortHash gives deterministic "random" suffixes and ids.
func shortHash(s string, n int) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:n]
}

// autoNamed lists the types whose name the provider generates when the program sets none.
var autoNamed = map[string]bool{
	awstypes.IAMRole: true, awstypes.IAMRolePolicy: true,
	awstypes.SageMakerModel: true, awstypes.SageMakerEndpointConfiguration: true,
	awstypes.SageMakerEndpoint: true, awstypes.AppAutoscalingPolicy: true,
	awstypes.CloudWatchLogGroup: true, awstypes.CloudWatchMetricAlarm: true,
	awstypes.APIGatewayRestApi: true, awstypes.APIGatewayApiKey: true,
	awstypes.APIGatewayUsagePlan: true, awstypes.APIGatewayRequestValidator: true,
	awstypes.SNSTopic:    true,
	awstypes.WAFv2WebAcl: true,
}

// AutoName returns the inputs with the physical name the provider's Check would add to an
// auto-named resource ("<logical name>-<7 hex>"), keeping a name the old inputs already had.
// The suffix derives from seed (the engine's random seed: a replacement is re-checked without
// old inputs and a new seed, so it gets a new name, as with the real provider); nil gives the
// same name every time.
func AutoName(typ, name string, olds, news resource.PropertyMap, seed []byte) resource.PropertyMap {
	if !autoNamed[typ] || news.HasValue("name") {
		return news
	}
	out := news.Copy()
	if old, ok := olds["name"]; ok && old.IsString() {
		out["name"] = old
	} else {
		out["name"] = resource.NewStringProperty(name + "-" + shortHash(name+hex.EncodeToString(seed), 7))
	}
	return out
}

// Computed returns the id and the state a provider would return for a resource: the inputs
// plus what AWS computes (ids, ARNs, auto-names, invoke URLs, API key values), per type.
// The mocks and the rehearsal's stand-in provider plugin both use it.
func Computed(region, typ, name string, in resource.PropertyMap) (string, resource.PropertyMap) {
	state := in.Copy()
	id := name + "-" + shortHash(typ+name, 8)
	str := func(k string) string {
		v := in[resource.PropertyKey(k)]
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	set := func(k string, v any) { state[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	physical := str("name")
	if physical == "" && autoNamed[typ] {
		physical = name + "-" + shortHash(name, 7)
		set("name", physical)
	}
	arn := func(service, res string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, Account, res)
	}
	switch typ {
	case awstypes.IAMOpenIdConnectProvider:
		id = fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", Account, strings.TrimPrefix(str("url"), "https://"))
		set("arn", id)
	case awstypes.IAMRole:
		id = physical
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, physical))
	case awstypes.SageMakerModel:
		id = physical
		set("arn", arn("sagemaker", "model/"+strings.ToLower(physical)))
	case awstypes.SageMakerEndpointConfiguration:
		id = physical
		set("arn", arn("sagemaker", "endpoint-config/"+strings.ToLower(physical)))
	case awstypes.SageMakerEndpoint:
		id = physical
		set("arn", arn("sagemaker", "endpoint/"+strings.ToLower(physical)))
	case awstypes.AppAutoscalingTarget:
		id = str("resourceId")
		set("arn", arn("application-autoscaling", "scalable-target/"+shortHash(name, 12)))
	case awstypes.AppAutoscalingPolicy:
		set("arn", arn("autoscaling", "scalingPolicy:"+shortHash(name, 12)))
	case awstypes.CloudWatchMetricAlarm:
		id = physical
		set("arn", arn("cloudwatch", "alarm:"+physical))
	case awstypes.CloudWatchLogGroup:
		id = physical
		set("arn", arn("logs", "log-group:"+physical))
	case awstypes.APIGatewayRestApi:
		id = shortHash(name, 10)
		set("rootResourceId", shortHash(name+"root", 10))
		set("arn", fmt.Sprintf("arn:aws:apigateway:%s::/restapis/%s", region, id))
		set("executionArn", arn("execute-api", id))
	case awstypes.APIGatewayStage:
		api, stage := str("restApi"), str("stageName")
		set("invokeUrl", fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com/%s", api, region, stage))
		set("arn", fmt.Sprintf("arn:aws:apigateway:%s::/restapis/%s/stages/%s", region, api, stage))
		set("executionArn", arn("execute-api", api+"/"+stage))
	case awstypes.APIGatewayApiKey:
		id = shortHash(name, 10)
		value := str("value")
		if value == "" {
			value = "Gen" + shortHash("key"+name, 37)
		}
		// The provider keeps the key value secret (AdditionalSecretOutputs); mocks ignore that.
		state["value"] = resource.MakeSecret(resource.NewStringProperty(value))
		set("arn", fmt.Sprintf("arn:aws:apigateway:%s::/apikeys/%s", region, id))
	case awstypes.APIGatewayUsagePlan:
		id = shortHash(name, 6)
		set("arn", fmt.Sprintf("arn:aws:apigateway:%s::/usageplans/%s", region, id))
	case awstypes.APIGatewayDeployment:
		id = shortHash(name+fmt.Sprint(in.Mappable()), 6)
	case awstypes.SNSTopic:
		id = arn("sns", physical)
		set("arn", id)
	case awstypes.WAFv2WebAcl:
		id = shortHash(name, 8)
		set("arn", arn("wafv2", "regional/webacl/"+physical+"/"+id))
	case awstypes.SNSTopicSubscription:
		set("arn", str("topic")+":"+shortHash(name, 8))
	case awstypes.APIGatewayDomainName:
		// As GetDomainName answers for a REGIONAL domain: its own name as the id, a
		// d-<id>.execute-api host and that region's API Gateway hosted zone.
		id = str("domainName")
		set("arn", fmt.Sprintf("arn:aws:apigateway:%s::/domainnames/%s", region, id))
		set("regionalDomainName", fmt.Sprintf("d-%s.execute-api.%s.amazonaws.com", shortHash(name, 10), region))
		set("regionalZoneId", "Z"+strings.ToUpper(shortHash(region, 12)))
	case awstypes.AppAutoscalingScheduledAction:
		set("arn", arn("autoscaling", "scheduledAction:"+shortHash(name, 12)))
	case awstypes.CloudWatchDashboard:
		id = str("dashboardName")
		set("dashboardArn", "arn:aws:cloudwatch::"+Account+":dashboard/"+id)
	}
	set("id", id)
	return id, state
}

// prebuiltRegistries is the account that serves SageMaker built-in algorithm images per region
// (from the AWS "Docker Registry Paths and Example Code" tables).
var prebuiltRegistries = map[string]map[string]string{
	"eu-west-1": {"object2vec": "438346466558", "knn": "438346466558", "factorization-machines": "438346466558", "linear-learner": "438346466558"},
	"us-east-1": {"object2vec": "382416733822", "knn": "382416733822", "factorization-machines": "382416733822", "linear-learner": "382416733822"},
}

func (m *Monitor) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.calls = append(m.calls, args)
	m.mu.Unlock()
	return Invoke(m.region, args.Token, args.Args)
}

// Invoke answers the data sources the programs use and refuses any other token.
func Invoke(region, token string, args resource.PropertyMap) (resource.PropertyMap, error) {
	arg := func(k string) string {
		if v := args[resource.PropertyKey(k)]; v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	switch token {
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": region, "id": region,
			"endpoint": "ec2." + region + ".amazonaws.com", "description": region}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"partition": "aws", "id": "aws",
			"dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{"accountId": Account, "id": Account,
			"arn": "arn:aws:iam::" + Account + ":user/ci", "userId": "AIDAEXAMPLE"}), nil
	case "aws:sagemaker/getPrebuiltEcrImage:getPrebuiltEcrImage":
		region, repo, tag := arg("region"), arg("repositoryName"), arg("imageTag")
		account, ok := prebuiltRegistries[region][repo]
		if !ok {
			return nil, fmt.Errorf("mock: no prebuilt image %q in region %q", repo, region)
		}
		path := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s:%s", account, region, repo, tag)
		return resource.NewPropertyMapFromMap(map[string]any{"registryPath": path, "registryId": account,
			"id": path, "region": region, "repositoryName": repo, "imageTag": tag}), nil
	}
	return nil, fmt.Errorf("mock: unexpected invoke %s", token)
}

// Contract returns the custom resources of a run as the AWS contract check
// (internal/awscontract) takes them: plain inputs and the outputs the mocks computed.
func Contract(list []*Res) []awscontract.Resource {
	var out []awscontract.Resource
	for _, r := range list {
		if !r.Custom {
			continue
		}
		out = append(out, awscontract.Resource{Type: r.Type, Name: r.Name, Inputs: PlainMap(r.Inputs), Outputs: PlainMap(r.State)})
	}
	return out
}
