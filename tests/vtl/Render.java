// Render renders API Gateway (REST) mapping templates locally with Apache Velocity 1.7 and
// Jayway JsonPath (json-smart), the engine family API Gateway uses, plus API Gateway's $input,
// $util, $context and $stageVariables as documented in shared/reference/apigw-vtl-semantics.md.
// General rules only: nothing here knows about a particular template.
//
//   render --template FILE --request REQUEST.json [--response-body FILE [--response-status N]] [--overrides-out FILE]
//   render --batch CASES.jsonl        (one JSON case per line in, one JSON result per line out)

import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.PathNotFoundException;
import com.jayway.jsonpath.spi.json.JsonSmartJsonProvider;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import net.minidev.json.JSONArray;
import net.minidev.json.JSONObject;
import net.minidev.json.JSONValue;
import net.minidev.json.parser.JSONParser;
import org.apache.commons.lang.StringEscapeUtils;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.app.event.EventCartridge;
import org.apache.velocity.app.event.ReferenceInsertionEventHandler;
import org.apache.velocity.context.InternalContextAdapter;
import org.apache.velocity.runtime.RuntimeInstance;
import org.apache.velocity.runtime.parser.node.ASTEQNode;
import org.apache.velocity.runtime.parser.node.ASTNENode;
import org.apache.velocity.runtime.parser.node.Node;
import org.apache.velocity.runtime.parser.node.SimpleNode;

public class Render {

  // ---------------------------------------------------------------- JSON model (json-smart)

  /** Parses JSON the way API Gateway's JsonPath does: objects LinkedHashMap, arrays JSONArray. */
  static Object parseJson(String s) throws Exception {
    return new JSONParser(JSONParser.MODE_PERMISSIVE).parse(s, JsonMapper.ORDERED);
  }

  /** json-smart's ordered container factory (objects keep insertion order). */
  static final class JsonMapper {
    static final net.minidev.json.writer.JsonReaderI<Object> ORDERED =
        new net.minidev.json.writer.JsonReaderI<Object>(new net.minidev.json.writer.JsonReader()) {
          @Override
          public net.minidev.json.writer.JsonReaderI<?> startObject(String key) {
            return this;
          }

          @Override
          public net.minidev.json.writer.JsonReaderI<?> startArray(String key) {
            return this;
          }

          @Override
          public Object createObject() {
            return new LinkedHashMap<String, Object>();
          }

          @Override
          public Object createArray() {
            return new JSONArray();
          }

          @Override
          @SuppressWarnings("unchecked")
          public void setValue(Object current, String key, Object value) {
            ((Map<String, Object>) current).put(key, value);
          }

          @Override
          @SuppressWarnings("unchecked")
          public void addValue(Object current, Object value) {
            ((List<Object>) current).add(value);
          }
        };
  }

  static final Configuration JSONPATH =
      Configuration.builder()
          .jsonProvider(
              new JsonSmartJsonProvider() {
                @Override
                public Object parse(String json) {
                  try {
                    return parseJson(json);
                  } catch (Exception e) {
                    throw new com.jayway.jsonpath.InvalidJsonException(e);
                  }
                }

                @Override
                public Object createMap() {
                  return new LinkedHashMap<String, Object>();
                }
              })
          .options(Option.DEFAULT_PATH_LEAF_TO_NULL)
          .build();

  /** JsonPath without leaf-to-null: a missing path throws, so json() tells it from a JSON null. */
  static final Configuration JSONPATH_STRICT = Configuration.builder().jsonProvider(JSONPATH.jsonProvider()).build();

  static String toJson(Object v) {
    return JSONValue.toJSONString(v);
  }

  // ---------------------------------------------------------------- $input

  /** Headers API Gateway never shows to templates (recorded: params-header-visibility). */
  static final Set<String> HIDDEN_HEADERS =
      new HashSet<>(
          Arrays.asList(
              "connection", "content-length", "content-md5", "expect", "max-forwards",
              "proxy-authenticate", "server", "te", "transfer-encoding", "trailer", "upgrade",
              "www-authenticate"));

  public static final class Input {
    private final String body;
    private final Map<String, Object> params;

    Input(String rawBody, Map<String, Object> params) {
      // An empty or absent body is the string {} (recorded: input-body-*-empty-body).
      this.body = (rawBody == null || rawBody.isEmpty()) ? "{}" : rawBody;
      this.params = params;
    }

    public String getBody() {
      return body;
    }

    private Object read(String path) {
      try {
        return JsonPath.using(JSONPATH).parse(body).read(path);
      } catch (PathNotFoundException e) {
        return null;
      } catch (com.jayway.jsonpath.InvalidJsonException e) {
        return null;
      }
    }

    /** The JSONPath result as a native object; missing -> null (renders ""). */
    public Object path(String p) {
      return read(p);
    }

    /** The JSONPath result serialised as JSON text; a missing path or non-JSON body gives "". */
    public String json(String p) {
      try {
        return toJson(JsonPath.using(JSONPATH_STRICT).parse(body).read(p));
      } catch (PathNotFoundException | com.jayway.jsonpath.InvalidJsonException e) {
        return "\"\"";
      }
    }

    /** {path, querystring, header} maps of the method request. */
    public Map<String, Object> params() {
      return params;
    }

    /** Path, then query string, then header; missing -> "". */
    @SuppressWarnings("unchecked")
    public String params(String name) {
      for (String where : new String[] {"path", "querystring", "header"}) {
        Map<String, String> m = (Map<String, String>) params.get(where);
        if (m.containsKey(name)) {
          return m.get(name);
        }
      }
      return "";
    }
  }

  // ---------------------------------------------------------------- $util

  public static final class Util {
    public String escapeJavaScript(String s) {
      return s == null ? null : StringEscapeUtils.escapeJavaScript(s);
    }

    public Object parseJson(String s) throws Exception {
      return s == null ? null : Render.parseJson(s);
    }

    public String urlEncode(String s) throws Exception {
      return s == null ? "" : URLEncoder.encode(s, "UTF-8");
    }

    public String urlDecode(String s) throws Exception {
      return s == null ? "" : URLDecoder.decode(s, "UTF-8");
    }

    public String base64Encode(String s) {
      return s == null ? null : Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    public String base64Decode(String s) {
      return s == null ? null : new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
    }
  }

  // ---------------------------------------------------------------- $context

  /** A context map: printing it gives "" (recorded), extra keys are readable but not listed. */
  public static class ContextMap extends LinkedHashMap<String, Object> {
    final Map<String, Object> hidden = new LinkedHashMap<>();

    @Override
    public Object get(Object key) {
      return super.containsKey(key) ? super.get(key) : hidden.get(key);
    }

    @Override
    public String toString() {
      return "";
    }
  }

  /** An override map: overrides are final, so setting one twice is recorded as a conflict. */
  public static final class OverrideMap extends ContextMap {
    final List<String> conflicts;
    final String name;

    OverrideMap(String name, List<String> conflicts) {
      this.name = name;
      this.conflicts = conflicts;
    }

    @Override
    public Object put(String key, Object value) {
      if (super.containsKey(key)) {
        conflicts.add(name + "." + key);
      }
      return super.put(key, value);
    }
  }

  static final String[] CONTEXT_KEYS = {
    "resourceId", "resourcePath", "httpMethod", "extendedRequestId", "requestTime", "path",
    "accountId", "protocol", "requestOverride", "stage", "domainPrefix", "requestTimeEpoch",
    "requestId", "identity", "domainName", "deploymentId", "responseOverride", "apiId"
  };

  static final String[] IDENTITY_KEYS = {
    "cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "sourceIp",
    "principalOrgId", "accessKey", "cognitoAuthenticationType", "cognitoAuthenticationProvider",
    "userArn", "userAgent", "user"
  };

  static final class Overrides {
    final List<String> conflicts = new ArrayList<>();
    final OverrideMap request = new OverrideMap("requestOverride", conflicts);
    final OverrideMap response = new OverrideMap("responseOverride", conflicts);

    Overrides() {
      for (String k : new String[] {"path", "header", "querystring"}) {
        request.put(k, new OverrideMap("requestOverride." + k, conflicts));
      }
      response.put("header", new OverrideMap("responseOverride.header", conflicts));
    }
  }

  @SuppressWarnings("unchecked")
  static ContextMap buildContext(Map<String, Object> req, Overrides ov) {
    Map<String, Object> given =
        req.get("context") instanceof Map ? (Map<String, Object>) req.get("context") : new LinkedHashMap<>();
    long now = given.get("requestTimeEpoch") instanceof Number
        ? ((Number) given.get("requestTimeEpoch")).longValue()
        : System.currentTimeMillis();
    SimpleDateFormat clf = new SimpleDateFormat("dd/MMM/yyyy:HH:mm:ss Z", Locale.US);
    clf.setTimeZone(TimeZone.getTimeZone("UTC"));
    String stage = given.get("stage") == null ? "test" : String.valueOf(given.get("stage"));
    String path = str(req.get("path"), "/");

    ContextMap identity = new ContextMap();
    for (String k : IDENTITY_KEYS) {
      identity.put(k, null);
    }
    identity.put("sourceIp", "127.0.0.1");
    identity.put("userAgent", firstHeader(req, "User-Agent"));
    if (given.get("identity") instanceof Map) {
      for (Map.Entry<String, Object> e : ((Map<String, Object>) given.get("identity")).entrySet()) {
        if (identity.containsKey(e.getKey())) {
          identity.put(e.getKey(), e.getValue());
        } else {
          identity.hidden.put(e.getKey(), e.getValue());
        }
      }
    }

    ContextMap c = new ContextMap();
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("resourceId", "abc123");
    v.put("resourcePath", str(req.get("resource"), path));
    v.put("httpMethod", str(req.get("method"), "GET"));
    v.put("extendedRequestId", "EXTENDEDID=");
    v.put("requestTime", clf.format(new Date(now)));
    v.put("path", "/" + stage + path);
    v.put("accountId", "123456789012");
    v.put("protocol", "HTTP/1.1");
    v.put("requestOverride", ov.request);
    v.put("stage", stage);
    v.put("domainPrefix", "abcdef1234");
    v.put("requestTimeEpoch", now);
    v.put("requestId", "11111111-2222-3333-4444-555555555555");
    v.put("identity", identity);
    v.put("domainName", "abcdef1234.execute-api.eu-west-1.amazonaws.com");
    v.put("deploymentId", "dep123");
    v.put("responseOverride", ov.response);
    v.put("apiId", "abcdef1234");
    for (String k : CONTEXT_KEYS) {
      c.put(k, given.containsKey(k) && !(given.get(k) instanceof Map) ? given.get(k) : v.get(k));
    }
    c.hidden.put("authorizer", given.get("authorizer") instanceof Map ? given.get("authorizer") : new ContextMap());
    Object canary = given.get("isCanaryRequest");
    c.hidden.put("isCanaryRequest", canary == null ? "false" : String.valueOf(canary));
    for (Map.Entry<String, Object> e : given.entrySet()) {
      if (!c.containsKey(e.getKey()) && !c.hidden.containsKey(e.getKey())) {
        c.hidden.put(e.getKey(), e.getValue());
      }
    }
    return c;
  }

  static String str(Object o, String dflt) {
    return o == null ? dflt : String.valueOf(o);
  }

  @SuppressWarnings("unchecked")
  static String firstHeader(Map<String, Object> req, String name) {
    Map<String, Object> h = (Map<String, Object>) req.getOrDefault("headers", new LinkedHashMap<>());
    for (Map.Entry<String, Object> e : h.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name)) {
        return lastValue(e.getValue());
      }
    }
    return null;
  }

  /** For a multi-valued parameter, the single-value maps keep the last value. */
  static String lastValue(Object v) {
    if (v instanceof List) {
      List<?> l = (List<?>) v;
      return l.isEmpty() ? "" : String.valueOf(l.get(l.size() - 1));
    }
    return v == null ? null : String.valueOf(v);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> buildParams(Map<String, Object> req) {
    Map<String, Object> out = new ContextMapPlain();
    Map<String, String> path = new LinkedHashMap<>();
    Map<String, String> qs = new LinkedHashMap<>();
    Map<String, String> headers = new LinkedHashMap<>();
    Map<String, Object> p = (Map<String, Object>) req.getOrDefault("pathParameters", new LinkedHashMap<>());
    if (p != null) {
      for (Map.Entry<String, Object> e : p.entrySet()) {
        path.put(e.getKey(), lastValue(e.getValue()));
      }
    }
    Map<String, Object> q = (Map<String, Object>) req.getOrDefault("queryStringParameters", new LinkedHashMap<>());
    if (q != null) {
      for (Map.Entry<String, Object> e : q.entrySet()) {
        qs.put(e.getKey(), lastValue(e.getValue()));
      }
    }
    Map<String, Object> h = (Map<String, Object>) req.getOrDefault("headers", new LinkedHashMap<>());
    if (h != null) {
      for (Map.Entry<String, Object> e : h.entrySet()) {
        if (!HIDDEN_HEADERS.contains(e.getKey().toLowerCase(Locale.ROOT))) {
          headers.put(e.getKey(), lastValue(e.getValue()));
        }
      }
    }
    out.put("path", path);
    out.put("querystring", qs);
    out.put("header", headers);
    return out;
  }

  /** The params() map prints like any Java map. */
  static final class ContextMapPlain extends LinkedHashMap<String, Object> {}

  // ---------------------------------------------------------------- engine

  /** Null and undefined references print as "" (API Gateway), not as their literal text. */
  public static final class NullAsEmpty implements ReferenceInsertionEventHandler {
    @Override
    public Object referenceInsert(String reference, Object value) {
      return value == null ? "" : value;
    }
  }

  /**
   * == and != treating null as "" (recorded: a missing value equals both $null and ""); null on
   * neither side falls through to Velocity's own comparison (null result).
   */
  static Boolean nullAsEmptyEquals(SimpleNode node, InternalContextAdapter context) {
    Object l = node.jjtGetChild(0).value(context);
    Object r = node.jjtGetChild(1).value(context);
    if (l == null || r == null) {
      return nullToEmpty(l).equals(nullToEmpty(r));
    }
    return null;
  }

  public static final class AwsEQNode extends ASTEQNode {
    AwsEQNode(int id) {
      super(id);
    }

    @Override
    public boolean evaluate(InternalContextAdapter context) throws org.apache.velocity.exception.MethodInvocationException {
      Boolean eq = nullAsEmptyEquals(this, context);
      return eq != null ? eq : super.evaluate(context);
    }
  }

  public static final class AwsNENode extends ASTNENode {
    AwsNENode(int id) {
      super(id);
    }

    @Override
    public boolean evaluate(InternalContextAdapter context) throws org.apache.velocity.exception.MethodInvocationException {
      Boolean eq = nullAsEmptyEquals(this, context);
      return eq != null ? !eq : super.evaluate(context);
    }
  }

  static String nullToEmpty(Object o) {
    return o == null ? "" : o.toString();
  }

  /** Replaces ==/!= nodes by the AWS variants, keeping children and parents. */
  static void patch(Node node) {
    for (int i = 0; i < node.jjtGetNumChildren(); i++) {
      Node c = node.jjtGetChild(i);
      SimpleNode repl = null;
      if (c.getClass() == ASTEQNode.class) {
        repl = new AwsEQNode(((SimpleNode) c).getType());
      } else if (c.getClass() == ASTNENode.class) {
        repl = new AwsNENode(((SimpleNode) c).getType());
      }
      if (repl != null) {
        for (int j = 0; j < c.jjtGetNumChildren(); j++) {
          repl.jjtAddChild(c.jjtGetChild(j), j);
          c.jjtGetChild(j).jjtSetParent(repl);
        }
        repl.jjtSetParent(node);
        repl.setFirstToken(c.getFirstToken());
        ((SimpleNode) node).jjtAddChild(repl, i);
        c = repl;
      }
      patch(c);
    }
  }

  static RuntimeInstance engine() throws Exception {
    RuntimeInstance rs = new RuntimeInstance();
    rs.setProperty("runtime.log.logsystem.class", "org.apache.velocity.runtime.log.NullLogChute");
    rs.setProperty("runtime.references.strict", "false");
    rs.init();
    return rs;
  }

  static final class Result {
    String output;
    String error;
    Overrides overrides;
    Integer status;
  }

  /**
   * Renders one template. responseBody == null renders a request template ($input reads the
   * request body); otherwise a response template ($input reads responseBody, params() still the
   * request).
   */
  @SuppressWarnings("unchecked")
  static Result render(RuntimeInstance rs, String template, Map<String, Object> req, String responseBody, Integer responseStatus) {
    Result res = new Result();
    res.overrides = new Overrides();
    try {
      SimpleNode tree = rs.parse(new StringReader(template), "template");
      patch(tree);
      VelocityContext ctx = new VelocityContext();
      Map<String, Object> params = buildParams(req);
      Object reqBody = req.get("body");
      String body = responseBody != null ? responseBody : (reqBody == null ? null : String.valueOf(reqBody));
      ctx.put("input", new Input(body, params));
      ctx.put("util", new Util());
      ctx.put("context", buildContext(req, res.overrides));
      Map<String, Object> sv = new LinkedHashMap<>();
      if (req.get("stageVariables") instanceof Map) {
        sv.putAll((Map<String, Object>) req.get("stageVariables"));
      }
      ctx.put("stageVariables", sv);
      EventCartridge ec = new EventCartridge();
      ec.addEventHandler(new NullAsEmpty());
      ec.attachToContext(ctx);
      Writer w = new StringWriter();
      rs.render(ctx, w, "template", tree);
      res.output = w.toString();
      if (responseBody != null) {
        res.status = responseStatus == null ? 200 : responseStatus;
        Object s = res.overrides.response.get("status");
        Integer st = null;
        if (s instanceof Number) {
          st = ((Number) s).intValue();
        } else if (s instanceof String && ((String) s).matches("[0-9]{3}")) {
          st = Integer.valueOf((String) s);
        }
        if (st != null && st >= 100 && st <= 599) {
          res.status = st;
        }
        if (!res.overrides.conflicts.isEmpty()) {
          res.status = 500; // "Trying to override the same parameter multiple times will result in 5XX"
        }
      }
    } catch (Throwable e) {
      Throwable cause = e;
      while (cause.getCause() != null && cause.getCause() != cause) {
        cause = cause.getCause();
      }
      res.error = e.getClass().getSimpleName() + ": " + e.getMessage()
          + (cause != e ? " (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")" : "");
    }
    return res;
  }

  static Map<String, Object> overridesJson(Result r) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("requestOverride", plainMaps(r.overrides.request));
    o.put("responseOverride", plainMaps(r.overrides.response));
    if (r.status != null) {
      o.put("status", r.status);
    }
    if (!r.overrides.conflicts.isEmpty()) {
      o.put("conflicts", r.overrides.conflicts);
    }
    return o;
  }

  @SuppressWarnings("unchecked")
  static Object plainMaps(Object v) {
    if (v instanceof Map) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) {
        out.put(e.getKey(), plainMaps(e.getValue()));
      }
      return out;
    }
    return v;
  }

  // ---------------------------------------------------------------- CLI

  public static void main(String[] args) throws Exception {
    String template = null, request = null, responseBody = null, overridesOut = null, batch = null;
    Integer responseStatus = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        usage("missing value for " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--template": template = v; break;
        case "--request": request = v; break;
        case "--response-body": responseBody = v; break;
        case "--response-status": responseStatus = Integer.valueOf(v); break;
        case "--overrides-out": overridesOut = v; break;
        case "--batch": batch = v; break;
        default: usage("unknown option " + a);
      }
    }
    RuntimeInstance rs = engine();
    if (batch != null) {
      runBatch(rs, batch);
      return;
    }
    if (template == null || request == null) {
      usage("--template and --request are required");
    }
    if (responseStatus != null && responseBody == null) {
      usage("--response-status needs --response-body");
    }
    String tmpl = read(template);
    @SuppressWarnings("unchecked")
    Map<String, Object> req = (Map<String, Object>) parseJson(read(request));
    Result r = render(rs, tmpl, req, responseBody == null ? null : read(responseBody), responseStatus);
    if (r.error != null) {
      System.err.println("render error: " + r.error);
      System.exit(1);
    }
    System.out.print(r.output);
    System.out.flush();
    String line = toJson(overridesJson(r));
    if (overridesOut != null) {
      Files.write(Paths.get(overridesOut), (line + "\n").getBytes(StandardCharsets.UTF_8));
    } else {
      System.err.println(line);
    }
  }

  @SuppressWarnings("unchecked")
  static void runBatch(RuntimeInstance rs, String file) throws Exception {
    try (BufferedReader in = Files.newBufferedReader(Paths.get(file), StandardCharsets.UTF_8)) {
      String line;
      StringBuilder out = new StringBuilder();
      while ((line = in.readLine()) != null) {
        if (line.trim().isEmpty()) {
          continue;
        }
        Map<String, Object> c = (Map<String, Object>) parseJson(line);
        Object rb = c.get("responseBody");
        Object st = c.get("responseStatus");
        Result r = render(rs, (String) c.get("template"), (Map<String, Object>) c.get("request"),
            rb == null ? null : String.valueOf(rb), st == null ? null : ((Number) st).intValue());
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", c.get("id"));
        if (r.error != null) {
          o.put("error", r.error);
        } else {
          o.put("output", r.output);
          o.put("overrides", overridesJson(r));
        }
        out.append(toJson(o)).append('\n');
      }
      System.out.print(out);
    }
  }

  static String read(String path) throws Exception {
    return new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.UTF_8);
  }

  static void usage(String why) {
    System.err.println("render error: " + why);
    System.err.println("usage: render --template FILE --request REQUEST.json [--response-body FILE [--response-status N]] [--overrides-out FILE]");
    System.err.println("       render --batch CASES.jsonl");
    System.exit(2);
  }
}
