package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	restapi "github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/tests/vtl"
)

// needRenderer skips when the template renderer cannot run here; package tests'
// TestTemplateRendererIsAvailable is the one test that reports it.
func needRenderer(t *testing.T) {
	if vtl.Check() != nil {
		t.Skip("template renderer unavailable: see tests.TestTemplateRendererIsAvailable")
	}
}

func TestPreviewBlogExample(t *testing.T) {
	needRenderer(t)
	tr, err := Run(Options{Stack: "dev", Route: "predicted-ratings", ModelStatus: 200,
		ModelResponse: `{"predictions":[{"scores":[3.527499437332153]},{"scores":[3.951640844345093]},{"scores":[3.658416271209717]}]}`,
		Args:          []string{"user_id=321", "items=101,131,162"}})
	require.NoError(t, err)
	assert.Equal(t, "GET /predicted-ratings/321?items=101,131,162", tr.RequestLine)
	assert.Equal(t, "ml-rest-api-dev-ratings", tr.Endpoint)
	assert.Equal(t, `{"instances":[{"in0":[321],"in1":[101]},{"in0":[321],"in1":[131]},{"in0":[321],"in1":[162]}]}`+"\n", tr.Payload)
	assert.Equal(t, 200, tr.ClientStatus)
	assert.Equal(t, `{"ratings":[3.527499437332153,3.951640844345093,3.658416271209717]}`+"\n", tr.ClientBody)
}

func TestPreviewModelErrorAndSamples(t *testing.T) {
	needRenderer(t)
	tr, err := Run(Options{Stack: "prod", Route: "recommended-movies", ModelStatus: 424,
		ModelResponse: `{"OriginalMessage":"boom"}`, Args: []string{"user_id=U:1"}})
	require.NoError(t, err)
	assert.Equal(t, restapi.SelectModelError, tr.Response.SelectionPattern, "a model 4XX other than 429")
	assert.Equal(t, "recommendations.rejected.vtl", tr.Response.TemplateName)
	assert.Equal(t, 502, tr.ClientStatus)
	assert.Contains(t, tr.String(), "client gets 502:")

	// 429 is transient: the 503 response, with Retry-After.
	tr, err = Run(Options{Stack: "prod", Route: "recommended-movies", ModelStatus: 429, ModelResponse: `{}`, Args: []string{"user_id=U:1"}})
	require.NoError(t, err)
	assert.Equal(t, 503, tr.ClientStatus)
	assert.Equal(t, "1", tr.Headers["Retry-After"])

	rows := filepath.Join(t.TempDir(), "rows.csv")
	require.NoError(t, os.WriteFile(rows, []byte("1,2\n3,4\n"), 0o600))
	tr, err = Run(Options{Stack: "dev", Route: "propensity-scores", ModelStatus: 200, BodyFile: rows})
	require.NoError(t, err)
	assert.Equal(t, "1,2\n3,4\n", tr.Payload)
	assert.Equal(t, `{"predictions":[{"score":0.5},{"score":0.5}]}`+"\n", tr.ClientBody)

	_, err = Run(Options{Stack: "dev", Route: "nope", ModelStatus: 200})
	assert.EqualError(t, err, `stack dev has no route "nope"; routes: predicted-ratings, recommended-movies, propensity-scores, poster-genres`)
}

// Issue 17, item 2: a binary route has no request template; the preview shows the bytes pass
// unchanged and what each Content-Type gets.
func TestPreviewBinaryRoute(t *testing.T) {
	needRenderer(t)
	png := filepath.Join(t.TempDir(), "poster.png")
	bytes := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"
	require.NoError(t, os.WriteFile(png, []byte(bytes), 0o600))
	tr, err := Run(Options{Stack: "dev", Route: "poster-genres", ModelStatus: 200, BodyFile: png})
	require.NoError(t, err)
	assert.True(t, tr.Passthrough)
	assert.Equal(t, "image/jpeg", tr.ContentType, "the route's first type by default")
	assert.Equal(t, bytes, tr.Payload, "byte for byte")
	assert.Equal(t, 200, orOK(tr.ClientStatus))
	assert.Contains(t, tr.String(), "model receives (image/jpeg, no request template): the 18 bytes of the body, unchanged")

	tr, err = Run(Options{Stack: "dev", Route: "poster-genres", ModelStatus: 200, BodyFile: png, Args: []string{"header:Content-Type=multipart/form-data; boundary=x"}})
	require.NoError(t, err)
	assert.Equal(t, 415, tr.ClientStatus, "the model ran, its answer does not pass")
}

func orOK(status int) int {
	if status == 0 {
		return 200
	}
	return status
}
