package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/templates"
)

// Route kinds.
const (
	RouteRatings         = "ratings"
	RouteRecommendations = "recommendations"
	RouteCSV             = "csv"
	RouteBinary          = "binary"
)

// InferenceTypes are the recommendation inference types; only the first is deterministic.
var InferenceTypes = []string{
	"deterministic", "stochastic_plackett_luce", "stochastic_plackett_luce_cached",
	"stochastic_gumbel_softmax_trick", "stochastic_epsilon_greedy",
}

// Kind is everything a route kind fixes. It is the one table of route kinds: validation,
// defaults, the OpenAPI document, the client document, the stage variables, the firewall, the
// curl example, the preview, the smoke test and the conformance command all read it, so adding
// a kind is an entry here, its templates and its tests.
type Kind struct {
	Method      string
	UserPath    bool // the path ends in /{user_id}
	ContentType string
	Parameters  []Parameter
	// Templates: the request, the 200 answer, a rejected model answer (a 4XX other than 429,
	// answered RejectStatus) and an unavailable model (a 5XX or 429, answered 503).
	Request, Response, Rejected, Unavailable string
	RejectStatus                             string
	// Cacheable: the answer depends only on the request parameters, so the stage cache may
	// serve it (api.cache.routes).
	Cacheable bool
	// NumericItems: the items query parameter is a list of numeric ids (the firewall blocks
	// anything else before it reaches the API).
	NumericItems bool
	// InferenceTypes: the route takes api.routes[].inferenceTypes, passed to the templates as
	// the stage variable inferenceTypes_<path>.
	InferenceTypes bool
	// ContentTypes: the route takes api.routes[].contentTypes, the media types of the bytes it
	// passes to the model unchanged (no request template; the API's binary media types; the
	// stage variable contentTypes_<path> for the templates' 415). ContentType is then empty.
	ContentTypes bool
	// TooLarge is the template for SageMaker's 413 (a body above InvokeEndpoint's limit),
	// answered 413; without it a 413 is a rejected answer like any other 4XX.
	TooLarge string
	// TemplateStatuses are the statuses the response templates set besides 400 (declared as
	// method responses; the client document describes them in Errors).
	TemplateStatuses []string
	// SchemaName and Schema are the 200 body in the client document; Errors are what the
	// kind's error statuses mean beyond (or instead of) every route's; RequestBody describes a
	// body the route takes.
	SchemaName  string
	Schema      map[string]any
	Errors      map[string]string
	RequestBody string
	// Examples are requests of the kind for the stack's limits: the first is valid (the curl
	// example, the preview, the smoke test); all are the conformance command's cases.
	Examples func(Limits) []Example
	// ModelAnswer is a plausible model answer to a request payload (the preview, local fakes).
	ModelAnswer func(payload string) string
	// CheckAnswer checks the 200 body the API returns for a valid example (the smoke test).
	CheckAnswer func(ex Example, body []byte) error
}

// Limits are the stack's request limits the templates enforce (stage variables).
type Limits struct{ MaxItems, MaxK int }

// Example is one request of a kind and the status the API answers it with.
type Example struct {
	Name   string
	UserID string            // kinds with a user path
	Query  map[string]string // query parameters
	Body   string            // a request body, sent with ContentType
	// ContentType is the body's media type when it is not the route's (Route.ContentType).
	ContentType string
	Status      int
}

// Parameter is one request parameter of a route kind: where API Gateway finds it, whether its
// validator requires it, and (for the client document) what the templates accept.
type Parameter struct {
	Name     string
	In       string // path, query or header (OpenAPI's locations)
	Required bool
	// Pattern is the whole value the templates accept (Java regex, as they match it); Enum
	// lists the accepted values instead when the stack fixes them.
	Pattern     string
	MaxLength   int
	Description string
}

// requestParameter is the method request parameter API Gateway names for p.
func (p Parameter) requestParameter() string {
	loc := map[string]string{"path": "path", "query": "querystring", "header": "header"}[p.In]
	return "method.request." + loc + "." + p.Name
}

// LookupKind returns a route kind.
func LookupKind(name string) (Kind, bool) {
	k, ok := kinds[name]
	return k, ok
}

// KindNames lists the route kinds, sorted.
func KindNames() []string { return slices.Sorted(maps.Keys(kinds)) }

// kindsWith lists the kinds (sorted) that have a property.
func kindsWith(has func(Kind) bool) []string {
	var out []string
	for _, name := range KindNames() {
		if has(kinds[name]) {
			out = append(out, name)
		}
	}
	return out
}

// The patterns are the templates' own checks (templates/*.request.vtl), so the client document
// promises exactly what the API accepts.
const numericID = `(0|[1-9][0-9]{0,8})`

// kinds is the one table of route kinds.
var kinds = map[string]Kind{
	RouteRatings: {
		Method: "GET", UserPath: true, ContentType: "application/json",
		Parameters: []Parameter{
			{Name: "user_id", In: "path", Required: true, Pattern: "^" + numericID + "$", Description: "the user: a numeric id, at most 9 digits, no leading zeros"},
			{Name: "items", In: "query", Required: true, Pattern: "^" + numericID + "(," + numericID + ")*$", MaxLength: 5000,
				Description: "the items to rate, in order: 1 to maxItems comma-separated numeric ids"},
		},
		Request: templates.RatingsRequest, Response: templates.RatingsResponse, Rejected: templates.RatingsRejected, RejectStatus: "502",
		Unavailable: templates.RatingsUnavailable, Cacheable: true, NumericItems: true,
		SchemaName: "Ratings",
		Schema: map[string]any{
			"type": "object", "required": []any{"ratings"},
			"properties": map[string]any{"ratings": map[string]any{
				"type": "array", "items": map[string]any{"type": "number"},
				"description": "one predicted rating per item, in the order of items",
			}},
		},
		Examples: func(l Limits) []Example {
			return []Example{
				{Name: "valid", UserID: "321", Query: map[string]string{"items": "101,131,162"}, Status: 200},
				{Name: "invalid-user", UserID: "0321", Query: map[string]string{"items": "101"}, Status: 400},
				{Name: "injection", UserID: "321", Query: map[string]string{"items": `1]},{"in0":[999],"in1":[2`}, Status: 400},
				{Name: "too-many-items", UserID: "321", Query: map[string]string{"items": strings.TrimSuffix(strings.Repeat("7,", l.MaxItems+1), ",")}, Status: 400},
			}
		},
		ModelAnswer: func(payload string) string {
			var preds []string
			for i := 0; i < strings.Count(payload, `"in1"`); i++ {
				preds = append(preds, fmt.Sprintf(`{"scores":[%.1f]}`, 3.0+float64(i%20)/10))
			}
			return `{"predictions":[` + strings.Join(preds, ",") + `]}`
		},
		CheckAnswer: func(ex Example, body []byte) error {
			var v struct{ Ratings []float64 }
			if n := strings.Count(ex.Query["items"], ",") + 1; json.Unmarshal(body, &v) != nil || len(v.Ratings) != n {
				return fmt.Errorf("want {\"ratings\":[%d numbers]}, got %s", n, Snippet(body))
			}
			return nil
		},
	},
	RouteRecommendations: {
		Method: "GET", UserPath: true, ContentType: "application/json",
		Parameters: []Parameter{
			{Name: "user_id", In: "path", Required: true, Pattern: `^[A-Za-z0-9][A-Za-z0-9:_.-]{0,63}$`, Description: "the user: 1-64 letters, digits or : _ . -, starting with a letter or digit"},
			{Name: "k", In: "query", Pattern: `^[1-9][0-9]{0,3}$`, Description: "how many movies: 1 to maxK, no leading zeros; absent: 10"},
			{Name: "inference_type", In: "query", Description: "how the model ranks; absent: the route's first allowed type"},
		},
		Request: templates.RecommendationsRequest, Response: templates.RecommendationsResponse, Rejected: templates.RecommendationsRejected, RejectStatus: "502",
		Unavailable: templates.RecommendationsUnavail, Cacheable: true, InferenceTypes: true,
		SchemaName: "Recommendations",
		Schema: map[string]any{
			"type": "object", "required": []any{"user_id", "inference_type", "movies"},
			"properties": map[string]any{
				"user_id":        map[string]any{"type": "string"},
				"inference_type": map[string]any{"type": "string"},
				"movies": map[string]any{"type": "array", "description": "at most k movies, best first", "items": map[string]any{
					"type": "object", "required": []any{"id", "score"},
					"properties": map[string]any{"id": map[string]any{"type": "string"}, "score": map[string]any{"type": "number"}},
				}},
			},
		},
		Examples: func(Limits) []Example {
			return []Example{
				{Name: "k=3", UserID: "U:114521", Query: map[string]string{"k": "3"}, Status: 200},
				{Name: "defaults", UserID: "U:114521", Query: map[string]string{}, Status: 200},
				{Name: "bad-k", UserID: "U:114521", Query: map[string]string{"k": "0"}, Status: 400},
				{Name: "bad-type", UserID: "U:114521", Query: map[string]string{"inference_type": "x"}, Status: 400},
			}
		},
		ModelAnswer: func(payload string) string {
			m := regexp.MustCompile(`"k":([0-9]+)`).FindStringSubmatch(payload)
			if m == nil {
				return `{"predictions":[]}`
			}
			k, _ := strconv.Atoi(m[1])
			var ids, scores []string
			for i := 1; i <= k; i++ {
				ids = append(ids, fmt.Sprintf(`"movie-%d"`, i))
				scores = append(scores, strconv.FormatFloat(1-float64(i)/float64(k+1), 'f', 3, 64))
			}
			return `{"predictions":[{"movie_ids":[` + strings.Join(ids, ",") + `],"scores":[` + strings.Join(scores, ",") + `]}]}`
		},
		CheckAnswer: func(ex Example, body []byte) error {
			var v struct {
				UserID        string `json:"user_id"`
				InferenceType string `json:"inference_type"`
				Movies        []struct {
					ID    string   `json:"id"`
					Score *float64 `json:"score"`
				} `json:"movies"`
			}
			k, _ := strconv.Atoi(ex.Query["k"])
			if json.Unmarshal(body, &v) != nil || v.UserID != ex.UserID || v.InferenceType == "" || (k > 0 && len(v.Movies) > k) {
				return fmt.Errorf("want {user_id, inference_type, movies (at most %d)}, got %s", k, Snippet(body))
			}
			return nil
		},
	},
	// CSV routes report a model 4XX as the client's fault (400): the rows are the client's.
	RouteCSV: {
		Method: "POST", ContentType: "text/csv",
		Parameters: []Parameter{{Name: "Content-Type", In: "header", Required: true, Description: "text/csv"}},
		Request:    templates.CSVRequest, Response: templates.CSVResponse, Rejected: templates.CSVRejected, RejectStatus: "400",
		Unavailable: templates.ModelUnavailable,
		SchemaName:  "CSVAnswer", Schema: map[string]any{"description": "the model's JSON answer, unchanged"},
		Errors: map[string]string{
			"400": "the model rejected the CSV rows, or Content-Type is missing",
			"413": "request too large",
			"415": "Content-Type is not text/csv",
		},
		RequestBody: "CSV rows in the column order the model expects, forwarded unchanged",
		Examples: func(Limits) []Example {
			return []Example{{Name: "rows", Body: "34,0.5,1,0\n27,0.25,0,1\n", Status: 200}}
		},
		ModelAnswer: func(payload string) string {
			var preds []string
			for _, line := range strings.Split(strings.TrimSpace(payload), "\n") {
				if line != "" && line != "{}" {
					preds = append(preds, `{"score":0.5}`)
				}
			}
			return `{"predictions":[` + strings.Join(preds, ",") + `]}`
		},
		CheckAnswer: func(_ Example, body []byte) error {
			if !json.Valid(body) {
				return fmt.Errorf("want JSON, got %s", Snippet(body))
			}
			return nil
		},
	},
	// Binary routes pass the client's bytes to the model unchanged and report a model 4XX as
	// the client's fault (400), like CSV routes; SageMaker's 413 (6 MB real-time, 4 MB
	// serverless) is the fixed 413, a Content-Type the route does not take the fixed 415.
	RouteBinary: {
		Method: "POST", ContentTypes: true,
		Parameters: []Parameter{{Name: "Content-Type", In: "header", Required: true, Description: "one of the route's media types, exactly"}},
		Response:   templates.BinaryResponse, Rejected: templates.BinaryRejected, RejectStatus: "400",
		TooLarge: templates.BinaryTooLarge, Unavailable: templates.BinaryUnavailable,
		TemplateStatuses: []string{"413", "415", "502"},
		SchemaName:       "BinaryAnswer", Schema: map[string]any{"description": "the model's JSON answer (an object or an array), unchanged"},
		Errors: map[string]string{
			"400": "the model rejected the bytes, or Content-Type is missing",
			"413": "the body is larger than the model accepts: 6 MB (4 MB for a serverless model)",
			"415": "Content-Type is not exactly one of the route's media types (multipart/form-data is never one)",
			"502": "the model's answer was not JSON, or the model could not be reached",
		},
		RequestBody: "the file's bytes (not a multipart form), forwarded unchanged",
		Examples: func(Limits) []Example {
			return []Example{
				{Name: "image", Body: examplePNG, Status: 200},
				// A form as browsers and HTTP libraries build it (text, so that TestInvokeMethod,
				// whose body is a string, can send it too).
				{Name: "multipart", ContentType: "multipart/form-data; boundary=ml", Body: "--ml\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nnot an image\r\n--ml--\r\n", Status: 415},
				{Name: "json", ContentType: "application/json", Body: `{"image":"iVBORw0KGgo="}`, Status: 415},
			}
		},
		ModelAnswer: func(string) string {
			return `{"predictions":[{"label":"drama","score":0.82},{"label":"comedy","score":0.11}]}`
		},
		CheckAnswer: func(_ Example, body []byte) error {
			if t := strings.TrimSpace(string(body)); !json.Valid(body) || !(strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) {
				return fmt.Errorf("want a JSON object or array, got %s", Snippet(body))
			}
			return nil
		},
	},
}

// examplePNG is a 1×1 PNG: real binary bytes (a NUL, bytes above 0x7F that are not UTF-8) for
// the binary kind's examples.
var examplePNG = func() string {
	b, err := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// Snippet shortens a body for a message (the answer checks here, the smoke test's reports).
func Snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// readable keeps the characters a query value may carry unescaped (RFC 3986 sub-delims and ":").
var readable = strings.NewReplacer("%2C", ",", "%3A", ":")

// On is the example's request URL on a route URL ({user_id} where the user id goes: the stack's
// routeUrls output, or the invoke URL and the resource path), the query sorted and escaped.
func (ex Example) On(routeURL string) string {
	u := strings.Replace(routeURL, "{user_id}", url.PathEscape(ex.UserID), 1)
	var q []string
	for _, k := range slices.Sorted(maps.Keys(ex.Query)) {
		q = append(q, k+"="+readable.Replace(url.QueryEscape(ex.Query[k])))
	}
	if len(q) == 0 {
		return u
	}
	return u + "?" + strings.Join(q, "&")
}
