//! What the real-tool suites share: the peer binaries from `../shared/tools/peers.sh`. A
//! missing peer fails the suite loudly; no test is skipped for want of one.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The folder holding the real `helm` and `kubectl`.
pub fn peers() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let script = root.join("../shared/tools/peers.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
}

/// A peer binary by name (`helm`, `kubectl`).
pub fn peer(name: &str) -> PathBuf {
    let bin = peers().join(name);
    assert!(
        bin.is_file(),
        "{name} not found at {} (from ../shared/tools/peers.sh)",
        bin.display()
    );
    bin
}
