//! Tables of templates, data and expected output or error for the executor. Expected texts
//! are Go's (checked with helm v4.1.4 where Helm can express the case; the conformance test
//! checks many more against real helm).

use std::sync::Arc;

use crate::func::{Args, FixedEnv, FuncDef, FuncError, FuncResult, Param, Sig};
use crate::{Error, FuncMap, Limits, Map, Object, Options, TemplateSet, Value};

/// Values as Helm reads a values file (numbers are float64).
fn yaml(text: &str) -> Value {
    fn conv(y: &serde_yaml_ng::Value) -> Value {
        use serde_yaml_ng::Value as Y;
        match y {
            Y::Null => Value::Nil,
            Y::Bool(b) => Value::Bool(*b),
            Y::Number(n) => Value::Float(n.as_f64().unwrap_or_default()),
            Y::String(s) => Value::from(s.as_str()),
            Y::Sequence(items) => Value::list(items.iter().map(conv).collect()),
            Y::Mapping(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    out.insert(k.as_str().unwrap_or_default().to_owned(), conv(v));
                }
                Value::map(out)
            }
            Y::Tagged(t) => conv(&t.value),
        }
    }
    if text.trim().is_empty() {
        return Value::map(Map::new());
    }
    conv(&serde_yaml_ng::from_str(text).expect("test yaml"))
}

/// `{ Values: <yaml>, obj: <test object> }`.
fn data(values: &str) -> Value {
    let mut top = Map::new();
    top.insert("Values".into(), yaml(values));
    top.insert("obj".into(), Value::object(Obj { name: "o".into() }));
    Value::map(top)
}

#[derive(Debug)]
struct Obj {
    name: String,
}

impl Object for Obj {
    fn type_name(&self) -> &str {
        "*test.Obj"
    }
    fn kind(&self) -> &str {
        "ptr"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Name" => Some(Value::from(self.name.as_str())),
            "Inner" => Some(Value::object(Obj {
                name: format!("{}-inner", self.name),
            })),
            _ => None,
        }
    }
    fn has_method(&self, name: &str) -> bool {
        matches!(name, "Get" | "Twice")
    }
    fn method_sig(&self, name: &str) -> Option<Sig> {
        match name {
            "Get" => Some(Sig::fixed(&[Param::String])),
            _ => None,
        }
    }
    fn method(&self, name: &str, args: &[Value]) -> Option<FuncResult> {
        match name {
            "Get" => Some(Ok(Value::from(format!(
                "{}:{}",
                self.name,
                args.first().and_then(Value::as_str).unwrap_or_default()
            )))),
            "Twice" => Some(Ok(Value::from(format!("{}{}", self.name, self.name)))),
            _ => None,
        }
    }
    fn data(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), Value::from(self.name.as_str()));
        Value::map(m)
    }
    fn format_v(&self) -> String {
        format!("&{{{}}}", self.name)
    }
}

fn test_funcs() -> FuncMap {
    fn echo(args: &Args<'_>) -> FuncResult {
        Ok(Value::from(crate::fmt::sprint(args.values)))
    }
    fn types(args: &Args<'_>) -> FuncResult {
        let names: Vec<String> = args.values.iter().map(Value::type_name).collect();
        Ok(Value::from(names.join(",")))
    }
    fn fail_always(_: &Args<'_>) -> FuncResult {
        Err(FuncError::msg("boom"))
    }
    fn fail_like_sprig(args: &Args<'_>) -> FuncResult {
        Err(FuncError::msg(args.string(0)?))
    }
    let mut funcs = FuncMap::helm();
    for (name, sig, func) in [
        ("f_int", Sig::fixed(&[Param::Int]), types as crate::Func),
        ("f_int64", Sig::fixed(&[Param::Int64]), types),
        ("f_float", Sig::fixed(&[Param::Float64]), types),
        ("f_bool", Sig::fixed(&[Param::Bool]), types),
        ("f_uint", Sig::fixed(&[Param::Uint32]), types),
        ("f_map", Sig::fixed(&[Param::Map]), types),
        ("f_list", Sig::fixed(&[Param::List]), types),
        ("f_str", Sig::fixed(&[Param::String]), echo),
        ("f_var", Sig::variadic(&[Param::String], Param::Int), types),
        ("f_err", Sig::fixed(&[]), fail_always),
        ("fail", Sig::fixed(&[Param::String]), fail_like_sprig),
    ] {
        funcs.insert(FuncDef { name, sig, func });
    }
    funcs
}

fn set_with(text: &str, options: Options) -> Result<TemplateSet, String> {
    let mut set = TemplateSet::with_options(test_funcs(), options);
    set.parse("t", text).map_err(|e| e.to_string())?;
    Ok(set)
}

fn run_with(text: &str, values: &str, options: Options) -> Result<String, String> {
    let set = set_with(text, options)?;
    set.execute("t", &data(values), &FixedEnv)
        .map_err(|e| e.to_string())
}

fn run(text: &str, values: &str) -> Result<String, String> {
    run_with(text, values, Options::default())
}

fn check(cases: &[(&str, &str, Result<&str, &str>)]) {
    for (text, values, expected) in cases {
        let got = run(text, values);
        let expected = expected.map(str::to_owned).map_err(str::to_owned);
        assert_eq!(got, expected, "template {text:?} with values {values:?}");
    }
}

#[test]
fn actions_and_control_structures() {
    check(&[
        (
            "{{ if .Values.a }}A{{ else if .Values.b }}B{{ else }}C{{ end }}",
            "b: 1",
            Ok("B"),
        ),
        (
            "{{ with .Values.a }}{{ . }}{{ else with .Values.b }}[{{ . }}]{{ end }}",
            "b: x",
            Ok("[x]"),
        ),
        (
            "{{ range $i, $v := .Values.l }}{{ $i }}{{ $v }}{{ end }}",
            "l: [a, b]",
            Ok("0a1b"),
        ),
        (
            "{{ range .Values.m }}{{ . }}{{ end }}",
            "m: {b: 2, a: 1}",
            Ok("12"),
        ),
        (
            "{{ range .Values.l }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ . }}{{ end }}",
            "l: [a, b, c]",
            Ok("ac"),
        ),
        (
            "{{ range .Values.l }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}",
            "l: [a, b, c]",
            Ok("a"),
        ),
        ("{{ range 3 }}{{ . }}{{ end }}", "", Ok("012")),
        (
            "{{ range .Values.none }}x{{ else }}none{{ end }}",
            "",
            Ok("none"),
        ),
        (
            "{{ $x := 1 }}{{ range .Values.l }}{{ $x = . }}{{ end }}{{ $x }}",
            "l: [a, b]",
            Ok("b"),
        ),
        (
            "{{ define \"d\" }}<{{ . }}>{{ end }}{{ template \"d\" 5 }}",
            "",
            Ok("<5>"),
        ),
        ("{{ block \"b\" . }}default{{ end }}", "", Ok("default")),
        (
            "{{ .obj.Name }} {{ .obj.Get \"k\" }} {{ .obj.Twice }} {{ .obj.Inner.Name }}",
            "",
            Ok("o o:k oo o-inner"),
        ),
        (
            "{{ $o := .obj }}{{ $o.Get \"v\" }} {{ .obj }} {{ printf \"%T\" .obj }}",
            "",
            Ok("o:v &{o} *test.Obj"),
        ),
        ("{{ (.obj.Get \"a\") | len }}", "", Ok("3")),
        ("{{ \"k\" | .obj.Get }}", "", Ok("o:k")),
    ]);
}

#[test]
fn missing_values_nil_and_interface_slots() {
    check(&[
        ("{{ .Values.missing }}", "", Ok("<no value>")),
        (
            "{{ $x := .Values.missing }}{{ $x.y }}",
            "",
            Ok("<no value>"),
        ),
        ("{{ (.Values.missing).y }}", "", Ok("<no value>")),
        ("{{ print .Values.missing }}", "", Ok("<nil>")),
        (
            "{{ .Values.a.b }}",
            "a: null",
            Err(
                "template: t:1:10: executing \"t\" at <.Values.a.b>: nil pointer evaluating interface {}.b",
            ),
        ),
        (
            "{{ range .Values.l }}{{ .x }}{{ end }}",
            "l: [null]",
            Err("template: t:1:24: executing \"t\" at <.x>: nil pointer evaluating interface {}.x"),
        ),
        (
            "{{ .Values.s.x }}",
            "s: str",
            Err(
                "template: t:1:10: executing \"t\" at <.Values.s.x>: can't evaluate field x in type interface {}",
            ),
        ),
        (
            "{{ $s := .Values.s }}{{ $s.x }}",
            "s: str",
            Err(
                "template: t:1:26: executing \"t\" at <$s.x>: can't evaluate field x in type string",
            ),
        ),
        (
            "{{ .obj.Nope }}",
            "",
            Err(
                "template: t:1:7: executing \"t\" at <.obj.Nope>: can't evaluate field Nope in type interface {}",
            ),
        ),
        (
            "{{ $o := .obj }}{{ $o.Nope }}",
            "",
            Err(
                "template: t:1:21: executing \"t\" at <$o.Nope>: can't evaluate field Nope in type *test.Obj",
            ),
        ),
        (
            "{{ .obj.Name 1 }}",
            "",
            Err(
                "template: t:1:7: executing \"t\" at <.obj.Name>: Name has arguments but cannot be invoked as function",
            ),
        ),
        (
            "{{ .Values.x 1 }}",
            "x: 1",
            Err(
                "template: t:1:10: executing \"t\" at <.Values.x>: x is not a method but has arguments",
            ),
        ),
        (
            "{{ .obj.Get 1 }}",
            "",
            Err("template: t:1:12: executing \"t\" at <1>: expected string; found 1"),
        ),
        (
            "{{ .obj.Get }}",
            "",
            Err(
                "template: t:1:7: executing \"t\" at <.obj.Get>: wrong number of args for Get: want 1 got 0",
            ),
        ),
    ]);
}

#[test]
fn argument_conversion_follows_the_signature() {
    check(&[
        (
            "{{ f_int 3 }} {{ f_int64 3 }} {{ f_float 3 }} {{ f_bool true }} {{ f_uint 3 }} {{ f_int 'a' }}",
            "",
            Ok("int int64 float64 bool int64 int"),
        ),
        (
            "{{ f_map .Values }} {{ f_map nil }} {{ f_list .Values.l }} {{ f_list nil }}",
            "l: [1]",
            Ok("map[string]interface {} <nil> []interface {} <nil>"),
        ),
        (
            "{{ 3 | f_int }} {{ f_var \"s\" 1 2 }} {{ f_var \"s\" }}",
            "",
            Ok("int string,int,int string"),
        ),
        (
            "{{ f_int 1.5 }}",
            "",
            Err("template: t:1:9: executing \"t\" at <1.5>: expected integer; found 1.5"),
        ),
        (
            "{{ f_int \"x\" }}",
            "",
            Err("template: t:1:9: executing \"t\" at <\"x\">: expected integer; found \"x\""),
        ),
        (
            "{{ f_float true }}",
            "",
            Err("template: t:1:11: executing \"t\" at <true>: expected float; found true"),
        ),
        (
            "{{ f_bool 1 }}",
            "",
            Err("template: t:1:10: executing \"t\" at <1>: expected bool; found 1"),
        ),
        (
            "{{ f_uint -1 }}",
            "",
            Err("template: t:1:10: executing \"t\" at <-1>: expected unsigned integer; found -1"),
        ),
        (
            "{{ f_map 1 }}",
            "",
            Err(
                "template: t:1:9: executing \"t\" at <1>: can't handle 1 for arg of type map[string]interface {}",
            ),
        ),
        (
            "{{ f_int nil }}",
            "",
            Err("template: t:1:9: executing \"t\" at <nil>: cannot assign nil to int"),
        ),
        (
            "{{ f_int .Values.f }}",
            "f: 1",
            Err(
                "template: t:1:16: executing \"t\" at <.Values.f>: wrong type for value; expected int; got float64",
            ),
        ),
        (
            "{{ 3 | f_int64 }}",
            "",
            Err(
                "template: t:1:7: executing \"t\" at <f_int64>: wrong type for value; expected int64; got int",
            ),
        ),
        (
            "{{ f_int 1 2 }}",
            "",
            Err(
                "template: t:1:3: executing \"t\" at <f_int>: wrong number of args for f_int: want 1 got 2",
            ),
        ),
        (
            "{{ f_var }}",
            "",
            Err(
                "template: t:1:3: executing \"t\" at <f_var>: wrong number of args for f_var: want at least 1 got 0",
            ),
        ),
        (
            "{{ f_var \"s\" \"t\" }}",
            "",
            Err("template: t:1:13: executing \"t\" at <\"t\">: expected integer; found \"t\""),
        ),
        (
            "{{ f_err }}",
            "",
            Err("template: t:1:3: executing \"t\" at <f_err>: error calling f_err: boom"),
        ),
        (
            "{{ f_str .Values.missing }}",
            "",
            Err(
                "template: t:1:16: executing \"t\" at <.Values.missing>: wrong type for value; expected string; got interface {}",
            ),
        ),
        (
            "{{ .Values.missing | f_str }}",
            "",
            Err("template: t:1:21: executing \"t\" at <f_str>: invalid value; expected string"),
        ),
        (
            "{{ 99999999999999999999.0 | f_str }}",
            "",
            Err(
                "template: t:1:28: executing \"t\" at <f_str>: wrong type for value; expected string; got float64",
            ),
        ),
        (
            "{{ 0xFFFFFFFFFFFFFFFF }}",
            "",
            Err(
                "template: t:1:3: executing \"t\" at <0xFFFFFFFFFFFFFFFF>: 0xFFFFFFFFFFFFFFFF overflows int",
            ),
        ),
    ]);
}

/// Go's own `slice`, which Helm never sees: Sprig's replaces it (see
/// `sprigs_slice_replaces_gos`).
#[test]
fn go_slice_builtin() {
    let cases = [
        (
            "{{ slice .Values.l 1 }} {{ slice \"abcd\" 1 3 }} {{ slice .Values.l 0 1 2 }}",
            Ok("[b c] bc [a]"),
        ),
        (
            "{{ slice .Values.l 2 1 }}",
            Err(
                "template: t:1:3: executing \"t\" at <slice .Values.l 2 1>: error calling slice: invalid slice index: 2 > 1",
            ),
        ),
        (
            "{{ slice \"abc\" 0 1 2 }}",
            Err(
                "template: t:1:3: executing \"t\" at <slice \"abc\" 0 1 2>: error calling slice: cannot 3-index slice a string",
            ),
        ),
    ];
    for (text, expected) in cases {
        let mut set = TemplateSet::new(FuncMap::builtins());
        set.parse("t", text).expect("parses");
        let got = set
            .execute("t", &data("l: [a, b, c]"), &FixedEnv)
            .map_err(|e| e.to_string());
        let expected = expected.map(str::to_owned).map_err(str::to_owned);
        assert_eq!(got, expected, "{text}");
    }
}

/// In Helm's function map Sprig's `slice` replaces Go's, as a `FuncMap` entry replaces a
/// built-in in Go (outputs and errors from helm v4.1.4).
#[test]
fn sprigs_slice_replaces_gos() {
    check(&[
        (
            "{{ slice .Values.l 1 }} {{ slice .Values.l 0 1 2 }}",
            "l: [a, b, c]",
            Ok("[b c] [a]"),
        ),
        (
            "{{ slice \"abcd\" 1 3 }}",
            "",
            Err(
                "template: t:1:3: executing \"t\" at <slice \"abcd\" 1 3>: error calling slice: list should be type of slice or array but string",
            ),
        ),
        (
            "{{ slice .Values.l 2 1 }}",
            "l: [a, b, c]",
            Err(
                "template: t:1:3: executing \"t\" at <slice .Values.l 2 1>: error calling slice: reflect.Value.Slice: slice index out of bounds",
            ),
        ),
    ]);
}

#[test]
fn builtins_follow_go() {
    check(&[
        (
            "{{ and 1 0 2 }} {{ or 0 \"\" }} {{ and 1 .Values.missing }} {{ not .Values.l }}",
            "l: []",
            Ok("0  <no value> true"),
        ),
        (
            "{{ and false .Values.missing.x }} {{ or true .Values.missing.x }}",
            "",
            Ok("false true"),
        ),
        (
            "{{ index .Values.l 1 }} {{ index .Values.m \"k\" }} {{ index .Values.m \"no\" }} {{ index \"ab\" 1 }}",
            "l: [a, b]\nm: {k: v}",
            Ok("b v <no value> 98"),
        ),
        (
            "{{ len .obj }}",
            "",
            Err(
                "template: t:1:3: executing \"t\" at <len .obj>: error calling len: len of type *test.Obj",
            ),
        ),
        (
            "{{ eq 1 2 3 1 }} {{ ne \"a\" \"b\" }} {{ lt 1 2 }} {{ ge 2.5 2.5 }} {{ eq .obj .obj }}",
            "",
            Ok("true true true true true"),
        ),
        (
            "{{ eq 1 1.0 }}",
            "",
            Err(
                "template: t:1:3: executing \"t\" at <eq 1 1.0>: error calling eq: incompatible types for comparison: int and float64",
            ),
        ),
        (
            "{{ call .Values.f 1 }}",
            "f: 1",
            Err(
                "template: t:1:3: executing \"t\" at <call .Values.f 1>: error calling call: non-function .Values.f of type float64",
            ),
        ),
        (
            "{{ html \"<&>\" }} {{ js \"'\" }} {{ urlquery \"a b\" }} {{ print 1 \"a\" 2 }}",
            "",
            Ok("&lt;&amp;&gt; \\' a+b 1a2"),
        ),
    ]);
}

#[test]
fn helm_engine_functions() {
    check(&[
        (
            "{{ define \"i\" }}[{{ .x }}]{{ end }}{{ include \"i\" .Values }}",
            "x: 1",
            Ok("[1]"),
        ),
        ("{{ tpl \"{{ .Values.x }}\" . }}", "x: 1", Ok("1")),
        ("{{ tpl \"[{{ .nope }}]\" . }}", "", Ok("[]")),
        (
            "{{ define \"d\" }}set{{ end }}{{ tpl \"{{ define \\\"d\\\" }}tpl{{ end }}{{ include \\\"d\\\" . }}\" . }} {{ include \"d\" . }}",
            "",
            Ok("tpl set"),
        ),
        (
            "{{ define \"d2\" }}set{{ end }}{{ tpl \"{{ define \\\"d2\\\" }} {{ end }}{{ include \\\"d2\\\" . }}\" . }}",
            "",
            Ok("set"),
        ),
        ("{{ required \"need\" .Values.x }}", "x: v", Ok("v")),
        (
            "{{ required \"need\" .Values.x }}",
            "",
            Err(
                "template: t:1:3: executing \"t\" at <required \"need\" .Values.x>: error calling required: need",
            ),
        ),
        (
            "{{ fail \"stop\" }}",
            "",
            Err("template: t:1:3: executing \"t\" at <fail \"stop\">: error calling fail: stop"),
        ),
        (
            "{{ lookup \"v1\" \"Pod\" \"ns\" \"name\" }}",
            "",
            Ok("map[]"),
        ),
        (
            "{{ include \"nope\" . }}",
            "",
            Err(
                "template: t:1:3: executing \"t\" at <include \"nope\" .>: error calling include: template: no template \"nope\" associated with template \"gotpl\"",
            ),
        ),
    ]);
}

#[test]
fn options_strict_and_lint() {
    let strict = Options {
        missing_key_error: true,
        ..Options::default()
    };
    assert_eq!(
        run_with("{{ .Values.x }}", "", strict.clone()),
        Err(
            "template: t:1:10: executing \"t\" at <.Values.x>: map has no entry for key \"x\""
                .into()
        )
    );
    assert_eq!(
        run_with("{{ $x := .Values.x }}", "", strict),
        Err(
            "template: t:1:16: executing \"t\" at <.Values.x>: map has no entry for key \"x\""
                .into()
        )
    );
    let lint = Options {
        lint_mode: true,
        ..Options::default()
    };
    assert_eq!(
        run_with(
            "[{{ required \"m\" .Values.x }}][{{ fail \"f\" }}]",
            "",
            lint
        ),
        Ok("[][]".into())
    );
}

#[test]
fn helm_messages_reword_go_errors() {
    let set = set_with(
        "{{ define \"inner\" }}{{ .x.y }}{{ end }}a: {{ include \"inner\" .Values }}\nb: {{ required \"need b\" .Values.b }}",
        Options::default(),
    )
    .expect("parses");
    let err = set
        .execute("t", &data("x: null"), &FixedEnv)
        .expect_err("fails");
    assert_eq!(
        err.helm_message(),
        "t:1:45\n  executing \"t\" at <include \"inner\" .Values>:\n    error calling include:\nt:1:25\n  executing \"inner\" at <.x.y>:\n    nil pointer evaluating interface {}.y"
    );
    let err = set
        .execute("t", &data("x: {y: 1}"), &FixedEnv)
        .expect_err("fails");
    assert_eq!(err.helm_message(), "execution error at (t:2:6): need b");
    assert!(err.is_required_or_fail());
    let mut set = TemplateSet::new(FuncMap::helm());
    let err = set.parse("p.yaml", "a\n{{ .x }").expect_err("bad");
    assert_eq!(
        err.helm_message(),
        "parse error at (p.yaml:2): unexpected \"}\" in operand"
    );
    assert!(matches!(err, Error::Parse(_)));
}

#[test]
fn later_definitions_override_earlier_ones_unless_empty() {
    let mut set = TemplateSet::new(FuncMap::helm());
    set.parse("a", "{{ define \"x\" }}from a{{ end }}")
        .expect("a");
    set.parse("b", "{{ define \"x\" }}from b{{ end }}")
        .expect("b");
    set.parse("c", "{{ define \"x\" }}  {{/* empty */}}{{ end }}")
        .expect("c");
    set.parse("main", "{{ include \"x\" . }}").expect("main");
    assert_eq!(
        set.execute("main", &Value::Nil, &FixedEnv),
        Ok("from b".into())
    );
    // A failed parse leaves the set unchanged.
    assert!(set.parse("d", "{{ define \"x\" }}d{{ end }}{{").is_err());
    assert_eq!(
        set.execute("main", &Value::Nil, &FixedEnv),
        Ok("from b".into())
    );
    assert!(set.contains("a") && set.contains("x") && !set.contains("d"));
}

#[test]
fn bounds_end_hostile_templates_with_an_error() {
    let small = Options {
        limits: Limits {
            max_output: 100,
            max_steps: 1000,
            ..Limits::default()
        },
        ..Options::default()
    };
    let cases: &[(&str, &str)] = &[
        (
            "{{ range 1000 }}xxxxxxxxxx{{ end }}",
            "template output exceeds 100 bytes",
        ),
        (
            "{{ range 100000 }}{{ end }}",
            "range over 100000 exceeds the limit of 1000 iterations",
        ),
        (
            "{{ range 100 }}{{ range 100 }}{{ end }}{{ end }}",
            "template execution exceeded 1000 steps",
        ),
        (
            "{{ define \"x\" }}{{ include \"x\" . }}{{ include \"x\" . }}{{ end }}{{ include \"x\" . }}",
            "steps",
        ),
    ];
    for (text, expected) in cases {
        let err = run_with(text, "", small.clone()).expect_err(text);
        assert!(err.contains(expected), "{text}: {err}");
    }
    let err = run(
        "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}",
        "",
    )
    .expect_err("recursion");
    assert!(
        err.contains("exceeded maximum template depth (2500)"),
        "{err}"
    );
    // tpl calling itself through a value.
    let err = run("{{ tpl .Values.t . }}", "t: \"{{ tpl .Values.t . }}\"").expect_err("recursion");
    assert!(
        err.contains("exceeded maximum template depth (2500)"),
        "{err}"
    );
}

#[test]
fn deep_recursion_runs_on_a_small_thread() {
    // 1000 nested includes (Helm's limit per name) on a 256 KiB stack: the executor grows
    // its stack on the heap instead of overflowing.
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let values = format!("l: [{}]", vec!["0"; 1000].join(", "));
            let text = "{{ define \"down\" }}{{ if . }}{{ include \"down\" (slice . 1) }}{{ end }}.{{ end }}{{ include \"down\" .Values.l }}";
            run(text, &values)
        })
        .expect("spawn");
    let out = handle.join().expect("no stack overflow");
    assert_eq!(out.map(|s| s.len()), Ok(1001));
}

#[test]
fn deep_nesting_within_one_template_runs_on_a_small_thread() {
    let depth = crate::parse::MAX_PARSE_DEPTH - 2;
    let parens = format!(
        "{{{{ {}1{} }}}}",
        "print (".repeat(depth),
        ")".repeat(depth)
    );
    let ifs = format!(
        "{}x{}",
        "{{ if 1 }}".repeat(depth),
        "{{ end }}".repeat(depth)
    );
    let ranges = format!(
        "{}x{}",
        "{{ range 1 }}".repeat(depth),
        "{{ end }}".repeat(depth)
    );
    let handle = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(move || [run(&parens, ""), run(&ifs, ""), run(&ranges, "")])
        .expect("spawn");
    let [parens, ifs, ranges] = handle.join().expect("no stack overflow");
    assert_eq!(parens, Ok("1".into()));
    assert_eq!(ifs, Ok("x".into()));
    assert_eq!(ranges, Ok("x".into()));
}

#[test]
fn deep_error_chains_print_compare_and_drop_on_a_small_thread() {
    let handle = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(|| {
            let set = set_with(
                "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}",
                Options::default(),
            )
            .expect("parses");
            let err = set
                .execute("t", &data(""), &FixedEnv)
                .expect_err("recursion");
            let debug = format!("{err:?}");
            let helm = err.helm_message();
            let again = set
                .execute("t", &data(""), &FixedEnv)
                .expect_err("recursion");
            (debug.len(), helm, err == again)
        })
        .expect("spawn");
    let (debug_len, helm, equal) = handle.join().expect("no stack overflow");
    assert!(debug_len > 70_000, "{debug_len}");
    assert!(equal);
    // Helm prints Go's raw chain for this one, ending with its own message.
    assert!(helm.starts_with("template: t:1:47: executing \"t\" at <include \"r\" .>: error calling include: template: t:1:19: executing \"r\""), "{}", &helm[..200]);
    assert!(helm.ends_with("error calling include: rendering template has a nested reference name: r: unable to execute template"));
    assert_eq!(helm.matches("error calling include").count(), 1002);
}

#[test]
fn one_set_executes_on_many_threads() {
    let set = Arc::new(
        set_with(
            "{{ range $i, $v := .Values.l }}{{ $v }}{{ include \"d\" $i }}{{ end }}{{ define \"d\" }}<{{ . }}>{{ end }}",
            Options::default(),
        )
        .expect("parses"),
    );
    let values = data("l: [a, b, c]");
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let set = set.clone();
            let values = values.clone();
            scope.spawn(move || {
                for _ in 0..50 {
                    assert_eq!(
                        set.execute("t", &values, &FixedEnv),
                        Ok("a<0>b<1>c<2>".into())
                    );
                }
            });
        }
    });
}

#[test]
fn render_strips_no_value_as_helm_does() {
    let set = set_with(
        "a: {{ .Values.x }}|{{ include \"n\" . }}{{ define \"n\" }}{{ .y }}{{ end }}",
        Options::default(),
    )
    .expect("parses");
    assert_eq!(
        set.execute("t", &data(""), &FixedEnv),
        Ok("a: <no value>|<no value>".into())
    );
    assert_eq!(set.render("t", &data(""), &FixedEnv), Ok("a: |".into()));
}

/// A dict that holds itself (twice, so that a walk that does not stop at the first cycle
/// takes exponential time): Go's `fmt` and go-yaml overflow their stack on it and its
/// `encoding/json` reports the cycle; here printing stops with `...`, the JSON-based
/// encoders fail as Go's (their plain forms swallow the error, as in Helm), and the others
/// fail on depth. Each of these would hang or overflow the stack without those bounds.
#[test]
fn a_dict_holding_itself_never_hangs() {
    let cyclic = "{{ $x := dict }}{{ $_ := set $x \"k\" $x }}{{ $_ := set $x \"j\" $x }}";
    let cases = [
        (
            "[{{ toJson $x }}][{{ toYaml $x }}][{{ toYamlPretty $x }}]",
            Ok("[][][]"),
        ),
        (
            "{{ mustToJson $x }}",
            Err(
                "error calling mustToJson: json: unsupported value: encountered a cycle via map[string]interface {}",
            ),
        ),
        (
            "{{ mustToYaml $x }}",
            Err(
                "error calling mustToYaml: error marshaling into JSON: json: unsupported value: encountered a cycle via map[string]interface {}",
            ),
        ),
        (
            "{{ mustToToml $x }}",
            Err("error calling mustToToml: value nested deeper than 1000 levels"),
        ),
        (
            "{{ mustDeepCopy $x }}",
            Err("error calling mustDeepCopy: deepCopy error: values nested too deeply"),
        ),
        (
            "{{ len $x }} {{ keys $x | sortAlpha }} {{ deepEqual $x $x }} {{ hasKey $x.k.j.k \"j\" }}",
            Ok("2 [j k] true true"),
        ),
    ];
    // On a small thread, as a host may run templates on: deep walks grow the stack.
    let on_small_thread = |text: String| {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || run(&text, ""))
            .expect("spawn")
            .join()
            .expect("no stack overflow")
    };
    for (text, expected) in cases {
        let got = on_small_thread(format!("{cyclic}{text}"));
        match expected {
            Ok(out) => assert_eq!(got.as_deref(), Ok(out), "{text}"),
            Err(message) => {
                let err = got.expect_err(text);
                assert!(err.ends_with(message), "{text}: {err}");
            }
        }
    }
    for (text, start) in [
        ("{{ $x }}", "map[j:map[j:"),
        ("{{ printf \"%v\" $x }}", "map[j:map[j:"),
        (
            "{{ printf \"%#v\" $x }}",
            "map[string]interface {}{\"j\":map[string]interface {}{\"j\":",
        ),
        ("{{ toString $x }}", "map[j:map[j:"),
    ] {
        let out =
            on_small_thread(format!("{cyclic}{text}")).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(out.starts_with(start) && out.contains("..."), "{text}");
        // The first cycle ends the printing: a few bytes per level, once.
        assert!(
            out.len() < 40 * crate::value::MAX_DEPTH,
            "{text}: {} bytes",
            out.len()
        );
    }
    let value = {
        let dict = crate::Dict::default();
        dict.insert("k", Value::Dict(dict.clone()));
        dict.insert("j", Value::Dict(dict.clone()));
        Value::Dict(dict)
    };
    let json = crate::encoding::convert::to_json(&value).to_string();
    assert!(json.len() < 40 * crate::value::MAX_DEPTH && json.contains("null"));
}
