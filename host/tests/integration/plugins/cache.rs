//! The compiled-plugin cache: warm runs skip compiling, and an entry is used only when this
//! user's kubectl-chart wrote it. A forged entry (another plugin's compiled code with a
//! correct plain checksum), a damaged one, an unsafe folder or an exposed key are refused
//! with one warning, and the plugin is compiled instead.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use kubectl_chart::plugin::{Kind, Origin, Registry, SearchPath};
use sha2::{Digest, Sha256};

use super::{Folder, arg, cli, service, warnings};
use crate::support::Test;

/// The layout of an entry file: magic, entry key, check (checksum or MAC), payload.
const CHECK_AT: usize = 16 + 32;
const PAYLOAD_AT: usize = CHECK_AT + 32;

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|dir| {
            dir.map(|e| e.expect("entry").path())
                .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    entries
}

#[test]
fn the_cache_makes_a_second_load_skip_compiling_and_survives_corruption() {
    let folder = Folder::new();
    folder.add("labels", "labels", "");
    let registry = || {
        let mut search = SearchPath::default();
        search.push(folder.plugins(), Origin::Env);
        Registry::discover(&search, Some(folder.own_cache())).expect("discovery")
    };
    let first = registry();
    assert!(
        !first.get("labels").expect("labels").from_cache(),
        "cold run compiles"
    );
    assert!(first.warnings().is_empty(), "{:?}", first.warnings());
    let second = registry();
    assert!(
        second.get("labels").expect("labels").from_cache(),
        "warm run loads the cache"
    );

    let cache = folder.own_cache();
    let found = entries(cache.dir());
    assert_eq!(found.len(), 1, "{found:?}");
    let mode = |path: &Path| std::fs::metadata(path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(cache.dir()), 0o700);
    assert_eq!(mode(&found[0]), 0o600);
    assert_eq!(mode(cache.key_file()), 0o600);
    assert!(!cache.key_file().starts_with(cache.dir()));

    // Flip a byte in the middle of the compiled code: the MAC catches it.
    let mut bytes = std::fs::read(&found[0]).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&found[0], &bytes).expect("write");
    let third = registry();
    let labels = third.get("labels").expect("labels");
    assert!(!labels.from_cache(), "a corrupt entry is recompiled");
    let warned: Vec<String> = third.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].contains("failed authentication"), "{warned:?}");
    assert!(third.post_render(vec![service()]).is_ok());
    // Truncated to nothing: recompiled again, then valid again.
    std::fs::write(&found[0], b"").expect("truncate");
    let fourth = registry();
    assert!(!fourth.get("labels").expect("labels").from_cache());
    assert!(fourth.warnings()[0].to_string().contains("is truncated"));
    let fifth = registry();
    assert!(fifth.get("labels").expect("labels").from_cache());
    assert!(fifth.warnings().is_empty());
}

/// A home of its own for a test of the cache through the binary: its own cache and key.
fn own_home(folder: &Folder) -> Test {
    cli(folder)
        .env("XDG_CACHE_HOME", folder.path().join("xdg-cache"))
        .env("XDG_DATA_HOME", folder.data_home())
}

fn components(folder: &Folder) -> PathBuf {
    folder.path().join("xdg-cache/kubectl-chart/components")
}

#[test]
fn a_forged_entry_with_a_correct_plain_checksum_is_refused() {
    let folder = Folder::new();
    let dir = folder.plugins();
    let list = |folder: &Folder| {
        own_home(folder)
            .args(["plugin", "list", "-o", "json", "--plugins-dir", arg(&dir)])
            .run()
    };
    folder.add("labels", "labels", "");
    list(&folder);
    let labels_entry = entries(&components(&folder));
    assert_eq!(labels_entry.len(), 1);
    folder.add("policy", "policy", "");
    list(&folder);
    let policy_entry: Vec<PathBuf> = entries(&components(&folder))
        .into_iter()
        .filter(|e| *e != labels_entry[0])
        .collect();
    assert_eq!(policy_entry.len(), 1);

    // Put the policy linter's compiled code where the labels post-renderer's belongs, under
    // the entry's own header and the payload's correct SHA-256: all a forger without the
    // key can compute.
    let labels = std::fs::read(&labels_entry[0]).expect("read");
    let policy = std::fs::read(&policy_entry[0]).expect("read");
    let payload = &policy[PAYLOAD_AT..];
    let mut forged = labels[..CHECK_AT].to_vec();
    forged.extend_from_slice(&Sha256::digest(payload));
    forged.extend_from_slice(payload);
    std::fs::write(&labels_entry[0], &forged).expect("write");

    let run = list(&folder);
    let plugins = run.json();
    let labels = plugins
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "labels")
        .unwrap_or_else(|| panic!("no labels in {plugins}"));
    assert_eq!(
        labels["kind"], "post-renderer",
        "the forged code ran: {plugins}"
    );
    let stderr = run.stderr();
    let warned = warnings(&stderr);
    assert_eq!(warned.len(), 1, "{stderr}");
    assert!(
        warned[0].starts_with("warning: compiled-plugin cache entry `")
            && warned[0].contains("labels.wasm")
            && warned[0].contains("failed authentication")
            && warned[0].ends_with("recompiling it"),
        "{stderr}"
    );

    // The entry was rewritten: the next run is warm and quiet.
    let run = own_home(&folder)
        .args(["plugin", "inspect", "labels", "--plugins-dir", arg(&dir)])
        .run();
    run.stdout_has(&["Kind:       post-renderer", "Compiled:   from cache"]);
    assert!(warnings(&run.stderr()).is_empty(), "{}", run.stderr());
}

#[test]
fn a_cache_folder_others_can_write_is_not_used() {
    let folder = Folder::new();
    folder.add("labels", "labels", "");
    let shared = components(&folder);
    std::fs::create_dir_all(&shared).expect("mkdir");
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    for _ in 0..2 {
        let run = own_home(&folder)
            .args([
                "plugin",
                "inspect",
                "labels",
                "--plugins-dir",
                arg(&folder.plugins()),
            ])
            .run();
        run.stdout_has(&["Compiled:   in this run"]);
        let stderr = run.stderr();
        let warned = warnings(&stderr);
        assert_eq!(warned.len(), 1, "{stderr}");
        assert!(
            warned[0].starts_with("warning: compiled-plugin cache disabled: `")
                && warned[0].contains("can be written by others (mode 0777)"),
            "{stderr}"
        );
    }
    assert!(
        entries(&shared).is_empty(),
        "nothing is written to a shared folder"
    );
}

#[test]
fn a_key_others_can_read_is_refused() {
    let folder = Folder::new();
    folder.add("labels", "labels", "");
    let inspect = || {
        own_home(&folder)
            .args([
                "plugin",
                "inspect",
                "labels",
                "--plugins-dir",
                arg(&folder.plugins()),
            ])
            .run()
    };
    inspect();
    inspect().stdout_has(&["Compiled:   from cache"]);
    let key = folder.data_home().join("kubectl-chart/cache.key");
    assert_eq!(
        std::fs::metadata(&key).expect("key").permissions().mode() & 0o777,
        0o600
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let run = inspect();
    run.stdout_has(&["Compiled:   in this run"]);
    let stderr = run.stderr();
    let warned = warnings(&stderr);
    assert_eq!(warned.len(), 1, "{stderr}");
    assert!(
        warned[0].contains("key file `") && warned[0].contains("can be read or written by others"),
        "{stderr}"
    );
}

#[test]
fn a_read_only_home_works_with_one_warning_at_most() {
    // /sys refuses new folders even to root, unlike a folder without write permission.
    let home = Path::new("/sys");
    assert!(home.is_dir(), "this test needs Linux's /sys");
    let folder = Folder::new();
    folder.add(
        "labels",
        "labels",
        "[config]\nlabels = { team = \"payments\" }\n",
    );
    let run = cli(&folder)
        .env("HOME", home)
        .env_remove("XDG_CACHE_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .args([
            "post-render",
            "--no-lint",
            "--plugins-dir",
            arg(&folder.plugins()),
        ])
        .stdin(super::cli::STREAM)
        .run();
    run.stdout_has(&["team: payments"]);
    let stderr = run.stderr();
    let warned = warnings(&stderr);
    assert!(warned.len() <= 1, "{stderr}");
    assert!(
        warned
            .iter()
            .all(|w| w.starts_with("warning: compiled-plugin cache disabled: cannot create `/sys/")),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), warned.len(), "{stderr}");
}

#[test]
fn entries_are_found_by_kind_after_a_warm_load() {
    // A warm load gives the same plugin as a cold one: kind, rules, behaviour.
    let folder = Folder::new();
    folder
        .add("policy", "policy", "")
        .add("labels", "labels", "");
    let registry = || {
        let mut search = SearchPath::default();
        search.push(folder.plugins(), Origin::Env);
        Registry::discover(&search, Some(folder.own_cache())).expect("discovery")
    };
    let cold = registry();
    let warm = registry();
    for name in ["policy", "labels"] {
        let (c, w) = (cold.get(name).expect(name), warm.get(name).expect(name));
        assert!(!c.from_cache() && w.from_cache(), "{name}");
        assert_eq!(c.kind(), w.kind());
        assert_eq!(c.rules(), w.rules());
    }
    assert_eq!(warm.get("policy").map(|p| p.kind()), Some(Kind::Linter));
}
