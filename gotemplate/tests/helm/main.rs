//! The encoding functions against real `helm template` (v4, from `../shared/tools/peers.sh`):
//! every case goes through Helm in one chart and one `helm template` run, and through our
//! functions, and the outputs must be byte-identical.
//!
//! Values reach Helm as a values file written in JSON (valid YAML), so Helm decodes them
//! exactly as [`NumberMode::ValuesFile`] does: strings verbatim, every number a `float64`.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use kchart_gotemplate::encoding::convert::{NumberMode, from_json};
use kchart_gotemplate::func::FixedEnv;
use kchart_gotemplate::{Args, Value};
use serde_json::{Value as Json, json};

/// The folder with real `helm`; fails loudly when it cannot be had.
fn helm() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tools/peers.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", script.display()));
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("helm")
}

/// JSON text that go-yaml reads back as the same value: JSON is YAML, but raw line
/// separators and C1 controls inside strings are not, so everything outside printable
/// ASCII is escaped (YAML's `\U` for characters outside the BMP).
fn yaml_safe_json(value: &Json) -> String {
    let mut out = String::new();
    for c in value.to_string().chars() {
        match c {
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out
}

/// One call: a template function (by the name of a `define` in the chart) and its input.
pub struct Case {
    pub func: &'static str,
    pub input: Json,
}

/// Renders every case through real Helm in one `helm template` run; returns the outputs.
fn run_helm(cases: &[Case]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let chart = dir.path().join("enc");
    std::fs::create_dir_all(chart.join("templates")).expect("chart dir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: enc\nversion: 0.1.0\n",
    )
    .expect("Chart.yaml");
    let values = json!({
        "cases": cases.iter().map(|c| json!({"f": c.func, "v": c.input})).collect::<Vec<_>>()
    });
    std::fs::write(chart.join("values.yaml"), yaml_safe_json(&values)).expect("values");
    // Each output goes out base64-encoded, so whatever it holds, the manifest stays YAML.
    let template = r#"{{- define "call" -}}
{{- $f := index . 0 -}}{{- $v := index . 1 -}}
{{- if eq $f "toYaml" }}{{ toYaml $v }}
{{- else if eq $f "mustToYaml" }}{{ mustToYaml $v }}
{{- else if eq $f "toYamlWithKeyOfLength" }}{{ toYaml (dict (repeat (int $v) "k") 1) }}
{{- else if eq $f "toYamlPretty" }}{{ toYamlPretty $v }}
{{- else if eq $f "toJson" }}{{ toJson $v }}
{{- else if eq $f "toPrettyJson" }}{{ toPrettyJson $v }}
{{- else if eq $f "toRawJson" }}{{ toRawJson $v }}
{{- else if eq $f "toToml" }}{{ toToml $v }}
{{- else if eq $f "fromYaml|toYaml" }}{{ fromYaml $v | toYaml }}
{{- else if eq $f "fromYaml|toYamlPretty" }}{{ fromYaml $v | toYamlPretty }}
{{- else if eq $f "fromYaml|toJson" }}{{ fromYaml $v | toJson }}
{{- else if eq $f "fromYaml|toPrettyJson" }}{{ fromYaml $v | toPrettyJson }}
{{- else if eq $f "fromYaml|toToml" }}{{ fromYaml $v | toToml }}
{{- else if eq $f "fromYaml" }}{{ fromYaml $v | toJson }}
{{- else if eq $f "fromYamlArray" }}{{ fromYamlArray $v | toJson }}
{{- else if eq $f "fromJson" }}{{ fromJson $v | toJson }}
{{- else if eq $f "fromJsonArray" }}{{ fromJsonArray $v | toJson }}
{{- else if eq $f "fromToml" }}{{ fromToml $v | toJson }}
{{- else }}{{ fail (printf "unknown function %s" $f) }}{{ end -}}
{{- end -}}
{{- range $i, $c := .Values.cases }}
c{{ $i }}: {{ include "call" (list $c.f $c.v) | b64enc | quote }}
{{- end }}
"#;
    std::fs::write(chart.join("templates/cases.yaml"), template).expect("template");
    let out = Command::new(helm())
        .args(["template", "x"])
        .arg(&chart)
        .output()
        .expect("run helm template");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "helm template failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_outputs(&stdout, cases.len())
}

/// Ours, for one case: the registered template function, called as the executor calls it.
fn ours(case: &Case) -> String {
    let mut input: Value = from_json(&case.input, NumberMode::ValuesFile);
    if case.func == "toYamlWithKeyOfLength" {
        let n = case.input.as_u64().unwrap_or(0) as usize;
        let mut map = kchart_gotemplate::Map::new();
        map.insert("k".repeat(n), Value::Float(1.0));
        input = Value::map(map);
    }
    if let Some((first, then)) = case.func.split_once('|') {
        let out = call(then, call(first, input));
        return out
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{then} returned {out:?}"));
    }
    let (name, then_json) = match case.func {
        "toYamlWithKeyOfLength" => ("toYaml", false),
        f @ ("fromYaml" | "fromYamlArray" | "fromJson" | "fromJsonArray" | "fromToml") => (f, true),
        f => (f, false),
    };
    let out = call(name, input);
    let out = if then_json { call("toJson", out) } else { out };
    match out {
        Value::String(s) => s.to_string(),
        other => panic!("{name} returned {other:?}"),
    }
}

fn call(name: &str, arg: Value) -> Value {
    let functions = kchart_gotemplate::encoding::functions();
    let def = functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no function {name}"));
    (def.func)(&Args::new(&[arg], &FixedEnv)).unwrap_or_else(|err| panic!("{name}: {err}"))
}

/// Runs `cases` through both; all must match, except the `known` differences, which must
/// still differ (so the list cannot go stale).
fn check(mut cases: Vec<Case>, known: &[(&'static str, &'static str)]) {
    let checked = cases.len();
    for (func, input) in known {
        cases.push(Case {
            func,
            input: json!(input),
        });
    }
    let theirs = run_helm(&cases);
    for (case, expected) in cases[checked..].iter().zip(&theirs[checked..]) {
        assert_ne!(
            &ours(case),
            expected,
            "{} {} is listed as a known difference but now matches helm",
            case.func,
            case.input
        );
    }
    let mut failures = Vec::new();
    for (case, expected) in cases[..checked].iter().zip(&theirs) {
        let got = ours(case);
        if &got != expected {
            failures.push(format!(
                "{} {}\n  helm: {expected:?}\n  ours: {got:?}",
                case.func, case.input
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from helm:\n{}",
        failures.len(),
        checked,
        failures.join("\n")
    );
}

mod cases;

/// Every encoding function on every case (encoders on all value shapes, decoders on valid
/// and broken documents, TOML both ways, and every `values*.yaml` of the shared real
/// charts through `fromYaml` and each encoder) in one `helm template` run.
#[test]
fn functions_match_helm() {
    let mut all = cases::encoder_cases();
    all.extend(cases::decoder_cases());
    all.extend(cases::toml_cases());
    all.extend(real_values_cases());
    check(all, cases::KNOWN_DIFFERENCES);
}

/// Every `values*.yaml` under `../shared/data/helm-charts`, read the way Helm reads a values
/// file (`fromYaml` is the same `sigs.k8s.io/yaml` call as `LoadValues`) and printed with
/// each encoder.
fn real_values_cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/helm-charts");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                dirs.push(path);
            } else if name.starts_with("values") && name.ends_with(".yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 20,
        "expected the shared charts under {}",
        root.display()
    );
    let mut cases = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("values file");
        for func in [
            "fromYaml|toYaml",
            "fromYaml|toYamlPretty",
            "fromYaml|toJson",
            "fromYaml|toPrettyJson",
            "fromYaml|toToml",
        ] {
            cases.push(Case {
                func,
                input: json!(text),
            });
        }
    }
    cases
}

/// `.Chart`, `.Files` and `.Capabilities` against real Helm: what templates print of
/// them (through the encoders and `%v`) must be byte-identical, for one chart rendered with
/// `--kube-version` and `--api-versions`, in one `helm template` run.
#[test]
fn builtin_objects_match_helm() {
    use kchart_gotemplate::helm::{Capabilities, ChartMetadata, Files};

    let dir = tempfile::tempdir().expect("temp dir");
    let chart = dir.path().join("objects");
    let chart_yaml = r#"apiVersion: v2
name: objects
version: 0.1.0
appVersion: 1.10
description: "a   test	chart\u00a0with\u200bcontrols"
keywords: [a, b, 1.5]
home: https://example.com
sources: [https://s1]
maintainers:
  - name: Jo
    email: jo@example.com
    url: https://jo
  - name: Al
annotations:
  z: 1
  a.b/c: x
kubeVersion: ">=1.20"
deprecated: yes
Type: application
"#;
    let files: &[(&str, &[u8])] = &[
        ("files/a.txt", b"hello\nworld\n"),
        ("files/b.txt", b"no newline"),
        ("files/empty.txt", b""),
        ("files/nl.txt", b"\n\n"),
        ("files/sub/c.yaml", b"x: 1\nlong: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp\n"),
        ("files/tabs.conf", b"key\tvalue\n\tindented\n"),
        ("secrets/s.txt", b"s3cr3t"),
        // Two files with one base name would make AsConfig/AsSecrets pick one at random in Go.
        ("other/t.txt", b"another folder"),
    ];
    for (path, data) in files {
        let path = chart.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(path, data).expect("file");
    }
    std::fs::create_dir_all(chart.join("templates")).expect("templates");
    std::fs::write(chart.join("Chart.yaml"), chart_yaml).expect("Chart.yaml");
    let expressions: &[&str] = &[
        "toYaml .Chart",
        "toJson .Chart",
        "toYamlPretty .Chart",
        "printf \"%v\" .Chart",
        "toYaml .Capabilities",
        "toJson .Capabilities",
        "printf \"%v\" .Capabilities",
        "printf \"%v\" .Capabilities.KubeVersion",
        "printf \"%v\" .Capabilities.HelmVersion",
        "printf \"%v\" .Capabilities.APIVersions",
        "toJson .Capabilities.KubeVersion",
        "toYaml (.Files.Glob \"files/**\")",
        "toJson (.Files.Glob \"**.txt\")",
        "printf \"%v\" (.Files.Glob \"files/{a,b}.txt\")",
        "(.Files.Glob \"files/**\").AsConfig",
        "(.Files.Glob \"**s.txt\").AsSecrets",
        "(.Files.Glob \"nothing/*\").AsConfig",
        "printf \"%v\" (.Files.Lines \"files/a.txt\")",
        "printf \"%v\" (.Files.Lines \"files/nl.txt\")",
        ".Files.Get \"files/sub/c.yaml\"",
        "printf \"%v\" (.Files.GetBytes \"files/b.txt\")",
        "toYamlPretty (.Files.Glob \"files/*.txt\")",
        "toToml (.Files.Glob \"files/*.txt\")",
        "toPrettyJson (.Files.Glob \"secrets/*\")",
        "toPrettyJson .Capabilities",
        "toPrettyJson (list .Capabilities.HelmVersion (.Files.Glob \"secrets/*\"))",
    ];
    let mut template = String::from("{{- define \"out\" }}{{ . | b64enc | quote }}{{ end }}\n");
    for (i, expression) in expressions.iter().enumerate() {
        template.push_str(&format!("c{i}: {{{{ include \"out\" ({expression}) }}}}\n"));
    }
    std::fs::write(chart.join("templates/objects.yaml"), template).expect("template");
    let out = Command::new(helm())
        .args(["template", "x", "--kube-version", "1.33.4-gke.1245000"])
        .args([
            "--api-versions",
            "foo/v1",
            "--api-versions",
            "apps/v1/Deployment",
        ])
        .arg(&chart)
        .output()
        .expect("run helm template");
    assert!(
        out.status.success(),
        "helm template failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = parse_outputs(&String::from_utf8_lossy(&out.stdout), expressions.len());

    // Ours: the same objects built from the same inputs.
    let metadata = ChartMetadata::from_yaml(chart_yaml).expect("Chart.yaml");
    let dot_chart = metadata.to_value(true);
    let mut caps =
        Capabilities::helm_template_default(&["foo/v1".into(), "apps/v1/Deployment".into()]);
    caps.kube_version =
        kchart_gotemplate::helm::KubeVersion::parse("1.33.4-gke.1245000").expect("kube version");
    let caps = caps.into_value();
    let dot_files = Files::new(files.iter().map(|(p, d)| ((*p).to_owned(), d.to_vec())));
    let field = |v: &Value, name: &str| match v {
        Value::Object(o) => o.field(name).expect("field"),
        _ => panic!("not an object"),
    };
    let method = |v: &Files, name: &str, arg: Option<&str>| {
        let args: Vec<Value> = arg.map(Value::from).into_iter().collect();
        kchart_gotemplate::Object::method(v, name, &args)
            .expect("method")
            .expect("method call")
    };
    let glob = |p: &str| dot_files.glob(p);
    let s = |v: Value| {
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_string())
    };
    let ours: Vec<String> = vec![
        s(call("toYaml", dot_chart.clone())),
        s(call("toJson", dot_chart.clone())),
        s(call("toYamlPretty", dot_chart.clone())),
        dot_chart.to_string(),
        s(call("toYaml", caps.clone())),
        s(call("toJson", caps.clone())),
        caps.to_string(),
        field(&caps, "KubeVersion").to_string(),
        field(&caps, "HelmVersion").to_string(),
        field(&caps, "APIVersions").to_string(),
        s(call("toJson", field(&caps, "KubeVersion"))),
        s(call("toYaml", glob("files/**").into_value())),
        s(call("toJson", glob("**.txt").into_value())),
        glob("files/{a,b}.txt").into_value().to_string(),
        s(method(&glob("files/**"), "AsConfig", None)),
        s(method(&glob("**s.txt"), "AsSecrets", None)),
        s(method(&glob("nothing/*"), "AsConfig", None)),
        method(&dot_files, "Lines", Some("files/a.txt")).to_string(),
        method(&dot_files, "Lines", Some("files/nl.txt")).to_string(),
        s(method(&dot_files, "Get", Some("files/sub/c.yaml"))),
        method(&dot_files, "GetBytes", Some("files/b.txt")).to_string(),
        s(call("toYamlPretty", glob("files/*.txt").into_value())),
        s(call("toToml", glob("files/*.txt").into_value())),
        s(call("toPrettyJson", glob("secrets/*").into_value())),
        s(call("toPrettyJson", caps.clone())),
        s(call(
            "toPrettyJson",
            Value::list(vec![
                field(&caps, "HelmVersion"),
                glob("secrets/*").into_value(),
            ]),
        )),
    ];
    let mut failures = Vec::new();
    for ((expression, expected), got) in expressions.iter().zip(&theirs).zip(&ours) {
        if expected != got {
            failures.push(format!(
                "{expression}\n  helm: {expected:?}\n  ours: {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "differ from helm:\n{}",
        failures.join("\n")
    );
}

/// `cN: "base64"` lines of a `helm template` output, decoded, by N.
fn parse_outputs(stdout: &str, n: usize) -> Vec<String> {
    let mut outputs = vec![String::new(); n];
    for line in stdout.lines() {
        let Some((key, value)) = line.split_once(": ") else {
            continue;
        };
        let Some(index) = key.strip_prefix('c').and_then(|i| i.parse::<usize>().ok()) else {
            continue;
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value.trim().trim_matches('"'))
            .expect("helm output is base64");
        outputs[index] = String::from_utf8(bytes).expect("helm output is UTF-8");
    }
    outputs
}
