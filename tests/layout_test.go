package tests

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/infra/access"
	restapi "github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/infra/config"
	"github.com/ml-rest-api/ml-rest-api/infra/inference"
	"github.com/ml-rest-api/ml-rest-api/infra/ops"
)

const module = "github.com/ml-rest-api/ml-rest-api"

// components are the packages that each own one part of the stack (STYLE.md, "Layout").
var components = []string{"infra/inference", "infra/api", "infra/access", "infra/ops"}

// goList returns, per package under ./..., its module-internal dependencies (transitive).
func goList(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	require.NoError(t, err)
	deps := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			ImportPath string
			Deps       []string
		}
		require.NoError(t, dec.Decode(&p))
		for _, d := range p.Deps {
			if strings.HasPrefix(d, module+"/") {
				deps[strings.TrimPrefix(p.ImportPath, module+"/")] = append(deps[strings.TrimPrefix(p.ImportPath, module+"/")], strings.TrimPrefix(d, module+"/"))
			}
		}
		if _, ok := deps[strings.TrimPrefix(p.ImportPath, module+"/")]; !ok {
			deps[strings.TrimPrefix(p.ImportPath, module+"/")] = nil
		}
	}
	return deps
}

// The rooms: a component depends only on names, internal/* and templates — never on the stack
// config, the composition root or another component; names depends on nothing of the program.
func TestComponentsSeeOnlyTheirOwnRoom(t *testing.T) {
	t.Parallel()
	deps := goList(t)
	for _, c := range components {
		got, ok := deps[c]
		require.True(t, ok, "go list ./... shows the component package %s", c)
		for _, d := range got {
			allowed := d == "infra/names" || d == "templates" || strings.HasPrefix(d, "internal/")
			assert.True(t, allowed, "%s depends on %s; components may use infra/names, internal/* and templates only", c, d)
		}
	}
	assert.Empty(t, deps["infra/names"], "infra/names is a leaf")
	for _, d := range deps["infra/config"] {
		assert.NotEqual(t, "infra", d, "config must not depend on the composition root")
	}
}

// No component's Args reaches the whole-stack config type, at any depth.
func TestComponentArgsHoldNoStackConfig(t *testing.T) {
	t.Parallel()
	stack := reflect.TypeOf(config.StackConfig{})
	for _, args := range []any{inference.ModelEndpointArgs{}, restapi.Args{}, access.Args{}, ops.MonitoringArgs{}, ops.FirewallArgs{}, ops.NotificationsArgs{}} {
		seen := map[reflect.Type]bool{}
		var walk func(reflect.Type) bool
		walk = func(ty reflect.Type) bool {
			for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Map || ty.Kind() == reflect.Array {
				ty = ty.Elem()
			}
			if ty == stack {
				return true
			}
			if ty.Kind() != reflect.Struct || seen[ty] || !strings.HasPrefix(ty.PkgPath(), module) {
				return false
			}
			seen[ty] = true
			for i := 0; i < ty.NumField(); i++ {
				if walk(ty.Field(i).Type) {
					return true
				}
			}
			return false
		}
		assert.False(t, walk(reflect.TypeOf(args)), "%T reaches config.StackConfig", args)
	}
}

// Small pieces: no file under infra/ over 400 lines, no function in the program's packages over
// 80 lines.
func TestFilesAndFunctionsStaySmall(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	for _, dir := range []string{"infra", "internal", "cmd", "bootstrap", "policy", "cost"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			rel, _ := filepath.Rel(repoRoot, path)
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if dir == "infra" {
				assert.LessOrEqual(t, strings.Count(string(src), "\n"), 400, "%s: over 400 lines", rel)
			}
			f, err := parser.ParseFile(fset, path, src, 0)
			if err != nil {
				return err
			}
			for _, decl := range f.Decls {
				if fn, ok := decl.(*ast.FuncDecl); ok {
					n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
					assert.LessOrEqual(t, n, 80, "%s: %s has %d lines", rel, fn.Name.Name, n)
				}
			}
			return nil
		})
		require.NoError(t, err)
	}
}
