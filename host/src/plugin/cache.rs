//! Compiled components on disk, so a warm run does not compile.
//!
//! An entry is named by a key: the SHA-256 of the component's bytes and of the engine's
//! compatibility hash (which covers the wasmtime version and every compilation setting). Its
//! file holds a header written by this module (magic, the key, the SHA-256 of the payload) and
//! the payload `Component::serialize` produced. An entry is used only when the header matches
//! and the payload hashes to what the header says; anything else (truncated, corrupt, from
//! another engine) is recompiled and rewritten, never trusted.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Bumped whenever the file layout changes.
const MAGIC: &[u8; 16] = b"kchart-cwasm-v1\n";
const HEADER_LEN: usize = MAGIC.len() + 32 + 32;

/// A folder of compiled components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// A cache in `dir` (created when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    /// `$XDG_CACHE_HOME/kubectl-chart/components`, else `~/.cache/kubectl-chart/components`.
    pub fn from_env() -> Option<Cache> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|home| PathBuf::from(home).join(".cache"))
            })?;
        Some(Cache::new(base.join("kubectl-chart").join("components")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that holds (or would hold) the compiled form of `bytes` for `engine`.
    pub fn entry_path(&self, engine: &Engine, bytes: &[u8]) -> PathBuf {
        self.dir.join(format!("{}.cwasm", hex(&key(engine, bytes))))
    }

    /// The compiled component for `bytes`, if a valid entry exists.
    pub(crate) fn load(&self, engine: &Engine, bytes: &[u8]) -> Option<Component> {
        let key = key(engine, bytes);
        let path = self.dir.join(format!("{}.cwasm", hex(&key)));
        let file = fs::read(&path).ok()?;
        let Some(payload) = checked_payload(&file, &key) else {
            let _ = fs::remove_file(&path);
            return None;
        };
        match deserialize(engine, payload) {
            Ok(component) => Some(component),
            Err(_) => {
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Writes the compiled form of `bytes`; atomically, so a concurrent reader sees the old
    /// entry, the new one, or none.
    pub(crate) fn store(
        &self,
        engine: &Engine,
        bytes: &[u8],
        component: &Component,
    ) -> std::io::Result<()> {
        let payload = component
            .serialize()
            .map_err(|err| std::io::Error::other(err.to_string()))?;
        let key = key(engine, bytes);
        fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(format!("{}.cwasm", hex(&key)));
        let tmp = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            hex(&key),
            std::process::id(),
            fastrand::u64(..)
        ));
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(MAGIC)?;
            file.write_all(&key)?;
            file.write_all(&Sha256::digest(&payload))?;
            file.write_all(&payload)?;
            file.sync_all()?;
            fs::rename(&tmp, &path)
        };
        let result = write();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

/// The payload of a cache file, if its header is ours, for `key`, and the payload is intact.
fn checked_payload<'a>(file: &'a [u8], key: &[u8; 32]) -> Option<&'a [u8]> {
    if file.len() < HEADER_LEN || &file[..MAGIC.len()] != MAGIC {
        return None;
    }
    let (stored_key, rest) = file[MAGIC.len()..].split_at(32);
    let (stored_hash, payload) = rest.split_at(32);
    if stored_key != key || stored_hash != Sha256::digest(payload).as_slice() {
        return None;
    }
    Some(payload)
}

#[expect(
    unsafe_code,
    reason = "Component::deserialize trusts its input to be wasmtime's own compiled code; this \
              is only reached for a file this module wrote, whose header matches the key and \
              whose payload hashes to the checksum recorded when it was written"
)]
fn deserialize(engine: &Engine, payload: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: `payload` was produced by `Component::serialize` in `Cache::store` (the header
    // and checksum prove it is the exact bytes written), and wasmtime itself rejects output of
    // another version or configuration.
    unsafe { Component::deserialize(engine, payload) }
}

/// SHA-256 of the component's bytes and the engine's compatibility hash.
fn key(engine: &Engine, bytes: &[u8]) -> [u8; 32] {
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

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_is_checked() {
        let key = [7u8; 32];
        let payload = b"compiled";
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(&key);
        file.extend_from_slice(&Sha256::digest(payload));
        file.extend_from_slice(payload);
        assert_eq!(checked_payload(&file, &key), Some(&payload[..]));
        assert_eq!(checked_payload(&file, &[8u8; 32]), None);
        let mut corrupt = file.clone();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 1;
        assert_eq!(checked_payload(&corrupt, &key), None);
        assert_eq!(checked_payload(&file[..HEADER_LEN - 1], &key), None);
        let mut other = file;
        other[0] = b'X';
        assert_eq!(checked_payload(&other, &key), None);
    }
}
