// Package golden compares test output with reviewed files: -update rewrites them, and the diff
// (git diff) is the review. The program's and the bootstrap's tests share it.
package golden

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

// Update is the -update flag of the test binary: rewrite the golden files instead of comparing.
var Update = flag.Bool("update", false, "rewrite golden files; review the diff before committing")

// File compares got with the file at path (or rewrites it with -update).
func File(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file %s; run the test with -update and review the diff", path)
	assert.Equal(t, string(want), string(got), "golden %s differs; if intended, refresh with -update and review the diff", path)
}

// JSON pretty-prints a JSON document and compares it with the file at path.
func JSON(t testing.TB, path, doc string) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.Indent(&buf, []byte(doc), "", "  "), "not JSON: %s", doc)
	buf.WriteByte('\n')
	File(t, path, buf.Bytes())
}
