//! The per-user secret key that authenticates compiled-plugin cache entries, and the checks on
//! the folders the cache lives in.
//!
//! The key is 32 random bytes, kept as hex in a file of its own, outside the cache folder
//! (`$XDG_DATA_HOME/kubectl-chart/cache.key`): whoever can write the cache (a shared CI cache,
//! a restored backup) does not thereby know the key. The file is created on first use with
//! mode 0600, atomically (written under a temporary name, then linked into place, so a
//! concurrent run reads a whole key or makes its own attempt), and refused when it is not the
//! user's own or others can read or write it. Its folder, and the cache folder, must be the
//! user's and not writable by others.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::plugin::files::{self, ReadError};
use crate::plugin::text;

/// The key's length in bytes.
const KEY_LEN: usize = 32;

/// The key file: the key as lowercase hex and a newline.
const FILE_LEN: usize = KEY_LEN * 2 + 1;

/// The user's cache key.
#[derive(Clone)]
pub(crate) struct CacheKey([u8; KEY_LEN]);

impl std::fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CacheKey(..)")
    }
}

/// Why the cache cannot be used. Each message is one line and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot create `{}`: {source}", text::path(path))]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is {kind}, not a folder", text::path(path))]
    NotAFolder { path: PathBuf, kind: &'static str },
    #[error(
        "`{}` belongs to uid {owner}, not to you (uid {uid})",
        text::path(path)
    )]
    NotOwned { path: PathBuf, owner: u32, uid: u32 },
    #[error(
        "`{}` can be written by others (mode {mode:04o}); run `chmod go-w` on it",
        text::path(path)
    )]
    WritableByOthers { path: PathBuf, mode: u32 },
    #[error(
        "key file `{}` can be read or written by others (mode {mode:04o}); delete it and a new key is made",
        text::path(path)
    )]
    KeyExposed { path: PathBuf, mode: u32 },
    #[error(
        "key file `{}` is not a key kubectl-chart wrote; delete it and a new key is made",
        text::path(path)
    )]
    KeyInvalid { path: PathBuf },
    #[error("cannot read key file `{}`: {message}", text::path(path))]
    ReadKey { path: PathBuf, message: String },
    #[error("cannot create key file `{}`: {source}", text::path(path))]
    CreateKey {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no random numbers for a new key: {message}")]
    Random { message: String },
    #[error("the compiled-plugin cache needs a Unix system to check folder ownership")]
    Unsupported,
}

impl CacheKey {
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The key in `path`, made (with its folder) when there is none yet.
    pub(crate) fn load_or_create(path: &Path) -> Result<CacheKey, SetupError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            ensure_private_dir(parent)?;
        }
        // Two attempts: a concurrent run may create the key between our read and our link.
        for _ in 0..2 {
            match read_key(path) {
                Ok(key) => return Ok(key),
                Err(Missing) => {}
                Err(Refused(err)) => return Err(err),
            }
            if let Some(key) = create_key(path)? {
                return Ok(key);
            }
        }
        match read_key(path) {
            Ok(key) => Ok(key),
            Err(Missing) => Err(SetupError::ReadKey {
                path: path.to_owned(),
                message: "it keeps disappearing".to_owned(),
            }),
            Err(Refused(err)) => Err(err),
        }
    }
}

enum KeyRead {
    Missing,
    Refused(SetupError),
}
use KeyRead::{Missing, Refused};

fn read_key(path: &Path) -> Result<CacheKey, KeyRead> {
    let refused = |message: String| {
        Refused(SetupError::ReadKey {
            path: path.to_owned(),
            message,
        })
    };
    let mut opened = match files::open(path, FILE_LEN as u64) {
        Ok(opened) => opened,
        Err(err) if err.is_not_found() => return Err(Missing),
        Err(ReadError::NotAFile { kind }) => return Err(refused(format!("it is {kind}"))),
        Err(ReadError::TooLarge { .. }) => {
            return Err(Refused(SetupError::KeyInvalid {
                path: path.to_owned(),
            }));
        }
        Err(ReadError::Io(err)) => return Err(refused(err.to_string())),
    };
    let meta = opened
        .file
        .metadata()
        .map_err(|err| refused(err.to_string()))?;
    check_private(path, &meta, 0o077, true).map_err(Refused)?;
    let mut bytes = Vec::new();
    files::read_rest(&mut opened, &mut bytes, FILE_LEN as u64).map_err(|err| match err {
        ReadError::Io(err) => refused(err.to_string()),
        _ => Refused(SetupError::KeyInvalid {
            path: path.to_owned(),
        }),
    })?;
    parse_key(&bytes).ok_or_else(|| {
        Refused(SetupError::KeyInvalid {
            path: path.to_owned(),
        })
    })
}

fn parse_key(bytes: &[u8]) -> Option<CacheKey> {
    let hex = bytes.strip_suffix(b"\n")?;
    if hex.len() != KEY_LEN * 2 {
        return None;
    }
    let mut key = [0u8; KEY_LEN];
    for (byte, pair) in key.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
    }
    Some(CacheKey(key))
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Writes a new key under a temporary name and links it into place. `None` when another run
/// got there first (the caller reads that key).
fn create_key(path: &Path) -> Result<Option<CacheKey>, SetupError> {
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key).map_err(|err| SetupError::Random {
        message: err.to_string(),
    })?;
    let create_error = |source| SetupError::CreateKey {
        path: path.to_owned(),
        source,
    };
    let tmp = temp_name(path);
    let write = || -> std::io::Result<()> {
        let mut file = new_private_file(&tmp)?;
        let mut text = super::hex(&key);
        text.push('\n');
        file.write_all(text.as_bytes())?;
        file.sync_all()
    };
    if let Err(err) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(create_error(err));
    }
    // A hard link never replaces an existing key, so two first runs agree on one key.
    let linked = std::fs::hard_link(&tmp, path);
    let result = match linked {
        Ok(()) => Ok(Some(CacheKey(key))),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
        // A file system without hard links: a rename is still atomic; at worst a concurrent
        // first run's entries are recompiled once.
        Err(_) => match std::fs::rename(&tmp, path) {
            Ok(()) => Ok(Some(CacheKey(key))),
            Err(err) => Err(create_error(err)),
        },
    };
    let _ = std::fs::remove_file(&tmp);
    result
}

/// A unique temporary name beside `path`, hidden, for an atomic write.
pub(crate) fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}.{}.{:016x}.tmp",
        std::process::id(),
        fastrand::u64(..)
    ))
}

/// Creates `path` for writing, readable and writable by the user alone; fails if it exists.
pub(crate) fn new_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Makes sure `dir` exists, is a folder, is the user's and cannot be written by others. A
/// folder made here is made private (0700); an existing one is checked, never changed.
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<(), SetupError> {
    let create_error = |source| SetupError::CreateDir {
        path: dir.to_owned(),
        source,
    };
    let meta = match std::fs::metadata(dir) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(create_error)?;
            }
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(dir) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(err) => return Err(create_error(err)),
            }
            std::fs::metadata(dir).map_err(create_error)?
        }
        Err(err) => return Err(create_error(err)),
    };
    if !meta.is_dir() {
        return Err(SetupError::NotAFolder {
            path: dir.to_owned(),
            kind: files::describe(&meta),
        });
    }
    check_private(dir, &meta, 0o022, false)
}

/// Checks that `meta` belongs to the user running us and has none of the `forbidden` mode
/// bits (0o022: writable by others; 0o077: any access by others).
#[cfg(unix)]
fn check_private(
    path: &Path,
    meta: &std::fs::Metadata,
    forbidden: u32,
    key: bool,
) -> Result<(), SetupError> {
    use std::os::unix::fs::MetadataExt;
    let uid = rustix::process::geteuid().as_raw();
    private_problem(path, meta.uid(), uid, meta.mode(), forbidden, key)
}

#[cfg(not(unix))]
fn check_private(
    _path: &Path,
    _meta: &std::fs::Metadata,
    _forbidden: u32,
    _key: bool,
) -> Result<(), SetupError> {
    Err(SetupError::Unsupported)
}

/// The decision of [`check_private`], apart from the system calls.
fn private_problem(
    path: &Path,
    owner: u32,
    uid: u32,
    mode: u32,
    forbidden: u32,
    key: bool,
) -> Result<(), SetupError> {
    if owner != uid {
        return Err(SetupError::NotOwned {
            path: path.to_owned(),
            owner,
            uid,
        });
    }
    let mode = mode & 0o7777;
    if mode & forbidden != 0 {
        return Err(if key {
            SetupError::KeyExposed {
                path: path.to_owned(),
                mode,
            }
        } else {
            SetupError::WritableByOthers {
                path: path.to_owned(),
                mode,
            }
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_and_mode_decisions() {
        let p = Path::new("/x");
        for (owner, uid, mode, forbidden, key, expected) in [
            (1000, 1000, 0o40700, 0o022, false, "ok"),
            (1000, 1000, 0o40755, 0o022, false, "ok"),
            (
                1000,
                1000,
                0o40775,
                0o022,
                false,
                "can be written by others (mode 0775)",
            ),
            (
                1000,
                1000,
                0o41777,
                0o022,
                false,
                "can be written by others (mode 1777)",
            ),
            (
                0,
                1000,
                0o40700,
                0o022,
                false,
                "belongs to uid 0, not to you (uid 1000)",
            ),
            (
                1000,
                0,
                0o40700,
                0o022,
                false,
                "belongs to uid 1000, not to you (uid 0)",
            ),
            (1000, 1000, 0o100600, 0o077, true, "ok"),
            (1000, 1000, 0o100400, 0o077, true, "ok"),
            (
                1000,
                1000,
                0o100640,
                0o077,
                true,
                "read or written by others (mode 0640)",
            ),
            (
                1000,
                1000,
                0o100604,
                0o077,
                true,
                "read or written by others (mode 0604)",
            ),
            (1001, 1000, 0o100600, 0o077, true, "belongs to uid 1001"),
        ] {
            let got = match private_problem(p, owner, uid, mode, forbidden, key) {
                Ok(()) => "ok".to_owned(),
                Err(err) => err.to_string(),
            };
            assert!(
                got.contains(expected),
                "owner {owner} uid {uid} mode {mode:o}: {got}"
            );
        }
    }

    #[test]
    fn key_files_parse_strictly() {
        let good = format!("{}\n", "0f".repeat(32));
        assert_eq!(parse_key(good.as_bytes()).unwrap().bytes(), &[0x0f; 32]);
        for bad in [
            "0f".repeat(32),
            format!("{}\n", "0F".repeat(32)),
            format!("{}\n", "0f".repeat(31)),
            format!("{}\n\n", "0f".repeat(32)),
            format!("{}x\n", "0f".repeat(32)),
            String::new(),
        ] {
            assert!(parse_key(bad.as_bytes()).is_none(), "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_key_is_made_once_private_and_then_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/kubectl-chart/cache.key");
        let first = CacheKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let folder = std::fs::metadata(path.parent().unwrap()).unwrap();
        assert_eq!(folder.permissions().mode() & 0o777, 0o700);
        let second = CacheKey::load_or_create(&path).unwrap();
        assert_eq!(first.bytes(), second.bytes());
        assert_ne!(first.bytes(), &[0u8; KEY_LEN]);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from("cache.key")]);

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = CacheKey::load_or_create(&path).unwrap_err().to_string();
        assert!(err.contains("can be read or written by others"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, "not a key\n").unwrap();
        let err = CacheKey::load_or_create(&path).unwrap_err().to_string();
        assert!(err.contains("is not a key kubectl-chart wrote"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn folders_writable_by_others_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = ensure_private_dir(&shared).unwrap_err().to_string();
        assert!(
            err.contains("can be written by others (mode 0777)"),
            "{err}"
        );
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = ensure_private_dir(&file.join("sub"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cannot create"), "{err}");
        let err = ensure_private_dir(&file).unwrap_err().to_string();
        assert!(err.contains("is a file, not a folder"), "{err}");
    }
}
