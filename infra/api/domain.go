package api

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/problems"
)

// DomainConfig is a custom domain for the stage (api.domain): a REGIONAL API Gateway domain
// name with an ACM certificate of the stack's region, mapped to the stage at BasePath.
type DomainConfig struct {
	Name           string `json:"name"`
	CertificateArn string `json:"certificateArn"`
	// BasePath is the first path segment before the routes ("" maps the domain's root).
	BasePath string `json:"basePath,omitempty"`
	// DisableExecuteAPIEndpoint turns off https://<api-id>.execute-api.<region>.amazonaws.com:
	// clients can then reach the API through the domain only.
	DisableExecuteAPIEndpoint bool `json:"disableExecuteApiEndpoint,omitempty"`
}

var (
	// A DNS name of lower-case labels (at most 63 characters each, 253 in all); API Gateway
	// stores custom domain names in lower case.
	reDomainName = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	// An ACM certificate ARN; a REGIONAL domain name needs one in the API's region (API
	// Gateway developer guide, "Setting up a regional custom domain name").
	reACMCertificate = regexp.MustCompile(`^arn:aws[a-z-]*:acm:([a-z0-9-]+):[0-9]{12}:certificate/[0-9a-f-]{36}$`)
	// One path segment of URL-safe characters; the firewall's items rule allows exactly one
	// segment before the route.
	reBasePath = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
)

func (d *DomainConfig) validate(p *problems.List, path string) {
	if !reDomainName.MatchString(d.Name) || len(d.Name) > 253 {
		p.Add(path+".name", "must be a lower-case DNS name like api.example.com (got %q)", d.Name)
	}
	if !reACMCertificate.MatchString(d.CertificateArn) {
		p.Add(path+".certificateArn", "must be an ACM certificate ARN arn:aws:acm:<region>:<account>:certificate/<id> in the stack's region (got %q)", d.CertificateArn)
	}
	if d.BasePath != "" && !reBasePath.MatchString(d.BasePath) {
		p.Add(path+".basePath", "must be one path segment of letters, digits, '.', '_' or '-', or left out for the domain's root (got %q)", d.BasePath)
	}
}

// CheckRegion refuses a certificate from another region than the stack's: a REGIONAL domain
// name only takes a certificate of its own region. The region is known once the platform is
// looked up, before any resource is registered.
func (s Spec) CheckRegion(region string) error {
	d := s.Domain
	if d == nil {
		return nil
	}
	if m := reACMCertificate.FindStringSubmatch(d.CertificateArn); m != nil && m[1] != region {
		return fmt.Errorf("%s:api.domain.certificateArn: the certificate is in %s, the stack deploys to %s; a REGIONAL custom domain needs a certificate of its own region (request or import it there in ACM)", names.Namespace, m[1], region)
	}
	return nil
}

// URL is the domain's base URL: https://<name>[/<basePath>].
func (d *DomainConfig) URL() string {
	return strings.TrimSuffix("https://"+d.Name+"/"+d.BasePath, "/")
}

// customDomain is what newDomain creates.
type customDomain struct {
	domain *apigateway.DomainName
}

// newDomain registers the domain name (TLS 1.2, REGIONAL) and maps it to the stage. Only the
// name is ForceNew (terraform-provider-aws domain_name.go; certificate and TLS policy update in
// place), so a replacement always has another name: it is created and mapped before the old
// name is deleted (create-first), and nothing stops answering until the run ends.
func newDomain(ctx *pulumi.Context, name string, a *Args, api *apigateway.RestApi, stage *apigateway.Stage, parent pulumi.ResourceOption) (*customDomain, error) {
	d := a.Spec.Domain
	domain, err := apigateway.NewDomainName(ctx, names.Child(name, "domain"), &apigateway.DomainNameArgs{
		DomainName:             pulumi.String(d.Name),
		RegionalCertificateArn: pulumi.String(d.CertificateArn),
		EndpointConfiguration:  &apigateway.DomainNameEndpointConfigurationArgs{Types: pulumi.String("REGIONAL")},
		SecurityPolicy:         pulumi.String("TLS_1_2"),
		Tags:                   a.Tags,
	}, parent, pulumi.Protect(a.Protection.API))
	if err != nil {
		return nil, fmt.Errorf("domain: %w", err)
	}
	mapping := &apigateway.BasePathMappingArgs{RestApi: api.ID(), StageName: stage.StageName, DomainName: domain.DomainName}
	if d.BasePath != "" {
		mapping.BasePath = pulumi.String(d.BasePath)
	}
	if _, err := apigateway.NewBasePathMapping(ctx, names.Child(name, "domain-mapping"), mapping, parent); err != nil {
		return nil, fmt.Errorf("domain mapping: %w", err)
	}
	return &customDomain{domain: domain}, nil
}
