//! `KUBECTL_EXTERNAL_DIFF`, as kubectl runs it: the objects before and after, one YAML file
//! each named `[GROUP.]VERSION.KIND.NAMESPACE.NAME`, in two folders `LIVE-*` and `MERGED-*`,
//! handed to the program. (Unset, the built-in text output is used instead of kubectl's
//! `diff -u -N`.) Arguments in the variable are split on whitespace and must be plain flags,
//! as kubectl requires. The program's exit status 0 or 1
//! means success (1: differences); anything else is an error.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use super::{Diff, Error, Result};

/// Runs `command` over the entries of `diff` (without ignored changes), writing its output
/// to `out`.
pub fn run(command: &str, diff: &Diff, out: &mut dyn Write) -> Result<()> {
    let failed = |message: String| Error::External {
        command: crate::log::truncate(command, 80),
        message,
    };
    let mut words = command.split_whitespace();
    let program = words
        .next()
        .ok_or_else(|| failed("no program named".to_owned()))?;
    let args: Vec<&str> = words.collect();
    if let Some(bad) = args.iter().find(|a| {
        !a.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '=')
    }) {
        return Err(failed(format!(
            "argument `{bad}` is not allowed (only letters, digits, `-` and `=`)"
        )));
    }
    let dir = tempfile::Builder::new()
        .prefix("kubectl-chart-diff-")
        .tempdir()
        .map_err(|err| failed(format!("cannot create a temporary folder: {err}")))?;
    let live = dir.path().join("LIVE");
    let merged = dir.path().join("MERGED");
    for folder in [&live, &merged] {
        std::fs::create_dir(folder)
            .map_err(|err| failed(format!("cannot create {}: {err}", folder.display())))?;
    }
    for entry in diff.changes.iter().filter(|e| e.counts()) {
        let name = file_name(&entry.object);
        if let Some(before) = &entry.before {
            write(&live, &name, &crate::yaml::to_string(before)).map_err(&failed)?;
        }
        if let Some(after) = &entry.shown {
            write(&merged, &name, &crate::yaml::to_string(after)).map_err(&failed)?;
        }
    }
    let output = Command::new(program)
        .args(&args)
        .arg(&live)
        .arg(&merged)
        .output()
        .map_err(|source| Error::ExternalRun {
            command: crate::log::truncate(command, 80),
            source,
        })?;
    out.write_all(&output.stdout)
        .map_err(|err| failed(format!("cannot write its output: {err}")))?;
    std::io::stderr().write_all(&output.stderr).ok();
    match output.status.code() {
        Some(0 | 1) => Ok(()),
        Some(code) => Err(failed(format!("exited with status {code}"))),
        None => Err(failed("was killed by a signal".to_owned())),
    }
}

/// kubectl's file name for an object: `apps.v1.Deployment.shop.web`, `v1.Namespace..shop`.
pub fn file_name(object: &crate::manifest::ObjectRef) -> String {
    let group = object.group();
    let prefix = if group.is_empty() {
        String::new()
    } else {
        format!("{group}.")
    };
    format!(
        "{prefix}{}.{}.{}.{}",
        object.version(),
        object.kind,
        object.namespace.as_deref().unwrap_or_default(),
        object.name
    )
}

fn write(folder: &Path, name: &str, text: &str) -> Result<(), String> {
    let path = folder.join(name);
    std::fs::write(&path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ObjectRef;

    #[test]
    fn file_names_are_kubectls() {
        let object =
            |api_version: &str, kind: &str, namespace: Option<&str>, name: &str| ObjectRef {
                api_version: api_version.into(),
                kind: kind.into(),
                namespace: namespace.map(str::to_owned),
                name: name.into(),
            };
        assert_eq!(
            file_name(&object("apps/v1", "Deployment", Some("shop"), "web")),
            "apps.v1.Deployment.shop.web"
        );
        assert_eq!(
            file_name(&object("v1", "Namespace", None, "shop")),
            "v1.Namespace..shop"
        );
    }
}
