package inference

import (
	"fmt"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sagemaker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ModelEndpointArgs configures one model version and its real-time endpoint.
type ModelEndpointArgs struct {
	// Model is the config name of the model (tags); EndpointName the physical endpoint name.
	Model        string
	EndpointName string
	Config       Config
	Platform     iampolicy.Platform
	Tags         pulumi.StringMap
	// Alarms creates the endpoint's alarms (nil: none); AlarmActions are notified.
	Alarms       *Alarms
	AlarmActions pulumi.ArrayInput
	// Protect guards the endpoint against deletion; KMSKeyArn encrypts instance volumes and the
	// endpoint's log group.
	Protect   bool
	KMSKeyArn string
	// LogRetentionDays is the endpoint log group's retention; ProtectLogs and RetainLogs guard
	// it (never for a canary: rollback and promotion delete it).
	LogRetentionDays        int
	ProtectLogs, RetainLogs bool
}

// Alarms are the endpoint's alarm thresholds (monitoring.alarms.endpoint*): 5XX invocation
// errors per minute, ModelLatency p99 and CPU utilisation (instance variants), and optionally
// a serverless variant's cold start (ModelSetupTime; 0 = no alarm).
type Alarms struct {
	Invocation5xxPerMinute float64
	ModelLatencyP99Ms      float64
	CPUPercent             float64
	ModelSetupTimeMs       float64
}

// ModelEndpoint is a SageMaker model, its endpoint configuration and endpoint, its execution
// role and, for instance variants, its autoscaling; with guardrails, its rollback alarms.
type ModelEndpoint struct {
	pulumi.ResourceState

	EndpointName pulumi.StringOutput `pulumi:"endpointName"`
	EndpointArn  pulumi.StringOutput `pulumi:"endpointArn"`
	ModelName    pulumi.StringOutput `pulumi:"modelName"`
	RoleArn      pulumi.StringOutput `pulumi:"roleArn"`
}

// NewModelEndpoint registers the inference tier of one model version.
func NewModelEndpoint(ctx *pulumi.Context, name string, args *ModelEndpointArgs, opts ...pulumi.ResourceOption) (*ModelEndpoint, error) {
	if args == nil || args.EndpointName == "" {
		return nil, fmt.Errorf("model endpoint %s: EndpointName is required", name)
	}
	cfg := args.Config
	grant, err := readGrant(cfg, args.Platform)
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: %w", name, err)
	}
	comp := &ModelEndpoint{}
	if err := ctx.RegisterComponentResource(names.TypeModelEndpoint, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	images, grants, err := versionInputs(ctx, cfg, args.Platform, grant, parent)
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: image: %w", name, err)
	}
	role, rolePolicies, err := newExecutionRole(ctx, name, args, images, grants, parent)
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: role: %w", name, err)
	}

	model, endpointConfig, err := newModelVersion(ctx, name, args, images, role, rolePolicies, parent)
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: %w", name, err)
	}

	endpointArgs := &sagemaker.EndpointArgs{
		Name:               pulumi.String(args.EndpointName),
		EndpointConfigName: endpointConfig.Name,
		Tags:               args.Tags,
	}
	if args.Alarms != nil {
		rollback, err := newEndpointAlarms(ctx, name, args, parent)
		if err != nil {
			return nil, fmt.Errorf("model endpoint %s: alarms: %w", name, err)
		}
		if g := cfg.Guardrails; g != nil {
			endpointArgs.DeploymentConfig = guardrails(g, rollback)
		}
	}
	logs, err := newEndpointLogGroup(ctx, name, args, parent)
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: log group: %w", name, err)
	}
	// The endpoint's name is fixed (the stage variables name it), so a replacement can only be
	// delete-first: create-first fails on CreateEndpoint's unique name. Replacements are rare
	// and explicit — renaming, or adding or removing the rollback configuration (guardrails on
	// or off; ForceNew in the provider, F8) — and protected endpoints refuse them at preview
	// (README, "Changes that need pulumi state unprotect").
	endpoint, err := sagemaker.NewEndpoint(ctx, names.Child(name, "endpoint"), endpointArgs, parent, pulumi.Protect(args.Protect),
		pulumi.DependsOn([]pulumi.Resource{logs}), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: endpoint: %w", name, err)
	}

	if err := newScaling(ctx, name, cfg, endpoint, args.Tags, parent); err != nil {
		return nil, fmt.Errorf("model endpoint %s: %w", name, err)
	}

	comp.EndpointName = endpoint.Name
	comp.EndpointArn = endpoint.Arn
	comp.ModelName = model.Name
	comp.RoleArn = role.Arn
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"endpointName": endpoint.Name,
		"endpointArn":  endpoint.Arn,
		"modelName":    model.Name,
		"roleArn":      role.Arn,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// newModelVersion creates one model version: the SageMaker model and its endpoint
// configuration.
//
// A blue/green rollout can roll back to the previous configuration while the provider reports
// success; Pulumi would then delete the configuration, model and artifact grant the endpoint
// runs on again (F1: terraform-provider-aws#48997, #46663; UpdateEndpoint: "You must not
// delete an EndpointConfig in use"). With guardrails they are retained: replaced versions
// leave the state but stay in the account (README, "Cleaning up retained model versions").
func newModelVersion(ctx *pulumi.Context, name string, args *ModelEndpointArgs, images []iampolicy.ImageRef, role *iam.Role, rolePolicies []pulumi.Resource, parent pulumi.ResourceOption) (*sagemaker.Model, *sagemaker.EndpointConfiguration, error) {
	cfg := args.Config
	retain := pulumi.RetainOnDelete(cfg.Guardrails != nil)
	model, err := newModel(ctx, names.Child(name, "model"), cfg, images[0].URI, args.Tags, role, parent, pulumi.DependsOn(rolePolicies), retain)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}

	// Never a fixed name: every field is ForceNew, so a change replaces the configuration and
	// the new one must exist before the old one is deleted.
	configArgs := &sagemaker.EndpointConfigurationArgs{
		ProductionVariants: sagemaker.EndpointConfigurationProductionVariantArray{productionVariant(cfg, model.Name)},
		Tags:               args.Tags,
	}
	if sh := cfg.Shadow; sh != nil {
		shadow, err := newModel(ctx, names.Child(name, "shadow-model"), cfg.ShadowModel(), images[len(images)-1].URI, args.Tags, role, parent, pulumi.DependsOn(rolePolicies), retain)
		if err != nil {
			return nil, nil, fmt.Errorf("shadow model: %w", err)
		}
		configArgs.ShadowProductionVariants = sagemaker.EndpointConfigurationShadowProductionVariantArray{shadowVariant(sh, shadow.Name)}
	}
	if args.KMSKeyArn != "" && cfg.Instance != nil {
		// Serverless variants have no storage volume to encrypt.
		configArgs.KmsKeyArn = pulumi.String(args.KMSKeyArn)
	}
	if cfg.Capture != nil {
		configArgs.DataCaptureConfig = dataCapture(cfg.Capture)
	}
	endpointConfig, err := sagemaker.NewEndpointConfiguration(ctx, names.Child(name, "config"), configArgs, parent, retain)
	if err != nil {
		return nil, nil, fmt.Errorf("endpoint configuration: %w", err)
	}
	return model, endpointConfig, nil
}

// newModel creates one SageMaker model: the image with the artifact, or the registry package.
func newModel(ctx *pulumi.Context, logical string, cfg Config, imageURI string, tags pulumi.StringMap, role *iam.Role, opts ...pulumi.ResourceOption) (*sagemaker.Model, error) {
	modelArgs := &sagemaker.ModelArgs{
		ExecutionRoleArn:       role.Arn,
		EnableNetworkIsolation: pulumi.Bool(cfg.Isolated()),
		PrimaryContainer:       primaryContainer(cfg, imageURI),
		Tags:                   tags,
	}
	if v := cfg.VPC; v != nil {
		modelArgs.VpcConfig = &sagemaker.ModelVpcConfigArgs{
			Subnets: pulumi.ToStringArray(v.SubnetIDs), SecurityGroupIds: pulumi.ToStringArray(v.SecurityGroupIDs),
		}
	}
	return sagemaker.NewModel(ctx, logical, modelArgs, opts...)
}

// shadowVariant is the shadow's variant: its instances, and the share of the production
// variant's requests SageMaker copies to it as its weight against the production variant's 1
// ("Testing models with shadow variants",
// https://docs.aws.amazon.com/sagemaker/latest/dg/model-shadow-deployment.html).
func shadowVariant(sh *ShadowConfig, modelName pulumi.StringOutput) sagemaker.EndpointConfigurationShadowProductionVariantArgs {
	return sagemaker.EndpointConfigurationShadowProductionVariantArgs{
		ModelName:            modelName,
		VariantName:          pulumi.String(names.ShadowVariantName),
		InstanceType:         pulumi.String(sh.Instance.Type),
		InitialInstanceCount: pulumi.Int(sh.Instance.InitialCount),
		InitialVariantWeight: pulumi.Float64(float64(sh.SamplingPercent) / 100),
	}
}

// versionInputs are the images the execution role pulls and the grants it reads: the
// production model's, and a shadow candidate's where it differs.
func versionInputs(ctx *pulumi.Context, cfg Config, p iampolicy.Platform, grant artifactGrant, parent pulumi.ResourceOrInvokeOption) ([]iampolicy.ImageRef, []artifactGrant, error) {
	image, err := resolveImage(ctx, cfg.Image, p.Region, parent)
	if err != nil {
		return nil, nil, err
	}
	images, grants := []iampolicy.ImageRef{image}, []artifactGrant{grant}
	if cfg.Shadow == nil {
		return images, grants, nil
	}
	sm := cfg.ShadowModel()
	shadowImage := image
	if sm.Image != cfg.Image {
		if shadowImage, err = resolveImage(ctx, sm.Image, p.Region, parent); err != nil {
			return nil, nil, fmt.Errorf("shadow: %w", err)
		}
	}
	sg, err := readGrant(sm, p)
	if err != nil {
		return nil, nil, fmt.Errorf("shadow: %w", err)
	}
	if sg.key != grant.key {
		grants = append(grants, sg)
	}
	return append(images, shadowImage), grants, nil
}

// newEndpointLogGroup owns the group SageMaker writes the endpoint's container logs to
// (/aws/sagemaker/Endpoints/<name>). SageMaker writes the endpoint's container logs to /aws/sagemaker/Endpoints/<name> and,
// left to itself, creates that group with no retention: it would never expire and would
// outlive the endpoint (a canary's, after every rollback). Owning it, created before the
// endpoint, sets the retention and deletes it after the endpoint (F13).
func newEndpointLogGroup(ctx *pulumi.Context, name string, args *ModelEndpointArgs, parent pulumi.ResourceOption) (*cloudwatch.LogGroup, error) {
	logArgs := &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(names.EndpointLogGroup(args.EndpointName)),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		Tags:            args.Tags,
	}
	if args.KMSKeyArn != "" {
		logArgs.KmsKeyId = pulumi.String(args.KMSKeyArn)
	}
	return cloudwatch.NewLogGroup(ctx, names.Child(name, "logs"), logArgs, parent,
		pulumi.Protect(args.ProtectLogs), pulumi.RetainOnDelete(args.RetainLogs))
}

// dataCapture records requests and answers, JSON and CSV decoded as text; each record carries
// the inference id (API Gateway's request id, sent as X-Amzn-SageMaker-Inference-Id).
func dataCapture(c *CaptureConfig) *sagemaker.EndpointConfigurationDataCaptureConfigArgs {
	dc := &sagemaker.EndpointConfigurationDataCaptureConfigArgs{
		EnableCapture:             pulumi.Bool(true),
		InitialSamplingPercentage: pulumi.Int(c.SamplingPercent),
		DestinationS3Uri:          pulumi.String(c.S3URI),
		CaptureOptions: sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArray{
			sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArgs{CaptureMode: pulumi.String("Input")},
			sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArgs{CaptureMode: pulumi.String("Output")},
		},
		CaptureContentTypeHeader: &sagemaker.EndpointConfigurationDataCaptureConfigCaptureContentTypeHeaderArgs{
			JsonContentTypes: pulumi.ToStringArray([]string{"application/json"}),
			CsvContentTypes:  pulumi.ToStringArray([]string{"text/csv"}),
		},
	}
	if c.KMSKeyArn != "" {
		dc.KmsKeyId = pulumi.String(c.KMSKeyArn)
	}
	return dc
}

// resolveImage looks up a built-in algorithm's image for the region, or parses an explicit URI.
func resolveImage(ctx *pulumi.Context, img ImageConfig, region string, opts ...pulumi.InvokeOption) (iampolicy.ImageRef, error) {
	if img.URI != "" {
		return iampolicy.ParseImage(img.URI)
	}
	res, err := sagemaker.GetPrebuiltEcrImage(ctx, &sagemaker.GetPrebuiltEcrImageArgs{
		RepositoryName: img.Algorithm,
		ImageTag:       pulumi.StringRef(img.Tag),
		Region:         pulumi.StringRef(region),
	}, opts...)
	if err != nil {
		return iampolicy.ImageRef{}, fmt.Errorf("looking up built-in algorithm %q:%s in %s: %w", img.Algorithm, img.Tag, region, err)
	}
	return iampolicy.ParseImage(res.RegistryPath)
}

func productionVariant(cfg Config, modelName pulumi.StringOutput) sagemaker.EndpointConfigurationProductionVariantArgs {
	v := sagemaker.EndpointConfigurationProductionVariantArgs{
		ModelName:            modelName,
		VariantName:          pulumi.String(names.VariantName),
		InitialVariantWeight: pulumi.Float64(1),
	}
	if in := cfg.Instance; in != nil {
		v.InstanceType = pulumi.String(in.Type)
		v.InitialInstanceCount = pulumi.Int(in.InitialCount)
		if in.StartupHealthCheckTimeoutSeconds > 0 {
			v.ContainerStartupHealthCheckTimeoutInSeconds = pulumi.Int(in.StartupHealthCheckTimeoutSeconds)
		}
		if in.ModelDownloadTimeoutSeconds > 0 {
			v.ModelDataDownloadTimeoutInSeconds = pulumi.Int(in.ModelDownloadTimeoutSeconds)
		}
		return v
	}
	s := cfg.Serverless
	sc := &sagemaker.EndpointConfigurationProductionVariantServerlessConfigArgs{
		MemorySizeInMb: pulumi.Int(s.MemorySizeInMB),
		MaxConcurrency: pulumi.Int(s.MaxConcurrency),
	}
	if s.ProvisionedConcurrency > 0 {
		sc.ProvisionedConcurrency = pulumi.Int(s.ProvisionedConcurrency)
	}
	v.ServerlessConfig = sc
	return v
}

// primaryContainer runs the image with the artifact, or the registry's model package (which
// carries both: SageMaker refuses an unapproved version).
func primaryContainer(cfg Config, imageURI string) *sagemaker.ModelPrimaryContainerArgs {
	c := &sagemaker.ModelPrimaryContainerArgs{
		Environment: pulumi.ToStringMap(cfg.Environment),
		Mode:        pulumi.String("SingleModel"),
	}
	if mp := cfg.ModelPackage; mp != nil {
		c.ModelPackageName = pulumi.String(mp.Arn)
		return c
	}
	c.Image, c.ModelDataUrl = pulumi.String(imageURI), pulumi.String(cfg.ModelDataURL)
	return c
}
