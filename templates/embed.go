// Package templates holds the API Gateway mapping templates (VTL), embedded so that the program
// and the tests read exactly the same bytes wherever they run.
package templates

import (
	"embed"
	"fmt"
	"io/fs"
)

// Files holds every template; the program deploys exactly these bytes.
//
//go:embed *.vtl
var Files embed.FS

// Template file names.
const (
	RatingsRequest          = "ratings.request.vtl"
	RatingsResponse         = "ratings.response.vtl"
	RatingsRejected         = "ratings.rejected.vtl"
	RatingsUnavailable      = "ratings.unavailable.vtl"
	RecommendationsRequest  = "recommendations.request.vtl"
	RecommendationsResponse = "recommendations.response.vtl"
	RecommendationsRejected = "recommendations.rejected.vtl"
	RecommendationsUnavail  = "recommendations.unavailable.vtl"
	CSVRequest              = "csv.request.vtl"
	CSVResponse             = "csv.response.vtl"
	CSVRejected             = "csv.rejected.vtl"
	BinaryResponse          = "binary.response.vtl"
	BinaryRejected          = "binary.rejected.vtl"
	BinaryTooLarge          = "binary.too-large.vtl"
	BinaryUnavailable       = "binary.unavailable.vtl"
	ModelUnavailable        = "model-unavailable.vtl"
	PreflightRequest        = "preflight.request.vtl"
	PreflightResponse       = "preflight.response.vtl"
)

// Read returns a template's text from fsys (Files unless a test substitutes an edited copy).
func Read(fsys fs.FS, name string) (string, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return "", fmt.Errorf("template %s: %w", name, err)
	}
	return string(b), nil
}

// Names lists every embedded template.
func Names() ([]string, error) {
	entries, err := Files.ReadDir(".")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out, nil
}
