//! Bad input: each case gets one clear line naming the file, template, line or flag; exit 1.

use crate::support::{TempChart, Test, example};

/// Runs `template` on `chart` with `args`, expects exit 1, and checks the error names `parts`.
fn fails(chart: &std::path::Path, args: &[&str], parts: &[&str]) {
    let run = Test::new()
        .args(["template", "r"])
        .arg(chart)
        .args(args)
        .status(1)
        .run();
    run.stderr_has(parts);
    let stderr = run.stderr();
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(run.stdout().is_empty(), "nothing is printed on error");
}

#[test]
fn missing_chart_folder() {
    fails(
        std::path::Path::new("no/such/chart"),
        &[],
        &["chart `no/such/chart` not found"],
    );
}

#[test]
fn missing_chart_yaml() {
    let chart = TempChart::new(&[("values.yaml", "a: 1\n")]);
    fails(chart.path(), &[], &["is not a chart: it has no Chart.yaml"]);
}

#[test]
fn invalid_chart_yaml() {
    let chart = TempChart::new(&[("Chart.yaml", "apiVersion: v2\nname: [broken\n")]);
    fails(chart.path(), &[], &["Chart.yaml` line"]);
    let chart = TempChart::new(&[("Chart.yaml", "apiVersion: v2\nversion: 1.0.0\n")]);
    fails(
        chart.path(),
        &[],
        &["Chart.yaml`: chart.metadata.name is required"],
    );
}

#[test]
fn template_syntax_error_names_template_and_line() {
    let chart = TempChart::with_templates(
        "",
        &[(
            "bad.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{#if x}}\n",
        )],
    );
    fails(
        chart.path(),
        &[],
        &["t/templates/bad.yaml:", "template syntax error"],
    );
}

#[test]
fn required_value_missing() {
    let chart = TempChart::with_templates(
        "",
        &[(
            "req.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{required \"image.tag is required\" Values.image.tag}}\n",
        )],
    );
    fails(
        chart.path(),
        &[],
        &["t/templates/req.yaml", "image.tag is required"],
    );
}

#[test]
fn bad_set_syntax_names_the_flag() {
    fails(&example("web"), &["--set", "a.b[x]=1"], &["a.b[x]"]);
}

#[test]
fn schema_violation_names_the_value_path() {
    fails(
        &example("web"),
        &["--set", "service.port=http"],
        &["values.schema.json", "service", "port"],
    );
}

#[test]
fn rendered_output_that_is_not_yaml() {
    let chart = TempChart::with_templates(
        "",
        &[(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n   c: d\n",
        )],
    );
    fails(
        chart.path(),
        &[],
        &["t/templates/cm.yaml", "not valid YAML at line 7"],
    );
}

/// Runs `lint` on `chart`, expects exit 1, and checks the error names `parts`.
fn lint_fails(chart: &std::path::Path, parts: &[&str]) {
    let run = Test::new().arg("lint").arg(chart).status(1).run();
    run.stderr_has(parts);
}

#[test]
fn object_without_kind_or_name() {
    // `template` prints such documents, as helm does; what installs or lints objects fails.
    let chart = TempChart::with_templates(
        "",
        &[("nokind.yaml", "apiVersion: v1\nmetadata:\n  name: x\n")],
    );
    let printed = Test::new()
        .args(["template", "r"])
        .arg(chart.path())
        .run()
        .stdout();
    assert!(
        printed.contains("apiVersion: v1\nmetadata:\n  name: x\n"),
        "{printed}"
    );
    lint_fails(chart.path(), &["t/templates/nokind.yaml", "has no kind"]);
    let chart = TempChart::with_templates(
        "",
        &[(
            "noname.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n",
        )],
    );
    lint_fails(
        chart.path(),
        &["t/templates/noname.yaml", "has no metadata.name"],
    );
}

#[test]
fn invalid_release_name() {
    let run = Test::new()
        .args(["template", "Bad_Name"])
        .arg(example("web"))
        .status(1)
        .run();
    run.stderr_has(&["invalid release name `Bad_Name`"]);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    Test::new()
        .args(["template", "r", "c", "--no-such-flag"])
        .status(2)
        .run()
        .stderr_has(&["--no-such-flag"]);
}
