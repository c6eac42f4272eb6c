//! Differential conformance: every case under `tests/conformance/` is rendered by our engine
//! and by real `helm template`, and the outputs must be byte-identical.
//!
//! A case file (`NAME.case`) holds optional values and a template:
//!
//! ```text
//! --- values
//! a: 1
//! --- template
//! {{ .Values.a }}
//! ```
//!
//! The template is everything after the `--- template` line, to the end of the file. Cases in
//! `tests/conformance/` must render; cases in `tests/conformance/errors/` must fail, and the
//! error must read as Helm prints it. `define` names are global across all cases (Helm parses
//! them into one chart): give them a prefix of the case's name.
//!
//! An error case also records what helm printed, in a `--- helm` section before the
//! template, written by `KCHART_BLESS=1 cargo test -p kchart-gotemplate --test conformance`
//! (one `helm template` per error case; review the diff). Without `KCHART_BLESS`, our
//! message is compared with the recorded one, and a case without a record fails.
//!
//! Successful cases run through one `helm template` process on every run: each case is a
//! partial (`templates/_NAME.tpl`) included by a wrapper that base64-encodes its exact output,
//! so that Helm's YAML handling cannot touch it; the data is `dict "Values" <the case's
//! values>`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use kchart_gotemplate::func::FixedEnv;
use kchart_gotemplate::{FuncMap, Map, TemplateSet, Value, helm_parse_order};

struct Case {
    name: String,
    path: PathBuf,
    values: String,
    /// What helm printed for an error case, as recorded.
    helm: Option<String>,
    template: String,
}

fn cases_in(dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("case name")
            .to_owned();
        cases.push(parse_case(&name, &path, &text));
    }
    cases
}

fn parse_case(name: &str, path: &Path, text: &str) -> Case {
    let Some((head, template)) = text.split_once("--- template\n") else {
        panic!("case {name}: no `--- template` line");
    };
    let (head, helm) = match head.split_once("--- helm\n") {
        Some((head, helm)) => (
            head,
            Some(helm.strip_suffix('\n').unwrap_or(helm).to_owned()),
        ),
        None => (head, None),
    };
    let values = head
        .split_once("--- values\n")
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    assert!(
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "case name {name:?}: use letters, digits, '-' and '_'"
    );
    Case {
        name: name.to_owned(),
        path: path.to_owned(),
        values,
        helm,
        template: template.to_owned(),
    }
}

/// Writes a case back with helm's message recorded.
fn record(case: &Case, message: &str) {
    let mut text = String::new();
    if !case.values.is_empty() {
        text.push_str("--- values\n");
        text.push_str(&case.values);
    }
    text.push_str("--- helm\n");
    text.push_str(message);
    text.push('\n');
    text.push_str("--- template\n");
    text.push_str(&case.template);
    std::fs::write(&case.path, text)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", case.path.display()));
}

/// A values file as Helm reads it: YAML through JSON, so every number is a float64.
fn yaml_to_value(yaml: &serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match yaml {
        Y::Null => Value::Nil,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => Value::Float(n.as_f64().expect("a number")),
        Y::String(s) => Value::from(s.as_str()),
        Y::Sequence(items) => Value::list(items.iter().map(yaml_to_value).collect()),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s.clone(),
                    other => serde_yaml_ng::to_string(other)
                        .expect("a key")
                        .trim()
                        .to_owned(),
                };
                out.insert(key, yaml_to_value(v));
            }
            Value::map(out)
        }
        Y::Tagged(tagged) => yaml_to_value(&tagged.value),
    }
}

fn values_of(case: &Case) -> Value {
    if case.values.trim().is_empty() {
        return Value::map(Map::new());
    }
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&case.values)
        .unwrap_or_else(|e| panic!("case {}: bad values: {e}", case.name));
    match yaml_to_value(&yaml) {
        Value::Nil => Value::map(Map::new()),
        v => v,
    }
}

/// The data as a host passes it: maps shared ([`Value::into_shared`]), because Go's maps
/// are references that Sprig's `set`, `unset` and `merge` change in place, and charts read
/// those changes later (in the same template, an `include`, or another template).
fn data_with_values(values: Value) -> Value {
    let mut top = Map::new();
    top.insert("Values".to_owned(), values);
    Value::map(top).into_shared()
}

fn helm() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let output = Command::new("bash")
        .arg(root.join("../shared/tools/peers.sh"))
        .current_dir(root)
        .output()
        .expect("run ../shared/tools/peers.sh (the real helm is required for this test)");
    assert!(
        output.status.success(),
        "../shared/tools/peers.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dir = String::from_utf8(output.stdout).expect("peers.sh prints a path");
    let helm = PathBuf::from(dir.trim()).join("helm");
    assert!(helm.exists(), "no helm at {}", helm.display());
    helm
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dir");
    std::fs::write(path, text).expect("write file");
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect::<String>()
}

/// Renders every successful case with one `helm template`; returns case name → output.
fn helm_outputs(cases: &[Case]) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let chart = dir.path().join("conf");
    write(
        &chart.join("Chart.yaml"),
        "apiVersion: v2\nname: conf\nversion: 0.1.0\n",
    );
    let mut values = String::new();
    for case in cases {
        if case.values.trim().is_empty() {
            values.push_str(&format!("{}: {{}}\n", case.name));
        } else {
            values.push_str(&format!("{}:\n{}", case.name, indent(&case.values)));
        }
        write(
            &chart.join(format!("templates/_{}.tpl", case.name)),
            &case.template,
        );
        write(
            &chart.join(format!("templates/{}.yaml", case.name)),
            &format!(
                "{{{{ $d := dict \"Values\" (index .Values \"{n}\") }}}}out: {{{{ include \"conf/templates/_{n}.tpl\" $d | b64enc | quote }}}}\n",
                n = case.name
            ),
        );
    }
    write(&chart.join("values.yaml"), &values);
    let output = Command::new(helm())
        .args(["template", "rel"])
        .arg(&chart)
        .output()
        .expect("run helm template");
    assert!(
        output.status.success(),
        "helm template failed on the conformance chart: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8 output");
    let mut outputs = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in stdout.lines() {
        if let Some(source) = line.strip_prefix("# Source: conf/templates/") {
            current = source.strip_suffix(".yaml").map(str::to_owned);
        } else if let (Some(name), Some(encoded)) = (&current, line.strip_prefix("out: ")) {
            let encoded = encoded.trim_matches('"');
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .expect("base64 from helm");
            outputs.insert(
                name.clone(),
                String::from_utf8(bytes).expect("utf-8 case output"),
            );
            current = None;
        }
    }
    outputs
}

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

#[test]
fn cases_render_exactly_as_helm_renders_them() {
    let cases = cases_in(&conformance_dir());
    assert!(!cases.is_empty(), "no conformance cases");
    // Ours: all cases in one set, parsed in Helm's order, as Helm does.
    let mut set = TemplateSet::new(FuncMap::helm());
    let mut names: Vec<String> = cases
        .iter()
        .map(|c| format!("conf/templates/_{}.tpl", c.name))
        .collect();
    helm_parse_order(&mut names);
    let by_name: BTreeMap<String, &Case> = cases
        .iter()
        .map(|c| (format!("conf/templates/_{}.tpl", c.name), c))
        .collect();
    for name in &names {
        set.parse(name, &by_name[name].template)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let helm = helm_outputs(&cases);
    let mut failures = Vec::new();
    for case in &cases {
        let name = format!("conf/templates/_{}.tpl", case.name);
        let ours = set.execute(&name, &data_with_values(values_of(case)), &FixedEnv);
        let theirs = helm.get(&case.name);
        match (ours, theirs) {
            (Ok(ours), Some(theirs)) if ours == *theirs => {}
            (ours, theirs) => failures.push(format!(
                "case {}:\n  ours: {:?}\n  helm: {:?}",
                case.name,
                ours.map_err(|e| e.to_string()),
                theirs
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from helm:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Helm's message for a failing template: `Error: ` stripped, and the hint it appends.
fn helm_error(helm: &Path, case: &Case) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let chart = dir.path().join("conf");
    write(
        &chart.join("Chart.yaml"),
        "apiVersion: v2\nname: conf\nversion: 0.1.0\n",
    );
    write(&chart.join("values.yaml"), &case.values);
    write(
        &chart.join(format!("templates/{}.yaml", case.name)),
        &case.template,
    );
    let output = Command::new(helm)
        .args(["template", "rel"])
        .arg(&chart)
        .output()
        .expect("run helm template");
    if output.status.success() {
        return format!("(rendered) {:?}", String::from_utf8_lossy(&output.stdout));
    }
    let stderr = String::from_utf8(output.stderr).expect("utf-8 stderr");
    let message = stderr.strip_prefix("Error: ").unwrap_or(&stderr);
    let message = message
        .split("\n\nUse --debug flag")
        .next()
        .unwrap_or(message);
    message.trim_end().to_owned()
}

#[test]
fn error_cases_fail_exactly_as_helm_fails() {
    let cases = cases_in(&conformance_dir().join("errors"));
    assert!(!cases.is_empty(), "no error cases");
    if std::env::var_os("KCHART_BLESS").is_some() {
        bless(&cases);
        return;
    }
    let mut failures = Vec::new();
    for case in &cases {
        let Some(theirs) = &case.helm else {
            failures.push(format!(
                "case {}: no recorded helm message (KCHART_BLESS=1 records it)",
                case.name
            ));
            continue;
        };
        let ours = our_error(case);
        // Helm's message is compared as printed, without the spaces ending its last line.
        if ours.trim_end() != theirs {
            failures.push(format!(
                "case {}:\n  ours: {ours}\n  helm: {theirs}",
                case.name
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} error cases differ from helm:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn our_error(case: &Case) -> String {
    let name = format!("conf/templates/{}.yaml", case.name);
    let mut set = TemplateSet::new(FuncMap::helm());
    match set.parse(&name, &case.template) {
        Err(e) => e.helm_message(),
        Ok(()) => match set.render(&name, &data_with_values(values_of(case)), &FixedEnv) {
            Err(e) => e.helm_message(),
            Ok(out) => format!("(rendered) {out:?}"),
        },
    }
}

/// Runs helm on every error case (a few at a time) and records its messages.
fn bless(cases: &[Case]) {
    let helm = helm();
    let results: Vec<(usize, String)> = std::thread::scope(|scope| {
        let chunk = cases.len().div_ceil(4).max(1);
        let handles: Vec<_> = cases
            .chunks(chunk)
            .enumerate()
            .map(|(n, part)| {
                let helm = &helm;
                scope.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(i, c)| (n * chunk + i, helm_error(helm, c)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("helm thread"))
            .collect()
    });
    for (i, message) in results {
        assert!(
            !message.starts_with("(rendered)"),
            "case {}: helm rendered it, but it is an error case: {message}",
            cases[i].name
        );
        record(&cases[i], &message);
    }
}
