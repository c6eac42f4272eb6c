//! No input makes the engine panic: random texts assembled from template fragments are
//! parsed and executed (with a fixed seed, so a failure reproduces); every outcome must be
//! an output or an error.

use kchart_gotemplate::func::FixedEnv;
use kchart_gotemplate::{FuncMap, Limits, Map, Options, TemplateSet, Value};

const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "{{/* c */}}",
    "if ",
    "else ",
    "else if ",
    "with ",
    "range ",
    "end",
    "break",
    "continue",
    "define \"d\"",
    "template \"d\" ",
    "block \"b\" .",
    "$x",
    "$",
    " := ",
    " = ",
    ", ",
    ".a",
    ".b.c",
    ".l",
    ".m",
    ".",
    "(",
    ")",
    " | ",
    "\"s\"",
    "`r`",
    "'c'",
    "1",
    "-2",
    "1.5",
    "0x10",
    "1e3",
    "nil",
    "true",
    "print ",
    "printf \"%v %d\" ",
    "index ",
    "slice ",
    "len ",
    "eq ",
    "lt ",
    "and ",
    "or ",
    "not ",
    "html ",
    "js ",
    "urlquery ",
    "include \"d\" ",
    "tpl \"{{ .a }}\" ",
    "required \"r\" ",
    "call ",
    " ",
    "\n",
    "text",
    "{{ range $i, $e := .l }}",
    "{{ end }}",
    "{{ if .a }}",
    "{{ else }}",
    "{{ define \"e\" }}",
    // Sprig, whose maps are shared and change in place: a map may come to hold itself.
    "dict ",
    "list ",
    "set ",
    "unset ",
    "merge ",
    "mergeOverwrite ",
    "deepCopy ",
    "deepEqual ",
    "keys ",
    "\"k\" ",
    "$x ",
    "{{ $x := dict }}",
    "{{ $_ := set $x \"k\" $x }}",
    "{{ $_ := set $x \"j\" $x }}",
    "{{ $_ := set .m \"m\" .m }}",
    "toJson ",
    "toYaml ",
    "toToml ",
    "toYamlPretty ",
    "toString ",
    "printf \"%#v\" ",
];

fn data() -> Value {
    let mut m = Map::new();
    m.insert("k".into(), Value::from("v"));
    let mut top = Map::new();
    top.insert("a".into(), Value::from("A"));
    top.insert(
        "l".into(),
        Value::list(vec![Value::Float(1.0), Value::Nil, Value::from("x")]),
    );
    top.insert("m".into(), Value::map(m));
    top.insert("n".into(), Value::Nil);
    // Shared, as a host passes values: `set .m ...` changes them for later texts too.
    Value::map(top).into_shared()
}

#[test]
fn random_texts_never_panic() {
    let mut rng = fastrand::Rng::with_seed(0x6b63_6861_7274);
    let options = Options {
        limits: Limits {
            max_steps: 10_000,
            max_output: 1 << 16,
            max_depth: 100,
            ..Limits::default()
        },
        ..Options::default()
    };
    let data = data();
    let (mut parsed, mut rendered) = (0, 0);
    for _ in 0..20_000 {
        let len = rng.usize(1..24);
        let text: String = (0..len)
            .map(|_| FRAGMENTS[rng.usize(..FRAGMENTS.len())])
            .collect();
        let mut set = TemplateSet::with_options(FuncMap::helm(), options.clone());
        if set.parse("t", &text).is_ok() {
            parsed += 1;
            if set.execute("t", &data, &FixedEnv).is_ok() {
                rendered += 1;
            }
            if set.contains("d") {
                let _ = set.execute("d", &data, &FixedEnv);
            }
        }
    }
    // The generator must reach the executor often enough to mean something.
    assert!(parsed > 1_000, "only {parsed} texts parsed");
    assert!(rendered > 500, "only {rendered} texts rendered");
}
