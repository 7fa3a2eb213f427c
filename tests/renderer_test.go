package tests

import (
	"testing"

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
