// Package awscontract checks what the program sends to AWS against AWS's own published API
// contract: the JSON service models that ship in github.com/aws/aws-sdk-go v1.55.8
// (models/apis/<service>/<version>/api-2.json, the final release of the v1 SDK), plus the rules
// the models cannot express (rules.go), each with its source.
//
// It is used by the tests (every resource of every committed stack and of the bootstrap) and by
// the offline rehearsal's stand-in provider, whose Check refuses what this contract refuses.
package awscontract

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// SDKModule and SDKVersion name the module the models are read from. go.mod requires it (see
// modelsdep.go), so `go mod download` fetches it with everything else.
const (
	SDKModule  = "github.com/aws/aws-sdk-go"
	SDKVersion = "v1.55.8"
)

// ModelsDirEnv overrides where the models are read from (a directory holding apis/).
const ModelsDirEnv = "ML_REST_API_AWS_MODELS"

// Shape is one shape of an API model (only the parts the contract checks).
type Shape struct {
	Type     string         `json:"type"`
	Members  map[string]Ref `json:"members"`
	Required []string       `json:"required"`
	Min      *float64       `json:"min"`
	Max      *float64       `json:"max"`
	Pattern  string         `json:"pattern"`
	Enum     []string       `json:"enum"`
	Member   *Ref           `json:"member"`
	Key      *Ref           `json:"key"`
	Value    *Ref           `json:"value"`
	pattern  *regexp.Regexp // compiled Pattern (RE2; see compilePattern)
	patErr   error          // why Pattern cannot be checked here
}

// Ref points at a shape.
type Ref struct {
	Shape string `json:"shape"`
}

// Model is one service's API model.
type Model struct {
	Service string
	// APIVersion is the model directory's date (e.g. 2015-07-09).
	APIVersion string `json:"-"`
	Operations map[string]struct {
		Input *Ref `json:"input"`
	} `json:"operations"`
	Shapes map[string]*Shape `json:"shapes"`
}

// Models are the loaded service models, by model directory name (apigateway, sagemaker, …).
type Models struct {
	Dir      string
	services map[string]*Model
}

// Service returns a loaded model.
func (m *Models) Service(name string) (*Model, bool) {
	s, ok := m.services[name]
	return s, ok
}

// Services are the model directories the contract reads: every service the program, the
// bootstrap and their IAM policies use.
var Services = []string{
	"apigateway", "application-autoscaling", "ec2", "ecr", "iam", "kms", "logs", "monitoring",
	"runtime.sagemaker", "s3", "sagemaker", "sns", "sts", "wafv2",
}

var (
	loadOnce   sync.Once
	loaded     *Models
	loadFailed error
)

// Load reads the models once per process from ModelsDir().
func Load() (*Models, error) {
	loadOnce.Do(func() {
		dir, err := ModelsDir()
		if err != nil {
			loadFailed = err
			return
		}
		loaded, loadFailed = LoadFrom(dir)
	})
	return loaded, loadFailed
}

// ModelsDir finds the models directory: $ML_REST_API_AWS_MODELS, else the module cache's copy
// of github.com/aws/aws-sdk-go@v1.55.8 (asked of `go list`, run in this module).
func ModelsDir() (string, error) {
	if d := os.Getenv(ModelsDirEnv); d != "" {
		return d, nil
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", SDKModule)
	if root, err := moduleRoot(); err == nil {
		cmd.Dir = root
	}
	out, err := cmd.Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		return "", fmt.Errorf("AWS API models: cannot locate %s@%s (%v); run `go mod download %s` or set %s to its models directory", SDKModule, SDKVersion, err, SDKModule, ModelsDirEnv)
	}
	if !strings.HasSuffix(dir, "@"+SDKVersion) {
		return "", fmt.Errorf("AWS API models: %s resolves to %s, expected version %s (go.mod pins it)", SDKModule, dir, SDKVersion)
	}
	return filepath.Join(dir, "models"), nil
}

// moduleRoot walks up from the working directory to this module's go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/ml-rest-api/ml-rest-api\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the ml-rest-api module")
		}
		dir = parent
	}
}

// LoadFrom reads the Services' models from dir (which holds apis/<service>/<version>/).
func LoadFrom(dir string) (*Models, error) {
	ms := &Models{Dir: dir, services: map[string]*Model{}}
	for _, svc := range Services {
		versions, err := filepath.Glob(filepath.Join(dir, "apis", svc, "*", "api-2.json"))
		if err != nil || len(versions) == 0 {
			return nil, fmt.Errorf("AWS API models: no %s model under %s/apis", svc, dir)
		}
		path := versions[len(versions)-1] // the newest API version (directories sort by date)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		m := &Model{Service: svc, APIVersion: filepath.Base(filepath.Dir(path))}
		if err := json.Unmarshal(b, m); err != nil {
			return nil, fmt.Errorf("AWS API models: %s: %w", path, err)
		}
		for _, sh := range m.Shapes {
			if sh.Pattern != "" {
				sh.pattern, sh.patErr = compilePattern(sh.Pattern)
			}
		}
		ms.services[svc] = m
	}
	return ms, nil
}

var reUnicodeEscape = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// equivalentPatterns are model patterns RE2 cannot compile (lookarounds, repeat counts over
// 1000), each with a Go pattern that accepts exactly the same strings (given the shape's own
// length bounds, which are checked separately).
var equivalentPatterns = map[string]string{
	// "not only white space": a negative lookahead in Java.
	`^(?!\s*$).+`: `^.*\S.*$`,
	// Application Auto Scaling names (ScheduledActionName, PolicyName): at least one character,
	// no control character (U+0000-U+001F, U+007F-U+009F), none of : / |, no leading or
	// trailing space; Java's "." excludes the line terminators U+2028 and U+2029 too.
	`(?!((^[ ]+.*)|(.*([\u0000-\u001f]|[\u007f-\u009f]|[:/|])+.*)|(.*[ ]+$))).+`: `[^\x00-\x1f\x7f-\x9f:/| \x{2028}\x{2029}](?:[^\x00-\x1f\x7f-\x9f:/|\x{2028}\x{2029}]*[^\x00-\x1f\x7f-\x9f:/| \x{2028}\x{2029}])?`,
	// SageMaker's VersionedArnOrName (a model package): the name part may not end with "-" (a
	// lookbehind in Java); 1-63 characters either way.
	`(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)(\/[0-9]{1,5})?$`: `(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*\/)?([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\/[0-9]{1,5})?$`,
	// Environment variable names; the shape's max 1024 bounds the length.
	`[a-zA-Z_][a-zA-Z0-9_]{0,1023}`: `[a-zA-Z_][a-zA-Z0-9_]*`,
}

// patternFor is the shape's pattern, compiled at load time.
func patternFor(sh *Shape) (*regexp.Regexp, error) { return sh.pattern, sh.patErr }

// compilePattern turns a model pattern (Java syntax) into a Go regexp that must match the whole
// value: AWS's validators accept a value only when all of it matches (the IAM reference says
// so of every pattern it lists, e.g. roleNameType), so a pattern like [\w+=,.@-]+ refuses a
// name with a space anywhere. Java's UTF-16 escapes and POSIX classes are rewritten; a pattern
// RE2 cannot express is an error here (and a finding wherever it is used), never skipped.
func compilePattern(p string) (*regexp.Regexp, error) {
	q := p
	if e, ok := equivalentPatterns[p]; ok {
		q = e
	}
	q = strings.NewReplacer(`\uD800\uDC00-\uDBFF\uDFFF`, `\x{10000}-\x{10FFFF}`,
		`\u10000-\u10FFFF`, `\x{10000}-\x{10FFFF}`, `[\p{Print}]`, `[[:print:]]`, `\p{Print}`, `[[:print:]]`).Replace(q)
	q = reUnicodeEscape.ReplaceAllString(q, `\x{$1}`)
	re, err := regexp.Compile(`^(?:` + q + `)$`)
	if err != nil {
		return nil, fmt.Errorf("pattern %q is not checkable with Go regexp: %v", p, err)
	}
	return re, nil
}
