package inference

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newExecutionRole creates the model's execution role, its policy, and the read grant of its
// artifact as a policy of its own whose logical name is derived from the artifact URL (F4):
// changing modelDataUrl creates the new grant before the new model (which waits for it) and
// leaves the old one in place until Pulumi deletes it at the end of the run — after the
// endpoint has moved to the new model — instead of narrowing the one policy to the new artifact
// while the old fleet still runs (and may scale out or be replaced) on the old one.
func newExecutionRole(ctx *pulumi.Context, name string, args *ModelEndpointArgs, images []iampolicy.ImageRef, grants []artifactGrant, parent pulumi.ResourceOrInvokeOption) (*iam.Role, []pulumi.Resource, error) {
	trust, err := iampolicy.SageMakerAssumeRolePolicy(args.Platform.AccountID).JSON()
	if err != nil {
		return nil, nil, err
	}
	role, err := iam.NewRole(ctx, names.Child(name, "role"), &iam.RoleArgs{
		Description:      pulumi.Sprintf("SageMaker execution role for %s", args.EndpointName),
		AssumeRolePolicy: pulumi.String(trust),
		// Deleting the role deletes its retained artifact grants too; without this the provider
		// deletes only inline policies it manages itself, and DeleteRole fails with DeleteConflict
		// (terraform-provider-aws internal/service/iam/role.go, deleteRole).
		ForceDetachPolicies: pulumi.Bool(true),
		Tags:                args.Tags,
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	var rollbackAlarms []string
	if args.Alarms != nil && args.Config.Guardrails != nil {
		for _, kind := range rollbackAlarmKinds {
			rollbackAlarms = append(rollbackAlarms, names.EndpointAlarmName(args.EndpointName, kind))
		}
	}
	var policies []pulumi.Resource
	type policyItem struct {
		name   string
		doc    iampolicy.PolicyDocument
		retain bool
	}
	docs := []policyItem{
		{names.Child(name, "role-policy"), iampolicy.ModelExecutionPolicy(args.Platform, names.EndpointLogGroup(args.EndpointName), images, rollbackAlarms), false},
	}
	for _, g := range grants {
		// Retained with guardrails, like the model versions that read it (F1, F4).
		docs = append(docs, policyItem{ArtifactPolicyName(name, g.key), g.doc, args.Config.Guardrails != nil})
	}
	if v := args.Config.VPC; v != nil {
		docs = append(docs, policyItem{names.Child(name, "vpc"), iampolicy.ModelVPCPolicy(args.Platform, v.SubnetIDs, v.SecurityGroupIDs), false})
	}
	if c := args.Config.Capture; c != nil {
		dest, err := iampolicy.ParseS3Prefix(c.S3URI)
		if err != nil {
			return nil, nil, err
		}
		docs = append(docs, policyItem{names.Child(name, "capture"), iampolicy.CapturePolicy(args.Platform, dest, c.KMSKeyArn), false})
	}
	for _, p := range docs {
		doc, err := p.doc.JSON()
		if err != nil {
			return nil, nil, err
		}
		policy, err := iam.NewRolePolicy(ctx, p.name, &iam.RolePolicyArgs{Role: role.ID(), Policy: pulumi.String(doc)}, parent, pulumi.RetainOnDelete(p.retain))
		if err != nil {
			return nil, nil, err
		}
		policies = append(policies, policy)
	}
	return role, policies, nil
}

// artifactGrant is what a model version reads: its artifact, or its registry package (and the
// artifacts under the package's prefix); key (the artifact URL or the package ARN) names it.
type artifactGrant struct {
	key string
	doc iampolicy.PolicyDocument
}

func readGrant(cfg Config, p iampolicy.Platform) (artifactGrant, error) {
	if mp := cfg.ModelPackage; mp != nil {
		prefix, err := iampolicy.ParseS3Prefix(mp.Artifacts)
		if err != nil {
			return artifactGrant{}, err
		}
		return artifactGrant{key: mp.Arn, doc: iampolicy.ModelPackageReadPolicy(p, mp.Arn, prefix)}, nil
	}
	artifact, err := iampolicy.ParseS3URL(cfg.ModelDataURL)
	if err != nil {
		return artifactGrant{}, err
	}
	return artifactGrant{key: cfg.ModelDataURL, doc: iampolicy.ArtifactReadPolicy(p, artifact)}, nil
}

// ArtifactPolicyName is the logical name of a model's artifact grant: <model>-artifact-<first 8
// hex of the SHA-256 of the artifact URL (or package ARN)>, one per model version.
func ArtifactPolicyName(component, modelDataURL string) string {
	sum := sha256.Sum256([]byte(modelDataURL))
	return names.Child(component, "artifact-"+hex.EncodeToString(sum[:4]))
}
