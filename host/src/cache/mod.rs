//! Compiled forms on disk (plugins' components, Handlebars charts' templates), so that a warm
//! run does not compile again, and never trusted unless this user's kubectl-chart wrote them.
//!
//! What an entry holds decides what it is loaded as: compiled components are native code, and
//! compiled templates decide what is applied to a cluster. So every entry is authenticated
//! with HMAC-SHA-256 under the user's secret key ([`key`]), which lives outside the cache
//! folders. Whoever can write a cache folder but not read the key (a shared CI cache, a
//! restored backup) cannot make an entry this module accepts: a forged, swapped, patched or
//! truncated entry is refused, removed and compiled again, with a one-line warning.
//!
//! - An entry is found by a name derived from the key and the entry key (a SHA-256 the user
//!   of the store computes over what the compiled form depends on), so another user's or
//!   another key's entries are never even looked at.
//! - An entry file: the store's magic (16 bytes), the entry key (32), the MAC (32) of the
//!   magic, the entry key and the payload, then the payload. The whole file is read into
//!   memory and checked there, and the very bytes checked are the ones returned.
//! - A cache folder must be the user's and not writable by others; it is made 0700.
//! - Writes are atomic (a private temporary file renamed into place).
//! - Anything that goes wrong disables the store for the run with one warning: things are
//!   then compiled every time, and nothing else changes.

pub(crate) mod key;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::plugin::files::{self, ReadError};
use crate::plugin::text;
use key::{CacheKey, SetupError};

/// The environment variable that turns every cache off (compiled plugins and templates).
pub const NO_CACHE: &str = "KUBECTL_CHART_NO_CACHE";

pub(crate) const KEY_LEN: usize = 32;
const MAC_LEN: usize = 32;
const MAGIC_LEN: usize = 16;
const HEADER_LEN: usize = MAGIC_LEN + KEY_LEN + MAC_LEN;

type HmacSha256 = Hmac<Sha256>;

/// What one store holds: its file layout and how its warnings name it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kind {
    /// Bumped whenever the layout of the payload changes.
    pub magic: &'static [u8; MAGIC_LEN],
    /// The extension of entry files (`cwasm`).
    pub extension: &'static str,
    /// `compiled-plugin`: how warnings name the cache.
    pub label: &'static str,
    /// `plugins`: what is compiled on every run when the cache cannot be used.
    pub compiled: &'static str,
    /// The largest entry read back.
    pub max_entry_bytes: u64,
}

/// A folder of authenticated entries of one [`Kind`], and the file holding the key.
///
/// Nothing is touched until the first entry is looked up: a run that needs none creates no
/// folder and no key.
#[derive(Debug)]
pub(crate) struct Store {
    kind: Kind,
    dir: PathBuf,
    key_file: PathBuf,
    /// The key, once the folder and the key file passed their checks; `None`: disabled.
    key: OnceLock<Option<CacheKey>>,
    warnings: Mutex<Vec<String>>,
    write_failed: AtomicBool,
}

impl Store {
    /// A store in `dir`, authenticated with the key in `key_file` (both created when first
    /// needed). `key_file` must not be inside `dir`.
    pub fn new(kind: Kind, dir: impl Into<PathBuf>, key_file: impl Into<PathBuf>) -> Store {
        Store {
            kind,
            dir: dir.into(),
            key_file: key_file.into(),
            key: OnceLock::new(),
            warnings: Mutex::new(Vec::new()),
            write_failed: AtomicBool::new(false),
        }
    }

    /// `$XDG_CACHE_HOME/kubectl-chart/NAME` (else `~/.cache/...`), with the key in
    /// `$XDG_DATA_HOME/kubectl-chart/cache.key` (else `~/.local/share/...`). `None` without a
    /// home folder, off Unix (where folder ownership cannot be checked), or when
    /// `KUBECTL_CHART_NO_CACHE` is set to anything but empty or `0`.
    pub fn from_env(kind: Kind, name: &str) -> Option<Store> {
        if !cfg!(unix) || std::env::var_os(NO_CACHE).is_some_and(|v| !v.is_empty() && v != "0") {
            return None;
        }
        let dir = xdg_dir("XDG_CACHE_HOME", ".cache")?;
        let data = xdg_dir("XDG_DATA_HOME", ".local/share")?;
        Some(Store::new(
            kind,
            dir.join("kubectl-chart").join(name),
            data.join("kubectl-chart").join("cache.key"),
        ))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn key_file(&self) -> &Path {
        &self.key_file
    }

    /// What went wrong with the store since the last call, one line each.
    pub fn take_warnings(&self) -> Vec<String> {
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

    /// The key, setting the store up on first use; `None` (after one warning) when it cannot
    /// be used safely.
    fn key(&self) -> Option<&CacheKey> {
        self.key
            .get_or_init(|| match self.setup() {
                Ok(key) => Some(key),
                Err(err) => {
                    self.warn(format!(
                        "{} cache disabled: {err}; {} are compiled on every run",
                        self.kind.label, self.kind.compiled
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
        key::ensure_private_dir(&self.dir)?;
        CacheKey::load_or_create(&self.key_file)
    }

    fn entry_path(&self, key: &CacheKey, entry: &[u8; KEY_LEN]) -> PathBuf {
        let mut name = mac(key, b"kubectl-chart cache entry name\0");
        name.update(entry);
        self.dir.join(format!(
            "{}.{}",
            hex(&name.finalize().into_bytes()),
            self.kind.extension
        ))
    }

    /// The payload stored for `entry`, if this user's kubectl-chart wrote it. `subject` names
    /// what the entry is for in warnings (`` for `x.wasm` ``).
    pub fn load(&self, entry: &[u8; KEY_LEN], subject: &str) -> Option<Vec<u8>> {
        let key = self.key()?;
        let path = self.entry_path(key, entry);
        let file = match files::read(&path, self.kind.max_entry_bytes) {
            Ok(file) => file,
            Err(err) if err.is_not_found() => return None,
            Err(ReadError::NotAFile { kind }) => {
                return self.refuse(&path, subject, format!("is {kind}"));
            }
            Err(ReadError::TooLarge { size, .. }) => {
                return self.refuse(
                    &path,
                    subject,
                    format!("is too large ({})", text::size(size)),
                );
            }
            Err(ReadError::Io(err)) => {
                return self.refuse(&path, subject, format!("cannot be read ({err})"));
            }
        };
        match authenticate(&self.kind, key, &file, entry) {
            Ok(range) => {
                let mut payload = file;
                payload.drain(..range);
                Some(payload)
            }
            Err(reason) => self.refuse(&path, subject, reason.to_owned()),
        }
    }

    /// Reports an entry that passed authentication but could not be loaded, and removes it.
    pub fn reject(&self, entry: &[u8; KEY_LEN], subject: &str, reason: String) {
        if let Some(key) = self.key() {
            let path = self.entry_path(key, entry);
            let _: Option<()> = self.refuse(&path, subject, reason);
        }
    }

    fn refuse<T>(&self, path: &Path, subject: &str, reason: String) -> Option<T> {
        self.warn(format!(
            "{} cache entry `{}` {subject} {reason}; recompiling it",
            self.kind.label,
            text::path(path),
        ));
        let _ = std::fs::remove_file(path);
        None
    }

    /// Writes the payload `payload` produces for `entry`; atomically, so a concurrent reader
    /// sees the old entry, the new one, or none. A failure is one warning per run.
    pub fn store(&self, entry: &[u8; KEY_LEN], payload: impl FnOnce() -> std::io::Result<Vec<u8>>) {
        let Some(key) = self.key() else {
            return;
        };
        if self.write_failed.load(Ordering::Relaxed) {
            return;
        }
        let path = self.entry_path(key, entry);
        let tmp = key::temp_name(&path);
        let write = || -> std::io::Result<()> {
            let payload = payload()?;
            let mut file = key::new_private_file(&tmp)?;
            file.write_all(self.kind.magic)?;
            file.write_all(entry)?;
            file.write_all(&entry_mac(&self.kind, key, entry, &payload))?;
            file.write_all(&payload)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(err) = write() {
            let _ = std::fs::remove_file(&tmp);
            if !self.write_failed.swap(true, Ordering::Relaxed) {
                self.warn(format!(
                    "{} cache: cannot write `{}`: {err}; {} are compiled on every run",
                    self.kind.label,
                    text::path(&path),
                    self.kind.compiled
                ));
            }
        }
    }
}

impl Store {
    /// Removes the oldest entries (by modification time) beyond the `keep` newest. Entries
    /// that cannot be listed or removed are left alone: this is housekeeping.
    pub fn prune(&self, keep: usize) {
        let Ok(listing) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut entries: Vec<(std::time::SystemTime, PathBuf)> = listing
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.path()
                    .extension()
                    .is_some_and(|x| x == self.kind.extension)
            })
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        if entries.len() <= keep {
            return;
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.0));
        for (_, path) in entries.drain(keep..) {
            let _ = std::fs::remove_file(path);
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

fn entry_mac(kind: &Kind, key: &CacheKey, entry: &[u8; KEY_LEN], payload: &[u8]) -> [u8; MAC_LEN] {
    let mut mac = mac(key, b"kubectl-chart cache entry\0");
    mac.update(kind.magic);
    mac.update(entry);
    mac.update(payload);
    mac.finalize().into_bytes().into()
}

/// Where the payload of an entry file starts, if the file is ours, for `entry`, and its MAC
/// verifies (compared in constant time); else why not.
fn authenticate(
    kind: &Kind,
    key: &CacheKey,
    file: &[u8],
    entry: &[u8; KEY_LEN],
) -> Result<usize, &'static str> {
    if file.len() < HEADER_LEN {
        return Err("is truncated");
    }
    let (magic, rest) = file.split_at(MAGIC_LEN);
    let (stored_entry, rest) = rest.split_at(KEY_LEN);
    let (stored_mac, payload) = rest.split_at(MAC_LEN);
    if magic != kind.magic {
        return Err("is not an entry this version of kubectl-chart wrote");
    }
    if stored_entry != entry {
        return Err("is for another input or engine");
    }
    let mut mac = mac(key, b"kubectl-chart cache entry\0");
    mac.update(kind.magic);
    mac.update(entry);
    mac.update(payload);
    if mac.verify_slice(stored_mac).is_err() {
        return Err(
            "failed authentication (it was not written by your kubectl-chart, or was changed since)",
        );
    }
    Ok(HEADER_LEN)
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
    use sha2::Digest;

    const KIND: Kind = Kind {
        magic: b"kchart-test-v1\n\n",
        extension: "test",
        label: "test",
        compiled: "tests",
        max_entry_bytes: 1 << 20,
    };

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

    fn file(kind: &Kind, key: &CacheKey, entry: &[u8; 32], payload: &[u8]) -> Vec<u8> {
        let mut file = kind.magic.to_vec();
        file.extend_from_slice(entry);
        file.extend_from_slice(&entry_mac(kind, key, entry, payload));
        file.extend_from_slice(payload);
        file
    }

    #[test]
    fn only_entries_under_the_users_key_are_accepted() {
        let ours = key(1);
        let theirs = key(2);
        let entry = [7u8; 32];
        let payload = b"compiled code";
        let good = file(&KIND, &ours, &entry, payload);
        assert_eq!(
            authenticate(&KIND, &ours, &good, &entry).map(|at| &good[at..]),
            Ok(&payload[..])
        );

        // The plain checksum a forger can compute is not the MAC.
        let mut forged = KIND.magic.to_vec();
        forged.extend_from_slice(&entry);
        forged.extend_from_slice(&Sha256::digest(payload));
        forged.extend_from_slice(payload);

        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        let mut old_magic = good.clone();
        old_magic[13] = b'0';
        let mut other_entry = good.clone();
        other_entry[MAGIC_LEN] ^= 1;
        // The same payload under the same key, written by a store of another kind.
        let other_kind = Kind {
            magic: b"kchart-other-v1\n",
            ..KIND
        };
        let mut other_store = file(&other_kind, &ours, &entry, payload);
        other_store[..MAGIC_LEN].copy_from_slice(KIND.magic);

        for (name, bytes, entry, reason) in [
            (
                "another key",
                file(&KIND, &theirs, &entry, payload),
                entry,
                "failed authentication",
            ),
            ("plain checksum", forged, entry, "failed authentication"),
            ("payload changed", flipped, entry, "failed authentication"),
            (
                "another store's entry",
                other_store,
                entry,
                "failed authentication",
            ),
            ("old layout", old_magic, entry, "not an entry this version"),
            ("other entry", other_entry, entry, "another input"),
            (
                "asked for another entry",
                good.clone(),
                [8u8; 32],
                "another input",
            ),
            (
                "truncated",
                good[..HEADER_LEN - 1].to_vec(),
                entry,
                "truncated",
            ),
            ("empty", Vec::new(), entry, "truncated"),
        ] {
            let err = authenticate(&KIND, &ours, &bytes, &entry).unwrap_err();
            assert!(err.contains(reason), "{name}: {err}");
        }
    }

    #[test]
    fn entry_names_depend_on_the_key() {
        let store = Store::new(KIND, "/c", "/k");
        let entry = [3u8; 32];
        let a = store.entry_path(&key(1), &entry);
        let b = store.entry_path(&key(2), &entry);
        assert_ne!(a, b);
        assert_eq!(a, store.entry_path(&key(1), &entry));
        assert!(a.starts_with("/c") && a.extension().is_some_and(|e| e == "test"));
    }

    #[cfg(unix)]
    #[test]
    fn stores_and_loads_and_refuses_a_changed_entry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(KIND, dir.path().join("c"), dir.path().join("d/k"));
        let entry = [5u8; 32];
        assert_eq!(store.load(&entry, "for x"), None);
        store.store(&entry, || Ok(b"payload".to_vec()));
        assert_eq!(
            store.load(&entry, "for x").as_deref(),
            Some(&b"payload"[..])
        );
        assert!(store.take_warnings().is_empty());

        let path = std::fs::read_dir(dir.path().join("c"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut bytes = std::fs::read(&path).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(store.load(&entry, "for x"), None);
        let warnings = store.take_warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("test cache entry `")
                && warnings[0].ends_with("for x failed authentication (it was not written by your kubectl-chart, or was changed since); recompiling it"),
            "{}",
            warnings[0]
        );
        assert!(!path.exists(), "a refused entry is removed");

        for byte in 0..5u8 {
            store.store(&[byte; 32], || Ok(vec![byte]));
            // Modification times must differ for the order to be defined.
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        store.prune(2);
        let kept: Vec<u8> = (0..5u8)
            .filter(|b| store.load(&[*b; 32], "for x").is_some())
            .collect();
        assert_eq!(kept, [3, 4], "the two newest entries are kept");
    }
}
