//! What a chart's own `plugins/` may do: add renderers, linters and post-renderers, but never
//! replace, disable or reconfigure a plugin the user or the system installed, never use more
//! than the user's settings allow, and nothing at all with `--no-chart-plugins`.

use std::time::Duration;

use kubectl_chart::plugin::{Kind, Origin, Registry, SearchPath, Trust};

use super::{Folder, add_to, arg, cli, service, warnings};
use crate::support::Test;

/// A Pod from a registry the organisation's policy does not allow.
const EVIL_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: quay.io/evil/app:1.0\n";

/// The organisation's policy, installed in the user's data folder.
const POLICY: &str = "[config]\nallowed-registries = [\"registry.example.com\"]\n";

/// A run with the user's plugins folder (and so a key and cache) of this test's own.
fn user(folder: &Folder) -> Test {
    cli(folder)
        .env("XDG_DATA_HOME", folder.data_home())
        .env("XDG_CACHE_HOME", folder.path().join("xdg-cache"))
}

fn policy_findings(report: &serde_json::Value) -> usize {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["linter"] == "policy" && f["rule"] == "allowed-registries")
        .count()
}

#[test]
fn a_chart_cannot_replace_the_users_policy_with_a_plugin_of_its_own() {
    let folder = Folder::new();
    add_to(&folder.user_plugins(), "policy", "policy", POLICY);
    let chart = folder.chart("shop", EVIL_POD);
    // Any plugin named `policy` would do; this one is a post-renderer that changes nothing.
    add_to(&chart.join("plugins"), "hostile", "policy", "");

    let run = user(&folder)
        .args(["lint", arg(&chart), "-o", "json"])
        .status(1)
        .run();
    assert_eq!(policy_findings(&run.json()), 1, "{}", run.stdout());
    let stderr = run.stderr();
    let warned = warnings(&stderr);
    assert_eq!(warned.len(), 1, "{stderr}");
    assert!(
        warned[0].starts_with("warning: ignoring the chart's plugin `")
            && warned[0].contains("shop/plugins/policy.wasm")
            && warned[0].contains("may not replace the trusted plugin `policy`")
            && warned[0].ends_with("from user data)"),
        "{stderr}"
    );

    // `plugin list` shows the user's policy, trusted, and no chart plugin.
    let list = user(&folder)
        .args(["plugin", "list", arg(&chart), "-o", "json"])
        .run()
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["origin"], "user-data");
    assert_eq!(list[0]["trust"], "trusted");
    assert_eq!(list[0]["kind"], "linter");
}

#[test]
fn a_chart_cannot_disable_or_reconfigure_the_users_policy() {
    let folder = Folder::new();
    add_to(&folder.user_plugins(), "policy", "policy", POLICY);
    let chart = folder.chart("shop", EVIL_POD);
    // The real policy plugin, disabled, with a config that allows everything.
    add_to(
        &chart.join("plugins"),
        "policy",
        "policy",
        "enabled = false\n[config]\nallowed-registries = [\"quay.io\"]\n",
    );
    let run = user(&folder)
        .args(["lint", arg(&chart), "-o", "json"])
        .status(1)
        .run();
    assert_eq!(policy_findings(&run.json()), 1, "{}", run.stdout());
    run.stderr_has(&["may not replace the trusted plugin `policy`"]);

    // A sidecar alone, without a plugin, is ignored and says so.
    std::fs::remove_file(chart.join("plugins/policy.wasm")).expect("rm");
    let run = user(&folder)
        .args(["lint", arg(&chart), "-o", "json"])
        .status(1)
        .run();
    assert_eq!(policy_findings(&run.json()), 1, "{}", run.stdout());
    let stderr = run.stderr();
    let warned = warnings(&stderr);
    assert_eq!(warned.len(), 1, "{stderr}");
    assert!(
        warned[0].contains("ignoring the chart's sidecar `")
            && warned[0].contains("may not reconfigure the trusted plugin `policy`"),
        "{stderr}"
    );
}

#[test]
fn a_charts_lint_config_cannot_silence_or_reconfigure_the_users_policy() {
    let folder = Folder::new();
    add_to(&folder.user_plugins(), "policy", "policy", POLICY);
    let chart = folder.chart("shop", EVIL_POD);
    std::fs::write(
        chart.join(".kubectl-chart-lint.yaml"),
        "rules:\n  policy/allowed-registries: off\nlinters:\n  policy:\n    allowed-registries: [quay.io]\n",
    )
    .expect("write lint config");
    let run = user(&folder)
        .args(["lint", arg(&chart), "-o", "json"])
        .status(1)
        .run();
    assert_eq!(policy_findings(&run.json()), 1, "{}", run.stdout());
    let stderr = run.stderr();
    let warned = warnings(&stderr);
    assert_eq!(warned.len(), 2, "{stderr}");
    assert!(
        warned
            .iter()
            .any(|w| w.contains("linters.policy is ignored")
                && w.contains("trusted linter `policy`")),
        "{stderr}"
    );
    assert!(
        warned
            .iter()
            .any(|w| w.contains("rules.policy/allowed-registries is ignored")),
        "{stderr}"
    );

    // The user's own config, given explicitly, is trusted and may silence the rule.
    let own = folder.path().join("lint.yaml");
    std::fs::write(&own, "rules:\n  policy/allowed-registries: off\n").expect("write");
    let run = user(&folder)
        .args([
            "lint",
            arg(&chart),
            "-o",
            "json",
            "--lint-config",
            arg(&own),
        ])
        .run();
    assert_eq!(policy_findings(&run.json()), 0, "{}", run.stdout());
}

#[test]
fn a_charts_plugin_cannot_take_the_name_of_a_system_plugin() {
    let folder = Folder::new();
    add_to(&folder.system_plugins(), "policy", "policy", POLICY);
    let chart = folder.chart("shop", EVIL_POD);
    add_to(&chart.join("plugins"), "hostile", "policy", "");
    let run = cli(&folder)
        .args(["lint", arg(&chart), "-o", "json"])
        .status(1)
        .run();
    assert_eq!(policy_findings(&run.json()), 1, "{}", run.stdout());
    run.stderr_has(&[
        "may not replace the trusted plugin `policy`",
        "from system)",
    ]);
}

/// A chart whose own post-renderer loops, asking for an hour.
fn looping_chart(folder: &Folder) -> std::path::PathBuf {
    let chart = folder.chart("spin", EVIL_POD);
    add_to(
        &chart.join("plugins"),
        "hostile",
        "spin",
        "[config]\nmode = \"loop\"\n[limits]\ntimeout-ms = 3600000\n",
    );
    chart
}

#[test]
fn a_charts_plugin_limits_are_capped_by_the_host() {
    let folder = Folder::new();
    let chart = looping_chart(&folder);
    let run = cli(&folder)
        .args(["template", "r", arg(&chart)])
        .timeout(Duration::from_secs(300))
        .status(1)
        .run();
    run.stderr_has(&["error: plugin `spin` ran longer than its 2000 ms limit and was stopped"]);
    let stderr = run.stderr();
    let warned = warnings(&stderr);
    assert_eq!(warned.len(), 1, "{stderr}");
    assert!(
        warned[0].starts_with("warning: chart plugin `spin` (`")
            && warned[0].contains("a 3600000 ms timeout is capped at 2000 ms"),
        "{stderr}"
    );
}

#[test]
fn only_the_users_settings_raise_what_a_charts_plugin_may_use() {
    let folder = Folder::new();
    let chart = looping_chart(&folder);
    std::fs::write(
        folder.settings_file(),
        "[chart-plugins]\ntimeout-ms = 3000\n",
    )
    .expect("write");
    let run = cli(&folder)
        .args(["template", "r", arg(&chart)])
        .timeout(Duration::from_secs(300))
        .status(1)
        .run();
    run.stderr_has(&[
        "plugin `spin` ran longer than its 3000 ms limit",
        "capped at 3000 ms",
    ]);
    // A settings file a chart cannot reach: a bad one is an error naming it.
    std::fs::write(folder.settings_file(), "[chart-plugins]\ntimeout-ms = 0\n").expect("write");
    cli(&folder)
        .args(["template", "r", arg(&chart)])
        .status(1)
        .run()
        .stderr_has(&[
            "invalid plugin settings `",
            "plugins.toml`: chart-plugins.timeout-ms",
        ]);
}

#[test]
fn no_chart_plugins_ignores_the_charts_folder() {
    let folder = Folder::new();
    let chart = looping_chart(&folder);
    add_to(&chart.join("plugins"), "policy", "policy", POLICY);
    for run in [
        cli(&folder).arg("--no-chart-plugins"),
        cli(&folder).env("KUBECTL_CHART_NO_CHART_PLUGINS", "1"),
    ] {
        let run = run
            .args(["template", "r", arg(&chart)])
            .timeout(Duration::from_secs(300))
            .run();
        run.stdout_has(&["image: quay.io/evil/app:1.0"]);
        assert!(run.stderr().is_empty(), "{}", run.stderr());
    }
    cli(&folder)
        .args(["plugin", "list", arg(&chart), "--no-chart-plugins"])
        .run()
        .stdout_has(&["no plugins found"]);
    // A renderer only the chart ships is then not found, and the error says why.
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: spin\nversion: 0.1.0\nrenderer: spin\n",
    )
    .expect("write");
    cli(&folder)
        .args(["template", "r", arg(&chart), "--no-chart-plugins"])
        .status(1)
        .run()
        .stderr_has(&[
            "plugin `spin` not found",
            "was left out by --no-chart-plugins",
        ]);
}

#[test]
fn a_charts_plugins_add_and_run_before_the_trusted_ones() {
    let trusted = Folder::new();
    let chart = Folder::new();
    trusted.add(
        "labels",
        "tag",
        "order = 100\n[config]\nlabels = { by = \"user\" }\n",
    );
    // Same name as a trusted plugin: ignored. A new name: added, and run first whatever its
    // order says, so the trusted post-renderers see (and have the last word on) its output.
    chart.add(
        "labels",
        "tag",
        "[config]\nlabels = { by = \"chart-tag\" }\n",
    );
    chart.add(
        "labels",
        "extra",
        "order = 500\n[config]\nlabels = { by = \"chart\", extra = \"yes\" }\n",
    );
    let mut search = SearchPath::default();
    search.push(chart.plugins(), Origin::Chart);
    search.push(trusted.plugins(), Origin::Env);
    let registry = Registry::discover(&search, Some(trusted.cache())).expect("discover");
    let tag = registry.get("tag").expect("tag");
    assert_eq!((tag.origin(), tag.trust()), (Origin::Env, Trust::Trusted));
    let extra = registry.get("extra").expect("extra");
    assert_eq!(
        (extra.origin(), extra.trust()),
        (Origin::Chart, Trust::Untrusted)
    );
    let order: Vec<&str> = registry
        .enabled(Kind::PostRenderer)
        .iter()
        .map(|p| p.name())
        .collect();
    assert_eq!(order, ["extra", "tag"]);
    let warned: Vec<String> = registry
        .warnings()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(
        warned[0].contains("may not replace the trusted plugin `tag`"),
        "{warned:?}"
    );
    let out = registry.post_render(vec![service()]).expect("post-render");
    let labels = &out[0].value["metadata"]["labels"];
    assert_eq!(labels["extra"], "yes");
    // `labels` never overwrites: the chart's ran first and set `by`.
    assert_eq!(labels["by"], "chart");
}
