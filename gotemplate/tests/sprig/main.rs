//! Sprig through the template engine, against real `helm template` (v4, from
//! `../shared/tools/peers.sh`): every expression of `cases.rs` is parsed and executed by a
//! [`TemplateSet`] with Helm's function map, as a chart's template would be, so that the
//! engine's argument conversion, method calls, pipelines and error reporting are tested
//! with the library's real functions.
//!
//! - Outputs: all expressions go through one `helm template` run (each printed with `%v`,
//!   base64-encoded so that YAML cannot touch it); ours must equal helm's, and the
//!   recorded output must too (else the record is stale).
//! - Errors: helm stops at the first, so the recorded messages stand for helm here (a
//!   sample also runs as conformance error cases, which check Helm's whole message); ours
//!   must fail in the same function with the same message.

mod cases;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use base64::Engine as _;
use kchart_gotemplate::func::FixedEnv;
use kchart_gotemplate::{CallCause, Env, Error, FuncMap, Map, TemplateSet, Value};

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
    let helm = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("helm");
    assert!(helm.exists(), "no helm at {}", helm.display());
    helm
}

/// UTC as the local zone (helm runs with `TZ=UTC`), a fixed clock, and a deterministic
/// random stream that is not all zeros (the recorded random cases check shapes only).
struct TestEnv(Mutex<u64>);

impl Env for TestEnv {
    fn now(&self) -> (i64, u32) {
        FixedEnv.now()
    }

    fn random(&self, buf: &mut [u8]) {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for chunk in buf.chunks_mut(8) {
            // splitmix64
            *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }
}

fn env() -> TestEnv {
    TestEnv(Mutex::new(1))
}

/// The text of case `i`, as our set and helm's chart both hold it.
fn template(expression: &str) -> String {
    format!("{{{{ printf \"%v\" ({expression}) }}}}")
}

/// What helm printed for every expression, in one run.
fn helm_outputs(expressions: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let chart = dir.path().join("sprig");
    std::fs::create_dir_all(chart.join("templates")).expect("chart dir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: sprig\nversion: 0.1.0\n",
    )
    .expect("Chart.yaml");
    let mut text = String::new();
    for (i, expression) in expressions.iter().enumerate() {
        text.push_str(&format!(
            "c{i}: {{{{ printf \"%v\" ({expression}) | b64enc | quote }}}}\n"
        ));
    }
    std::fs::write(chart.join("templates/cases.yaml"), text).expect("template");
    let out = Command::new(helm())
        .args(["template", "x"])
        .arg(&chart)
        .env("TZ", "UTC")
        .output()
        .expect("run helm template");
    assert!(
        out.status.success(),
        "helm template failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    let mut outputs = vec![None; expressions.len()];
    for line in stdout.lines() {
        let Some((key, encoded)) = line.split_once(": ") else {
            continue;
        };
        let Some(i) = key.strip_prefix('c').and_then(|n| n.parse::<usize>().ok()) else {
            continue;
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim_matches('"'))
            .expect("base64 from helm");
        outputs[i] = Some(String::from_utf8(bytes).expect("utf-8 case output"));
    }
    outputs
        .into_iter()
        .enumerate()
        .map(|(i, o)| o.unwrap_or_else(|| panic!("no output from helm for case {i}")))
        .collect()
}

/// A set with one template per expression, parsed as a chart's templates are.
fn our_set(expressions: &[&str]) -> TemplateSet {
    let mut set = TemplateSet::new(FuncMap::helm());
    for (i, expression) in expressions.iter().enumerate() {
        set.parse(&format!("sprig/templates/c{i}"), &template(expression))
            .unwrap_or_else(|e| panic!("{expression}: {e}"));
    }
    set
}

fn data() -> Value {
    let mut top = Map::new();
    top.insert("Values".to_owned(), Value::map(Map::new()));
    Value::map(top).into_shared()
}

#[test]
fn outputs_match_live_helm() {
    let expressions: Vec<&str> = cases::CASES.iter().map(|(e, _)| *e).collect();
    let theirs = helm_outputs(&expressions);
    let set = our_set(&expressions);
    let (env, data) = (env(), data());
    let mut failures = Vec::new();
    for (i, ((expression, recorded), helm)) in cases::CASES.iter().zip(&theirs).enumerate() {
        if recorded != helm {
            failures.push(format!(
                "{expression}\n    recorded: {recorded:?}\n    helm now: {helm:?}"
            ));
        }
        match set.execute(&format!("sprig/templates/c{i}"), &data, &env) {
            Ok(ours) if ours == *helm => {}
            Ok(ours) => failures.push(format!(
                "{expression}\n    helm: {helm:?}\n    ours: {ours:?}"
            )),
            Err(e) => failures.push(format!(
                "{expression}\n    helm: {helm:?}\n    ours failed: {e}"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases::CASES.len(),
        failures.join("\n")
    );
}

/// The function that failed and its message, when a function call failed.
fn call_failure(error: &Error) -> Option<(&str, &str)> {
    match error {
        Error::Exec(e) => match &e.cause {
            CallCause::Func { name, message } | CallCause::Warn { name, message } => {
                Some((name, message))
            }
            _ => None,
        },
        _ => None,
    }
}

#[test]
fn errors_match_helm() {
    let expressions: Vec<String> = cases::ERRORS.iter().map(|(e, _)| (*e).to_owned()).collect();
    let mut set = TemplateSet::new(FuncMap::helm());
    let (env, data) = (env(), data());
    let mut failures = Vec::new();
    for (i, (expression, expected)) in cases::ERRORS.iter().enumerate() {
        let name = format!("sprig/templates/e{i}");
        set.parse(&name, &format!("{{{{ {} }}}}", expressions[i]))
            .unwrap_or_else(|e| panic!("{expression}: {e}"));
        match set.execute(&name, &data, &env) {
            Ok(out) => failures.push(format!(
                "{expression}\n    helm: {expected:?}\n    ours rendered: {out:?}"
            )),
            Err(e) => match call_failure(&e) {
                Some((_, message)) if message.trim_end() == expected.trim_end() => {}
                _ => failures.push(format!(
                    "{expression}\n    helm: {expected:?}\n    ours: {e}"
                )),
            },
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        cases::ERRORS.len(),
        failures.join("\n")
    );
}
