//! Hostile input through the real binary: each case fails with one line naming the limit,
//! never a panic, a stack overflow (exit 134), a hang, or more memory than the cap the run
//! is given (`ulimit -v`, so a regression fails instead of eating the machine).

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{TempChart, Test, bin, example, peers};

/// Address space the capped runs get: a few hundred MiB (32 MiB render stacks included).
const MEMORY_CAP_KIB: u32 = 512 * 1024;

/// Runs `kubectl-chart ARGS` under the memory cap.
fn capped(args: &[&str]) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_CAP_KIB}; exec \"$0\" \"$@\""))
        .arg(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run under bash")
}

/// Expects exit 1 and one line of error holding every one of `parts`.
fn fails_in_one_line(output: &Output, parts: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.len() < 600, "short: {stderr}");
    for part in parts {
        assert!(stderr.contains(part), "{stderr} lacks {part}");
    }
}

fn configmap_chart() -> TempChart {
    TempChart::with_templates(
        "",
        &[(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
        )],
    )
}

fn billion_laughs() -> String {
    let mut text = format!("a0: &a0 [{}]\n", ["lol"; 9].join(", "));
    for level in 1..10 {
        let items = vec![format!("*a{}", level - 1); 9].join(", ");
        text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
    }
    text
}

#[test]
fn a_billion_laughs_is_refused_in_every_yaml_reader() {
    let bomb = billion_laughs();
    assert!(bomb.len() < 600, "a small file: {} bytes", bomb.len());
    let chart = configmap_chart();
    let values = chart.path().join("bomb.yaml");
    std::fs::write(&values, &bomb).unwrap();
    let path = chart.path().to_str().unwrap();
    fails_in_one_line(
        &capped(&["template", "r", path, "-f", values.to_str().unwrap()]),
        &["bomb.yaml` line 7: aliases expand to more than 1000000 nodes"],
    );
    // values.yaml, Chart.yaml and rendered manifests.
    let cases = [
        (
            "values.yaml",
            bomb.clone(),
            "values.yaml` line 7: aliases expand",
        ),
        (
            "Chart.yaml",
            format!("apiVersion: v2\nname: t\nversion: 0.1.0\n{bomb}"),
            "Chart.yaml` line 10: aliases expand",
        ),
        (
            "templates/cm.yaml",
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n{bomb}"),
            "t/templates/cm.yaml: rendered output is not valid YAML at line 1: aliases expand",
        ),
    ];
    for (file, text, expected) in cases {
        let chart = configmap_chart();
        std::fs::write(chart.path().join(file), text).unwrap();
        fails_in_one_line(
            &capped(&["template", "r", chart.path().to_str().unwrap()]),
            &[expected],
        );
    }
    // Helm refuses it too.
    let chart = configmap_chart();
    std::fs::write(chart.path().join("values.yaml"), &bomb).unwrap();
    let helm = Test::new()
        .program(peers().join("helm"))
        .args(["template", "r"])
        .arg(chart.path())
        .status(1)
        .run();
    helm.stderr_has(&["excessive aliasing"]);
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let chart = configmap_chart();
    let path = chart.path().to_str().unwrap();
    let deep = chart.path().join("deep.yaml");
    std::fs::write(&deep, format!("a:\n{}1\n", "- ".repeat(20_000))).unwrap();
    fails_in_one_line(
        &capped(&["template", "r", path, "-f", deep.to_str().unwrap()]),
        &["deep.yaml` line 2: maps and lists nest deeper than the limit of 100 levels"],
    );
    // Just under the limit is fine: the top map, `a`, then 98 lists.
    std::fs::write(&deep, format!("a: {}1{}\n", "[".repeat(98), "]".repeat(98))).unwrap();
    let output = capped(&["values", path, "-f", deep.to_str().unwrap(), "-o", "json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let set = format!("a{}=1", "[0]".repeat(30_000));
    fails_in_one_line(
        &capped(&["template", "r", path, "--set", &set]),
        &[
            "--set \"a[0][0]",
            "…\": maps and lists nest deeper than the limit of 100 levels",
        ],
    );
    let json = format!("a={}", "[".repeat(30_000));
    fails_in_one_line(
        &capped(&["template", "r", path, "--set-json", &json]),
        &["invalid JSON value: recursion limit exceeded"],
    );
}

#[test]
fn a_partial_that_calls_itself_is_an_error() {
    let chart = TempChart::with_templates(
        "",
        &[
            (
                "_helpers.tpl",
                "{{#*inline \"loop\"}}x{{> loop}}{{/inline}}\n{{#*inline \"ping\"}}{{#if true}}{{> pong}}{{/if}}{{/inline}}\n{{#*inline \"pong\"}}{{> ping}}{{/inline}}\n",
            ),
            ("a.yaml", "a: {{> loop}}\n"),
        ],
    );
    fails_in_one_line(
        &capped(&["template", "r", chart.path().to_str().unwrap()]),
        &[
            "t/templates/_helpers.tpl:1:",
            "partials nest more than 100 deep (at `loop`)",
        ],
    );
    std::fs::write(chart.path().join("templates/a.yaml"), "a: {{> ping}}\n").unwrap();
    fails_in_one_line(
        &capped(&["template", "r", chart.path().to_str().unwrap()]),
        &["partials nest more than 100 deep"],
    );
}

/// A `.tgz` holding `Chart.yaml` and one header claiming `claimed` bytes, then nothing: the
/// 3 GB file of the issue without writing 3 GB.
fn archive_claiming(dir: &Path, claimed: u64) -> std::path::PathBuf {
    let path = dir.join("big-0.1.0.tgz");
    let file = std::fs::File::create(&path).unwrap();
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    let chart_yaml = b"apiVersion: v2\nname: big\nversion: 0.1.0\n";
    let mut header = tar::Header::new_gnu();
    header.set_size(chart_yaml.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "big/Chart.yaml", &chart_yaml[..])
        .unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_path("big/templates/big.yaml").unwrap();
    header.set_size(claimed);
    header.set_mode(0o644);
    header.set_cksum();
    std::io::Write::write_all(tar.get_mut(), header.as_bytes()).unwrap();
    std::io::Write::write_all(tar.get_mut(), &vec![b'#'; 1 << 20]).unwrap();
    tar.into_inner().unwrap().finish().unwrap();
    path
}

#[test]
fn chart_archives_and_folders_are_bounded_as_helm_bounds_them() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive_claiming(dir.path(), 3 << 30);
    fails_in_one_line(
        &capped(&["template", "r", archive.to_str().unwrap()]),
        &[
            "chart archive `",
            "big-0.1.0.tgz`: file `templates/big.yaml` is larger than the 5 MiB limit per file",
        ],
    );
    // A symlink to an ancestor folder is a loop, refused at once.
    let chart = configmap_chart();
    std::os::unix::fs::symlink("..", chart.path().join("templates/up")).unwrap();
    fails_in_one_line(
        &capped(&["template", "r", chart.path().to_str().unwrap()]),
        &["`templates/up` is a symlink to a folder that contains it (a loop)"],
    );
}

#[test]
fn endless_values_sources_stop_at_the_limit() {
    let chart = example("guestbook");
    let path = chart.to_str().unwrap();
    fails_in_one_line(
        &capped(&["template", "r", path, "-f", "/dev/zero"]),
        &["values file `/dev/zero` is larger than the 32 MiB limit"],
    );
    fails_in_one_line(
        &capped(&["template", "r", path, "--set-file", "a=/dev/zero"]),
        &["--set-file \"a=/dev/zero\": `/dev/zero` is larger than the 32 MiB limit"],
    );
    // A pipe is read like a file (`-f <(sops -d x.yaml)`), within the same limit.
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -v {MEMORY_CAP_KIB}; exec \"$0\" values \"$1\" -f <(echo 'x: 1') -o json"
        ))
        .arg(bin())
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("\"x\": 1"));
}

const LIST_TEMPLATE: &str = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: one\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: two\n";

#[test]
fn lists_are_flattened_in_template_lint_and_post_render() {
    let chart = TempChart::with_templates(
        "",
        &[
            ("list.yaml", LIST_TEMPLATE),
            (
                "cms.yaml",
                "apiVersion: v1\nkind: ConfigMapList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: three}}\n",
            ),
        ],
    );
    let run = Test::new()
        .args(["template", "r"])
        .arg(chart.path())
        .args(["-o", "json"])
        .run();
    let names: Vec<String> = run.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["three", "one", "two"]);
    Test::new().args(["lint"]).arg(chart.path()).run();
    // Helm renders the List as it is; as its post-renderer we get the items.
    let helm = Test::new()
        .program(peers().join("helm"))
        .args(["template", "r"])
        .arg(chart.path())
        .run();
    assert!(helm.stdout().contains("kind: List"));
    let post = Test::new()
        .args(["post-render", "-o", "json"])
        .stdin(helm.stdout())
        .run();
    let kinds: Vec<String> = post.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(kinds, ["ConfigMap/three", "ConfigMap/one", "ConfigMap/two"]);
}

#[test]
fn kube_version_is_parsed_as_helm_parses_it() {
    let chart = TempChart::with_templates(
        "",
        &[(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  v: \"{{Capabilities.KubeVersion.Version}} {{Capabilities.KubeVersion.Major}} {{Capabilities.KubeVersion.Minor}}\"\n",
        )],
    );
    for (given, rendered) in [
        ("1.30", "\"v1.30 1 30\""),
        ("v1.31.2+k3s1", "\"v1.31.2+k3s1 1 31\""),
    ] {
        let run = Test::new()
            .args(["template", "r"])
            .arg(chart.path())
            .args(["--kube-version", given])
            .run();
        run.stdout_has(&[&format!("v: {rendered}")]);
    }
    for bad in ["garbage", "1", "01.2"] {
        let run = Test::new()
            .args(["template", "r"])
            .arg(chart.path())
            .args(["--kube-version", bad])
            .status(2)
            .run();
        run.stderr_has(&["--kube-version"]);
        Test::new()
            .program(peers().join("helm"))
            .args(["template", "r"])
            .arg(chart.path())
            .args(["--kube-version", bad])
            .status(1)
            .run()
            .stderr_has(&["invalid kube version"]);
    }
}

#[test]
fn long_flag_values_are_quoted_short() {
    let chart = configmap_chart();
    let long = format!("a[{}", "x".repeat(100_000));
    fails_in_one_line(
        &capped(&[
            "template",
            "r",
            chart.path().to_str().unwrap(),
            "--set",
            &long,
        ]),
        &[
            "--set \"a[xxx",
            "…\": error parsing index: `[xxx",
            "…` has no closing `]`",
        ],
    );
}

#[test]
fn a_server_that_never_answers_times_out_naming_the_request() {
    // Accepts connections and never answers, like a wedged proxy.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten().take(16) {
            held.push(stream);
        }
        // Keep them open until the test process ends.
        std::thread::park();
        drop(held);
    });
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: \"http://127.0.0.1:{port}\"}}\nusers:\n- name: u\n  user: {{}}\ncontexts:\n- name: x\n  context: {{cluster: c, user: u}}\ncurrent-context: x\n"
        ),
    )
    .unwrap();
    let run = Test::new()
        .env("KUBECONFIG", &kubeconfig)
        .args(["apply", "r"])
        .arg(example("guestbook"))
        .args(["--request-timeout", "1s"])
        .status(1)
        .run();
    let stderr = run.stderr();
    assert!(
        stderr.contains("timed out after 1s (see --request-timeout)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("discover ") || stderr.contains("get "),
        "names the request: {stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}
