package tests

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// -update rewrites the golden files; review the diff (git diff tests/testdata/golden) before
// committing.
var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// golden compares got with testdata/golden/<name>.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./tests -run %s -update and review the diff", t.Name())
	assert.Equal(t, string(want), string(got), "golden %s differs; if intended, refresh with -update and review the diff", path)
}

// goldenJSON pretty-prints a JSON document and compares it with a golden file.
func goldenJSON(t *testing.T, name string, doc string) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.Indent(&buf, []byte(doc), "", "  "), "not JSON: %s", doc)
	buf.WriteByte('\n')
	golden(t, name, buf.Bytes())
}
