//! Plugin files and folders that are not what they claim, through the real binary, each run
//! with a watchdog and a data-size limit: a FIFO or a device is refused without being opened
//! for long or read, a 2 GB `x.wasm` is refused by its size before a byte is read, a file
//! that is not WebAssembly by its first bytes, and every warning stays on one line.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::{Folder, add_to, arg, cli, warnings};
use crate::support::Test;

/// Limits for runs given hostile files: a hang or reading a huge input fails the test.
fn guarded(folder: &Folder) -> Test {
    cli(folder)
        .timeout(Duration::from_secs(120))
        .data_limit_mib(512)
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn a_fifo_named_as_a_plugin_is_refused_not_waited_on() {
    let folder = Folder::new();
    let fifo = folder.plugins().join("fifo.wasm");
    mkfifo(&fifo);
    guarded(&folder)
        .args(["plugin", "list", "--plugins-dir", arg(&fifo)])
        .status(1)
        .run()
        .stderr_has(&["fifo.wasm` is not a regular file (it is a FIFO)"]);
    // Found by searching a folder, it is skipped with a warning.
    folder.add("labels", "labels", "");
    let run = guarded(&folder)
        .args(["plugin", "list", "--plugins-dir", arg(&folder.plugins())])
        .run();
    run.stdout_has(&["labels"]);
    run.stderr_has(&[
        "warning: skipping plugin `",
        "fifo.wasm`: not a regular file (it is a FIFO)",
    ]);
}

#[test]
fn a_device_is_neither_a_plugin_nor_a_plugins_folder() {
    let folder = Folder::new();
    guarded(&folder)
        .args(["plugin", "list", "--plugins-dir", "/dev/zero"])
        .status(1)
        .run()
        .stderr_has(&["error: plugin folder `/dev/zero` is a character device, not a folder"]);
    guarded(&folder)
        .env("KUBECTL_CHART_PLUGINS", "/dev/zero")
        .args(["plugin", "list"])
        .status(1)
        .run()
        .stderr_has(&["plugin folder `/dev/zero` is a character device"]);
    let zero = folder.plugins().join("zero.wasm");
    symlink("/dev/zero", &zero).expect("symlink");
    guarded(&folder)
        .args(["plugin", "list", "--plugins-dir", arg(&zero)])
        .status(1)
        .run()
        .stderr_has(&["zero.wasm` is not a regular file (it is a character device)"]);
    guarded(&folder)
        .args(["plugin", "inspect", "/dev/zero"])
        .status(1)
        .run()
        .stderr_has(&["`/dev/zero` is a character device, not a folder"]);
}

#[test]
fn a_charts_sidecar_that_never_ends_is_an_error() {
    let folder = Folder::new();
    for (name, make) in [
        (
            "zero",
            (|p: &Path| symlink("/dev/zero", p).expect("symlink")) as fn(&Path),
        ),
        ("fifo", |p: &Path| mkfifo(p)),
    ] {
        let chart = folder.chart(
            &format!("chart-{name}"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        );
        add_to(&chart.join("plugins"), "labels", name, "");
        make(&chart.join(format!("plugins/{name}.toml")));
        // `plugin list CHART` reads the chart's plugins, not the rest of the chart.
        let run = guarded(&folder)
            .args(["plugin", "list", arg(&chart)])
            .status(1)
            .run();
        run.stderr_has(&[
            &format!("error: invalid plugin sidecar `{}", arg(&chart)),
            &format!("plugins/{name}.toml`: it is a "),
            "not a regular file",
        ]);
        assert_eq!(run.stderr().lines().count(), 1, "{}", run.stderr());
    }
}

#[test]
fn a_huge_file_is_refused_by_its_size_before_it_is_read() {
    let folder = Folder::new();
    let big = std::fs::File::create(folder.plugins().join("big.wasm")).expect("create");
    // Sparse: 2 GiB that takes no disk space, and would take 2 GiB of memory to read.
    big.set_len(2 * 1024 * 1024 * 1024).expect("set_len");
    folder.add("labels", "labels", "");
    let run = guarded(&folder)
        .args(["plugin", "list", "--plugins-dir", arg(&folder.plugins())])
        .run();
    run.stdout_has(&["labels"]);
    run.stderr_has(&["big.wasm`: too large: 2.0 GiB, more than the 128.0 MiB a plugin may be"]);
}

#[test]
fn bad_plugin_files_are_one_line_warnings_that_keep_the_cause() {
    let folder = Folder::new();
    let dir = folder.plugins();
    std::fs::write(dir.join("junk.wasm"), b"hello world, this is not wasm").expect("write");
    std::fs::write(dir.join("core.wasm"), b"\0asm\x01\0\0\0").expect("write");
    std::fs::write(
        dir.join("broken.wasm"),
        b"\0asm\x0d\0\x01\0\xff\xff\xff\xff",
    )
    .expect("write");
    std::fs::write(dir.join("empty.wasm"), b"").expect("write");
    std::fs::write(dir.join("bad\nname.wasm"), b"\0asm\x0d\0\x01\0").expect("write");
    let run = guarded(&folder)
        .args(["plugin", "list", "--plugins-dir", arg(&dir)])
        .run();
    run.stdout_has(&["no plugins found"]);
    let stderr = run.stderr();
    let warned = warnings(&stderr);
    assert_eq!(warned.len(), 5, "{stderr}");
    assert_eq!(
        stderr.lines().count(),
        5,
        "every warning is one line:\n{stderr}"
    );
    for expected in [
        "junk.wasm`: not a WebAssembly component: it starts with `hello wo`, not with the WebAssembly magic bytes `\\0asm`",
        "core.wasm`: a core WebAssembly module, not a component",
        "broken.wasm`: not a valid WebAssembly component: ",
        "empty.wasm`: not a WebAssembly component: it starts with ``",
        "bad\\nname.wasm`: not a usable plugin name",
    ] {
        assert!(
            warned.iter().any(|w| w.contains(expected)),
            "no warning with {expected:?}:\n{stderr}"
        );
    }
}

#[test]
fn a_deeply_nested_sidecar_is_an_error_not_a_crash() {
    let folder = Folder::new();
    folder.add(
        "labels",
        "labels",
        &format!("x = {}1{}\n", "[".repeat(200_000), "]".repeat(200_000)),
    );
    let run = guarded(&folder)
        .args(["plugin", "list", "--plugins-dir", arg(&folder.plugins())])
        .status(1)
        .run();
    run.stderr_has(&["error: invalid plugin sidecar `", "labels.toml`: "]);
    assert_eq!(run.stderr().lines().count(), 1, "{}", run.stderr());
}
