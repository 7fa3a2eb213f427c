package vtl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Overrides are the $context overrides a template set (status, headers).
type Overrides struct {
	ResponseOverride map[string]any `json:"responseOverride"`
	Status           int            `json:"status"`
}

// Render renders one template with the renderer script (tests/vtl/render): a request template
// when responseBody is nil, else a response template for SageMaker's status.
func Render(renderer, template string, req Request, responseBody *string, status int) (string, Overrides, error) {
	dir, err := os.MkdirTemp("", "vtl-render")
	if err != nil {
		return "", Overrides{}, err
	}
	defer os.RemoveAll(dir)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err == nil {
			err = os.WriteFile(p, data, 0o600)
		}
		return p
	}
	reqJSON, _ := json.Marshal(req)
	args := []string{"--template", write("template.vtl", []byte(template)), "--request", write("request.json", reqJSON),
		"--overrides-out", filepath.Join(dir, "overrides.json")}
	if responseBody != nil {
		args = append(args, "--response-body", write("response.json", []byte(*responseBody)), "--response-status", strconv.Itoa(status))
	}
	if err != nil {
		return "", Overrides{}, err
	}
	cmd := exec.Command(renderer, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", Overrides{}, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var ov Overrides
	b, err := os.ReadFile(filepath.Join(dir, "overrides.json"))
	if err == nil {
		err = json.Unmarshal(b, &ov)
	}
	return string(out), ov, err
}

// ModuleRoot is the repository root (the directory of go.mod above the working directory): the
// stack files and tests/vtl/render are found from it.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the working directory; run from the repository")
		}
		dir = parent
	}
}

// Renderer is the renderer script under root.
func Renderer(root string) string { return filepath.Join(root, "tests", "vtl", "render") }
