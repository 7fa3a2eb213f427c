package iampolicy

import (
	"fmt"
	"regexp"
)

// The resources policies grant: ECR images, S3 model artifacts and capture prefixes. The
// patterns are what config accepts (models.<name>.image.uri, modelDataUrl, capture.s3Uri).
var (
	reS3ModelURL = regexp.MustCompile(`^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/([^\s]+\.tar\.gz)$`)
	reECRImage   = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([a-z0-9][a-z0-9._/-]*)(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$`)
)

// ImageRef is a parsed ECR image reference.
type ImageRef struct {
	URI        string
	Account    string
	Region     string
	Repository string
}

// ParseImage parses an ECR image URI (the format validated for models.<name>.image.uri and
// returned by sagemaker.GetPrebuiltEcrImage).
func ParseImage(uri string) (ImageRef, error) {
	m := reECRImage.FindStringSubmatch(uri)
	if m == nil {
		return ImageRef{}, fmt.Errorf("image %q is not an ECR image URI", uri)
	}
	return ImageRef{URI: uri, Account: m[1], Region: m[2], Repository: m[4]}, nil
}

// S3Object is a parsed s3://bucket/key URL.
type S3Object struct{ Bucket, Key string }

// ParseS3URL parses a model artifact URL.
func ParseS3URL(url string) (S3Object, error) {
	m := reS3ModelURL.FindStringSubmatch(url)
	if m == nil {
		return S3Object{}, fmt.Errorf("%q is not an s3://bucket/key.tar.gz URL", url)
	}
	return S3Object{Bucket: m[1], Key: m[2]}, nil
}

// S3Prefix is a data capture destination: a bucket and a key prefix ("" for the whole bucket).
type S3Prefix struct{ Bucket, Prefix string }

var reS3Prefix = regexp.MustCompile(`^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/([^\s]*?))?/?$`)

// ParseS3Prefix parses a capture destination (s3://bucket/prefix).
func ParseS3Prefix(uri string) (S3Prefix, error) {
	m := reS3Prefix.FindStringSubmatch(uri)
	if m == nil || len(uri) > 512 { // DataCaptureConfig.DestinationS3Uri: at most 512 characters
		return S3Prefix{}, fmt.Errorf("%q is not an s3://bucket/prefix URI", uri)
	}
	return S3Prefix{Bucket: m[1], Prefix: m[2]}, nil
}

// ObjectsARN is the ARN of every object under the prefix (the whole bucket for "").
func (d S3Prefix) ObjectsARN(partition string) string {
	if d.Prefix == "" {
		return fmt.Sprintf("arn:%s:s3:::%s/*", partition, d.Bucket)
	}
	return fmt.Sprintf("arn:%s:s3:::%s/%s/*", partition, d.Bucket, d.Prefix)
}
