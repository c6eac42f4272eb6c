//! `kubectl chart template`: example charts against golden files, and rendering features.

use crate::support::{TempChart, Test, example, peers};

#[test]
fn web_default_golden() {
    Test::new()
        .args(["template", "shop"])
        .arg(example("web"))
        .args(["-n", "shop"])
        .run()
        .golden("web-default.yaml");
}

#[test]
fn web_with_ingress_and_autoscaling_golden() {
    Test::new()
        .args(["template", "shop"])
        .arg(example("web"))
        .args([
            "--set",
            "ingress.enabled=true,ingress.tls=true,autoscaling.enabled=true",
            "--set",
            "image.tag=1.27.2",
        ])
        .run()
        .golden("web-ingress-hpa.yaml");
}

#[test]
fn guestbook_golden() {
    Test::new()
        .args(["template", "gb"])
        .arg(example("guestbook"))
        .args(["--set", "redis.password=s3cret", "-n", "demo"])
        .run()
        .golden("guestbook.yaml");
}

#[test]
fn guestbook_generates_a_password_when_none_is_set() {
    let run = |_: ()| {
        let out = Test::new()
            .args(["template", "gb"])
            .arg(example("guestbook"))
            .args(["--show-only", "templates/secret.yaml", "-o", "json"])
            .run()
            .json();
        out["items"][0]["data"]["redis-password"]
            .as_str()
            .expect("password")
            .to_owned()
    };
    let (a, b) = (run(()), run(()));
    assert_eq!(a.len(), 32, "24 random characters, base64-encoded: {a}");
    assert_ne!(a, b, "each render draws a new password");
}

#[test]
fn objects_are_in_install_order_with_sources() {
    let out = Test::new()
        .args(["template", "gb"])
        .arg(example("guestbook"))
        .args(["--set", "redis.password=x", "-o", "json"])
        .run()
        .json();
    let kinds: Vec<&str> = out["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["kind"].as_str().expect("kind"))
        .collect();
    let mut deduped = kinds.clone();
    deduped.dedup();
    assert_eq!(
        deduped,
        [
            "ServiceAccount",
            "Secret",
            "ConfigMap",
            "PersistentVolumeClaim",
            "Role",
            "RoleBinding",
            "Service",
            "Deployment"
        ]
    );
}

#[test]
fn show_only_selects_templates_and_rejects_unknown_ones() {
    let run = Test::new()
        .args(["template", "shop"])
        .arg(example("web"))
        .args(["-s", "templates/service.yaml"])
        .run();
    let stdout = run.stdout();
    assert_eq!(stdout.matches("# Source:").count(), 1, "{stdout}");
    assert!(stdout.contains("# Source: web/templates/service.yaml"));
    Test::new()
        .args(["template", "shop"])
        .arg(example("web"))
        .args(["-s", "templates/nope.yaml"])
        .status(1)
        .run()
        .stderr_has(&["could not find template templates/nope.yaml in chart"]);
}

#[test]
fn json_output_is_a_list() {
    let out = Test::new()
        .args(["template", "shop"])
        .arg(example("web"))
        .args(["-o", "json"])
        .run()
        .json();
    assert_eq!(out["kind"], "List");
    assert_eq!(out["items"].as_array().expect("items").len(), 3);
}

#[test]
fn release_chart_capabilities_and_template_context() {
    let chart = TempChart::with_templates(
        "",
        &[(
            "ctx.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ctx\ndata:\n  release: \"{{Release.Name}} {{Release.Namespace}} {{Release.Revision}} {{Release.IsInstall}} {{Release.IsUpgrade}} {{Release.Service}}\"\n  chart: \"{{Chart.Name}} {{Chart.Version}}\"\n  kube: \"{{Capabilities.KubeVersion.Version}} {{Capabilities.KubeVersion.Major}} {{Capabilities.KubeVersion.Minor}}\"\n  template: \"{{Template.Name}} {{Template.BasePath}}\"\n",
        )],
    );
    let out = Test::new()
        .args(["template", "rel"])
        .arg(chart.path())
        .args(["-n", "ns1", "-o", "json", "--kube-version", "1.31"])
        .run()
        .json();
    let data = &out["items"][0]["data"];
    assert_eq!(data["release"], "rel ns1 1 true false kubectl-chart");
    assert_eq!(data["chart"], "t 0.1.0");
    // As helm v4 renders `--kube-version 1.31`: unpadded.
    assert_eq!(data["kube"], "v1.31 1 31");
    assert_eq!(data["template"], "t/templates/ctx.yaml t/templates");
}

#[test]
fn upgrade_flag_sets_release_flags() {
    let chart = TempChart::with_templates(
        "",
        &[(
            "a.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  up: \"{{Release.IsUpgrade}} {{Release.IsInstall}}\"\n",
        )],
    );
    let out = Test::new()
        .args(["template", "r"])
        .arg(chart.path())
        .args(["--is-upgrade", "-o", "json"])
        .run()
        .json();
    assert_eq!(out["items"][0]["data"]["up"], "true false");
}

#[test]
fn kube_version_constraint_is_checked() {
    Test::new()
        .args(["template", "shop"])
        .arg(example("web"))
        .args(["--kube-version", "1.24.0"])
        .status(1)
        .run()
        .stderr_has(&["requires kubeVersion `>=1.25.0-0`", "Kubernetes v1.24.0"]);
}

#[test]
fn empty_documents_are_dropped_and_partials_are_shared() {
    let chart = TempChart::with_templates(
        "name: x\n",
        &[
            (
                "_one.tpl",
                "{{#*inline \"t.name\"}}{{Values.name}}-named{{/inline}}",
            ),
            (
                "a.yaml",
                "---\n# nothing here\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{> t.name}}\n---\n",
            ),
            (
                "b.yaml",
                "{{#if Values.missing}}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: never\n{{/if}}\n",
            ),
        ],
    );
    let out = Test::new()
        .args(["template", "r"])
        .arg(chart.path())
        .args(["-o", "json"])
        .run()
        .json();
    let items = out["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["metadata"]["name"], "x-named");
}

/// `helm package` drops `Chart.yaml` fields it does not know, `renderer:` included; the
/// `kubectl-chart.io/renderer` annotation survives it.
#[test]
fn packaged_chart_from_real_helm_renders_like_the_folder() {
    let source = tempfile::tempdir().expect("tmp");
    let chart = source.path().join("web");
    copy_dir(&example("web"), &chart);
    let chart_yaml = std::fs::read_to_string(chart.join("Chart.yaml")).expect("read");
    let chart_yaml = chart_yaml.replace(
        "renderer: handlebars\n",
        "annotations:\n  kubectl-chart.io/renderer: handlebars\n",
    );
    std::fs::write(chart.join("Chart.yaml"), chart_yaml).expect("write");
    let dest = tempfile::tempdir().expect("tmp");
    Test::new()
        .program(peers().join("helm"))
        .arg("package")
        .arg(&chart)
        .arg("--destination")
        .arg(dest.path())
        .run();
    let tgz = dest.path().join("web-0.3.0.tgz");
    assert!(tgz.exists(), "helm package wrote {}", tgz.display());
    let from_tgz = Test::new()
        .args(["template", "shop"])
        .arg(&tgz)
        .run()
        .stdout();
    let from_dir = Test::new()
        .args(["template", "shop"])
        .arg(example("web"))
        .run()
        .stdout();
    assert_eq!(from_tgz, from_dir);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn values_command_prints_computed_values() {
    let out = Test::new()
        .arg("values")
        .arg(example("web"))
        .args(["--set", "replicaCount=5", "-o", "json"])
        .run()
        .json();
    assert_eq!(out["replicaCount"], 5);
    assert_eq!(out["image"]["repository"], "nginx");
    let yaml = Test::new().arg("values").arg(example("web")).run().stdout();
    assert!(yaml.contains("replicaCount: 2\n"), "{yaml}");
}

#[test]
fn version_and_help() {
    let run = Test::new().arg("version").run();
    run.stdout_has(&["kubectl-chart v"]);
    let short = Test::new().args(["version", "--short"]).run().stdout();
    assert_eq!(short.trim(), format!("v{}", env!("CARGO_PKG_VERSION")));
    for sub in ["template", "values", "version", "completion"] {
        Test::new()
            .args([sub, "--help"])
            .run()
            .stdout_has(&["Usage: kubectl chart"]);
    }
}

#[test]
fn completion_scripts_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef"),
        ("fish", "complete -c"),
    ] {
        Test::new()
            .args(["completion", shell])
            .run()
            .stdout_has(&[marker]);
    }
    Test::new()
        .args(["completion", "tcsh"])
        .status(2)
        .run()
        .stderr_has(&["tcsh"]);
}

#[test]
fn values_from_stdin() {
    let out = Test::new()
        .arg("values")
        .arg(example("web"))
        .args(["-f", "-", "-o", "json"])
        .stdin("replicaCount: 7\nimage:\n  tag: from-stdin\n")
        .run()
        .json();
    assert_eq!(out["replicaCount"], 7);
    assert_eq!(out["image"]["tag"], "from-stdin");
    assert_eq!(out["image"]["repository"], "nginx", "defaults stay");
}

/// The Handlebars template cache: a warm run loads what the first compiled and prints the
/// same; an edited template is compiled again, never served stale; a syntax error is reported
/// as without a cache; a tampered entry is refused with one warning and rendering is right;
/// `KUBECTL_CHART_NO_CACHE` leaves no trace.
#[test]
fn handlebars_templates_are_cached_per_content_and_authenticated() {
    let home = tempfile::tempdir().unwrap();
    let chart = TempChart::with_templates(
        "name: web\nports: [80, 443]\n",
        &[
            (
                "_helpers.tpl",
                "{{#*inline \"t.name\"}}\n{{Values.name}}\n{{/inline}}\n",
            ),
            (
                "cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{Values.name}}\n  labels:\n    app: {{> t.name}}\ndata:\n{{#each Values.ports}}\n  p{{@index}}: \"{{this}}\"\n{{/each}}\n",
            ),
        ],
    );
    let render = |extra: &[(&str, &str)]| {
        let mut test = Test::new()
            .args(["-v", "template", "r"])
            .arg(chart.path())
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env_remove("KUBECTL_CHART_NO_CACHE");
        for (key, value) in extra {
            test = test.env(key, value);
        }
        test
    };
    let entries = || -> Vec<std::path::PathBuf> {
        match std::fs::read_dir(home.path().join("cache/kubectl-chart/templates")) {
            Ok(dir) => dir.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    };
    const LOADED: &str = "compiled Handlebars templates from the cache";

    let off = render(&[("KUBECTL_CHART_NO_CACHE", "1")]).run();
    assert!(entries().is_empty() && !home.path().join("data").exists());
    let expected = off.stdout();
    assert!(
        expected.contains("  p1: \"443\"") && expected.contains("app: web"),
        "{expected}"
    );

    let cold = render(&[]).run();
    assert!(!cold.stderr().contains(LOADED), "{}", cold.stderr());
    assert_eq!(cold.stdout(), expected);
    assert_eq!(entries().len(), 1);
    let warm = render(&[]).run();
    warm.stderr_has(&["loaded 2 compiled Handlebars templates from the cache"]);
    assert_eq!(warm.stdout(), expected);

    // An edit is a new entry: the output follows the text, not the cache.
    let cm = chart.path().join("templates/cm.yaml");
    let text = std::fs::read_to_string(&cm).unwrap();
    std::fs::write(&cm, text.replace("  p{{@index}}", "  port{{@index}}")).unwrap();
    let edited = render(&[]).run();
    assert!(!edited.stderr().contains(LOADED));
    assert!(
        edited.stdout().contains("  port1: \"443\""),
        "{}",
        edited.stdout()
    );
    assert_eq!(entries().len(), 2);

    // A syntax error is reported, with its place, whether or not the cache is on.
    std::fs::write(&cm, "{{#if Values.name}}\nunclosed\n").unwrap();
    let broken = |extra: &[(&str, &str)]| render(extra).status(1).run().stderr();
    let with_cache = broken(&[]);
    assert!(with_cache.contains("t/templates/cm.yaml:"), "{with_cache}");
    assert_eq!(with_cache, broken(&[("KUBECTL_CHART_NO_CACHE", "1")]));
    assert_eq!(
        entries().len(),
        2,
        "nothing is stored for templates that do not compile"
    );

    // Tampering: every entry gets its payload changed (a different template), which the MAC
    // catches; the run warns once, compiles, renders right and rewrites the entry.
    std::fs::write(&cm, text).unwrap();
    for entry in entries() {
        let mut bytes = std::fs::read(&entry).unwrap();
        let at = bytes.len() - 3;
        bytes[at] ^= 0x20;
        std::fs::write(&entry, bytes).unwrap();
    }
    let tampered = render(&[]).run();
    assert_eq!(tampered.stdout(), expected);
    let stderr = tampered.stderr();
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].starts_with("warning: compiled-template cache entry `")
            && warnings[0].contains("for `t` failed authentication")
            && warnings[0].ends_with("recompiling it"),
        "{}",
        warnings[0]
    );
    render(&[]).run().stderr_has(&[LOADED]);
}
