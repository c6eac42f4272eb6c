//! Tables of cases, each checked against real helm v4.1 by hand when written (and many of
//! them again by `tests/helm_values.rs`).

use serde_json::{Value, json};

use super::*;
use crate::chart::coalesce::coalesce_values;
use crate::chart::{File, from_files};

/// A chart named `c` whose `values.yaml` holds `defaults`, and a schema if given.
fn chart_with(defaults: &Value, schema: Option<&Value>) -> Chart {
    let mut files = vec![File {
        name: "Chart.yaml".into(),
        data: b"apiVersion: v2\nname: c\nversion: 1.0.0\n".to_vec(),
    }];
    if let Some(schema) = schema {
        files.push(File {
            name: "values.schema.json".into(),
            data: serde_json::to_vec(schema).unwrap(),
        });
    }
    let mut chart = from_files(Path::new("c"), files).unwrap();
    chart.values = defaults.as_object().cloned().unwrap_or_default();
    chart
}

fn coalesce(defaults: &Value, user: Value) -> crate::chart::coalesce::Coalesced {
    let mut got = coalesce_values(&chart_with(defaults, None), user.as_object().unwrap()).unwrap();
    got.values = match sort_keys(Value::Object(got.values)) {
        Value::Object(map) => map,
        _ => unreachable!(),
    };
    got
}

fn set(kind: Kind, args: &[&str]) -> Result<Value, String> {
    let mut base = Map::new();
    for arg in args {
        strvals::parse_into(kind, arg, &mut base, &mut |name: &str| {
            if name == "missing" {
                Err(format!("cannot read `{name}`"))
            } else {
                Ok(format!("<{name}>"))
            }
        })?;
    }
    Ok(plain_numbers(Value::Object(base)))
}

#[test]
fn set_gives_int64_and_set_json_float64() {
    let mut base = Map::new();
    let mut no_files = |_: &str| -> Result<String, String> { Err(String::new()) };
    strvals::parse_into(Kind::Set, "a=1,b=1000000", &mut base, &mut no_files).unwrap();
    strvals::parse_into(Kind::Json, "c=1", &mut base, &mut no_files).unwrap();
    assert!(base["a"].is_i64() && base["b"].is_i64(), "{base:?}");
    assert!(base["c"].is_f64(), "{base:?}");
}

#[test]
fn set_table() {
    use Kind::*;
    let cases: Vec<(Kind, &[&str], Value)> = vec![
        (Set, &["a=1"], json!({"a": 1})),
        (Set, &["a=0"], json!({"a": 0})),
        (Set, &["a=-5"], json!({"a": -5})),
        (Set, &["a=+5"], json!({"a": 5})),
        (Set, &["a=00"], json!({"a": "00"})),
        (Set, &["a=007"], json!({"a": "007"})),
        (Set, &["a=1.5"], json!({"a": "1.5"})),
        (Set, &["a=1e3"], json!({"a": "1e3"})),
        (Set, &["a=0x10"], json!({"a": "0x10"})),
        (
            Set,
            &["a=9223372036854775807"],
            json!({"a": 9223372036854775807_i64}),
        ),
        (
            Set,
            &["a=9223372036854775808"],
            json!({"a": "9223372036854775808"}),
        ),
        (Set, &["a=-9223372036854775808"], json!({"a": i64::MIN})),
        (Set, &["a=true"], json!({"a": true})),
        (Set, &["a=True"], json!({"a": true})),
        (Set, &["a=TRUE"], json!({"a": true})),
        (Set, &["a=fAlSe"], json!({"a": false})),
        (Set, &["a=yes"], json!({"a": "yes"})),
        (Set, &["a=null"], json!({"a": null})),
        (Set, &["a=NULL"], json!({"a": null})),
        (Set, &["a=~"], json!({"a": "~"})),
        (Set, &["a="], json!({"a": ""})),
        (Set, &["a= 1"], json!({"a": " 1"})),
        (Set, &["a=x=y"], json!({"a": "x=y"})),
        (Set, &["a=1,b=2"], json!({"a": 1, "b": 2})),
        (Set, &["a=1,"], json!({"a": 1})),
        (Set, &["a.b.c=1"], json!({"a": {"b": {"c": 1}}})),
        (Set, &["a.b=1,a.c=2"], json!({"a": {"b": 1, "c": 2}})),
        (Set, &["a.b=1", "a.c=2"], json!({"a": {"b": 1, "c": 2}})),
        (Set, &["a=1", "a=2"], json!({"a": 2})),
        (Set, &["a.b=1", "a=2"], json!({"a": 2})),
        (Set, &[r"a\.b=1"], json!({"a.b": 1})),
        (Set, &[r"c\,d=2"], json!({"c,d": 2})),
        (Set, &[r"e\=f=3"], json!({"e=f": 3})),
        (Set, &[r"a=b\,c"], json!({"a": "b,c"})),
        (Set, &[r"a=\{x\}"], json!({"a": "{x}"})),
        (Set, &[r"k\[0\]=1"], json!({"k[0]": 1})),
        (Set, &[r"a=x\\y"], json!({"a": r"x\y"})),
        (Set, &["a[0]=x"], json!({"a": ["x"]})),
        (Set, &["a[2]=x"], json!({"a": [null, null, "x"]})),
        (Set, &["a[0]=1", "a[2]=3"], json!({"a": [1, null, 3]})),
        (Set, &["a[1]=1,a[0]=0"], json!({"a": [0, 1]})),
        (
            Set,
            &["a.b[2].c=1"],
            json!({"a": {"b": [null, null, {"c": 1}]}}),
        ),
        (
            Set,
            &["a[0].b=1,a[0].c=2"],
            json!({"a": [{"b": 1, "c": 2}]}),
        ),
        (
            Set,
            &["a[1].b=1,a[0].c=2"],
            json!({"a": [{"c": 2}, {"b": 1}]}),
        ),
        (Set, &["a[0]=1,a[0].b=2"], json!({"a": [{"b": 2}]})),
        (Set, &["a[0][1]=x"], json!({"a": [[null, "x"]]})),
        (Set, &["a[0][0]=1,a[0][1]=2"], json!({"a": [[1, 2]]})),
        (Set, &["a[1][2]=x"], json!({"a": [null, [null, null, "x"]]})),
        (Set, &["a[1]"], json!({"a": []})),
        (Set, &["a[+1]=x"], json!({"a": [null, "x"]})),
        (
            Set,
            &["a[65536]=x"],
            json!({"a": Value::Array({let mut v = vec![Value::Null; 65536]; v.push(json!("x")); v})}),
        ),
        (Set, &["a={x,y,z}"], json!({"a": ["x", "y", "z"]})),
        (Set, &["a={1,true,null}"], json!({"a": [1, true, null]})),
        (Set, &["a={ x , y }"], json!({"a": [" x ", " y "]})),
        (Set, &["a={}"], json!({"a": [""]})),
        (Set, &["a={x},b=1"], json!({"a": ["x"], "b": 1})),
        (Set, &["a[1]={x,y}"], json!({"a": [null, ["x", "y"]]})),
        (Set, &[r"a={x\,y,z}"], json!({"a": ["x,y", "z"]})),
        (Set, &["=1"], json!({})),
        (Set, &[".a=1"], json!({})),
        (Set, &["a."], json!({})),
        (Set, &[""], json!({})),
        (Set, &["ключ=значение"], json!({"ключ": "значение"})),
        (
            String,
            &["a=1,b=true,c=null,d="],
            json!({"a": "1", "b": "true", "c": "null", "d": ""}),
        ),
        (String, &["a={1,true}"], json!({"a": ["1", "true"]})),
        (String, &["a[1]=007"], json!({"a": [null, "007"]})),
        (String, &[r"a=x\,y"], json!({"a": "x,y"})),
        (
            Json,
            &[r#"a={"b":1.0,"c":[1,2.5,null]}"#],
            json!({"a": {"b": 1, "c": [1, 2.5, null]}}),
        ),
        (Json, &["a=[1,2],b=3"], json!({"a": [1, 2], "b": 3})),
        (Json, &["a="], json!({"a": null})),
        (Json, &["a=,b=1"], json!({"a": null, "b": 1})),
        (Json, &[r#"a="x,y""#], json!({"a": "x,y"})),
        (Json, &["a=true"], json!({"a": true})),
        (Json, &["a.b[1]=true"], json!({"a": {"b": [null, true]}})),
        (
            Json,
            &[r#"a= {"x":1} , b=2"#],
            json!({"a": {"x": 1}, " b": 2}),
        ),
        (
            Json,
            &["a=12345678901234567890"],
            json!({"a": 12345678901234567000_u64}),
        ),
        (Json, &["a=1e3"], json!({"a": 1000})),
        (File, &["a=path"], json!({"a": "<path>"})),
        (File, &["a=p,b[0]=q"], json!({"a": "<p>", "b": ["<q>"]})),
        (File, &["a={p,q}"], json!({"a": ["<p>", "<q>"]})),
        (Literal, &["a=x,y=z"], json!({"a": "x,y=z"})),
        (Literal, &[r"a=x\,y{}"], json!({"a": r"x\,y{}"})),
        (Literal, &["a.b[0]=1"], json!({"a": {"b": ["1"]}})),
        (
            Literal,
            &["a[1].b=true"],
            json!({"a": [null, {"b": "true"}]}),
        ),
        (Literal, &["a="], json!({"a": ""})),
        (Literal, &["a,b=1"], json!({"a,b": "1"})),
    ];
    assert!(cases.len() >= 60, "{} cases", cases.len());
    for (kind, args, expected) in cases {
        let got = set(kind, args).unwrap_or_else(|err| panic!("{kind:?} {args:?}: {err}"));
        assert_eq!(got, expected, "{kind:?} {args:?}");
    }
}

#[test]
fn set_errors_name_the_part() {
    use Kind::*;
    let too_deep = format!("{}x=1", "a.".repeat(31));
    let too_deep = [too_deep.as_str()];
    let cases: Vec<(Kind, &[&str], &str)> = vec![
        (Set, &["a"], r#"key "a" has no value"#),
        (Set, &["a=1,b"], r#"key "b" has no value"#),
        (
            Set,
            &["a,b=1"],
            r#"key "a" has no value (cannot end with ,)"#,
        ),
        (
            Set,
            &["a=1,,b=2"],
            r#"key "" has no value (cannot end with ,)"#,
        ),
        (Set, &["a.=1"], r#"key map "a" has no value"#),
        (Set, &["a..b=1"], r#"key map "a" has no value"#),
        (Set, &["a.b"], r#"key "b" has no value"#),
        (
            Set,
            &["a.b[x]=1"],
            "error parsing index: `x` is not an integer",
        ),
        (Set, &["a[]=1"], "error parsing index: `` is not an integer"),
        (Set, &["a[1=1"], "has no closing `]`"),
        (Set, &["a[-1]=1"], "negative -1 index not allowed"),
        (
            Set,
            &["a[65537]=1"],
            "index of 65537 is greater than maximum supported index of 65536",
        ),
        (
            Set,
            &["a[0]x=1"],
            r#"unexpected data at end of array index: "x""#,
        ),
        (Set, &["a={x,y"], "list must terminate with '}'"),
        (Set, &["a={x}y"], r#"key "y" has no value"#),
        (Set, &["a=1", "a.b=2"], "`a` is an integer, not a map"),
        (Set, &["a=x", "a[0]=1"], "`a` is a string, not a list"),
        (Set, &["a[0]=x", "a[0][1]=2"], "is a string, not a list"),
        (Set, &too_deep, "maximum supported nested level of 30"),
        (Json, &["a={bad"], "invalid JSON value"),
        (Json, &["a=1 2"], r#"key "2" has no value"#),
        (File, &["a=missing"], "cannot read `missing`"),
        (Literal, &["a"], r#"key "a" has no value"#),
    ];
    for (kind, args, expected) in cases {
        let err = set(kind, args).expect_err(&format!("{kind:?} {args:?} should fail"));
        assert!(
            err.contains(expected),
            "{kind:?} {args:?}: {err:?} lacks {expected:?}"
        );
    }
    // Thirty levels are allowed.
    let deep = format!("{}x=1", "a.".repeat(30));
    assert!(set(Set, &[&deep]).is_ok());
}

#[test]
fn set_nesting_of_lists_is_bounded() {
    use Kind::*;
    // The top map, `a`'s list and 98 more lists: the limit exactly.
    let at_limit = format!("a{}=1", "[0]".repeat(crate::yaml::MAX_DEPTH - 1));
    let got = set(Set, &[&at_limit]).unwrap();
    let mut inner = &got["a"];
    for _ in 0..crate::yaml::MAX_DEPTH - 1 {
        inner = &inner[0];
    }
    assert_eq!(inner, &json!(1));
    let cases = [
        format!("a{}=1", "[0]".repeat(crate::yaml::MAX_DEPTH)),
        format!("a{}=1", "[0]".repeat(30_000)),
        format!("a{}.b=1", "[0].b".repeat(60)),
        // 29 names, each holding a list: 59 levels, within both limits.
        format!("{}a[0][0]=1", "a[0].".repeat(29)),
    ];
    for arg in &cases[..3] {
        for kind in [Set, String, File, Literal, Json] {
            let err = set(kind, &[arg]).unwrap_err();
            assert!(
                err.contains("nest deeper than the limit of 100 levels"),
                "{kind:?} {}: {err}",
                &arg[..20]
            );
        }
    }
    // Names within Helm's 30 and lists between them, all under the limit.
    assert!(set(Set, &[&cases[3]]).is_ok(), "{}", cases[3]);
}

fn options(f: impl FnOnce(&mut Options)) -> Options {
    let mut options = Options::default();
    f(&mut options);
    options
}

#[test]
fn flags_apply_in_helms_fixed_order() {
    let cases = [
        (
            options(|o| {
                o.set = vec!["a=1".into()];
                o.set_json = vec!["a=2".into()];
            }),
            json!({"a": 1}),
        ),
        (
            options(|o| {
                o.set = vec!["a=1".into()];
                o.set_string = vec!["a=s".into()];
            }),
            json!({"a": "s"}),
        ),
        (
            options(|o| {
                o.set_literal = vec!["a=lit".into()];
                o.set_string = vec!["a=s".into()];
            }),
            json!({"a": "lit"}),
        ),
        (
            options(|o| {
                o.set_json = vec![r#"{"a":{"x":1}}"#.into(), r#"{"a":{"y":2}}"#.into()];
            }),
            json!({"a": {"x": 1, "y": 2}}),
        ),
        (
            options(|o| {
                o.set_json = vec![r#"{"a":{"x":1}}"#.into(), r#"a={"y":2}"#.into()];
            }),
            json!({"a": {"y": 2}}),
        ),
    ];
    for (options, expected) in cases {
        let got = user_values(&options, &mut std::io::empty()).unwrap();
        assert_eq!(plain_numbers(got), expected, "{options:?}");
    }
}

#[test]
fn values_files_merge_in_order_and_read_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.yaml");
    let two = dir.path().join("two.yaml");
    std::fs::write(&one, "a: {x: 1, b: 1}\nl: [1, 2]\n").unwrap();
    std::fs::write(&two, "a: {b: 2}\nl: [3]\n").unwrap();
    let opts = options(|o| {
        o.files = vec![
            one.display().to_string(),
            "-".into(),
            two.display().to_string(),
        ];
        o.set = vec!["a.z=3".into()];
    });
    let got = user_values(&opts, &mut &b"a: {w: 0}\ns: in\n"[..]).unwrap();
    // File numbers are float64s, `--set` ones int64s.
    assert!(got["a"]["x"].is_f64() && got["a"]["z"].is_i64(), "{got}");
    assert_eq!(
        plain_numbers(got),
        json!({"a": {"x": 1, "b": 2, "w": 0, "z": 3}, "l": [3], "s": "in"})
    );
}

#[test]
fn errors_name_the_flag_or_file() {
    let opts = options(|o| o.set = vec!["a.b[x]=1".into()]);
    let err = user_values(&opts, &mut std::io::empty()).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"--set "a.b[x]=1": error parsing index: `x` is not an integer"#
    );
    let opts = options(|o| o.set_json = vec!["{bad".into()]);
    let err = user_values(&opts, &mut std::io::empty()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(r#"--set-json "{bad": invalid JSON object"#),
        "{err}"
    );
    let opts = options(|o| o.set_file = vec!["a=/no/such/file".into()]);
    let err = user_values(&opts, &mut std::io::empty()).unwrap_err();
    assert!(
        err.to_string().contains("cannot read `/no/such/file`"),
        "{err}"
    );
    let opts = options(|o| o.files = vec!["/no/such/values.yaml".into()]);
    let err = user_values(&opts, &mut std::io::empty()).unwrap_err();
    assert!(err.to_string().contains("/no/such/values.yaml"), "{err}");
    let opts = options(|o| o.files = vec!["-".into()]);
    let err = user_values(&opts, &mut &b"a: 1\nb: [\n"[..]).unwrap_err();
    assert!(
        err.to_string().starts_with("values file `<stdin>` line "),
        "{err}"
    );
}

#[test]
fn inputs_are_bounded_and_errors_stay_one_line() {
    // An endless standard input (as `/dev/zero` is) stops at the limit.
    let opts = options(|o| o.files = vec!["-".into()]);
    let err = user_values(&opts, &mut std::io::repeat(b'a')).unwrap_err();
    assert_eq!(
        err.to_string(),
        "values file `<stdin>` is larger than the 32 MiB limit"
    );
    let opts = options(|o| o.set_file = vec!["a=-".into()]);
    let err = user_values(&opts, &mut std::io::repeat(b'a')).unwrap_err();
    assert!(
        err.to_string()
            .contains("`<stdin>` is larger than the 32 MiB limit"),
        "{err}"
    );
    // A huge flag value is quoted short, with the cause kept.
    let huge = format!("a={}", "[".repeat(100_000));
    let opts = options(|o| o.set_json = vec![huge]);
    let err = user_values(&opts, &mut std::io::empty())
        .unwrap_err()
        .to_string();
    assert!(err.len() < 300, "{err}");
    assert!(
        err.contains("…\": invalid JSON value: recursion limit exceeded"),
        "{err}"
    );
    assert!(!err.contains('\n'));
}

#[test]
fn coalesce_table() {
    let defaults = json!({
        "a": 1,
        "m": {"x": 1, "yy": {"z": 2}, "nn": null, "deep": {"a": {"b": 1}}},
        "l": [1, 2],
        "nl": null,
        "s": "str",
    });
    let cases = [
        (json!({}), defaults.clone(), 0),
        (
            json!({"a": 2}),
            json!({"a": 2, "m": defaults["m"], "l": [1, 2], "nl": null, "s": "str"}),
            0,
        ),
        (
            json!({"m": null}),
            json!({"a": 1, "l": [1, 2], "nl": null, "s": "str"}),
            0,
        ),
        (
            json!({"newkey": null}),
            json!({"a": 1, "m": defaults["m"], "l": [1, 2], "nl": null, "s": "str", "newkey": null}),
            0,
        ),
        (
            json!({"l": [3]}),
            json!({"a": 1, "m": defaults["m"], "l": [3], "nl": null, "s": "str"}),
            0,
        ),
        (
            json!({"l": null}),
            json!({"a": 1, "m": defaults["m"], "nl": null, "s": "str"}),
            0,
        ),
        (
            json!({"nl": {"x": 1}}),
            json!({"a": 1, "m": defaults["m"], "l": [1, 2], "nl": {"x": 1}, "s": "str"}),
            0,
        ),
        (
            json!({"s": {"x": 1}}),
            json!({"a": 1, "m": defaults["m"], "l": [1, 2], "nl": null, "s": {"x": 1}}),
            1,
        ),
        (
            json!({"m": 5}),
            json!({"a": 1, "m": 5, "l": [1, 2], "nl": null, "s": "str"}),
            0,
        ),
    ];
    for (user, expected, warnings) in cases {
        let got = coalesce(&defaults, user.clone());
        assert_eq!(Value::Object(got.values), expected, "{user}");
        assert_eq!(got.warnings.len(), warnings, "{user}: {:?}", got.warnings);
    }
    let nested = [
        (
            json!({"x": null}),
            json!({"yy": {"z": 2}, "nn": null, "deep": {"a": {"b": 1}}}),
            0,
        ),
        (
            json!({"new": null}),
            json!({"x": 1, "yy": {"z": 2}, "nn": null, "deep": {"a": {"b": 1}}, "new": null}),
            0,
        ),
        (
            json!({"nn": null}),
            json!({"x": 1, "yy": {"z": 2}, "nn": null, "deep": {"a": {"b": 1}}}),
            0,
        ),
        (
            json!({"yy": 5}),
            json!({"x": 1, "yy": 5, "nn": null, "deep": {"a": {"b": 1}}}),
            1,
        ),
        (
            json!({"x": {"q": 1}}),
            json!({"x": {"q": 1}, "yy": {"z": 2}, "nn": null, "deep": {"a": {"b": 1}}}),
            1,
        ),
        (
            json!({"deep": {"a": null, "c": null}}),
            json!({"x": 1, "yy": {"z": 2}, "nn": null, "deep": {"c": null}}),
            0,
        ),
        (
            json!({"yy": {"z": null, "w": null}}),
            json!({"x": 1, "yy": {"w": null}, "nn": null, "deep": {"a": {"b": 1}}}),
            0,
        ),
    ];
    for (user, expected, warnings) in nested {
        let got = coalesce(&defaults, json!({"m": user.clone()}));
        assert_eq!(got.values["m"], expected, "m: {user}");
        assert_eq!(
            got.warnings.len(),
            warnings,
            "m: {user}: {:?}",
            got.warnings
        );
    }
}

#[test]
fn coalesced_keys_are_sorted() {
    let got = coalesce(&json!({"b": 1, "a": {"d": 1, "c": 2}}), json!({"z": 0}));
    let text = serde_json::to_string(&got.values).unwrap();
    assert_eq!(text, r#"{"a":{"c":2,"d":1},"b":1,"z":0}"#);
}

#[test]
fn numbers_round_like_go_float64() {
    let cases = [
        (json!(1), json!(1.0)),
        (json!(-0.0), json!(-0.0)),
        (json!(9223372036854775807_i64), json!(9223372036854775807.0)),
        (json!([1000, {"a": 2}]), json!([1e3, {"a": 2.0}])),
    ];
    for (input, expected) in cases {
        assert_eq!(numbers_as_float64(input.clone()), expected, "{input}");
    }
    let plain = [
        (json!(1.0), json!(1)),
        (json!(-0.0), json!(0)),
        // Go's JSON encoder prints the shortest digits, zero-padded, as Rust does.
        (json!(9223372036854775807.0), json!(9223372036854776000_u64)),
        (json!(1.5), json!(1.5)),
        (json!(1e21), json!(1e21)),
        (
            json!([1e3, {"a": 2.0, "b": 3}]),
            json!([1000, {"a": 2, "b": 3}]),
        ),
    ];
    for (input, expected) in plain {
        assert_eq!(plain_numbers(input.clone()), expected, "{input}");
    }
}

#[test]
fn schema_violations_are_all_listed_with_paths() {
    let schema = json!({
        "type": "object",
        "required": ["name"],
        "properties": {
            "image": {"type": "object", "properties": {"tag": {"type": "string"}}},
            "replicas": {"type": "integer", "minimum": 1},
        }
    });
    let chart = chart_with(&json!({}), Some(&schema));
    let values = json!({"image": {"tag": 1}, "replicas": 0.0});
    let err = validate(&chart, values.as_object().unwrap()).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("values don't meet the specifications of the schema(s) in the following chart(s): c (c/values.schema.json): at "), "{text}");
    assert!(text.contains("c/values.schema.json"), "{text}");
    assert!(
        text.contains("at '/image/tag': 1 is not of type \"string\""),
        "{text}"
    );
    assert!(text.contains("at '/replicas'"), "{text}");
    assert!(
        text.contains("at '/': \"name\" is a required property"),
        "{text}"
    );
    assert!(!text.contains('\n'), "one line: {text}");
    // A whole float64 (every number of a values file) is an integer.
    let ok = json!({"name": "x", "replicas": 2.0});
    assert!(validate(&chart, ok.as_object().unwrap()).is_ok());
    let bad = chart_with(&json!({}), Some(&json!({"type": 5})));
    let err = validate(&bad, &Map::new()).unwrap_err();
    assert!(
        err.to_string()
            .contains("`c/values.schema.json` is not a valid JSON schema"),
        "{err}"
    );
}
