//! Hostile guests: a plugin that traps, panics, loops, hogs memory, returns garbage or tries
//! to leave the sandbox is stopped, named, and the host carries on.

use std::time::Duration;

use kubectl_chart::manifest::Object;
use kubectl_chart::plugin;

use super::{Folder, add_to, arg, cli, deployment};

fn hostile(mode: &str, limits: &str) -> Result<Vec<Object>, plugin::Error> {
    let folder = Folder::new();
    folder.add(
        "hostile",
        "hostile",
        &format!("[config]\nmode = \"{mode}\"\nmib = 2\n[limits]\n{limits}\n"),
    );
    folder.registry().post_render(vec![deployment()])
}

#[test]
fn hostile_trap_is_reported() {
    let err = hostile("trap", "").unwrap_err();
    assert!(
        matches!(err, plugin::Error::Trap { ref plugin, .. } if plugin == "hostile"),
        "{err}"
    );
    assert!(err.to_string().contains("unreachable"), "{err}");
}

#[test]
fn hostile_panic_message_is_shown() {
    let err = hostile("panic", "").unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, plugin::Error::Trap { .. }), "{message}");
    assert!(message.starts_with("plugin `hostile` trapped"), "{message}");
    assert!(
        message.contains("hostile plugin panics on purpose"),
        "{message}"
    );
}

#[test]
fn hostile_loop_is_stopped_by_the_deadline() {
    let folder = Folder::new();
    folder.add(
        "hostile",
        "hostile",
        "[config]\nmode = \"loop\"\n[limits]\ntimeout-ms = 200\n",
    );
    let registry = folder.registry();
    let started = std::time::Instant::now();
    let err = registry.post_render(vec![deployment()]).unwrap_err();
    assert!(
        matches!(err, plugin::Error::Timeout { ref plugin, limit_ms: 200 } if plugin == "hostile"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        err.to_string(),
        "plugin `hostile` ran longer than its 200 ms limit and was stopped"
    );
}

#[test]
fn hostile_loop_is_stopped_by_the_default_deadline() {
    let err = hostile("loop", "").unwrap_err();
    assert!(
        matches!(err, plugin::Error::Timeout { limit_ms: 2000, .. }),
        "{err}"
    );
}

#[test]
fn hostile_memory_hog_is_stopped() {
    let err = hostile("memory", "memory-mib = 64").unwrap_err();
    assert!(
        matches!(err, plugin::Error::Memory { ref plugin, limit_mib: 64 } if plugin == "hostile"),
        "{err}"
    );
}

#[test]
fn hostile_memory_hog_is_stopped_at_the_default_limit() {
    let err = hostile("memory", "").unwrap_err();
    assert!(
        matches!(err, plugin::Error::Memory { limit_mib: 256, .. }),
        "{err}"
    );
}

#[test]
fn hostile_garbage_output_is_rejected() {
    let err = hostile("garbage", "").unwrap_err();
    assert!(matches!(err, plugin::Error::BadOutput { .. }), "{err}");
    assert!(
        err.to_string().contains("object 0 is not valid JSON"),
        "{err}"
    );
    let err = hostile("not-object", "").unwrap_err();
    assert!(matches!(err, plugin::Error::BadOutput { .. }), "{err}");
    assert!(err.to_string().contains("apiVersion"), "{err}");
}

#[test]
fn hostile_huge_output_is_rejected() {
    let err = hostile("huge", "output-mib = 1").unwrap_err();
    assert!(
        matches!(
            err,
            plugin::Error::OutputTooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{err}"
    );
    // Within the limit, the same output is fine.
    let ok = hostile("huge", "output-mib = 4").expect("2 MiB is under 4 MiB");
    assert_eq!(ok[0].name(), "big");
    assert_eq!(ok[0].source, "x");
}

#[test]
fn guest_errors_carry_file_and_line() {
    let err = hostile("error", "").unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `hostile` failed: templates/cm.yaml:7: hostile plugin refuses"
    );
}

#[test]
fn sandbox_grants_no_files_env_clock_or_network() {
    let err = hostile("escape", "").unwrap_err();
    let message = err.to_string();
    assert!(message.contains("file=denied"), "{message}");
    assert!(message.contains("dir=denied"), "{message}");
    assert!(message.contains("env=0"), "{message}");
    assert!(message.contains("time=0"), "{message}");
    assert!(message.contains("net=denied"), "{message}");
}

#[test]
fn a_passing_hostile_guest_works_after_failures() {
    let folder = Folder::new();
    folder.add("hostile", "hostile", "[config]\nmode = \"trap\"\n");
    let registry = folder.registry();
    for _ in 0..3 {
        assert!(registry.post_render(vec![deployment()]).is_err());
    }
    let folder = Folder::new();
    folder.add("hostile", "hostile", "");
    let out = folder
        .registry()
        .post_render(vec![deployment()])
        .expect("pass");
    assert_eq!(out, vec![deployment()]);
}

#[test]
fn a_post_renderer_cannot_smuggle_an_object_past_the_linters() {
    // An object's source is printed after `# Source:`; a line break in it would add an object
    // to the output stream that no linter saw.
    let folder = Folder::new();
    let chart = folder.chart(
        "shop",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    );
    add_to(
        &chart.join("plugins"),
        "hostile",
        "sneak",
        "[config]\nmode = \"smuggle\"\n",
    );
    let run = cli(&folder)
        .args(["template", "r", arg(&chart)])
        .status(1)
        .run();
    assert!(!run.stdout().contains("smuggled"), "{}", run.stdout());
    run.stderr_has(&[
        "error: plugin `sneak` returned bad output: object 0 source `web/templates/x.yaml\\n---\\napiVersion",
        "holds a line break or another control character",
    ]);
    assert_eq!(run.stderr().lines().count(), 1, "{}", run.stderr());
}

#[test]
fn a_guests_error_is_one_bounded_line_without_escape_sequences() {
    let folder = Folder::new();
    folder.add("hostile", "shout", "[config]\nmode = \"shout\"\n");
    let run = cli(&folder)
        .args(["post-render", "--plugins-dir", arg(&folder.plugins())])
        .stdin(super::cli::STREAM)
        .status(1)
        .run();
    let stderr = run.stderr();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(stderr.len() < 3000, "{} bytes", stderr.len());
    run.stderr_has(&[
        "error: plugin `shout` failed: a b: \\u{1b}[2J\\u{1b}[31mcleared line line",
        "…",
    ]);
}
