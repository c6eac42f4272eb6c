//! Discovery through the library: bad files skipped with warnings, explicit files as errors,
//! kinds from exports, folder order, sidecars.

use kubectl_chart::plugin::{self, Kind, Origin, Registry, SearchPath};

use super::{Folder, service};

#[test]
fn bad_files_are_skipped_with_warnings_naming_them() {
    let folder = Folder::new();
    folder
        .add("labels", "labels", "")
        .add("wrong_version", "wrong_version", "")
        .add("not_a_plugin", "greeter", "");
    std::fs::write(folder.plugins().join("junk.wasm"), b"\0asm but not really").expect("write");
    let registry = folder.registry();
    let names: Vec<&str> = registry.plugins().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["labels"]);
    let warnings: Vec<String> = registry
        .warnings()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    let find = |name: &str| {
        warnings
            .iter()
            .find(|w| w.contains(&format!("{name}.wasm")))
            .unwrap_or_else(|| panic!("no warning for {name}: {warnings:#?}"))
            .clone()
    };
    assert!(
        find("wrong_version").contains("kubectl-chart:plugin@0.2.0"),
        "{warnings:#?}"
    );
    assert!(
        find("greeter").contains("not a kubectl-chart plugin"),
        "{warnings:#?}"
    );
    assert!(
        find("greeter").contains("example:greeter/greet@1.0.0"),
        "{warnings:#?}"
    );
    assert!(
        find("junk").contains("not a valid WebAssembly component"),
        "{warnings:#?}"
    );
}

#[test]
fn an_explicitly_named_bad_file_is_an_error() {
    let folder = Folder::new();
    folder.add("wrong_version", "wrong_version", "");
    let mut search = SearchPath::default();
    search.push(folder.plugins().join("wrong_version.wasm"), Origin::Flag);
    let err = Registry::discover(&search, Some(folder.cache())).unwrap_err();
    assert!(
        matches!(err, plugin::Error::IncompatibleVersion { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("wrong_version.wasm"), "{err}");
}

#[test]
fn kinds_come_from_exports() {
    let folder = Folder::new();
    folder
        .add("labels", "labels", "")
        .add("policy", "policy", "")
        .add("jinja", "jinja", "");
    let registry = folder.registry();
    let kind = |name: &str| registry.get(name).map(|p| p.kind());
    assert_eq!(kind("labels"), Some(Kind::PostRenderer));
    assert_eq!(kind("policy"), Some(Kind::Linter));
    assert_eq!(kind("jinja"), Some(Kind::Renderer));
    assert!(
        registry
            .plugins()
            .iter()
            .all(|p| p.wit_version() == "0.1.0")
    );
    let err = registry.require("labels", Kind::Renderer).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `labels` is a post-renderer, not a renderer"
    );
    let err = registry.require("nope", Kind::Renderer).unwrap_err();
    assert!(
        err.to_string().starts_with("plugin `nope` not found"),
        "{err}"
    );
}

#[test]
fn earlier_folders_win_and_sidecars_order_and_disable() {
    let first = Folder::new();
    let second = Folder::new();
    // Same name in both folders: the first folder's plugin (and sidecar) wins.
    first.add(
        "labels",
        "tag",
        "order = 20\n[config]\nlabels = { by = \"first\" }\n",
    );
    second.add(
        "labels",
        "tag",
        "order = 1\n[config]\nlabels = { by = \"second\" }\n",
    );
    // Two more post-renderers; `a` runs first by order, `off` never runs.
    second.add(
        "labels",
        "a",
        "order = 10\n[config]\nlabels = { by = \"a\", a = \"yes\" }\n",
    );
    second.add(
        "labels",
        "off",
        "enabled = false\n[config]\nlabels = { off = \"ran\" }\n",
    );
    let mut search = SearchPath::default();
    search.push(first.plugins(), Origin::Flag);
    search.push(second.plugins(), Origin::Chart);
    let registry = Registry::discover(&search, Some(first.cache())).expect("discover");
    let tag = registry.get("tag").expect("tag");
    assert_eq!(tag.origin(), Origin::Flag);
    let order: Vec<&str> = registry
        .enabled(Kind::PostRenderer)
        .iter()
        .map(|p| p.name())
        .collect();
    assert_eq!(order, ["a", "tag"]);
    let out = registry.post_render(vec![service()]).expect("post-render");
    let labels = &out[0].value["metadata"]["labels"];
    // `a` ran first and set `by`; `tag` (no overwrite) kept it.
    assert_eq!(labels["by"], "a");
    assert_eq!(labels["a"], "yes");
    assert!(labels.get("off").is_none());
    assert!(matches!(
        registry.require("off", Kind::PostRenderer),
        Err(plugin::Error::Disabled { .. })
    ));
}

#[test]
fn a_broken_sidecar_is_an_error_naming_it() {
    let folder = Folder::new();
    folder.add("labels", "labels", "enabled = maybe\n");
    let mut search = SearchPath::default();
    search.push(folder.plugins(), Origin::Env);
    let err = Registry::discover(&search, Some(folder.cache())).unwrap_err();
    assert!(err.to_string().contains("labels.toml"), "{err}");
}
