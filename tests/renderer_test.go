package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ml-rest-api/ml-rest-api/tests/vtl"
)

// TestTemplateRendererIsAvailable is the one test that fails, with one message naming both ways
// to provide the renderer (Debian's packages or VTL_CLASSPATH), when it cannot run here; every
// test that renders templates then skips (needRenderer) instead of failing with the same
// message again. CI installs the renderer, so there it always runs (and this fails if not).
func TestTemplateRendererIsAvailable(t *testing.T) {
	if err := vtl.Check(); err != nil {
		t.Fatal(err)
	}
}

func needRenderer(t testing.TB) {
	t.Helper()
	if vtl.Check() != nil {
		t.Skip("template renderer unavailable: see TestTemplateRendererIsAvailable")
	}
}

// The jar list the renderer, its check and the deploy gate read (tests/vtl/jars.txt) names
// every jar the render script needs, each with Maven coordinates group:artifact:version.
func TestRendererJarList(t *testing.T) {
	jars := vtl.Jars()
	var debian []string
	for _, j := range jars {
		debian = append(debian, j.Debian)
		assert.Len(t, strings.Split(j.Maven, ":"), 3, j.Maven)
	}
	assert.Equal(t, []string{"velocity", "commons-collections3", "commons-lang", "json-path", "json-smart", "accessors-smart", "asm", "slf4j-api", "slf4j-nop"}, debian)
}
