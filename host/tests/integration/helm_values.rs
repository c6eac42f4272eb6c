//! `kubectl chart values` against real helm: for each set of value flags, the values a
//! template sees under `helm template` (printed with `toJson .Values`) must equal what
//! `kubectl-chart values -o json` prints, and the two must fail together.
//!
//! helm comes from `../shared/tools/peers.sh`; without it this test fails, never skips.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const CHART_YAML: &str = "apiVersion: v2\nname: c\nversion: 0.1.0\n";

/// A Go template: this file is read by helm only (`values` never renders).
const TEMPLATE: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: values
data:
  values: {{ toJson .Values | quote }}
";

const DEFAULTS: &str = "\
a: 1
m: {x: 1, yy: {z: 2}, nn: null, deep: {a: {b: 1}}}
l: [1, 2]
nl: null
s: str
yaml11:
  b1: yes
  b2: Off
  b3: y
  b4: 'yes'
  hex: 0x1F
  oct: 010
  oct2: 0o17
  under: 1_000
  flt: 1e3
  flt2: 1.0
  flt3: 1.5e-7
  big: 12345678901234567890
  max: 9223372036854775807
  ts: 2001-12-14
  tilde: ~
  bad: 08
  dot: .5
  neg: -0x10
  str: !!str 10
  block: |
    on
yes: key
010: octal key
base: &b {k1: 1, k2: 2}
merged:
  <<: *b
  k2: 3
multi: doc1
---
multi: doc2
doc2only: {a: 1}
";

const FILES: &[(&str, &str)] = &[
    ("f1.yaml", "a: 5\nm: {x: 10}\n"),
    ("f2.yaml", "a: 6\nb: [1]\n---\nc: 1\nm: {x: 20, w: 1}\n"),
    (
        "f3.yaml",
        "m:\n  deep: null\n  yy:\n    z: null\n    w: null\n",
    ),
    ("list.yaml", "l: [7, 8]\n"),
    (
        "yaml11.yaml",
        "u: {on: off, n: NO, int: 0b101, f: .5e1, s: \"0x10\"}\n",
    ),
    ("content.txt", "hello\nworld\n"),
];

struct Case<'a> {
    args: &'a [&'a str],
    stdin: &'a str,
}

const fn case(args: &'static [&'static str]) -> Case<'static> {
    Case { args, stdin: "" }
}

const CASES: &[Case<'static>] = &[
    case(&[]),
    case(&["--set", "a=True,b=TRUE,c=false,d=NULL,e=null"]),
    case(&[
        "--set",
        "c=0,d=00,e=007,f=-5,g=+5,h=1.5,i=1e3,j=0x10,k=9223372036854775808,k2=-9223372036854775808",
    ]),
    case(&[
        "--set",
        "a=12345678901234567890",
        "--set-json",
        "b=12345678901234567890",
    ]),
    case(&["--set", "a="]),
    case(&["--set", "a=x=y"]),
    case(&["--set", "a= spaced "]),
    case(&["--set", "m=null"]),
    case(&["--set", "m.x=null"]),
    case(&["--set", "newkey=null"]),
    case(&["--set", "m.new=null"]),
    case(&["--set", "nl.x=1"]),
    case(&["--set", "m=5"]),
    case(&["--set", "s.x=1"]),
    case(&["--set", "m.yy=5"]),
    case(&["--set", "m.x.q=1"]),
    case(&["--set", "m.deep.a=null", "--set", "m.deep.c=null"]),
    case(&["--set", "l[3]=x"]),
    case(&["--set", "l[0].a=1"]),
    case(&["--set", "q[1][2]=x"]),
    case(&["--set", "x={a,b,c}"]),
    case(&["--set", "x={}"]),
    case(&["--set", "x={1, true ,null},y=2"]),
    case(&["--set", r"a\.b=1,c\,d=2,e\=f=3"]),
    case(&["--set", r"a=b\,c"]),
    case(&["--set", "z[1]"]),
    case(&["--set", "z[0]=1,z[0].b=2"]),
    case(&["--set", "z[1].b=1,z[0].c=2"]),
    case(&["--set", "z[0]=1", "--set", "z[2]=3"]),
    case(&["--set", ".a=1", "--set", "=2", "--set", "a."]),
    case(&["--set", "a.b.c.d.e.f=deep"]),
    case(&["--set-string", "x={a,true,3},y=5,z=null,w="]),
    case(&["--set", "a=1", "--set-json", "a=2"]),
    case(&["--set-string", "a=s", "--set", "a=1"]),
    case(&["--set-literal", "a=lit,x=y", "--set-file", "a=content.txt"]),
    case(&["--set-file", "a=content.txt", "--set-string", "a=s"]),
    case(&["--set-file", "a=content.txt,b[1]=content.txt"]),
    case(&["-f", "f2.yaml", "-f", "f1.yaml"]),
    case(&["-f", "f1.yaml,f2.yaml"]),
    case(&["-f", "f3.yaml"]),
    case(&["-f", "f3.yaml", "--set", "m.yy.z=3"]),
    case(&["-f", "list.yaml", "--set", "l[1]=9"]),
    case(&["-f", "yaml11.yaml"]),
    case(&["-f", "f1.yaml", "--set-json", r#"{"a":{"x":1}}"#]),
    Case {
        args: &["-f", "f1.yaml", "-f", "-", "--set", "s=set"],
        stdin: "a: from-stdin\ns: stdin\nyes: no\n",
    },
    case(&["--set-json", r#"x={"b":1.0,"c":[1,2.5,null]}"#]),
    case(&["--set-json", r#"{"m":{"q":1},"y2":2}"#]),
    case(&["--set-json", r#"m={"q":1}"#]),
    case(&["--set-json", "x=[1,2],y=3"]),
    case(&["--set-json", "x="]),
    case(&["--set-json", "a.b[1]=true"]),
    case(&["--set-json", r#"x= {"a":1} , y=2"#]),
    case(&["--set-json", "a=1 b=2"]),
    case(&["--set-json", r#"a=[1]x=2,c="s""#]),
    case(&["--set-literal", r"a.b[0]=x,y\,z{}"]),
    case(&["--set-literal", "l[1]=true"]),
    // Errors: both must fail (the last ERROR_CASES cases).
    case(&["--set", "a.b[x]=1"]),
    case(&["--set", "a[65537]=1"]),
    case(&["--set", "a[-1]=1"]),
    case(&["--set", "a.=1"]),
    case(&["--set", "x={a}y"]),
    case(&["--set", "x={a,b"]),
    case(&["--set", "novalue"]),
    case(&["--set", "a=1", "--set", "a.b=2"]),
    case(&["--set-json", "x={bad"]),
    case(&["--set-json", "{bad"]),
    case(&["--set-file", "a=missing.txt"]),
    case(&["--set-literal", "a"]),
    case(&["-f", "missing.yaml"]),
];

/// How many cases at the end of `CASES` are errors; every other case must succeed.
const ERROR_CASES: usize = 13;

fn helm() -> PathBuf {
    crate::support::peers().join("helm")
}

fn run(program: &Path, args: &[&str], dir: &Path, stdin: &str) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", program.display()));
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for child")
}

/// The values helm's template saw, or `None` when helm failed.
fn helm_values(helm: &Path, dir: &Path, case: &Case<'_>) -> Result<Value, String> {
    let mut args = vec!["template", "r", "chart"];
    args.extend(case.args);
    let output = run(helm, &args, dir, case.stdin);
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let doc: Value = kubectl_chart::yaml::from_str(&text)
        .unwrap_or_else(|err| panic!("helm printed YAML we cannot read ({err}):\n{text}"));
    let json = doc["data"]["values"]
        .as_str()
        .unwrap_or_else(|| panic!("no data.values in helm's output:\n{text}"));
    Ok(serde_json::from_str(json).expect("helm's toJson is JSON"))
}

fn our_values(dir: &Path, case: &Case<'_>) -> Result<Value, String> {
    let mut args = vec!["values", "chart", "-o", "json"];
    args.extend(case.args);
    let output = run(
        Path::new(env!("CARGO_BIN_EXE_kubectl-chart")),
        &args,
        dir,
        case.stdin,
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
        return Err(stderr);
    }
    Ok(serde_json::from_slice(&output.stdout).expect("values -o json prints JSON"))
}

#[test]
fn values_match_helm_template() {
    let helm = helm();
    let dir = tempfile::tempdir().expect("temp dir");
    let chart = dir.path().join("chart");
    std::fs::create_dir_all(chart.join("templates")).expect("chart dir");
    std::fs::write(chart.join("Chart.yaml"), CHART_YAML).expect("write");
    std::fs::write(chart.join("values.yaml"), DEFAULTS).expect("write");
    std::fs::write(chart.join("templates/values.yaml"), TEMPLATE).expect("write");
    for (name, text) in FILES {
        std::fs::write(dir.path().join(name), text).expect("write");
    }

    let threads = 4;
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|worker| {
                let (helm, dir) = (&helm, dir.path());
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    let cases = CASES.iter().enumerate().skip(worker).step_by(threads);
                    for (index, case) in cases {
                        let theirs = helm_values(helm, dir, case);
                        let ours = our_values(dir, case);
                        let should_fail = index >= CASES.len() - ERROR_CASES;
                        match (&theirs, &ours) {
                            (Ok(a), Ok(b)) if a == b && !should_fail => {}
                            (Err(_), Err(_)) if should_fail => {}
                            _ => failures.push(format!(
                                "{:?} (stdin {:?}):\n  helm: {}\n  ours: {}",
                                case.args,
                                case.stdin,
                                show(&theirs),
                                show(&ours)
                            )),
                        }
                    }
                    failures
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker thread"))
            .collect()
    });
    assert!(CASES.len() >= 40);
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from helm:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

fn show(result: &Result<Value, String>) -> String {
    match result {
        Ok(value) => serde_json::to_string(value).unwrap_or_default(),
        Err(err) => format!("error: {}", err.trim()),
    }
}

#[test]
fn errors_name_the_flag_and_the_part() {
    let dir = tempfile::tempdir().expect("temp dir");
    let chart = dir.path().join("chart");
    std::fs::create_dir_all(&chart).expect("chart dir");
    std::fs::write(chart.join("Chart.yaml"), CHART_YAML).expect("write");
    std::fs::write(
        chart.join("values.schema.json"),
        r#"{"type":"object","properties":{"image":{"type":"object","properties":{"tag":{"type":"string"}}},"replicas":{"type":"integer"}}}"#,
    )
    .expect("write");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--set", "a.b[x]=1"],
            r#"error: --set "a.b[x]=1": error parsing index: `x` is not an integer"#,
        ),
        (
            &["--set-file", "a=nope.txt"],
            r#"error: --set-file "a=nope.txt": cannot read `nope.txt`"#,
        ),
        (
            &["-f", "nope.yaml"],
            "error: failed to read values file `nope.yaml`",
        ),
        (
            &["--set", "image.tag=1,replicas=x"],
            // One line (Helm prints a list; errors here stay one line).
            "values.schema.json): at '/image/tag': 1 is not of type \"string\"; at '/replicas': \"x\" is not of type \"integer\"",
        ),
    ];
    for (args, expected) in cases {
        let case = Case { args, stdin: "" };
        let err = our_values(dir.path(), &case).expect_err("should fail");
        assert!(
            err.contains(expected),
            "{args:?}: {err:?} lacks {expected:?}"
        );
    }
}
