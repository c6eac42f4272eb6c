//! Reading a chart's files from a folder or a packaged `.tgz`, with Helm's rules and bounds.
//!
//! - A folder is walked as Helm walks it: entries in byte order, depth first, symbolic links
//!   followed, `.helmignore` (the top folder's, for the whole tree, subcharts included)
//!   applied to files and folders, a UTF-8 byte order mark dropped from every file, anything
//!   but regular files and folders refused.
//! - An archive is a gzipped tar whose first path component is dropped (Helm packages put
//!   everything under `NAME/`); absolute paths, `..` and drive letters are refused;
//!   `.helmignore` is not applied, as in Helm.
//! - Bounds, for hostile input: a file at most 5 MiB and a chart at most 100 MiB
//!   decompressed (Helm's limits), and, beyond Helm, at most 20 000 files and 100 MiB for
//!   a chart and all the archives nested in it (a `.tgz` inside a `.tgz` shares its
//!   parent's budget, so nesting cannot multiply it), folders at most 32 deep, subcharts at
//!   most 16 deep.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::ignore::Rules;
use super::{Error, File, Result};

/// Helm's `MaxDecompressedFileSize`.
pub const MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;
/// Helm's `MaxDecompressedChartSize`, also the budget of a whole chart tree here.
pub const MAX_CHART_SIZE: u64 = 100 * 1024 * 1024;
/// Files in one chart tree.
pub const MAX_FILES: usize = 20_000;
/// Folder nesting when walking a chart folder (symbolic link loops end here).
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
    fn take(&mut self, path: &Path, size: u64) -> Result<()> {
        if self.files == 0 {
            return Err(Error::TooLarge {
                path: path.to_owned(),
                message: format!("the chart has more than {MAX_FILES} files"),
            });
        }
        if size > self.bytes {
            return Err(Error::TooLarge {
                path: path.to_owned(),
                message: format!(
                    "the chart is larger than {} MiB",
                    MAX_CHART_SIZE / 1024 / 1024
                ),
            });
        }
        self.files -= 1;
        self.bytes -= size;
        Ok(())
    }
}

/// Reads every file of a chart folder, in Helm's walk order.
pub fn read_dir(root: &Path, budget: &mut Budget) -> Result<Vec<File>> {
    let rules = match fs::read(root.join(".helmignore")) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            Rules::parse(&text).map_err(|source| Error::Ignore {
                path: root.join(".helmignore"),
                source,
            })?
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Rules::defaults(),
        Err(source) => {
            return Err(Error::Read {
                path: root.join(".helmignore"),
                source,
            });
        }
    };
    let mut files = Vec::new();
    walk(root, "", &rules, 0, budget, &mut files)?;
    Ok(files)
}

fn walk(
    dir: &Path,
    prefix: &str,
    rules: &Rules,
    depth: usize,
    budget: &mut Budget,
    files: &mut Vec<File>,
) -> Result<()> {
    if depth > MAX_DIR_DEPTH {
        return Err(Error::TooLarge {
            path: dir.to_owned(),
            message: format!("folders nest more than {MAX_DIR_DEPTH} deep (a symbolic link loop?)"),
        });
    }
    let read_error = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Read { path, source }
    };
    let mut entries: Vec<(String, PathBuf)> = fs::read_dir(dir)
        .map_err(read_error(dir))?
        .map(|entry| {
            let entry = entry.map_err(read_error(dir))?;
            Ok((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            ))
        })
        .collect::<Result<_>>()?;
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    for (name, path) in entries {
        let relative = format!("{prefix}{name}");
        // Symbolic links are followed, as Helm's walk does.
        let meta = fs::metadata(&path).map_err(read_error(&path))?;
        if meta.is_dir() {
            if !rules.ignores(&relative, true) {
                walk(
                    &path,
                    &format!("{relative}/"),
                    rules,
                    depth + 1,
                    budget,
                    files,
                )?;
            }
            continue;
        }
        if rules.ignores(&relative, false) {
            continue;
        }
        if !meta.is_file() {
            return Err(Error::Irregular { path });
        }
        if meta.len() > MAX_FILE_SIZE {
            return Err(file_too_large(&path));
        }
        budget.take(&path, meta.len())?;
        let mut data = Vec::with_capacity(meta.len() as usize);
        fs::File::open(&path)
            .and_then(|file| file.take(MAX_FILE_SIZE + 1).read_to_end(&mut data))
            .map_err(read_error(&path))?;
        if data.len() as u64 > MAX_FILE_SIZE {
            return Err(file_too_large(&path));
        }
        if let Some(rest) = data.strip_prefix(UTF8_BOM) {
            data = rest.to_vec();
        }
        files.push(File {
            name: relative,
            data,
        });
    }
    Ok(())
}

fn file_too_large(path: &Path) -> Error {
    Error::TooLarge {
        path: path.to_owned(),
        message: format!(
            "the file is larger than the maximum file size of {} MiB",
            MAX_FILE_SIZE / 1024 / 1024
        ),
    }
}

/// Reads the files of a packaged chart from the bytes of a `.tgz`. `path` names it in errors.
pub fn read_archive(path: &Path, bytes: &[u8], budget: &mut Budget) -> Result<Vec<File>> {
    let archive_error = |message: String| Error::Archive {
        path: path.to_owned(),
        message,
    };
    if !bytes.starts_with(b"\x1F\x8B") {
        let yaml = path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml");
        return Err(archive_error(if yaml {
            "it seems to be a YAML file, but a chart folder or a gzipped archive was expected"
                .to_owned()
        } else {
            "it is not a gzipped archive".to_owned()
        }));
    }
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut files = Vec::new();
    let entries = archive
        .entries()
        .map_err(|err| archive_error(err.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|err| archive_error(err.to_string()))?;
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let delimiter = if raw.contains('\\') { '\\' } else { '/' };
        let mut parts = raw.split(delimiter);
        let first = parts.next().unwrap_or_default();
        if first == "Chart.yaml" {
            return Err(archive_error(
                "Chart.yaml is not in the chart's folder".to_owned(),
            ));
        }
        let name = clean_archive_path(&parts.collect::<Vec<_>>().join("/"))
            .map_err(|message| archive_error(format!("`{raw}`: {message}")))?;
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > MAX_FILE_SIZE {
            return Err(archive_error(format!(
                "`{raw}` is larger than the maximum file size of {} MiB",
                MAX_FILE_SIZE / 1024 / 1024
            )));
        }
        budget.take(path, size)?;
        let mut data = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut data)
            .map_err(|err| archive_error(err.to_string()))?;
        if data.len() as u64 > size {
            return Err(archive_error(format!(
                "`{raw}` is longer than its header says"
            )));
        }
        if let Some(rest) = data.strip_prefix(UTF8_BOM) {
            data = rest.to_vec();
        }
        files.push(File { name, data });
    }
    if files.is_empty() {
        return Err(archive_error("the archive holds no files".to_owned()));
    }
    Ok(files)
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
        let err = read_archive(
            Path::new("c.tgz"),
            &bytes,
            &mut Budget {
                bytes: 0,
                files: 10,
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
        let err = read_archive(
            Path::new("c.tgz"),
            &bytes,
            &mut Budget {
                bytes: 10,
                files: 0,
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("files"), "{err}");
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
        let big = vec![b'a'; (MAX_FILE_SIZE + 1) as usize];
        let err = read_archive(
            Path::new("c.tgz"),
            &tgz(&[("c/big", &big)]),
            &mut Budget::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("maximum file size"), "{err}");
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
    fn symbolic_link_loops_end() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("Chart.yaml"), "").unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        let err = read_dir(dir.path(), &mut Budget::default()).unwrap_err();
        assert!(err.to_string().contains("nest"), "{err}");
    }
}
