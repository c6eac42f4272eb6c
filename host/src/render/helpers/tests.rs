//! Table tests: each case renders a one-template chart through the same registry `render`
//! builds, so partials, `Files` and errors behave as in a real chart.

use std::collections::BTreeMap;
use std::path::Path;

use handlebars::{Context, Handlebars};
use serde_json::{Value, json};

use crate::chart::{self, Chart};
use crate::render::Error;
use crate::render::handlebars::{compile_into, new_registry, render_one};

const HELPERS_TPL: &str = r#"{{#*inline "web.labels"}}
app: {{Values.name}}
release: {{Release.Name}}
{{~/inline}}
{{#*inline "web.name"}}{{trunc 5 Values.name}}{{/inline}}
{{#*inline "item"}}{{this.name}}={{this.value}}{{/inline}}
{{#*inline "strict"}}{{required "strict needs a value" Values.nothing}}{{/inline}}
{{#*inline "loop"}}{{include "loop" this}}{{/inline}}
{{#*inline "self"}}x{{> self}}{{/inline}}
{{#*inline "ping"}}{{#if true}}{{> pong}}{{/if}}{{/inline}}
{{#*inline "pong"}}{{#each (list 1)}}{{> ping}}{{/each}}{{/inline}}
{{#*inline "twice"}}{{#if this}}{{> twice false}}{{/if}}ok{{/inline}}
"#;

fn files(map: BTreeMap<String, Vec<u8>>) -> Vec<chart::File> {
    map.into_iter()
        .map(|(name, data)| chart::File { name, data })
        .collect()
}

fn chart() -> Chart {
    let files: BTreeMap<String, Vec<u8>> = [
        ("Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n"),
        ("templates/_helpers.tpl", HELPERS_TPL),
        ("config/app.ini", "[main]\nport = 80\n"),
        ("config/db.ini", "host = db\n"),
        ("config/nested/x.yaml", "x: 1\n"),
        ("README.md", "# web\n"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.as_bytes().to_vec()))
    .collect();
    let mut files = files;
    files.insert("bin/blob".to_owned(), vec![0, 159, 146, 150]);
    chart::from_files(Path::new("/charts/web"), self::files(files)).expect("test chart")
}

fn context() -> Value {
    json!({
        "Values": {
            "name": "webserver",
            "replicas": 3,
            "port": 8080,
            "portString": "8080",
            "float": 1.5,
            "enabled": true,
            "off": false,
            "zero": 0,
            "empty": "",
            "list": [1, 2],
            "names": ["b", "a"],
            "emptyList": [],
            "map": {"a": 1, "b": {"c": 2}},
            "emptyMap": {},
            "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            "ingress": {"enabled": false},
            "tplText": "name={{Values.name}}",
            "badTpl": "{{#if}}",
            "yamlText": "a: 1\nb: [x, y]\n",
            "jsonText": "{\"k\": [1, 2]}",
            "quoteMe": "say \"hi\"\n",
        },
        "Release": {"Name": "rel", "Namespace": "ns"},
        "Chart": {"Name": "web", "Version": "1.0.0"},
        "Capabilities": {
            "KubeVersion": {"Version": "v1.35.0"},
            "APIVersions": ["v1", "apps/v1", "networking.k8s.io/v1"],
        },
        "Template": {"Name": "web/templates/t.yaml", "BasePath": "web/templates"},
    })
}

fn render(registry: &mut Handlebars<'static>, ctx: &Context, text: &str) -> Result<String, String> {
    let name = "web/templates/t.yaml";
    compile_into(registry, name, text).map_err(|e| e.to_string())?;
    render_one(registry, name, ctx).map_err(|e| e.to_string())
}

enum Want {
    Is(&'static str),
    /// An error whose message contains this text.
    Fails(&'static str),
}
use Want::{Fails, Is};

#[test]
fn helpers_render_like_sprig() {
    let cases: &[(&str, Want)] = &[
        // toYaml / toJson / fromJson / fromYaml
        (
            "{{toYaml Values.resources}}",
            Is("limits:\n  cpu: 100m\n  memory: 64Mi"),
        ),
        ("{{toYaml Values.list}}", Is("- 1\n- 2")),
        ("{{toYaml Values.emptyMap}}", Is("{}")),
        ("{{toYaml Values.nothing}}", Is("null")),
        ("{{toYaml \"yes\"}}", Is("'yes'")),
        (
            "{{toYaml (dict \"on\" (list \"no\" \"y\" true) \"t\" \"a\\nyes\\n\" \"k\" \"Off\")}}",
            Is("'on':\n- 'no'\n- 'y'\n- true\nt: |\n  a\n  yes\nk: 'Off'"),
        ),
        ("{{toJson Values.map}}", Is(r#"{"a":1,"b":{"c":2}}"#)),
        ("{{toJson \"<&>\"}}", Is(r#""\u003c\u0026\u003e""#)),
        ("{{toPrettyJson Values.list}}", Is("[\n  1,\n  2\n]")),
        (
            "{{#each (fromYaml Values.yamlText)}}{{@key}};{{/each}}",
            Is("a;b;"),
        ),
        (
            "{{#with (fromYaml Values.yamlText)}}{{b.[1]}}{{/with}}",
            Is("y"),
        ),
        ("{{toJson (fromYaml \"\")}}", Is("{}")),
        (
            "{{fromYaml \"a: [\"}}",
            Fails("fromYaml: invalid YAML at line"),
        ),
        (
            "{{#with (fromJson Values.jsonText)}}{{#each k}}{{this}},{{/each}}{{/with}}",
            Is("1,2,"),
        ),
        ("{{fromJson \"{\"}}", Fails("fromJson: invalid JSON")),
        // indent / nindent
        ("{{indent 2 \"a\\nb\"}}", Is("  a\n  b")),
        ("{{indent 2 \"a\\n\\nb\"}}", Is("  a\n  \n  b")),
        ("x:{{nindent 4 \"a: 1\"}}", Is("x:\n    a: 1")),
        (
            "{{nindent \"x\" \"a\"}}",
            Fails(r#"nindent: first argument must be a number, got "x""#),
        ),
        (
            "{{indent -1 \"a\"}}",
            Fails("indent: width must not be negative"),
        ),
        (
            "{{nindent 4}}",
            Fails("nindent: expects 2 arguments, got 1"),
        ),
        // quote / squote
        ("{{quote Values.name}}", Is(r#""webserver""#)),
        ("{{quote \"a\" Values.nothing 3}}", Is(r#""a" "3""#)),
        ("{{quote Values.quoteMe}}", Is(r#""say \"hi\"\n""#)),
        ("{{quote Values.port}}", Is(r#""8080""#)),
        ("{{squote \"a\" 3}}", Is("'a' '3'")),
        // default / required / empty / coalesce / ternary
        ("{{default \"x\" Values.nothing}}", Is("x")),
        ("{{default \"x\" Values.empty}}", Is("x")),
        ("{{default 5 Values.zero}}", Is("5")),
        ("{{default true Values.off}}", Is("true")),
        ("{{toJson (default (list 1) Values.emptyList)}}", Is("[1]")),
        ("{{default \"x\" Values.name}}", Is("webserver")),
        ("{{default \"x\" Values.replicas}}", Is("3")),
        ("{{required \"need a name\" Values.name}}", Is("webserver")),
        ("{{required \"zero is fine\" Values.zero}}", Is("0")),
        (
            "a: 1\nb: {{required \"Values.host is required\" Values.host}}",
            Fails("web/templates/t.yaml:2: Values.host is required"),
        ),
        ("{{required \"no empty\" Values.empty}}", Fails("no empty")),
        (
            "{{include \"strict\"}}",
            Fails("web/templates/_helpers.tpl:7: strict needs a value"),
        ),
        ("{{fail \"stop here\"}}", Fails("t.yaml:1: stop here")),
        (
            "{{empty Values.emptyMap}} {{empty Values.zero}} {{empty \"0\"}} {{empty Values.list}}",
            Is("true true false false"),
        ),
        (
            "{{coalesce Values.nothing Values.empty Values.zero \"x\"}}",
            Is("x"),
        ),
        ("[{{coalesce Values.nothing}}]", Is("[]")),
        (
            "{{ternary \"on\" \"off\" Values.enabled}} {{ternary \"on\" \"off\" Values.off}}",
            Is("on off"),
        ),
        // comparisons and logic
        (
            "{{eq Values.port 8080}} {{eq Values.port \"8080\"}} {{eq Values.portString 8080}}",
            Is("true true true"),
        ),
        (
            "{{eq 1 1.0}} {{eq \"a\" \"a\"}} {{eq \"a\" \"b\"}} {{eq Values.nothing Values.nothing}}",
            Is("true true false true"),
        ),
        ("{{eq Values.name \"x\" \"webserver\"}}", Is("true")),
        (
            "{{ne Values.replicas 1}} {{ne Values.name \"webserver\"}}",
            Is("true false"),
        ),
        (
            "{{lt 2 10}} {{lt \"2\" \"10\"}} {{gt Values.replicas \"2\"}} {{le 3 3}} {{gte 3 4}}",
            Is("true false true true false"),
        ),
        ("{{lt 1.5 2}} {{gt Values.float 1}}", Is("true true")),
        (
            "{{lt Values.list 3}}",
            Fails("lt: cannot compare a list with 3"),
        ),
        (
            "{{and true 1 \"x\"}} {{and true 0 \"x\"}} {{or Values.nothing \"\" \"y\"}} {{or 0 false}}",
            Is("x 0 y false"),
        ),
        (
            "{{#if (and Values.enabled (not Values.off))}}yes{{else}}no{{/if}}",
            Is("yes"),
        ),
        (
            "{{#if (or Values.ingress.enabled (eq Values.replicas 1))}}yes{{else}}no{{/if}}",
            Is("no"),
        ),
        (
            "{{not Values.emptyList}} {{not Values.map}}",
            Is("true false"),
        ),
        (
            "{{#eq Values.replicas 3}}three{{else}}other{{/eq}}",
            Is("three"),
        ),
        // case, trimming, searching
        (
            "{{upper \"abc\"}} {{lower \"ABC\"}} {{title \"hello wORLD foo-bar a_b\"}}",
            Is("ABC abc Hello WORLD Foo-Bar A_b"),
        ),
        ("[{{trim \"  a b \\n\"}}]", Is("[a b]")),
        (
            "{{trunc 3 \"abcdef\"}} {{trunc -3 \"abcdef\"}} {{trunc 10 \"abc\"}} {{trunc -10 \"abc\"}}",
            Is("abc def abc abc"),
        ),
        (
            "{{trunc 63 (printf \"%s-%s\" Release.Name Values.name)}}",
            Is("rel-webserver"),
        ),
        (
            "{{trimSuffix \"-\" \"web-\"}} {{trimPrefix \"v\" \"v1.2\"}} {{trimSuffix \"x\" \"web\"}}",
            Is("web 1.2 web"),
        ),
        ("{{replace \"-\" \"_\" \"a-b-c\"}}", Is("a_b_c")),
        (
            "{{contains \"serv\" Values.name}} {{hasPrefix \"web\" Values.name}} {{hasSuffix \"x\" Values.name}}",
            Is("true true false"),
        ),
        ("{{#if (contains \"apps\" \"apps/v1\")}}ok{{/if}}", Is("ok")),
        // encodings
        (
            "{{b64enc \"hello\"}} {{b64dec \"aGVsbG8=\"}}",
            Is("aGVsbG8= hello"),
        ),
        ("{{b64dec \"!!\"}}", Fails("b64dec: invalid base64")),
        (
            "{{sha256sum \"abc\"}}",
            Is("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ),
        // include and tpl
        (
            "labels:{{nindent 4 (include \"web.labels\" this)}}",
            Is("labels:\n    app: webserver\n    release: rel"),
        ),
        (
            "labels:{{nindent 2 (include \"web.labels\")}}",
            Is("labels:\n  app: webserver\n  release: rel"),
        ),
        ("{{include \"web.name\"}}", Is("webse")),
        (
            "{{#each Values.env}}{{include \"item\"}};{{/each}}",
            Is("A=1;B=2;"),
        ),
        (
            "{{#each Values.env}}{{include \"web.name\" @root}}{{include \"web.name\" ../this}};{{/each}}",
            Is("websewebse;websewebse;"),
        ),
        (
            "{{#each Values.env}}{{include \"item\" this}};{{/each}}",
            Is("A=1;B=2;"),
        ),
        (
            "{{include \"item\" (dict \"name\" \"k\" \"value\" 7)}}",
            Is("k=7"),
        ),
        (
            "{{include \"web.nope\" this}}",
            Fails("include: no partial named `web.nope`"),
        ),
        (
            "{{include \"loop\" this}}",
            Fails("partials nest more than 100 deep"),
        ),
        (
            "{{> self}}",
            Fails("partials nest more than 100 deep (at `self`)"),
        ),
        ("{{> ping}}", Fails("partials nest more than 100 deep")),
        (
            "{{#if true}}{{> pong}}{{/if}}",
            Fails("partials nest more than 100 deep"),
        ),
        ("{{> twice true}}", Is("okok")),
        ("{{tpl Values.tplText this}}", Is("name=webserver")),
        (
            "{{tpl \"{{upper name}}\" Values}} {{tpl \"{{include \\\"web.name\\\"}}\"}}",
            Is("WEBSERVER webse"),
        ),
        ("{{tpl Values.badTpl this}}", Fails("tpl: line 1")),
        (
            "{{tpl \"{{required \\\"in tpl\\\" x}}\"}}",
            Fails("tpl: line 1: in tpl"),
        ),
        // list / dict / merge
        (
            "{{toJson (list 1 \"a\" Values.off)}}",
            Is(r#"[1,"a",false]"#),
        ),
        (
            "{{toJson (dict \"a\" 1 \"b\" (list 2))}}",
            Is(r#"{"a":1,"b":[2]}"#),
        ),
        ("{{toJson (dict \"a\" 1 \"b\")}}", Is(r#"{"a":1,"b":""}"#)),
        (
            "{{toJson (merge (dict \"a\" false \"b\" \"\" \"c\" 0 \"d\" (dict \"e\" 1)) (dict \"a\" true \"b\" \"x\" \"c\" 5 \"d\" (dict \"e\" 2 \"f\" 3)))}}",
            Is(r#"{"a":true,"b":"x","c":5,"d":{"e":1,"f":3}}"#),
        ),
        (
            "{{toJson (merge (dict \"a\" 1) (dict \"a\" 2 \"b\" 2) (dict \"b\" 3 \"c\" 3))}}",
            Is(r#"{"a":1,"b":2,"c":3}"#),
        ),
        (
            "{{toJson (mergeOverwrite (dict \"a\" 1 \"m\" (dict \"x\" 1)) (dict \"a\" 2 \"m\" (dict \"y\" 2)))}}",
            Is(r#"{"a":2,"m":{"x":1,"y":2}}"#),
        ),
        (
            "{{toJson (merge Values.map (dict \"b\" (dict \"d\" 4)))}}",
            Is(r#"{"a":1,"b":{"c":2,"d":4}}"#),
        ),
        (
            "{{merge \"x\" Values.map}}",
            Fails(r#"merge: first argument must be a map, got "x""#),
        ),
        ("{{#with (dict \"k\" \"v\")}}{{k}}{{/with}}", Is("v")),
        // semverCompare / randAlphaNum
        (
            "{{semverCompare \">=1.20.0-0\" Capabilities.KubeVersion.Version}}",
            Is("true"),
        ),
        (
            "{{semverCompare \"<1.20\" \"v1.19.3-gke.1\"}} {{semverCompare \"^1.2\" \"1.9.0\"}}",
            Is("false true"),
        ),
        (
            "{{semverCompare \">=x.y\" \"1.0.0\"}}",
            Fails("semverCompare: invalid constraint `>=x.y`"),
        ),
        ("{{len (randAlphaNum 16)}}", Is("16")),
        (
            "{{randAlphaNum \"x\"}}",
            Fails("randAlphaNum: first argument must be a number"),
        ),
        // Files
        ("{{filesGet \"config/app.ini\"}}", Is("[main]\nport = 80\n")),
        ("[{{filesGet \"missing.txt\"}}]", Is("[]")),
        (
            "{{#each (filesGlob \"config/*.ini\")}}{{@key}}|{{/each}}",
            Is("config/app.ini|config/db.ini|"),
        ),
        (
            "{{#each (filesGlob \"config/**\")}}{{@key}}|{{/each}}",
            Is("config/app.ini|config/db.ini|config/nested/x.yaml|"),
        ),
        (
            "{{#each (filesGlob \"**/*.{yaml,md}\")}}{{@key}}|{{/each}}",
            Is("README.md|config/nested/x.yaml|"),
        ),
        (
            "{{#each (filesLines \"config/app.ini\")}}<{{this}}>{{/each}}",
            Is("<[main]><port = 80>"),
        ),
        (
            "{{filesAsBase64 \"bin/blob\"}} {{filesAsBase64 \"README.md\"}}",
            Is("AJ+Slg== IyB3ZWIK"),
        ),
        (
            "{{nindent 2 (filesGet \"config/db.ini\")}}",
            Is("\n  host = db\n  "),
        ),
        (
            "{{filesGet 3}}",
            Fails("filesGet: first argument must be a path, got 3"),
        ),
        // printf / toString / numbers
        (
            "{{printf \"%s-%d-%v-%q\" \"a\" 3 Values.list \"q\"}}",
            Is(r#"a-3-[1 2]-"q""#),
        ),
        (
            "{{printf \"%5s|%-4d|%05d|%x|%t|%v|%.2f|%%\" \"r\" 7 42 255 true Values.map 3.14159}}",
            Is("    r|7   |00042|ff|true|map[a:1 b:map[c:2]]|3.14|%"),
        ),
        ("{{printf \"%s %s\" \"a\"}}", Is("a %!s(MISSING)")),
        ("{{printf \"%d\" \"x\"}}", Is("%!d(x)")),
        (
            "{{printf \"%y\" 1}}",
            Fails("printf: unsupported verb `%y`"),
        ),
        (
            "{{toString 1.5}} {{toString Values.list}} {{toString Values.map}} {{toString true}} [{{toString Values.nothing}}]",
            Is("1.5 [1 2] map[a:1 b:map[c:2]] true []"),
        ),
        (
            "{{int \"12\"}} {{int 3.7}} {{int Values.off}} {{int64 \"-4\"}} {{float64 \"2.5\"}}",
            Is("12 3 0 -4 2.5"),
        ),
        (
            "{{int \"abc\"}}",
            Fails(r#"int: cannot convert "abc" to an integer"#),
        ),
        (
            "{{add 1 2 3}} {{sub 5 7}} {{mul 2 3 4}} {{div 7 2}} {{mod 7 3}} {{add1 Values.replicas}}",
            Is("6 -2 24 3 1 4"),
        ),
        (
            "{{add 1.5 1.5}} {{div 7.0 2}} {{add Values.portString 1}} {{max 1 5 3}} {{min 4 2 9}}",
            Is("3 3.5 8081 5 2"),
        ),
        ("{{div 1 0}}", Fails("div: division by zero")),
        (
            "{{add 1 \"x\"}}",
            Fails(r#"add: second argument must be a number, got "x""#),
        ),
        // lists, maps, types
        (
            "{{join \",\" Values.names}} {{join \"-\" (list 1 2)}}",
            Is("b,a 1-2"),
        ),
        (
            "{{toJson (splitList \",\" \"a,b,c\")}} {{toJson (split \",\" \"a,b\")}}",
            Is(r#"["a","b","c"] {"_0":"a","_1":"b"}"#),
        ),
        (
            "{{has \"apps/v1\" Capabilities.APIVersions}} {{has \"batch/v9\" Capabilities.APIVersions}} {{has 2 Values.list}}",
            Is("true false true"),
        ),
        (
            "{{has 1 \"x\"}}",
            Fails("has: second argument must be a list"),
        ),
        (
            "{{hasKey Values.map \"a\"}} {{hasKey Values.map \"z\"}}",
            Is("true false"),
        ),
        (
            "{{hasKey Values.list \"a\"}}",
            Fails("hasKey: first argument must be a map, got a list"),
        ),
        (
            "{{join \",\" (keys (dict \"b\" 1 \"a\" 2))}} {{toJson (sortAlpha Values.names)}}",
            Is(r#"a,b ["a","b"]"#),
        ),
        (
            "{{first Values.list}} {{last Values.list}} {{get Values.map \"a\"}} [{{get Values.map \"z\"}}]",
            Is("1 2 1 []"),
        ),
        (
            "{{typeOf 1}} {{typeOf 1.5}} {{typeOf \"s\"}} {{typeOf Values.list}} {{typeOf Values.map}} {{typeOf Values.nothing}} {{typeOf true}}",
            Is("int64 float64 string []interface {} map[string]interface {} <nil> bool"),
        ),
        (
            "{{kindOf Values.list}} {{kindOf Values.map}} {{kindIs \"map\" Values.map}} {{kindIs \"string\" 3}} {{typeIs \"bool\" true}}",
            Is("slice map true false true"),
        ),
        (
            "{{cat \"a\" Values.nothing 3}} {{repeat 3 \"ab\"}}",
            Is("a 3 ababab"),
        ),
        ("{{upper}}", Fails("upper: expects 1 argument, got 0")),
    ];

    let chart = chart();
    let mut registry = new_registry(&chart).expect("registry");
    let ctx = Context::from(context());
    let mut failures = Vec::new();
    for (template, want) in cases {
        // On a stack as large as rendering gets: the partial cases nest to the limit.
        let got = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(super::super::RENDER_STACK_SIZE)
                .spawn_scoped(scope, || render(&mut registry, &ctx, template))
                .expect("thread")
                .join()
                .expect("no panic")
        });
        let ok = match (want, &got) {
            (Is(text), Ok(out)) => out == text,
            (Fails(part), Err(message)) => message.contains(part),
            _ => false,
        };
        if !ok {
            let want = match want {
                Is(t) => format!("Ok({t:?})"),
                Fails(t) => format!("Err(..{t:?}..)"),
            };
            failures.push(format!("{template}\n   want {want}\n   got  {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 80, "{}", cases.len());
}

/// The `helm create` patterns, in Handlebars, render to valid, correctly indented YAML.
#[test]
fn helm_create_patterns_render_valid_yaml() {
    let template = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{include "web.name"}}
  labels:
    {{~nindent 4 (include "web.labels" this)}}
spec:
  replicas: {{Values.replicas}}
  template:
    spec:
      containers:
        - name: web
          image: "nginx:{{default "1.0" Values.tag}}"
          {{#if Values.env}}
          env:
            {{#each Values.env}}
            - name: {{name}}
              value: {{quote value}}
            {{/each}}
          {{/if}}
          {{#with Values.resources}}
          resources: {{~nindent 12 (toYaml this)}}
          {{/with}}
          {{#if Values.ingress.enabled}}
          ingress: true
          {{/if}}
"#;
    let chart = chart();
    let mut registry = new_registry(&chart).expect("registry");
    let ctx = Context::from(context());
    let out = render(&mut registry, &ctx, template).expect("renders");
    let expected = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: webse
  labels:
    app: webserver
    release: rel
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web
          image: "nginx:1.0"
          env:
            - name: A
              value: "1"
            - name: B
              value: "2"
          resources:
            limits:
              cpu: 100m
              memory: 64Mi
"#;
    assert_eq!(out, expected);
    let parsed: Value = crate::yaml::from_str(&out).expect("valid YAML");
    assert_eq!(
        parsed["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"],
        "100m"
    );
}

#[test]
fn syntax_errors_in_partials_name_the_file() {
    let mut files = BTreeMap::new();
    files.insert(
        "Chart.yaml".to_owned(),
        b"apiVersion: v2\nname: web\nversion: 1.0.0\n".to_vec(),
    );
    files.insert(
        "templates/_x.tpl".to_owned(),
        b"{{#*inline \"a\"}}\n{{#if}}{{/inline}}".to_vec(),
    );
    let chart = chart::from_files(Path::new("/c"), self::files(files)).expect("chart");
    let err = new_registry(&chart).map(|_| ()).expect_err("syntax error");
    assert!(matches!(err, Error::Syntax { .. }), "{err}");
}
