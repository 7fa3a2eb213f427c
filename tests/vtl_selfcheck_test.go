package tests

// Self-check of the renderer against semantics facts with a source (the section of
// shared/reference/apigw-vtl-semantics.md and its evidence grade). The conformance corpus
// covers what was recorded on AWS; this table pins the rules our templates lean on.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var selfChecks = []struct {
	name, source string
	template     string
	request      func(r *vtlRequest)
	response     *string // response mode when set
	want         string
	status       int // 0: not checked
}{
	{"undefined reference renders empty", "§0 [REC] stagevars noStageVar", `[$nope][$stageVariables.none][$!quiet]`, nil, nil, `[][][]`, 0},
	{"null equals empty string and $null", "§0 [REC] input-path-missing-is-null-and-empty", `#set($m = $input.path('$.missing'))#if($m == "")a#end#if($m == $null)b#end#if("" == $m)c#end#if($m != "")d#end`, nil, strp(`{}`), `abc`, 0},
	{"empty array is neither null nor empty", "§0 [REC] input-path-empty-list", `#set($l = $input.path('$.l'))#if($l == "")x#else$l#end`, nil, strp(`{"l":[]}`), `[]`, 0},
	{"object prints Java-style, arrays JSON", "§1 [REC] input-path-*", `$input.path('$')`, nil, strp(`{"a":1,"b":"x","c":[{"d":true}],"e":{"f":null}}`), `{a=1, b=x, c=[{"d":true}], e={f=null}}`, 0},
	{"doubles print via Double.toString", "§1 [DOC] pet store, blog", `$input.path('$.a') $input.path('$.b') $input.path('$.c')`, nil, strp(`{"a":3.527499437332153,"b":249.99,"c":3.0}`), `3.527499437332153 249.99 3.0`, 0},
	{"json vs path for a string", "§1 [INF from REC] inferred-json-vs-path-string", `$input.json('$.n')|$input.path('$.n')`, nil, strp(`{"n":"Bob"}`), `"Bob"|Bob`, 0},
	{"json of an object is compact", "§1 [DOC]", `$input.json('$.a')`, nil, strp(`{"a": {"b": [1, 2]}}`), `{"b":[1,2]}`, 0},
	{"empty body is {}", "§1 [REC] input-body-*-empty-body", `$input.body`, nil, nil, `{}`, 0},
	{"params(x): path, then query string, then header", "§1 [DOC] mapping-template reference", `$input.params('a') $input.params('b') $input.params('c') [$input.params('z')]`,
		func(r *vtlRequest) {
			r.PathParameters = map[string]string{"a": "path"}
			r.QueryStringParameters = map[string][]string{"a": {"query"}, "b": {"query"}}
			r.Headers = map[string][]string{"a": {"header"}, "b": {"header"}, "c": {"header"}}
		}, nil, `path query header []`, 0},
	{"hidden headers are never visible", "§1 [REC] params-header-visibility", `[$input.params('Content-Length')][$input.params().header.get('Connection')][$input.params('User-Agent')]`,
		func(r *vtlRequest) {
			r.Headers = map[string][]string{"Content-Length": {"12"}, "Connection": {"keep-alive"}, "User-Agent": {"ua"}}
		}, nil, `[][][ua]`, 0},
	{"response templates read method request params", "§1 [REC][DOC] mock-params-path-map-*", `$input.params().path.id $input.path('$.x')`,
		func(r *vtlRequest) { r.PathParameters = map[string]string{"id": "42"} }, strp(`{"x":1}`), `42 1`, 0},
	{"escapeJavaScript escapes the single quote", "§2 [DOC] escapeJavaScript warning", `$util.escapeJavaScript("it's ""q"" /\")`, nil, nil, `it\'s \"q\" \/\\`, 0},
	{"escapeJavaScript with the documented fix", "§2 [DOC]", `$util.escapeJavaScript("it's").replaceAll("\\'","'")`, nil, nil, `it's`, 0},
	{"urlEncode is form encoding", "§2 [REC] input-body-url-encode-*", `$util.urlEncode('{"some": "value"}')|$util.urlDecode('a+b%21')`, nil, nil, `%7B%22some%22%3A+%22value%22%7D|a b!`, 0},
	{"base64 round trip", "§2 [REC] mock-requestOverride-passes-data-*", `$util.base64Encode('{"k":1}')|$util.parseJson($util.base64Decode('eyJrIjoxfQ==')).k`, nil, nil, `eyJrIjoxfQ==|1`, 0},
	{"parseJson", "§2 [DOC] docs-util-parseJson-errorMessage", `$util.parseJson('{"key2":{"arr":[1,2]}}').key2.arr[0]`, nil, nil, `1`, 0},
	{"AppSync utilities do not exist", "§2 [INF]", `[$util.toJson($input.body)]`, nil, nil, `[]`, 0},
	{"context basics", "§3 [DOC][REC]", `$context.stage $context.httpMethod $context.resourcePath $context.path $context.isCanaryRequest [$context.identity.apiKey]`,
		func(r *vtlRequest) {
			r.Method, r.Resource, r.Path = "GET", "/root/{id}", "/root/1"
			r.Context = map[string]any{"stage": "prod", "isCanaryRequest": true}
		}, nil, `prod GET /root/{id} /prod/root/1 true []`, 0},
	{"nested context maps print empty", "§3 [REC] context-keyset-enumeration", `[$context.identity][$context.requestOverride]`, nil, nil, `[][]`, 0},
	{"responseOverride has no status until set", "§3 [REC]", `$context.responseOverride.keySet()`, nil, nil, `[header]`, 0},
	{"status override applies to the response", "§3 [DOC] override tutorial", `#set($context.responseOverride.status = 400)x`, nil, strp(`{}`), `x`, 400},
	{"overriding twice is a 5XX", "§3 [DOC] overrides are final", `#set($context.responseOverride.status = 400)#set($context.responseOverride.status = 401)`, nil, strp(`{}`), ``, 500},
	{"status override outside 100-599 is ignored", "§3 [LS]", `#set($context.responseOverride.status = 99)`, nil, strp(`{}`), ``, 200},
	{"stage variable forms", "§3 [DOC]", `$stageVariables.v ${stageVariables.v} $stageVariables['v']`,
		func(r *vtlRequest) { r.StageVariables = map[string]string{"v": "x"} }, nil, `x x x`, 0},
	{"a #set line is gobbled with its indentation", "§4.1 [VEL] velocity case whitespace-gobbling-set", "a\n#set($a = 1)\n  #set($b = 2)\nb$a$b\n", nil, nil, "a\nb12\n", 0},
	{"an #if line keeps its indentation, loses its newline", "§4.1 [VEL] velocity case whitespace-gobbling-foreach-if", "  #if(true)\nyes\n  #end\nend", nil, nil, "  yes\n  end", 0},
	{"truthiness of references", "§4.3 [VEL] velocity case if-truthiness", `#set($e = "")#set($z = 0)#set($f = false)#if($e)1#end#if($z)2#end#if($nope)3#end#if($f)4#end`, nil, nil, `12`, 0},
	{"integer arithmetic and widening", "§4.4 [VEL]", `#set($a = 7 / 2)#set($b = 2147483647 + 1)$a $b`, nil, nil, `3 2147483648`, 0},
	{"string vs number equality compares text", "§4.4 [VEL]", `#if("1" == 1)eq#end`, nil, nil, `eq`, 0},
	{"split keeps inner empty fields, drops trailing ones; size() works", "§4.5 [VEL]", `#set($s = "a,,b,,")$s.split(',').size()`, nil, nil, `3`, 0},
}

func strp(s string) *string { return &s }

func TestRendererSelfCheck(t *testing.T) {
	t.Parallel()
	var batch []vtlCase
	for _, c := range selfChecks {
		r := vtlRequest{Method: "POST", Resource: "/", Path: "/", PathParameters: map[string]string{},
			QueryStringParameters: map[string][]string{}, Headers: map[string][]string{}, StageVariables: map[string]string{}, Context: map[string]any{}}
		if c.request != nil {
			c.request(&r)
		}
		vc := vtlCase{ID: c.name, Template: c.template, Request: r}
		if c.response != nil {
			vc.ResponseBody, vc.ResponseStatus = c.response, 200
		}
		batch = append(batch, vc)
	}
	results := renderAll(t, batch)
	for _, c := range selfChecks {
		t.Run(c.name, func(t *testing.T) {
			r := results[c.name]
			require.Empty(t, r.Error, "%s (%s)", c.name, c.source)
			assert.Equal(t, c.want, r.Output, c.source)
			if c.status != 0 {
				assert.Equal(t, c.status, r.Overrides.Status, c.source)
			}
		})
	}
}
