//! Real Helm v4 chained through `kubectl-chart post-render` (the Helm plugin in
//! `helm-plugin/`): post-renderers change what Helm renders, and a policy finding fails Helm.

use super::{Folder, arg, shared};
use crate::support::{Test, bin, peers, workspace};

#[test]
fn helm_chains_through_post_render() {
    let folder = Folder::new();
    folder
        .add("labels", "labels", "[config]\nlabels = { team = \"payments\" }\n")
        .add(
            "policy",
            "policy",
            "[config]\nrequired-labels = [\"team\"]\nallowed-registries = [\"docker.io/library\"]\n",
        );
    // Helm 4 installs into (and looks up post-renderers in) `$HELM_DATA_HOME/plugins`.
    let helm_home = folder.path().join("helm");
    let helm = || {
        Test::new()
            .program(peers().join("helm"))
            .env_remove("HELM_PLUGINS")
            .env("HELM_DATA_HOME", helm_home.join("data"))
            .env("HELM_CONFIG_HOME", helm_home.join("config"))
            .env("HELM_CACHE_HOME", helm_home.join("cache"))
            .env("KUBECTL_CHART", bin())
            .env("KUBECTL_CHART_PLUGINS", folder.plugins())
            .env("HOME", folder.path())
            .env("XDG_CACHE_HOME", shared().join("xdg-cache"))
            .env("XDG_DATA_HOME", shared().join("xdg-data"))
            .env("XDG_CONFIG_HOME", folder.path().join("config"))
            .env("XDG_DATA_DIRS", folder.path().join("system"))
    };
    helm()
        .args(["plugin", "install", arg(&workspace().join("helm-plugin"))])
        .run();
    let chart = workspace().join("examples/helm/web");
    let run = helm()
        .args([
            "template",
            "shop",
            arg(&chart),
            "--post-renderer",
            "kubectl-chart",
        ])
        .run();
    let objects = kubectl_chart::manifest::parse("out", &run.stdout()).expect("valid YAML stream");
    assert_eq!(objects.len(), 2, "{}", run.stdout());
    for object in &objects {
        assert_eq!(
            object.value["metadata"]["labels"]["team"],
            "payments",
            "{}",
            run.stdout()
        );
    }

    // A rule violation (an image from a registry the policy does not allow) fails helm.
    helm()
        .args([
            "template",
            "shop",
            arg(&chart),
            "--post-renderer",
            "kubectl-chart",
        ])
        .args(["--set", "image.repository=quay.io/evil/web"])
        .status(1)
        .run()
        .stderr_has(&["policy/allowed-registries", "quay.io/evil/web"]);
}
