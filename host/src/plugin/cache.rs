//! Compiled components on disk ([`crate::cache::Store`]), so a warm run does not compile,
//! and never trusted unless this user's kubectl-chart wrote them: compiled code is native
//! code, and loading an entry runs whatever it holds.
//!
//! An entry is keyed by the SHA-256 of the component's bytes and the engine's compatibility
//! hash, which covers the wasmtime version, the target, its CPU features and every
//! compilation setting; its payload is what `Component::serialize` produced, authenticated
//! with the user's key before `Component::deserialize` sees a byte of it.

use std::hash::{Hash, Hasher};
use std::path::Path;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::text;
use crate::cache::{KEY_LEN, Kind, Store};

/// Compiled components: native code.
const KIND: Kind = Kind {
    // Bumped whenever the file layout changes.
    magic: b"kchart-cwasm-v2\n",
    extension: "cwasm",
    label: "compiled-plugin",
    compiled: "plugins",
    // Several times the largest plugin a folder may hold.
    max_entry_bytes: 1024 * 1024 * 1024,
};

/// A folder of compiled components, and the file holding the key that authenticates them.
///
/// Nothing is touched until the first plugin is loaded: a run without plugins creates no
/// folder and no key.
#[derive(Debug)]
pub struct Cache(Store);

impl Cache {
    /// A cache in `dir`, authenticated with the key in `key_file` (both created when first
    /// needed). `key_file` must not be inside `dir`.
    pub fn new(
        dir: impl Into<std::path::PathBuf>,
        key_file: impl Into<std::path::PathBuf>,
    ) -> Cache {
        Cache(Store::new(KIND, dir, key_file))
    }

    /// `$XDG_CACHE_HOME/kubectl-chart/components` (else `~/.cache/...`), with the key in
    /// `$XDG_DATA_HOME/kubectl-chart/cache.key` (else `~/.local/share/...`). `None` without a
    /// home folder, or off Unix (where folder ownership cannot be checked).
    pub fn from_env() -> Option<Cache> {
        Store::from_env(KIND, "components").map(Cache)
    }

    pub fn dir(&self) -> &Path {
        self.0.dir()
    }

    pub fn key_file(&self) -> &Path {
        self.0.key_file()
    }

    /// What went wrong with the cache since the last call, one line each.
    pub(crate) fn take_warnings(&self) -> Vec<String> {
        self.0.take_warnings()
    }

    /// The compiled component for `bytes` (the content of the plugin at `plugin`), if this
    /// user's kubectl-chart wrote an entry for it.
    pub(crate) fn load(&self, engine: &Engine, bytes: &[u8], plugin: &Path) -> Option<Component> {
        let entry = entry_key(engine, bytes);
        let subject = format!("for `{}`", text::path(plugin));
        let payload = self.0.load(&entry, &subject)?;
        match deserialize(engine, &payload) {
            Ok(component) => Some(component),
            Err(err) => {
                let reason = format!(
                    "could not be loaded ({})",
                    text::one_line(&format!("{err:#}"), text::QUOTE_CHARS)
                );
                self.0.reject(&entry, &subject, reason);
                None
            }
        }
    }

    /// Writes the compiled form of `bytes`; atomically, so a concurrent reader sees the old
    /// entry, the new one, or none. A failure is one warning per run.
    pub(crate) fn store(&self, engine: &Engine, bytes: &[u8], component: &Component) {
        self.0.store(&entry_key(engine, bytes), || {
            component
                .serialize()
                .map_err(|err| std::io::Error::other(format!("{err:#}")))
        });
    }
}

#[expect(
    unsafe_code,
    reason = "Component::deserialize trusts its input to be wasmtime's own compiled code; this \
              is only reached for bytes whose MAC, under the user's secret key, proves this \
              user's kubectl-chart serialised them"
)]
fn deserialize(engine: &Engine, payload: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: `payload` is the exact byte string `Cache::store` got from
    // `Component::serialize`: its HMAC-SHA-256 under the user's key, which only this user can
    // read, was verified on this very buffer (no second read of the file). wasmtime itself
    // rejects output of another version or configuration.
    unsafe { Component::deserialize(engine, payload) }
}

/// SHA-256 of the component's bytes and the engine's compatibility hash (wasmtime version,
/// target triple and CPU features, compiler flags, tunables, wasm features).
fn entry_key(engine: &Engine, bytes: &[u8]) -> [u8; KEY_LEN] {
    let mut hasher = ShaHasher(Sha256::new());
    hasher.0.update(b"kubectl-chart component\0");
    hasher.0.update(Sha256::digest(bytes));
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.0.finalize().into()
}

/// Feeds a `Hash` implementation into SHA-256, so the engine's hash is stable across runs
/// (the std `DefaultHasher` is not promised to be).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(first)
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}
