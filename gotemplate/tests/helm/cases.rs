//! The cases run through real Helm and through ours.

use serde_json::{Value as Json, json};

use super::Case;

/// Strings that exercise every quoting rule of go-yaml's emitter.
pub fn tricky_strings() -> Vec<String> {
    let mut s: Vec<String> = [
        "",
        "a",
        "yes",
        "Yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "true",
        "False",
        "null",
        "Null",
        "~",
        "1",
        "1.0",
        "-1",
        "+1",
        "0x1F",
        "0o17",
        "0b11",
        "010",
        "08",
        "1_000",
        "1e3",
        "1e400",
        ".5",
        ".inf",
        "-.inf",
        ".nan",
        ".NaN",
        "12:30",
        "1:2:3",
        "190:20:30.15",
        "2024-01-01",
        "2024-1-1",
        "2023-02-29",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10",
        " lead",
        "trail ",
        " both ",
        "-",
        "--",
        "---",
        "----",
        "- a",
        "-a",
        "a-",
        "...",
        "...x",
        "#c",
        "a #c",
        "a#c",
        "a: b",
        "a:b",
        ":a",
        "a:",
        "a :",
        "?",
        "? x",
        "?x",
        "x?",
        "@a",
        "`b",
        "'q'",
        "\"d\"",
        "a'b",
        "a\"b",
        "%x",
        "!x",
        "&x",
        "*x",
        "|",
        ">",
        "|x",
        ">x",
        "[a]",
        "a[0]",
        "{a}",
        "a{b}",
        "a,b",
        ",a",
        "a, b",
        "é",
        "日本語",
        "hi 😀",
        "\u{85}",
        "a\u{85}b",
        "\u{a0}x",
        "x\u{a0}",
        "\u{2028}",
        "a\u{2028}b",
        "\u{2029}",
        "\u{feff}a",
        "a\u{feff}",
        "\u{ad}",
        "\u{1}",
        "\u{1b}[0m",
        "\u{7}",
        "\0",
        "a\\b",
        "\\",
        "a\tb",
        "\t",
        "tab\t",
        "<>&",
        "a<b>c&d",
        "\u{fffd}",
        "\u{e000}",
        "\u{fffc}",
        "<<",
        "=",
        "a=b",
        "a b",
        "a  b",
        "a   b",
        "'",
        "\"",
        "''",
        "'a",
        "a'",
        "\"a",
        "a\"",
        "\\\"",
        "\r",
        "a\rb",
        "\r\n",
        "a\r\nb",
        "\u{b}",
        "\u{c}",
        "\u{8}",
        "v1.2.3",
        "1.2.3",
        "1.",
        "+",
        "+.inf",
        "0",
        "00",
        "-0",
        "0.0",
        "1e",
        "e1",
        "Infinity",
        "NaN",
        "nan",
        "inf",
        "http://example.com/a?b=c&d=e#f",
        "C:\\path",
        "$HOME",
        "${VAR}",
        "{{ .x }}",
        "%{x}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Multi-line text: chomping, indentation hints, trailing spaces, tabs.
    for m in [
        "a\nb",
        "a\nb\n",
        "a\nb\n\n",
        "a\nb\n\n\n",
        "\n",
        "\n\n",
        "\na",
        "\n\na",
        " a\nb",
        "a\n b",
        "a \nb",
        "a\n\nb",
        "a\n \nb",
        "a\n\tb",
        "\ta\nb",
        "a\tb\nc",
        "a\nb ",
        "a\nb \n",
        "# x\ny",
        "- a\n- b",
        "a: b\nc: d\n",
        "é\nü",
        "😀\nx",
        "a\u{85}b\nc",
        "a\rb\nc",
        "line one\nline two\n",
        "---\na",
        "a\n---\nb",
        "...\n",
        "x\n...",
        "key: value\n  nested: true\nlist:\n  - a\n",
        "\u{feff}a\nb",
        "a\n\u{2028}b",
    ] {
        s.push(m.to_string());
    }
    s
}

/// Long strings around go-yaml v2's 80-column fold.
pub fn long_strings() -> Vec<String> {
    let words = |n: usize, w: &str| vec![w; n].join(" ");
    let mut s = vec![
        words(20, "abcd"),
        words(16, "abcd"),
        words(17, "abcd"),
        words(30, "xy"),
        "a".repeat(200),
        format!("{} {}", "a".repeat(100), "b".repeat(100)),
        words(20, "ab  cd"),
        words(20, "ab   cd"),
        format!("{}: {}", words(10, "abcd"), words(15, "efgh")),
        format!("'{}'", words(25, "q")),
        format!("{} #x", words(25, "q")),
        words(25, "a'b"),
        format!("{}\t{}", words(15, "tab"), words(15, "tab")),
        format!("{}\n{}", words(25, "multi"), words(25, "line")),
        format!(" {}", words(30, "lead")),
        format!("{} ", words(30, "trail")),
        format!("{}😀 {}", words(20, "emoji"), words(20, "more")),
        words(40, "é"),
        words(30, "1.5"),
        format!("yes {}", words(30, "x")),
        format!("{}\u{85}{}", words(20, "nel"), words(20, "nel")),
    ];
    for n in [76, 77, 78, 79, 80, 81, 82, 83] {
        s.push(format!("{} {}", "x".repeat(n), "y".repeat(5)));
        s.push(format!("{}  {}", "x".repeat(n), "y".repeat(5)));
        s.push(format!("\"{} {}", "x".repeat(n), "y".repeat(5)));
    }
    s
}

fn keys() -> Vec<String> {
    let mut k: Vec<String> = [
        "a10",
        "a2",
        "a1",
        "a01",
        "a001",
        "a0",
        "a00",
        "_x",
        "B",
        "b",
        "1",
        "01",
        "10",
        "2",
        "-1",
        "+1",
        "é",
        "z",
        "Z",
        "a b",
        "ab",
        "a_b",
        "a-b",
        "x1y",
        "x01y",
        "x10y",
        "x1",
        "x1a",
        "x10",
        "1a",
        "10a",
        "1b",
        "٣",
        "a٣",
        "a3",
        "ß",
        "Ä",
        "ä",
        "",
        " ",
        "yes",
        "null",
        "~",
        "a:b",
        "a: b",
        "#k",
        "-",
        "- k",
        "?k",
        "k\u{85}",
        "0.5",
        "1e3",
        "true",
        "[k]",
        "é1",
        "é10",
        "é2",
        "x0001",
        "x001",
        "x01",
        "x1000",
        "x999",
        "99999999999999999999",
        "99999999999999999998",
        "a\u{2028}b",
        "k\n",
        "k\nl",
        "tab\tk",
        "quote'k",
        "dq\"k",
        "😀",
        "😀1",
        "😀10",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    k.push("k".repeat(128));
    k.push("k".repeat(129));
    k.push(format!("{} {}", "k".repeat(64), "l".repeat(70)));
    k.push("m".repeat(200));
    k
}

pub fn numbers() -> Vec<Json> {
    [
        json!(0),
        json!(1),
        json!(-1),
        json!(1.5),
        json!(-0.0),
        json!(0.1),
        json!(100000),
        json!(1000000),
        json!(1234567),
        json!(123456789.5),
        json!(1e20),
        json!(1e21),
        json!(1.5e21),
        json!(1e-6),
        json!(1e-7),
        json!(1.5e-7),
        json!(0.000123),
        json!(1e100),
        json!(1e-100),
        json!(9007199254740993u64),
        json!(9223372036854775807u64),
        json!(9223372036854775808u64),
        json!(12345678901234567890u64),
        json!(18446744073709551615u64),
        json!(1.8446744073709552e19),
        json!(1e19),
        json!(2e19),
        json!(1.7976931348623157e308),
        json!(5e-324),
        json!(-123.456),
        json!(3.0),
        json!(0.30000000000000004),
    ]
    .into_iter()
    .collect()
}

/// Every encoder on every shape.
pub fn encoder_cases() -> Vec<Case> {
    let mut inputs: Vec<Json> = vec![
        json!(null),
        json!(true),
        json!(false),
        json!([]),
        json!({}),
        json!([[]]),
        json!([{}]),
        json!({"a": []}),
        json!({"a": {}}),
        json!({"a": null, "b": [null], "c": {"d": null}}),
        json!([["a", "b"], [], {}, [["c"]], {"x": [1, 2]}, [[[["deep"]]]]]),
        json!({"list": [{"a": 1, "b": [1, 2, {"c": "d"}]}, {"e": {"f": {"g": [[]]}}}]}),
        json!([{"a": {"b": [{"c": [1]}]}}]),
        json!({"a": [[1, 2], [3, [4, [5]]]]}),
        json!({"m": {"n": {"o": {"p": {"q": "deep"}}}}}),
        json!([[{"a": 1}, {"b": 2}], [{"c": [{"d": 3}]}]]),
    ];
    inputs.extend(numbers());
    inputs.push(Json::Array(numbers()));
    inputs.push(json!({"n": numbers()}));
    let strings = tricky_strings();
    let long = long_strings();
    for s in strings.iter().chain(&long) {
        inputs.push(json!(s));
    }
    inputs.push(json!(strings.clone()));
    inputs.push(json!(long.clone()));
    inputs.push(json!({"strings": strings, "long": long.clone()}));
    inputs.push(json!({"nested": {"deeper": {"long": long}}}));
    let mut by_key = serde_json::Map::new();
    for (i, key) in keys().into_iter().enumerate() {
        by_key.insert(key, json!(i));
    }
    inputs.push(Json::Object(by_key.clone()));
    inputs.push(json!([by_key.clone()]));
    // Each key alone, so one unwritable key does not hide what the others give.
    for key in keys() {
        inputs.push(json!({ key.clone(): "v" }));
        inputs.push(json!({ key: ["a", {"b": "c"}] }));
    }
    inputs.push(json!({ "<".repeat(200): 1 }));
    let mut cases = Vec::new();
    // Keys near go-yaml's 1024-character limit on a simple key cannot travel in the values
    // file (which go-yaml reads too): the template makes them.
    for n in [1020, 1021, 1022, 1023, 1024] {
        cases.push(Case {
            func: "toYamlWithKeyOfLength",
            input: json!(n),
        });
    }
    for input in inputs {
        for func in [
            "toYaml",
            "toYamlPretty",
            "toJson",
            "toPrettyJson",
            "toRawJson",
        ] {
            cases.push(Case {
                func,
                input: input.clone(),
            });
        }
    }
    cases
}
