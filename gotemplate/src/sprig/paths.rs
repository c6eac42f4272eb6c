//! Sprig's path functions: `base`, `dir`, `clean`, `ext`, `isAbs` (Go's `path`, always `/`)
//! and their `os` forms (Go's `path/filepath`, which on Linux, where Helm runs charts, is the
//! same).

use crate::func::{FuncDef, Param, Sig};

use super::def;

use Param::String as Str;

pub(super) const FUNCS: &[FuncDef] = &[
    def(
        "base",
        Sig::fixed(&[Str]),
        |a| Ok(base(a.string(0)?).into()),
    ),
    def("dir", Sig::fixed(&[Str]), |a| Ok(dir(a.string(0)?).into())),
    def("clean", Sig::fixed(&[Str]), |a| {
        Ok(clean(a.string(0)?).into())
    }),
    def("ext", Sig::fixed(&[Str]), |a| Ok(ext(a.string(0)?).into())),
    def("isAbs", Sig::fixed(&[Str]), |a| {
        Ok(a.string(0)?.starts_with('/').into())
    }),
    def("osBase", Sig::fixed(&[Str]), |a| {
        Ok(base(a.string(0)?).into())
    }),
    def(
        "osDir",
        Sig::fixed(&[Str]),
        |a| Ok(dir(a.string(0)?).into()),
    ),
    def("osClean", Sig::fixed(&[Str]), |a| {
        Ok(clean(a.string(0)?).into())
    }),
    def(
        "osExt",
        Sig::fixed(&[Str]),
        |a| Ok(ext(a.string(0)?).into()),
    ),
    def("osIsAbs", Sig::fixed(&[Str]), |a| {
        Ok(a.string(0)?.starts_with('/').into())
    }),
];

/// `path.Clean`: the shortest equivalent path, processing `.` and `..` lexically.
pub(super) fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    // How many leading `..` a relative path keeps (they cannot be backtracked over).
    let mut fixed = 0;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.len() > fixed {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                    fixed = parts.len();
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// `path.Base`: the last element, trailing slashes ignored; `.` for empty, `/` for only
/// slashes.
fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_owned();
    }
    match trimmed.rfind('/') {
        Some(i) => trimmed[i + 1..].to_owned(),
        None => trimmed.to_owned(),
    }
}

/// `path.Dir`: everything up to the last slash, cleaned.
fn dir(path: &str) -> String {
    let cut = path.rfind('/').map_or(0, |i| i + 1);
    clean(&path[..cut])
}

/// `path.Ext`: from the last dot of the last element, or "".
fn ext(path: &str) -> String {
    for (i, b) in path.bytes().enumerate().rev() {
        match b {
            b'/' => break,
            b'.' => return path[i..].to_owned(),
            _ => {}
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_go() {
        // path.Clean, Base, Dir, Ext in Go.
        let cleaned = [
            ("", "."),
            ("a/b/../c", "a/c"),
            ("/../a", "/a"),
            ("../../a/..", "../.."),
            ("a/../..", ".."),
            ("//a//b/./", "/a/b"),
            ("/", "/"),
            ("./", "."),
        ];
        for (input, expected) in cleaned {
            assert_eq!(clean(input), expected, "{input}");
        }
        assert_eq!(base("a/b/"), "b");
        assert_eq!(base("///"), "/");
        assert_eq!(base(""), ".");
        assert_eq!(dir("a/b/c"), "a/b");
        assert_eq!(dir("abc"), ".");
        assert_eq!(dir("/abc"), "/");
        assert_eq!(ext("a/b.tar.gz"), ".gz");
        assert_eq!(ext("a.b/c"), "");
    }
}
