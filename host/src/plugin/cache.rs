//! Compiled components on disk, so a warm run does not compile, and never trusted unless this
//! user's kubectl-chart wrote them.
//!
//! Compiled code is native code: loading an entry runs whatever it holds. So every entry is
//! authenticated with HMAC-SHA-256 under the user's secret key ([`super::cache_key`]), which
//! lives outside the cache folder. Whoever can write the cache folder but not read the key
//! cannot make an entry this module accepts: a forged, swapped, patched or truncated entry is
//! refused, removed and recompiled, with a one-line warning.
//!
//! - An entry is found by a name derived from the key and the entry key (the SHA-256 of the
//!   component's bytes and the engine's compatibility hash, which covers the wasmtime version,
//!   the target, its CPU features and every compilation setting), so another user's or another
//!   key's entries are never even looked at.
//! - An entry file: magic (16 bytes), the entry key (32), the MAC (32) of the magic, the entry
//!   key and the payload, then the payload `Component::serialize` produced. The whole file is
//!   read into memory and checked there, and the very bytes checked are the ones deserialised.
//! - The cache folder must be the user's and not writable by others; it is made 0700.
//! - Writes are atomic (a private temporary file renamed into place).
//! - Anything that goes wrong disables the cache for the run with one warning: plugins are
//!   then compiled every time, and nothing else changes.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::cache_key::{self, CacheKey, SetupError};
use super::files::{self, ReadError};
use super::text;

/// Bumped whenever the file layout changes.
const MAGIC: &[u8; 16] = b"kchart-cwasm-v2\n";
const KEY_LEN: usize = 32;
const MAC_LEN: usize = 32;
const HEADER_LEN: usize = MAGIC.len() + KEY_LEN + MAC_LEN;

/// The largest entry read back: several times the largest plugin a folder may hold.
const MAX_ENTRY_BYTES: u64 = 1024 * 1024 * 1024;

type HmacSha256 = Hmac<Sha256>;

/// A folder of compiled components, and the file holding the key that authenticates them.
///
/// Nothing is touched until the first plugin is loaded: a run without plugins creates no
/// folder and no key.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    key_file: PathBuf,
    /// The key, once the folder and the key file passed their checks; `None`: disabled.
    key: OnceLock<Option<CacheKey>>,
    warnings: Mutex<Vec<String>>,
    write_failed: AtomicBool,
}

impl Cache {
    /// A cache in `dir`, authenticated with the key in `key_file` (both created when first
    /// needed). `key_file` must not be inside `dir`.
    pub fn new(dir: impl Into<PathBuf>, key_file: impl Into<PathBuf>) -> Cache {
        Cache {
            dir: dir.into(),
            key_file: key_file.into(),
            key: OnceLock::new(),
            warnings: Mutex::new(Vec::new()),
            write_failed: AtomicBool::new(false),
        }
    }

    /// `$XDG_CACHE_HOME/kubectl-chart/components` (else `~/.cache/...`), with the key in
    /// `$XDG_DATA_HOME/kubectl-chart/cache.key` (else `~/.local/share/...`). `None` without a
    /// home folder, or off Unix (where folder ownership cannot be checked).
    pub fn from_env() -> Option<Cache> {
        if !cfg!(unix) {
            return None;
        }
        let dir = xdg_dir("XDG_CACHE_HOME", ".cache")?;
        let data = xdg_dir("XDG_DATA_HOME", ".local/share")?;
        Some(Cache::new(
            dir.join("kubectl-chart").join("components"),
            data.join("kubectl-chart").join("cache.key"),
        ))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn key_file(&self) -> &Path {
        &self.key_file
    }

    /// What went wrong with the cache since the last call, one line each.
    pub(crate) fn take_warnings(&self) -> Vec<String> {
        match self.warnings.lock() {
            Ok(mut warnings) => std::mem::take(&mut *warnings),
            Err(_) => Vec::new(),
        }
    }

    fn warn(&self, message: String) {
        if let Ok(mut warnings) = self.warnings.lock() {
            warnings.push(message);
        }
    }

    /// The key, setting the cache up on first use; `None` (after one warning) when the cache
    /// cannot be used safely.
    fn key(&self) -> Option<&CacheKey> {
        self.key
            .get_or_init(|| match self.setup() {
                Ok(key) => Some(key),
                Err(err) => {
                    self.warn(format!(
                        "compiled-plugin cache disabled: {err}; plugins are compiled on every run"
                    ));
                    None
                }
            })
            .as_ref()
    }

    fn setup(&self) -> Result<CacheKey, SetupError> {
        if !cfg!(unix) {
            return Err(SetupError::Unsupported);
        }
        cache_key::ensure_private_dir(&self.dir)?;
        CacheKey::load_or_create(&self.key_file)
    }

    fn entry_path(&self, key: &CacheKey, entry: &[u8; KEY_LEN]) -> PathBuf {
        let mut name = mac(key, b"kubectl-chart cache entry name\0");
        name.update(entry);
        self.dir
            .join(format!("{}.cwasm", hex(&name.finalize().into_bytes())))
    }

    /// The compiled component for `bytes` (the content of the plugin at `plugin`), if this
    /// user's kubectl-chart wrote an entry for it.
    pub(crate) fn load(&self, engine: &Engine, bytes: &[u8], plugin: &Path) -> Option<Component> {
        let key = self.key()?;
        let entry = entry_key(engine, bytes);
        let path = self.entry_path(key, &entry);
        let refuse = |reason: String| {
            self.warn(format!(
                "compiled-plugin cache entry `{}` for `{}` {reason}; recompiling it",
                text::path(&path),
                text::path(plugin)
            ));
            let _ = std::fs::remove_file(&path);
            None
        };
        let file = match files::read(&path, MAX_ENTRY_BYTES) {
            Ok(file) => file,
            Err(err) if err.is_not_found() => return None,
            Err(ReadError::NotAFile { kind }) => return refuse(format!("is {kind}")),
            Err(ReadError::TooLarge { size, .. }) => {
                return refuse(format!("is too large ({})", text::size(size)));
            }
            Err(ReadError::Io(err)) => return refuse(format!("cannot be read ({err})")),
        };
        let payload = match authenticate(key, &file, &entry) {
            Ok(payload) => payload,
            Err(reason) => return refuse(reason.to_owned()),
        };
        match deserialize(engine, payload) {
            Ok(component) => Some(component),
            Err(err) => refuse(format!(
                "could not be loaded ({})",
                text::one_line(&format!("{err:#}"), text::QUOTE_CHARS)
            )),
        }
    }

    /// Writes the compiled form of `bytes`; atomically, so a concurrent reader sees the old
    /// entry, the new one, or none. A failure is one warning per run.
    pub(crate) fn store(&self, engine: &Engine, bytes: &[u8], component: &Component) {
        let Some(key) = self.key() else {
            return;
        };
        if self.write_failed.load(Ordering::Relaxed) {
            return;
        }
        let entry = entry_key(engine, bytes);
        let path = self.entry_path(key, &entry);
        let tmp = cache_key::temp_name(&path);
        let write = || -> std::io::Result<()> {
            let payload = component
                .serialize()
                .map_err(|err| std::io::Error::other(format!("{err:#}")))?;
            let mut file = cache_key::new_private_file(&tmp)?;
            file.write_all(MAGIC)?;
            file.write_all(&entry)?;
            file.write_all(&entry_mac(key, &entry, &payload))?;
            file.write_all(&payload)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(err) = write() {
            let _ = std::fs::remove_file(&tmp);
            if !self.write_failed.swap(true, Ordering::Relaxed) {
                self.warn(format!(
                    "compiled-plugin cache: cannot write `{}`: {err}; plugins are compiled on every run",
                    text::path(&path)
                ));
            }
        }
    }
}

fn xdg_dir(var: &str, under_home: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(under_home))
        })
}

fn mac(key: &CacheKey, domain: &[u8]) -> HmacSha256 {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key.bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(domain);
    mac
}

fn entry_mac(key: &CacheKey, entry: &[u8; KEY_LEN], payload: &[u8]) -> [u8; MAC_LEN] {
    let mut mac = mac(key, b"kubectl-chart cache entry\0");
    mac.update(MAGIC);
    mac.update(entry);
    mac.update(payload);
    mac.finalize().into_bytes().into()
}

/// The payload of an entry file, if it is ours, for `entry`, and its MAC verifies (compared
/// in constant time); else why not.
fn authenticate<'a>(
    key: &CacheKey,
    file: &'a [u8],
    entry: &[u8; KEY_LEN],
) -> Result<&'a [u8], &'static str> {
    if file.len() < HEADER_LEN {
        return Err("is truncated");
    }
    let (magic, rest) = file.split_at(MAGIC.len());
    let (stored_entry, rest) = rest.split_at(KEY_LEN);
    let (stored_mac, payload) = rest.split_at(MAC_LEN);
    if magic != MAGIC {
        return Err("is not an entry this version of kubectl-chart wrote");
    }
    if stored_entry != entry {
        return Err("is for another plugin or engine");
    }
    let mut mac = mac(key, b"kubectl-chart cache entry\0");
    mac.update(MAGIC);
    mac.update(entry);
    mac.update(payload);
    if mac.verify_slice(stored_mac).is_err() {
        return Err(
            "failed authentication (it was not written by your kubectl-chart, or was changed since)",
        );
    }
    Ok(payload)
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

pub(crate) fn hex(bytes: &[u8]) -> String {
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

    fn key(byte: u8) -> CacheKey {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, format!("{}\n", hex(&[byte; 32]))).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        CacheKey::load_or_create(&path).unwrap()
    }

    fn file(key: &CacheKey, entry: &[u8; 32], payload: &[u8]) -> Vec<u8> {
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(entry);
        file.extend_from_slice(&entry_mac(key, entry, payload));
        file.extend_from_slice(payload);
        file
    }

    #[test]
    fn only_entries_under_the_users_key_are_accepted() {
        let ours = key(1);
        let theirs = key(2);
        let entry = [7u8; 32];
        let payload = b"compiled code";
        let good = file(&ours, &entry, payload);
        assert_eq!(authenticate(&ours, &good, &entry), Ok(&payload[..]));

        // The plain checksum a forger can compute is not the MAC.
        let mut forged = MAGIC.to_vec();
        forged.extend_from_slice(&entry);
        forged.extend_from_slice(&Sha256::digest(payload));
        forged.extend_from_slice(payload);

        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        let mut old_magic = good.clone();
        old_magic[14] = b'1';
        let mut other_entry = good.clone();
        other_entry[MAGIC.len()] ^= 1;

        for (name, bytes, entry, reason) in [
            (
                "another key",
                file(&theirs, &entry, payload),
                entry,
                "failed authentication",
            ),
            ("plain checksum", forged, entry, "failed authentication"),
            ("payload changed", flipped, entry, "failed authentication"),
            ("old layout", old_magic, entry, "not an entry this version"),
            ("other entry", other_entry, entry, "another plugin"),
            (
                "asked for another entry",
                good.clone(),
                [8u8; 32],
                "another plugin",
            ),
            (
                "truncated",
                good[..HEADER_LEN - 1].to_vec(),
                entry,
                "truncated",
            ),
            ("empty", Vec::new(), entry, "truncated"),
        ] {
            let err = authenticate(&ours, &bytes, &entry).unwrap_err();
            assert!(err.contains(reason), "{name}: {err}");
        }
    }

    #[test]
    fn entry_names_depend_on_the_key() {
        let cache = Cache::new("/c", "/k");
        let entry = [3u8; 32];
        let a = cache.entry_path(&key(1), &entry);
        let b = cache.entry_path(&key(2), &entry);
        assert_ne!(a, b);
        assert_eq!(a, cache.entry_path(&key(1), &entry));
        assert!(a.starts_with("/c") && a.extension().is_some_and(|e| e == "cwasm"));
    }
}
