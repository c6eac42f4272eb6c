//! Reading the files plugins come from (components, sidecars, the user's plugin settings) and
//! the cache's own files, with their type and size checked before any byte is read: a FIFO,
//! a device or a 2 GB `x.wasm` is refused at once, never read until it ends.
//!
//! A path is looked at (symlinks followed) before it is opened, so a FIFO or a device is never
//! opened; on Unix the open itself does not block either (`O_NONBLOCK`) and the open file is
//! checked again, so swapping the file between the look and the open gains nothing.

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::Path;

/// Why a file could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// It is not a regular file: `kind` says what it is ("a FIFO").
    NotAFile {
        kind: &'static str,
    },
    /// It is larger than the reader allows.
    TooLarge {
        size: u64,
        limit: u64,
    },
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(err: io::Error) -> Self {
        ReadError::Io(err)
    }
}

impl ReadError {
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(err) if err.kind() == io::ErrorKind::NotFound)
    }
}

/// A regular file, open for reading, and its size when opened.
pub(crate) struct Opened {
    pub file: File,
    pub len: u64,
}

/// Opens `path` if it is a regular file of at most `limit` bytes.
pub(crate) fn open(path: &Path, limit: u64) -> Result<Opened, ReadError> {
    let meta = std::fs::metadata(path)?;
    check(&meta, limit)?;
    let file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    check(&meta, limit)?;
    Ok(Opened {
        file,
        len: meta.len(),
    })
}

/// The whole of `path`, a regular file of at most `limit` bytes.
pub(crate) fn read(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut opened = open(path, limit)?;
    let mut bytes = Vec::new();
    read_rest(&mut opened, &mut bytes, limit)?;
    Ok(bytes)
}

/// Appends the rest of `opened` to `bytes`, refusing a file that grew past `limit` since it
/// was opened.
pub(crate) fn read_rest(
    opened: &mut Opened,
    bytes: &mut Vec<u8>,
    limit: u64,
) -> Result<(), ReadError> {
    let expected = usize::try_from(opened.len).unwrap_or(usize::MAX);
    bytes.reserve(expected.saturating_sub(bytes.len()));
    let room = limit.saturating_sub(bytes.len() as u64).saturating_add(1);
    (&mut opened.file).take(room).read_to_end(bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(())
}

fn check(meta: &Metadata, limit: u64) -> Result<(), ReadError> {
    if !meta.is_file() {
        return Err(ReadError::NotAFile {
            kind: describe(meta),
        });
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok(())
}

/// What a file that is not a regular file is, for a message: "a FIFO", "a folder".
pub(crate) fn describe(meta: &Metadata) -> &'static str {
    let ty = meta.file_type();
    if ty.is_dir() {
        return "a folder";
    }
    if ty.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ty.is_fifo() {
            return "a FIFO";
        }
        if ty.is_char_device() {
            return "a character device";
        }
        if ty.is_block_device() {
            return "a block device";
        }
        if ty.is_socket() {
            return "a socket";
        }
    }
    if ty.is_file() { "a file" } else { "not a file" }
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(File::from(fd))
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"0123456789").unwrap();
        assert_eq!(read(&file, 10).unwrap(), b"0123456789");
        assert!(matches!(
            read(&file, 9),
            Err(ReadError::TooLarge { size: 10, limit: 9 })
        ));
        assert!(
            read(&dir.path().join("missing"), 10)
                .unwrap_err()
                .is_not_found()
        );
        assert!(matches!(
            read(dir.path(), 10),
            Err(ReadError::NotAFile { kind: "a folder" })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn refuses_devices_fifos_and_links_to_them() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        for (path, kind) in [
            (Path::new("/dev/zero"), "a character device"),
            (link.as_path(), "a character device"),
        ] {
            match read(path, 1024) {
                Err(ReadError::NotAFile { kind: found }) => assert_eq!(found, kind),
                other => panic!("{}: {other:?}", path.display()),
            }
        }
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        assert!(matches!(
            read(&fifo, 1024),
            Err(ReadError::NotAFile { kind: "a FIFO" })
        ));
    }

    #[test]
    fn a_file_that_grows_past_the_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"abc").unwrap();
        let mut opened = open(&file, 5).unwrap();
        std::fs::write(&file, b"abcdefgh").unwrap();
        let mut bytes = Vec::new();
        assert!(matches!(
            read_rest(&mut opened, &mut bytes, 5),
            Err(ReadError::TooLarge { limit: 5, .. })
        ));
    }
}
