//! Reading a chart's files from a folder or a packaged `.tgz`, with Helm's rules and bounds.
//!
//! - A folder is walked as Helm walks it: entries in byte order, depth first, symbolic links
//!   followed (one to a folder that contains it is a loop, refused), `.helmignore` (the top
//!   folder's, for the whole tree, subcharts included) applied to files and folders, a UTF-8
//!   byte order mark dropped from every file, anything but regular files and folders refused.
//! - An archive is a gzipped tar whose first path component is dropped (Helm packages put
//!   everything under `NAME/`); absolute paths, `..` and drive letters are refused;
//!   `.helmignore` is not applied, as in Helm.
//! - Bounds, for hostile input: a file at most 5 MiB and a chart at most 100 MiB
//!   decompressed (Helm's limits, each file checked before it is read); beyond Helm, the
//!   100 MiB and at most 20 000 files are shared by a chart and every archive nested in it
//!   (a `.tgz` in a `.tgz` cannot multiply them), a tar stream is cut at twice the chart
//!   limit (a flood of headers or skipped entries cannot run on), a folder walk stops after
//!   100 000 entries and 32 levels, subcharts nest at most 16 deep.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::ignore::Rules;
use super::{Error, File, Result, Source};

/// Helm's `MaxDecompressedFileSize`.
pub const MAX_FILE_SIZE: u64 = 5 << 20;
/// Helm's `MaxDecompressedChartSize`, also the budget of a whole chart tree here.
pub const MAX_CHART_SIZE: u64 = 100 << 20;
/// Files in one chart tree.
pub const MAX_FILES: usize = 20_000;
/// Files and folders walked in a chart folder, ignored ones included: symlinks between
/// folders (not loops, which are refused) could otherwise multiply a small tree.
pub const MAX_CHART_ENTRIES: usize = 100_000;
/// Folder nesting when walking a chart folder.
pub const MAX_DIR_DEPTH: usize = 32;
/// Subcharts inside subcharts.
pub const MAX_CHART_DEPTH: usize = 16;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What is left to read of one chart tree; shared by every archive nested in it.
#[derive(Debug)]
pub struct Budget {
    pub bytes: u64,
    pub files: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            bytes: MAX_CHART_SIZE,
            files: MAX_FILES,
        }
    }
}

impl Budget {
    fn take(&mut self, kind: Source, path: &Path, size: u64) -> Result<()> {
        if self.files == 0 || size > self.bytes {
            return Err(Error::ChartTooLarge {
                kind,
                path: path.to_owned(),
            });
        }
        self.files -= 1;
        self.bytes -= size;
        Ok(())
    }
}

/// Reads every file of a chart folder, in Helm's walk order.
pub fn read_dir(root: &Path, budget: &mut Budget) -> Result<Vec<File>> {
    let ignore_path = root.join(".helmignore");
    let rules = match fs::metadata(&ignore_path) {
        Ok(meta) if meta.is_file() => {
            let bytes = read_file(root, ".helmignore", &ignore_path, &meta)?;
            Rules::parse(&String::from_utf8_lossy(&bytes)).map_err(|source| Error::Ignore {
                path: ignore_path.clone(),
                source,
            })?
        }
        _ => Rules::defaults(),
    };
    let real_root = fs::canonicalize(root).map_err(read_error(root))?;
    let mut walk = Walk {
        root,
        rules: &rules,
        budget,
        entries: 0,
        files: Vec::new(),
    };
    walk.dir(root, "", &mut vec![real_root])?;
    Ok(walk.files)
}

fn read_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + use<> {
    let path = path.to_owned();
    move |source| Error::Read { path, source }
}

struct Walk<'a> {
    root: &'a Path,
    rules: &'a Rules,
    budget: &'a mut Budget,
    entries: usize,
    files: Vec<File>,
}

impl Walk<'_> {
    /// Walks `dir` (the chart's `prefix`); `ancestors` are the real paths of the folders
    /// holding it, so that a symbolic link back to one of them is seen as the loop it is.
    fn dir(&mut self, dir: &Path, prefix: &str, ancestors: &mut Vec<PathBuf>) -> Result<()> {
        if ancestors.len() > MAX_DIR_DEPTH {
            return Err(Error::TooManyEntries {
                path: self.root.to_owned(),
            });
        }
        let mut entries: Vec<(String, PathBuf)> = Vec::new();
        for entry in fs::read_dir(dir).map_err(read_error(dir))? {
            let entry = entry.map_err(read_error(dir))?;
            self.entries += 1;
            if self.entries > MAX_CHART_ENTRIES {
                return Err(Error::TooManyEntries {
                    path: self.root.to_owned(),
                });
            }
            entries.push((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            ));
        }
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        for (name, path) in entries {
            let relative = format!("{prefix}{name}");
            // Symbolic links are followed, as Helm's walk does.
            let meta = fs::metadata(&path).map_err(read_error(&path))?;
            if meta.is_dir() {
                if self.rules.ignores(&relative, true) {
                    continue;
                }
                let real = fs::canonicalize(&path).map_err(read_error(&path))?;
                if ancestors.contains(&real) {
                    return Err(Error::SymlinkLoop {
                        path: self.root.to_owned(),
                        file: relative,
                    });
                }
                ancestors.push(real);
                let walked = self.dir(&path, &format!("{relative}/"), ancestors);
                ancestors.pop();
                walked?;
                continue;
            }
            if self.rules.ignores(&relative, false) {
                continue;
            }
            if !meta.is_file() {
                return Err(Error::Irregular {
                    path: self.root.to_owned(),
                    file: relative,
                });
            }
            let mut data = read_file(self.root, &relative, &path, &meta)?;
            self.budget
                .take(Source::Folder, self.root, data.len() as u64)?;
            if let Some(rest) = data.strip_prefix(UTF8_BOM) {
                data = rest.to_vec();
            }
            self.files.push(File {
                name: relative,
                data,
            });
        }
        Ok(())
    }
}

/// Reads one regular file of a chart folder, refusing it unread when it is too large.
fn read_file(root: &Path, relative: &str, path: &Path, meta: &fs::Metadata) -> Result<Vec<u8>> {
    let too_large = || Error::FileTooLarge {
        kind: Source::Folder,
        path: root.to_owned(),
        file: relative.to_owned(),
    };
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_large());
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    // The file may grow between the check and the read.
    fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_SIZE + 1).read_to_end(&mut data))
        .map_err(read_error(path))?;
    if data.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    Ok(data)
}

/// Reads the files of a packaged chart file (`.tgz`).
pub fn read_archive_file(path: &Path, budget: &mut Budget) -> Result<Vec<File>> {
    let mut file = fs::File::open(path).map_err(read_error(path))?;
    let mut magic = [0u8; 2];
    let read = file.read(&mut magic).map_err(read_error(path))?;
    check_gzip(path, &magic[..read])?;
    let file = fs::File::open(path).map_err(read_error(path))?;
    read_archive_from(path, file, budget)
}

/// Reads the files of a packaged chart from the bytes of a `.tgz` (a subchart's archive).
/// `path` names it in errors.
pub fn read_archive(path: &Path, bytes: &[u8], budget: &mut Budget) -> Result<Vec<File>> {
    check_gzip(path, bytes)?;
    read_archive_from(path, bytes, budget)
}

fn check_gzip(path: &Path, bytes: &[u8]) -> Result<()> {
    if bytes.starts_with(b"\x1F\x8B") {
        return Ok(());
    }
    let yaml = path
        .extension()
        .is_some_and(|ext| ext == "yaml" || ext == "yml");
    Err(Error::Archive {
        path: path.to_owned(),
        message: if yaml {
            "it seems to be a YAML file, but a chart folder or a gzipped archive was expected"
                .to_owned()
        } else {
            "it is not a gzipped archive".to_owned()
        },
    })
}

fn read_archive_from(path: &Path, reader: impl Read, budget: &mut Budget) -> Result<Vec<File>> {
    let stream = Capped::new(flate2::read::GzDecoder::new(reader), 2 * MAX_CHART_SIZE);
    let capped = stream.exceeded.clone();
    let too_large = || Error::ChartTooLarge {
        kind: Source::Archive,
        path: path.to_owned(),
    };
    // Whatever the tar reader makes of a stream cut at the cap, the cap is the cause.
    let fail = |message: String| {
        if capped.get() {
            too_large()
        } else {
            // The tar reader quotes the bytes it could not read: keep it short and printable.
            Error::Archive {
                path: path.to_owned(),
                message: crate::quote::short(&message),
            }
        }
    };
    let mut archive = tar::Archive::new(stream);
    let mut files = Vec::new();
    let entries = archive.entries().map_err(|err| fail(err.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|err| fail(err.to_string()))?;
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let delimiter = if raw.contains('\\') { '\\' } else { '/' };
        let mut parts = raw.split(delimiter);
        let first = parts.next().unwrap_or_default();
        if first == "Chart.yaml" {
            return Err(fail("Chart.yaml is not in the chart's folder".to_owned()));
        }
        let name = clean_archive_path(&parts.collect::<Vec<_>>().join("/"))
            .map_err(|message| fail(format!("`{}`: {message}", crate::quote::short(&raw))))?;
        let file_too_large = || Error::FileTooLarge {
            kind: Source::Archive,
            path: path.to_owned(),
            file: name.clone(),
        };
        let size = entry.size();
        if size > MAX_FILE_SIZE {
            return Err(file_too_large());
        }
        let mut data = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut data)
            .map_err(|err| fail(err.to_string()))?;
        if data.len() as u64 > MAX_FILE_SIZE {
            return Err(file_too_large());
        }
        budget.take(Source::Archive, path, data.len() as u64)?;
        if let Some(rest) = data.strip_prefix(UTF8_BOM) {
            data = rest.to_vec();
        }
        files.push(File { name, data });
    }
    if capped.get() {
        return Err(too_large());
    }
    if files.is_empty() {
        return Err(fail("the archive holds no files".to_owned()));
    }
    Ok(files)
}

/// A reader that ends (and says so) after `limit` bytes.
struct Capped<R> {
    inner: R,
    left: u64,
    exceeded: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: Read> Capped<R> {
    fn new(inner: R, limit: u64) -> Self {
        Capped {
            inner,
            left: limit,
            exceeded: Default::default(),
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a stream that ends at the limit from a longer one.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? > 0 {
                self.exceeded.set(true);
            }
            return Ok(0);
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..max])?;
        self.left -= read as u64;
        Ok(read)
    }
}

/// Helm's checks on a path inside an archive, after its first component is dropped:
/// `path.Clean`ed, never absolute, never above the chart, never a drive letter.
fn clean_archive_path(name: &str) -> Result<String, String> {
    if name.starts_with('/') {
        return Err("the chart contains an absolute path".to_owned());
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("the chart refers to its parent folder".to_owned());
                }
            }
            other => parts.push(other),
        }
    }
    let clean = parts.join("/");
    if clean.is_empty() {
        return Err("the path is outside the chart's folder".to_owned());
    }
    let bytes = clean.as_bytes();
    if bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/' {
        return Err("the chart contains an illegally named file".to_owned());
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.tgz` of `(raw name, data)` entries, names written as given (hostile ones too).
    fn tgz(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (name, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            // `append_data` refuses `..`; write the raw name as a hostile archive would.
            let bytes = name.as_bytes();
            header.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    /// A `.tgz` file of `(name, size)` entries of zeros; `claimed` writes one more header
    /// that claims a size and then ends the stream.
    fn sized(dir: &Path, entries: &[(&str, u64)], claimed: Option<(&str, u64)>) -> PathBuf {
        let path = dir.join("c.tgz");
        let file = fs::File::create(&path).unwrap();
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        for (name, size) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(*size);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, std::io::repeat(0).take(*size))
                .unwrap();
        }
        if let Some((name, size)) = claimed {
            let mut header = tar::Header::new_gnu();
            header.set_path(name).unwrap();
            header.set_size(size);
            header.set_mode(0o644);
            header.set_cksum();
            std::io::Write::write_all(tar.get_mut(), header.as_bytes()).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
        path
    }

    #[test]
    fn archive_paths() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("c/Chart.yaml", Ok("Chart.yaml")),
            ("c/templates/../values.yaml", Ok("values.yaml")),
            ("c/./a//b", Ok("a/b")),
            ("c\\templates\\x.yaml", Ok("templates/x.yaml")),
            ("c/../x", Err("parent folder")),
            ("c", Err("outside the chart")),
            ("c//etc/passwd", Err("absolute path")),
            ("c/C:/x", Err("illegally named")),
        ];
        for (name, expected) in cases {
            let bytes = tgz(&[(name, b"x")]);
            let result = read_archive(Path::new("c.tgz"), &bytes, &mut Budget::default());
            match (result, expected) {
                (Ok(files), Ok(want)) => assert_eq!(files[0].name, *want, "{name}"),
                (Err(err), Err(want)) => {
                    assert!(err.to_string().contains(want), "{name}: {err}")
                }
                (other, _) => panic!("{name}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn archive_limits() {
        let err = read_archive(Path::new("x.yaml"), b"a: 1", &mut Budget::default()).unwrap_err();
        assert!(err.to_string().contains("YAML file"), "{err}");
        let bytes = tgz(&[("c/Chart.yaml", b"x")]);
        assert!(read_archive(Path::new("c.tgz"), &bytes, &mut Budget::default()).is_ok());
        for budget in [
            Budget {
                bytes: 0,
                files: 10,
            },
            Budget {
                bytes: 10,
                files: 0,
            },
        ] {
            let err = read_archive(Path::new("c.tgz"), &bytes, &mut { budget }).unwrap_err();
            assert!(err.to_string().contains("limit for a chart"), "{err}");
        }
        let err = read_archive(
            Path::new("c.tgz"),
            &tgz(&[("Chart.yaml", b"x")]),
            &mut Budget::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("not in the chart's folder"),
            "{err}"
        );
    }

    #[test]
    fn archive_limits_are_helms() {
        let dir = tempfile::tempdir().unwrap();
        // At the per-file limit: read.
        let path = sized(dir.path(), &[("c/templates/big.yaml", MAX_FILE_SIZE)], None);
        let files = read_archive_file(&path, &mut Budget::default()).unwrap();
        assert_eq!(files[0].data.len() as u64, MAX_FILE_SIZE);
        type Case<'a> = (Vec<(&'a str, u64)>, Option<(&'a str, u64)>, &'a str);
        let cases: Vec<Case> = vec![
            (
                vec![
                    ("c/Chart.yaml", 10),
                    ("c/templates/big.yaml", MAX_FILE_SIZE + 1),
                ],
                None,
                "c.tgz`: file `templates/big.yaml` is larger than the 5 MiB limit per file",
            ),
            (
                vec![("c/Chart.yaml", 10)],
                Some(("c/templates/huge.yaml", 3 << 30)),
                "file `templates/huge.yaml` is larger than the 5 MiB limit per file",
            ),
            (
                (0..21).map(|_| ("c/files/x", MAX_FILE_SIZE)).collect(),
                None,
                "c.tgz` holds more than the 100 MiB limit for a chart",
            ),
        ];
        for (entries, claimed, expected) in cases {
            let path = sized(dir.path(), &entries, claimed);
            let err = read_archive_file(&path, &mut Budget::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err} lacks {expected}");
            assert!(err.starts_with("chart archive `"), "{err}");
        }
    }

    #[test]
    fn folders_walk_in_helm_order_with_helmignore() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let full = dir.path().join(path);
            fs::create_dir_all(full.parent().unwrap()).unwrap();
            fs::write(full, text).unwrap();
        };
        write(".helmignore", "*.bak\nskip/\n");
        write("Chart.yaml", "\u{feff}apiVersion: v2");
        write("crds/a-b.yaml", "");
        write("crds/a/b.yaml", "");
        write("templates/.hidden", "");
        write("templates/x.bak", "");
        write("skip/file", "");
        let files = read_dir(dir.path(), &mut Budget::default()).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                ".helmignore",
                "Chart.yaml",
                "crds/a/b.yaml",
                "crds/a-b.yaml"
            ]
        );
        assert_eq!(files[1].data, b"apiVersion: v2");
    }

    #[cfg(unix)]
    #[test]
    fn folder_limits_symlink_loops_and_irregular_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("c");
        fs::create_dir_all(root.join("templates")).unwrap();
        fs::write(
            root.join("Chart.yaml"),
            "apiVersion: v2\nname: c\nversion: 1.0.0\n",
        )
        .unwrap();
        let big = root.join("files/big.bin");
        fs::create_dir_all(big.parent().unwrap()).unwrap();
        fs::write(&big, vec![0u8; MAX_FILE_SIZE as usize]).unwrap();
        assert!(
            read_dir(&root, &mut Budget::default()).is_ok(),
            "a file at the limit loads"
        );
        fs::write(&big, vec![0u8; MAX_FILE_SIZE as usize + 1]).unwrap();
        let err = read_dir(&root, &mut Budget::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("c`: file `files/big.bin` is larger than the 5 MiB limit per file"),
            "{err}"
        );
        fs::remove_file(&big).unwrap();
        // A symlink to a sibling folder is followed; one to an ancestor is a loop.
        fs::create_dir_all(root.join("shared")).unwrap();
        fs::write(root.join("shared/a.txt"), "a").unwrap();
        std::os::unix::fs::symlink(root.join("shared"), root.join("files/linked")).unwrap();
        let files = read_dir(&root, &mut Budget::default()).unwrap();
        assert!(files.iter().any(|f| f.name == "files/linked/a.txt"));
        std::os::unix::fs::symlink("..", root.join("templates/loop")).unwrap();
        let err = read_dir(&root, &mut Budget::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`templates/loop` is a symlink to a folder that contains it (a loop)"),
            "{err}"
        );
        fs::remove_file(root.join("templates/loop")).unwrap();
        // A FIFO would block the reader forever.
        let fifo = root.join("templates/fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let err = read_dir(&root, &mut Budget::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`templates/fifo` is not a regular file"),
            "{err}"
        );
        let err = crate::chart::load(&fifo).unwrap_err().to_string();
        assert!(
            err.contains("is neither a chart folder nor a chart archive file"),
            "{err}"
        );
    }
}
