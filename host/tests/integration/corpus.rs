//! Unmodified Helm charts, byte for byte: every chart of the corpus
//! (`../shared/data/helm-charts/charts`) with its default values and value sets of our
//! choosing, the chart `helm create` writes with its switches, and Helm's own test charts
//! against their expected outputs, each compared with real `helm template` run in the same
//! test; then lint and apply of the corpus charts against the emulator.
//!
//! Every case runs both programs as child processes, a few cases at a time, and a test
//! reports all the cases that differ at once (with the first differing line of each).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use kchart_emulator::Emulator;

use crate::support::{Test, bin, peers, workspace};

/// The corpus: `helm-charts/` of the shared data.
fn data() -> PathBuf {
    let dir = workspace().join("../shared/data/helm-charts");
    assert!(
        dir.join("charts").is_dir(),
        "the chart corpus is missing at {}",
        dir.display()
    );
    dir
}

/// One `template` run of both programs: the same arguments, the same working folder.
struct Case {
    label: String,
    dir: PathBuf,
    args: Vec<String>,
}

impl Case {
    fn new(label: impl Into<String>, dir: &Path, args: &[&str]) -> Self {
        Case {
            label: label.into(),
            dir: dir.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        }
    }
}

/// What one program printed and how it ended.
#[derive(Debug, PartialEq)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn template(program: &Path, case: &Case) -> Outcome {
    let output = Command::new(program)
        .arg("template")
        .args(&case.args)
        .current_dir(&case.dir)
        .env("NO_COLOR", "1")
        .env_remove("KUBECTL_CHART_NAMESPACE")
        .env_remove("HELM_NAMESPACE")
        .output()
        .unwrap_or_else(|err| panic!("run {}: {err}", program.display()));
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `f` over `items` on a few threads (the machine's cores, at most four: each item
/// starts two processes) and returns the results in order.
fn run_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4);
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = {
                        let mut next = next.lock().unwrap();
                        let index = *next;
                        *next += 1;
                        index
                    };
                    let Some(item) = items.get(index) else { break };
                    let result = f(item);
                    results.lock().unwrap()[index] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// Where two texts first differ, for a message.
fn first_difference(ours: &str, theirs: &str) -> String {
    for (number, (a, b)) in ours.lines().zip(theirs.lines()).enumerate() {
        if a != b {
            return format!("line {}: ours `{a}`, helm `{b}`", number + 1);
        }
    }
    format!(
        "lengths differ: ours {} lines ({} bytes), helm {} lines ({} bytes)",
        ours.lines().count(),
        ours.len(),
        theirs.lines().count(),
        theirs.len()
    )
}

/// Runs every case with real helm and with kubectl-chart; returns (helm's, ours) of each and
/// fails listing every case whose output or exit code differs. A case helm fails is compared
/// on the exit code and output only (the messages are worded in each tool's style).
fn compare(cases: &[Case]) -> Vec<(Outcome, Outcome)> {
    let helm = peers().join("helm");
    let outcomes = run_parallel(cases, |case| (template(&helm, case), template(bin(), case)));
    let mut failures = Vec::new();
    for (case, (theirs, ours)) in cases.iter().zip(&outcomes) {
        let command = format!("template {}", case.args.join(" "));
        if theirs.code != ours.code {
            failures.push(format!(
                "{}: `{command}`: helm exited {:?}, we exited {:?}\n  helm: {}\n  ours: {}",
                case.label,
                theirs.code,
                ours.code,
                theirs.stderr.trim(),
                ours.stderr.trim()
            ));
        } else if theirs.stdout != ours.stdout {
            failures.push(format!(
                "{}: `{command}`: output differs from helm's, {}",
                case.label,
                first_difference(&ours.stdout, &theirs.stdout)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from helm template:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    outcomes
}

/// Value sets for each chart of the corpus (besides its defaults): each turns on parts the
/// defaults leave off, and some change the namespace, Kubernetes version or API versions.
/// bitnami-nginx generates a random certificate unless `tls.autoGenerated=false`.
fn value_sets(chart: &str) -> Option<(Vec<&'static str>, Vec<Vec<&'static str>>)> {
    let sets = match chart {
        "hello-world" => (
            vec![],
            vec![
                vec![
                    "--set",
                    "replicaCount=3,service.type=NodePort,serviceAccount.create=false",
                ],
                vec![
                    "--set",
                    "nameOverride=hw,image.tag=v2",
                    "--namespace",
                    "web",
                ],
                vec![
                    "--set",
                    "fullnameOverride=greeter,serviceAccount.name=greeter-sa",
                    "--set-string",
                    "serviceAccount.annotations.team=42",
                ],
            ],
        ),
        "prometheus-node-exporter" => (
            vec![],
            vec![
                vec![
                    "--set",
                    "prometheus.monitor.enabled=true,prometheus.monitor.relabelings[0].action=keep,networkPolicy.enabled=true",
                ],
                vec![
                    "--set",
                    "kubeRBACProxy.enabled=true,hostNetwork=false,service.port=9200",
                    "--namespace",
                    "monitoring",
                ],
                vec![
                    "--set",
                    "verticalPodAutoscaler.enabled=true,prometheus.podMonitor.enabled=true,extraArgs[0]=--collector.systemd,podLabels.a=b",
                    "--kube-version",
                    "1.29.0",
                ],
            ],
        ),
        "kube-state-metrics" => (
            vec![],
            vec![
                vec![
                    "--set",
                    "prometheus.monitor.enabled=true,selfMonitor.enabled=true,autosharding.enabled=true",
                ],
                vec![
                    "--set",
                    r"rbac.useClusterRole=false,namespaces=a\,b,kubeRBACProxy.enabled=true,networkPolicy.enabled=true",
                ],
                vec![
                    "--set",
                    "verticalPodAutoscaler.enabled=true,podDisruptionBudget.minAvailable=1,customResourceState.enabled=true",
                    "--set-json",
                    r#"collectors=["pods","nodes"]"#,
                    "--api-versions",
                    "monitoring.coreos.com/v1",
                ],
            ],
        ),
        "ingress-nginx" => (
            vec![],
            vec![
                vec![
                    "--set",
                    "controller.kind=DaemonSet,controller.metrics.enabled=true,controller.metrics.serviceMonitor.enabled=true",
                ],
                vec![
                    "--set",
                    "controller.autoscaling.enabled=true,defaultBackend.enabled=true,controller.admissionWebhooks.enabled=false,tcp.8080=default/svc:8080",
                    "--namespace",
                    "ingress",
                ],
                vec![
                    "--set",
                    "controller.service.type=NodePort,controller.service.internal.enabled=true,controller.podDisruptionBudget.enabled=true,controller.replicaCount=2,controller.config.use-forwarded-headers=true",
                    "--kube-version",
                    "1.28.3",
                ],
            ],
        ),
        "cert-manager" => (
            vec![],
            vec![
                vec![
                    "--set",
                    "crds.enabled=true,prometheus.servicemonitor.enabled=true",
                ],
                vec![
                    "--set",
                    "podDisruptionBudget.enabled=true,webhook.hostNetwork=true,startupapicheck.enabled=false",
                    "--namespace",
                    "cert-manager",
                ],
                vec![
                    "--set",
                    "global.rbac.create=false,prometheus.enabled=false,networkPolicy.enabled=true,webhook.networkPolicy.enabled=true,replicaCount=2,featureGates=A=true",
                ],
            ],
        ),
        "bitnami-nginx" => (
            vec!["--set", "tls.autoGenerated=false"],
            vec![
                vec![
                    "--set",
                    "ingress.enabled=true,ingress.hostname=web.example,ingress.tls=true",
                ],
                vec![
                    "--set",
                    "metrics.enabled=true,metrics.serviceMonitor.enabled=true,autoscaling.enabled=true,autoscaling.minReplicas=2",
                ],
                vec![
                    "--set",
                    "pdb.create=true,service.type=ClusterIP,networkPolicy.enabled=false,cloneStaticSiteFromGit.enabled=true,cloneStaticSiteFromGit.repository=https://example.com/site.git,cloneStaticSiteFromGit.branch=main,serverBlock=server{}",
                ],
            ],
        ),
        _ => return None,
    };
    Some(sets)
}

#[test]
fn corpus_charts_render_as_helm_renders_them() {
    let charts = data().join("charts");
    let mut names: Vec<String> = std::fs::read_dir(&charts)
        .expect("read the corpus")
        .map(|e| {
            e.expect("corpus entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert!(names.len() >= 6, "the corpus has six charts: {names:?}");
    let mut cases = Vec::new();
    // Which case is each chart's default, to check that every value set changes the output.
    let mut defaults = Vec::new();
    for name in &names {
        let (base, sets) = value_sets(name)
            .unwrap_or_else(|| panic!("chart `{name}` of the corpus has no value sets here"));
        let path = charts.join(name);
        let path = path.to_str().expect("UTF-8 path");
        let mut args = vec!["r", path];
        args.extend(&base);
        defaults.push(cases.len());
        cases.push(Case::new(format!("{name} (defaults)"), &charts, &args));
        for (number, set) in sets.iter().enumerate() {
            let mut args = args.clone();
            args.extend(set);
            cases.push(Case::new(
                format!("{name} (set {})", number + 1),
                &charts,
                &args,
            ));
        }
    }
    let outcomes: Vec<Outcome> = compare(&cases)
        .into_iter()
        .map(|(theirs, _)| theirs)
        .collect();
    for (i, case) in cases.iter().enumerate() {
        assert_eq!(
            outcomes[i].code,
            Some(0),
            "{}: {}",
            case.label,
            outcomes[i].stderr
        );
        let default = defaults
            .iter()
            .rev()
            .find(|&&d| d <= i)
            .copied()
            .unwrap_or(0);
        if default != i {
            assert_ne!(
                outcomes[i].stdout, outcomes[default].stdout,
                "{}: the value set changes nothing",
                case.label
            );
        }
    }
}

/// The chart `helm create` writes, rendered with its switches off and on.
#[test]
fn helm_create_chart_renders_as_helm_renders_it() {
    let dir = tempfile::tempdir().unwrap();
    Test::new()
        .program(peers().join("helm"))
        .args(["create", "mychart"])
        .dir(dir.path())
        .run();
    let sets: [&[&str]; 8] = [
        &[],
        &["--set", "ingress.enabled=true"],
        &[
            "--set",
            "ingress.enabled=true,ingress.className=nginx,ingress.tls[0].hosts[0]=a.example,ingress.tls[0].secretName=tls,ingress.annotations.x=y",
        ],
        &["--set", "autoscaling.enabled=true"],
        &[
            "--set",
            "autoscaling.enabled=true,autoscaling.targetMemoryUtilizationPercentage=70,autoscaling.maxReplicas=5",
        ],
        &["--set", "serviceAccount.create=false"],
        &[
            "--set",
            "serviceAccount.name=robot,serviceAccount.automount=false,serviceAccount.annotations.a=b",
        ],
        &[
            "--set",
            "httpRoute.enabled=true,service.type=NodePort,replicaCount=2,podLabels.tier=web",
            "--namespace",
            "apps",
        ],
    ];
    let cases: Vec<Case> = sets
        .iter()
        .enumerate()
        .map(|(number, set)| {
            let mut args = vec!["web", "mychart"];
            args.extend(*set);
            Case::new(
                format!("helm create chart (set {number})"),
                dir.path(),
                &args,
            )
        })
        .collect();
    let outcomes: Vec<Outcome> = compare(&cases)
        .into_iter()
        .map(|(theirs, _)| theirs)
        .collect();
    for (case, outcome) in cases.iter().zip(&outcomes).skip(1) {
        assert_ne!(
            outcome.stdout, outcomes[0].stdout,
            "{}: nothing changed",
            case.label
        );
    }
}

/// Helm's `TestTemplateCmd` cases over its test charts, each with the expected output it
/// names. Helm's test harness renders for Kubernetes v1.20.0, so every case but the one
/// that sets `--kube-version` says so.
fn helm_testdata_cases() -> Vec<(Case, &'static str)> {
    let root = data().join("helm-testdata");
    let subchart = "testcharts/subchart";
    let table: Vec<(&str, Vec<&str>)> = vec![
        ("template.txt", vec![subchart]),
        (
            "template-set.txt",
            vec![subchart, "--set", "service.name=apache"],
        ),
        (
            "template-values-files.txt",
            vec![
                subchart,
                "--values",
                "testcharts/subchart/charts/subchartA/values.yaml",
            ],
        ),
        (
            "template-name-template.txt",
            vec![
                subchart,
                r#"--name-template=foobar-{{ b64enc "abc" | lower }}-baz"#,
            ],
        ),
        ("template-lib-chart.txt", vec!["testcharts/lib-chart"]),
        (
            "template-chart-bad-type.txt",
            vec!["testcharts/chart-bad-type"],
        ),
        (
            "template-chart-with-template-lib-dep.txt",
            vec!["testcharts/chart-with-template-lib-dep"],
        ),
        (
            "template-chart-with-template-lib-archive-dep.txt",
            vec!["testcharts/chart-with-template-lib-archive-dep"],
        ),
        (
            "template-with-api-version.txt",
            vec![
                "--api-versions",
                "helm.k8s.io/test,helm.k8s.io/test2",
                subchart,
            ],
        ),
        (
            "template-with-api-version.txt",
            vec![
                "--api-versions",
                "helm.k8s.io/test",
                "--api-versions",
                "helm.k8s.io/test2",
                subchart,
            ],
        ),
        ("template-with-crds.txt", vec![subchart, "--include-crds"]),
        (
            "template-show-only-one.txt",
            vec![subchart, "--show-only", "templates/service.yaml"],
        ),
        (
            "template-show-only-multiple.txt",
            vec![
                subchart,
                "--show-only",
                "templates/service.yaml",
                "--show-only",
                "charts/subcharta/templates/service.yaml",
            ],
        ),
        (
            "template-show-only-glob.txt",
            vec![subchart, "--show-only", "templates/subdir/role*"],
        ),
        (
            "template-with-invalid-yaml.txt",
            vec!["testcharts/chart-with-template-with-invalid-yaml"],
        ),
        ("template-skip-tests.txt", vec![subchart, "--skip-tests"]),
        (
            "template-subchart-cm.txt",
            vec![
                subchart,
                "--set",
                "configmap.enabled=true",
                "--set",
                "subchartb.enabled=true",
            ],
        ),
        (
            "template-subchart-cm-set.txt",
            vec![
                subchart,
                "--set",
                "configmap.enabled=true",
                "--set",
                "subchartb.enabled=true",
                "--set",
                "configmap.value=baz",
            ],
        ),
        (
            "template-subchart-cm-set-file.txt",
            vec![subchart, "-f", "testcharts/subchart/extra_values.yaml"],
        ),
    ];
    let mut cases = Vec::new();
    for (expected, mut args) in table {
        args.extend(["--kube-version", "1.20.0"]);
        cases.push((Case::new(expected, &root, &args), expected));
    }
    cases.push((
        Case::new(
            "template-with-kube-version.txt",
            &root,
            &["--kube-version", "1.16.0", subchart],
        ),
        "template-with-kube-version.txt",
    ));
    cases
}

/// Helm's expected outputs come from Helm's test harness, which ends each document with a
/// blank line that `helm template` 4.1.4 does not print: the comparison with them ignores
/// blank lines; the comparison with the real binary (in [`compare`]) is byte for byte.
fn without_blank_lines(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn helm_test_charts_render_their_expected_outputs() {
    let root = data().join("helm-testdata");
    let (cases, expected): (Vec<Case>, Vec<&str>) = helm_testdata_cases().into_iter().unzip();
    // Byte for byte with real helm (exit codes for the failing ones)...
    let outcomes = compare(&cases);
    // ...and both match what Helm's tests expect.
    let mut failures = Vec::new();
    for ((case, file), (outcome, ours)) in cases.iter().zip(&expected).zip(&outcomes) {
        let golden = std::fs::read_to_string(root.join("output").join(file))
            .unwrap_or_else(|err| panic!("read {file}: {err}"));
        if outcome.code == Some(0) {
            if without_blank_lines(&outcome.stdout) != without_blank_lines(&golden) {
                failures.push(format!("{}: helm's output is not {file}", case.label));
            }
            continue;
        }
        // The failures: our message says what Helm's says (in our words around it).
        let message = golden
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("Error: ")
            .trim_start_matches("validation: ");
        let key = match *file {
            "template-with-invalid-yaml.txt" => "line 11: could not find expected ':'",
            _ => message,
        };
        if !ours.stderr.contains(key) || ours.stderr.lines().count() != 1 {
            failures.push(format!(
                "{}: our one-line error lacks `{key}`: {}",
                case.label,
                ours.stderr.trim()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `lint` reads every object of each corpus chart, `diff` after `apply` shows nothing (and a
/// changed value where it lands), and `apply` installs each into the emulator: every
/// object `template` prints (hooks aside) is then in the cluster.
#[test]
fn corpus_charts_lint_and_apply_to_the_emulator() {
    let charts = data().join("charts");
    let emu = Emulator::start().expect("start the emulator");
    for name in [
        "hello-world",
        "prometheus-node-exporter",
        "kube-state-metrics",
        "ingress-nginx",
        "cert-manager",
        "bitnami-nginx",
    ] {
        let chart = charts.join(name);
        let mut extra: Vec<&str> = Vec::new();
        if name == "bitnami-nginx" {
            extra.extend(["--set", "tls.autoGenerated=false"]);
        }
        if name == "cert-manager" {
            extra.extend(["--set", "crds.enabled=true"]);
        }
        let namespace = format!("ns-{name}");
        let objects = Test::new()
            .args(["template", name])
            .arg(&chart)
            .args(["-n", &namespace, "-o", "json"])
            .args(&extra)
            .run()
            .json();
        let items = objects["items"].as_array().expect("a List");
        assert!(!items.is_empty(), "{name} renders objects");
        // node-exporter mounts the node's `/`, `/proc` and `/sys`: our linter says so.
        let lint = Test::new()
            .args(["lint"])
            .arg(&chart)
            .args(&extra)
            .status(i32::from(name == "prometheus-node-exporter"))
            .run();
        lint.stdout_has(&[&format!("in {} objects", items.len())]);
        if name == "prometheus-node-exporter" {
            lint.stdout_has(&["3 errors", "sensitive-host-mounts volume `root`"]);
        }
        Test::new()
            .env("KUBECONFIG", emu.kubeconfig_path())
            .args(["apply", name])
            .arg(&chart)
            .args(["-n", &namespace, "--create-namespace"])
            .args(&extra)
            .run();
        for object in items {
            if object
                .pointer("/metadata/annotations/helm.sh~1hook")
                .is_some()
            {
                continue;
            }
            let api_version = object["apiVersion"].as_str().unwrap();
            let kind = object["kind"].as_str().unwrap();
            let name_of = object["metadata"]["name"].as_str().unwrap();
            let ns = object["metadata"]["namespace"]
                .as_str()
                .unwrap_or(&namespace);
            let found = emu
                .get(api_version, kind, ns, name_of)
                .or_else(|| emu.get(api_version, kind, "", name_of));
            assert!(
                found.is_some(),
                "{name}: {kind} {ns}/{name_of} is not in the cluster after apply"
            );
        }
        // diff renders as apply did: nothing changes with the same values...
        let diff = |extra_values: &[&str], status: i32| {
            Test::new()
                .env("KUBECONFIG", emu.kubeconfig_path())
                .args(["diff", name])
                .arg(&chart)
                .args(["-n", &namespace, "--exit-code"])
                .args(&extra)
                .args(extra_values)
                .status(status)
                .run()
        };
        // (Fields a chart renders as `null` are never stored, and a Deployment's unchanged
        // `strategy` keeps its defaulted `rollingUpdate`, as with kubectl apply.)
        diff(&[], 0);
        // ...and a changed value shows where it lands.
        if name == "ingress-nginx" {
            diff(&["--set", "controller.replicaCount=3"], 2).stdout_has(&[
                "Deployment",
                "ns-ingress-nginx/ingress-nginx-controller",
                "+  replicas: 3",
            ]);
        }
    }
}

/// Go's maps are references: a template that `set`s into `.Values` or into its context (`$`)
/// changes what later templates read (Helm runs them deepest path first, then in reverse
/// name order), and a subchart's `.Values` is its section of the parent's. Also a packaged
/// chart: what `helm package` writes renders as its folder does.
#[test]
fn in_place_changes_and_packaged_charts_as_helm_has_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("setc");
    let files = [
        ("Chart.yaml", "apiVersion: v2\nname: setc\nversion: 0.1.0\n"),
        ("values.yaml", "x: orig\nsub:\n  y: 1\n"),
        (
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        ),
        (
            "charts/sub/templates/z.yaml",
            "{{- $_ := set .Values \"y\" \"setBySub\" }}{{ $_ := set $ \"mark\" \"sub\" }}\n",
        ),
        (
            "templates/z.yaml",
            "{{- $_ := set .Values \"x\" \"setByZ\" }}{{ $_ := set $ \"mark\" \"fromZ\" }}\n",
        ),
        (
            "templates/a.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: {{ .Values.x | quote }}\n  y: {{ .Values.sub.y | quote }}\n  t: {{ .Template.Name }}\n  m: {{ .mark | quote }}\n  s: {{ .Subcharts.sub.mark | quote }}\n  r: {{ .Release.Name }}\n",
        ),
        (
            "templates/0.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  x: {{ .Values.x | quote }}\n  m: {{ .mark | quote }}\n",
        ),
    ];
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let packages = dir.path().join("packages");
    Test::new()
        .program(peers().join("helm"))
        .args(["package", "-d"])
        .arg(&packages)
        .arg(data().join("charts/ingress-nginx"))
        .run();
    let package = std::fs::read_dir(&packages)
        .unwrap()
        .next()
        .expect("helm package wrote a file")
        .unwrap()
        .path();
    let package = package.to_str().unwrap();
    let cases = [
        Case::new("set in place", dir.path(), &["r", "setc"]),
        Case::new("packaged ingress-nginx", dir.path(), &["r", package]),
        Case::new(
            "packaged ingress-nginx (set)",
            dir.path(),
            &["r", package, "--set", "controller.kind=Both"],
        ),
    ];
    // --name-template: a name helm refuses, an empty template (no template), Sprig in it.
    let named = [
        Case::new(
            "name template",
            dir.path(),
            &["setc", "--name-template", "x-{{ .Foo }}"],
        ),
        Case::new(
            "empty name template",
            dir.path(),
            &["setc", "--name-template", ""],
        ),
        Case::new(
            "sprig name template",
            dir.path(),
            &[
                "setc",
                "--name-template",
                "{{ \"Web\" | lower }}-{{ 3 | add 4 }}",
            ],
        ),
    ];
    let outcomes = compare(&named);
    assert_eq!(outcomes[0].0.code, Some(1));
    assert!(
        outcomes[2].0.stdout.contains("web-7"),
        "{}",
        outcomes[2].0.stdout
    );
    let outcomes = compare(&cases);
    assert!(
        outcomes[0]
            .0
            .stdout
            .contains("x: \"setByZ\"\n  y: \"setBySub\""),
        "{}",
        outcomes[0].0.stdout
    );
}

/// `plugin list CHART` says which engine renders the chart and each subchart.
#[test]
fn plugin_list_says_which_engine_renders_each_chart() {
    Test::new()
        .args(["plugin", "list"])
        .arg(data().join("charts/bitnami-nginx"))
        .run()
        .stdout_has(&[
            "chart nginx renders with Go templates\n",
            "chart nginx/charts/common renders with Go templates\n",
        ]);
    Test::new()
        .args(["plugin", "list"])
        .arg(crate::support::example("web"))
        .run()
        .stdout_has(&["chart web renders with Handlebars\n"]);
}
