package tests

import (
	"path/filepath"
	"testing"

	"github.com/ml-rest-api/ml-rest-api/internal/golden"
)

// update is -update (golden.Update): rewrite the golden files; review the diff (git diff
// tests/testdata/golden) before committing.
var update = golden.Update

// goldenFile compares got with testdata/golden/<name>.
func goldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.File(t, filepath.Join("testdata", "golden", name), got)
}

// goldenJSON pretty-prints a JSON document and compares it with testdata/golden/<name>.
func goldenJSON(t *testing.T, name string, doc string) {
	t.Helper()
	golden.JSON(t, filepath.Join("testdata", "golden", name), doc)
}
