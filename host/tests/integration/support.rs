//! A small builder that runs the real `kubectl-chart` binary and checks what it did.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The binary under test.
pub fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_kubectl-chart"))
}

/// The workspace root (the folder holding `host/`, `examples/`).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_owned()
}

/// An example chart from `examples/charts/`.
pub fn example(name: &str) -> PathBuf {
    workspace().join("examples/charts").join(name)
}

/// The folder holding real `helm` and `kubectl`, from `../shared/tools/peers.sh`.
/// Panics (fails the test) when they cannot be had: these tests never pass silently.
pub fn peers() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let script = workspace().join("../shared/tools/peers.sh");
        assert!(
            script.exists(),
            "interop tests need real helm/kubectl from {}, which is missing",
            script.display()
        );
        let output = Command::new("bash")
            .arg(&script)
            .output()
            .expect("run peers.sh");
        assert!(
            output.status.success(),
            "peers.sh failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        assert!(dir.join("kubectl").exists() && dir.join("helm").exists());
        dir
    })
}

/// A chart written to a temporary folder from `(path, content)` pairs.
pub struct TempChart {
    pub dir: tempfile::TempDir,
}

impl TempChart {
    pub fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, content) in files {
            let full = dir.path().join(path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(full, content).expect("write chart file");
        }
        TempChart { dir }
    }

    /// A chart named `t` with the given templates (and values.yaml if given).
    pub fn with_templates(values: &str, templates: &[(&str, &str)]) -> Self {
        let mut files = vec![
            (
                "Chart.yaml",
                "apiVersion: v2\nname: t\nversion: 0.1.0\nrenderer: handlebars\n",
            ),
            ("values.yaml", values),
        ];
        let paths: Vec<(String, &str)> = templates
            .iter()
            .map(|(p, c)| (format!("templates/{p}"), *c))
            .collect();
        files.extend(paths.iter().map(|(p, c)| (p.as_str(), *c)));
        Self::new(&files)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// One run of `kubectl-chart`.
#[derive(Default)]
pub struct Test {
    args: Vec<String>,
    env: BTreeMap<String, String>,
    env_remove: BTreeSet<String>,
    stdin: Option<Vec<u8>>,
    status: Option<i32>,
    program: Option<PathBuf>,
    dir: Option<PathBuf>,
    timeout: Option<Duration>,
    data_limit_mib: Option<u64>,
}

impl Test {
    pub fn new() -> Self {
        Test::default()
    }

    /// Runs another program (real kubectl or helm) instead of `kubectl-chart`.
    pub fn program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = Some(program.into());
        self
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Self {
        self.args.push(arg.as_ref().to_string_lossy().into_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        for arg in args {
            self = self.arg(arg);
        }
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.env_remove.remove(key);
        self.env.insert(
            key.to_owned(),
            value.as_ref().to_string_lossy().into_owned(),
        );
        self
    }

    /// The working directory of the run.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Removes `key` from the environment the program sees.
    pub fn env_remove(mut self, key: &str) -> Self {
        self.env.remove(key);
        self.env_remove.insert(key.to_owned());
        self
    }

    /// Kills the program and fails the test if it has not finished after `limit`: a hang
    /// becomes a failure, not a stuck test run. (Not a speed check: the limit is generous.)
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Runs the program with its data segment (heap and writable private mappings) limited
    /// to `mib` MiB (`ulimit -d`), so reading a hostile input whole fails the test instead
    /// of passing slowly.
    pub fn data_limit_mib(mut self, mib: u64) -> Self {
        self.data_limit_mib = Some(mib);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// The exit status expected (default 0).
    pub fn status(mut self, code: i32) -> Self {
        self.status = Some(code);
        self
    }

    /// Runs and checks the exit status; returns the output for further checks.
    pub fn run(self) -> Run {
        let program = self.program.clone().unwrap_or_else(|| bin().to_owned());
        let mut command = match self.data_limit_mib {
            Some(mib) => {
                let mut command = Command::new("bash");
                command
                    .arg("-c")
                    .arg("ulimit -d \"$0\" && exec \"$@\"")
                    .arg((mib * 1024).to_string())
                    .arg(&program);
                command
            }
            None => Command::new(&program),
        };
        command
            .args(&self.args)
            .env("NO_COLOR", "1")
            .env_remove("KUBECTL_CHART_NAMESPACE")
            .envs(&self.env)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        for key in &self.env_remove {
            command.env_remove(key);
        }
        let mut child = command.spawn().expect("spawn");
        if let Some(input) = &self.stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(input).expect("write stdin");
        }
        let output = match self.timeout {
            None => child.wait_with_output().expect("wait"),
            Some(limit) => wait_with_timeout(child, limit).unwrap_or_else(|| {
                panic!(
                    "`{} {}` did not finish within {limit:?} and was killed",
                    program.display(),
                    self.args.join(" ")
                )
            }),
        };
        let run = Run {
            output,
            command: format!("{} {}", program.display(), self.args.join(" ")),
        };
        let expected = self.status.unwrap_or(0);
        assert_eq!(
            run.output.status.code(),
            Some(expected),
            "`{}` exited {:?}, expected {expected}\n--- stdout\n{}\n--- stderr\n{}",
            run.command,
            run.output.status.code(),
            run.stdout(),
            run.stderr()
        );
        run
    }
}

/// Waits for `child`, reading its output as it comes; `None` (after killing it) when it has
/// not finished within `limit`.
fn wait_with_timeout(mut child: Child, limit: Duration) -> Option<Output> {
    fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status: ExitStatus = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Some(Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    })
}

/// What a run printed.
pub struct Run {
    pub output: Output,
    pub command: String,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Asserts that stderr holds every one of `parts`.
    pub fn stderr_has(&self, parts: &[&str]) -> &Self {
        let stderr = self.stderr();
        for part in parts {
            assert!(
                stderr.contains(part),
                "stderr of `{}` lacks {part:?}:\n{stderr}",
                self.command
            );
        }
        self
    }

    pub fn stdout_has(&self, parts: &[&str]) -> &Self {
        let stdout = self.stdout();
        for part in parts {
            assert!(
                stdout.contains(part),
                "stdout of `{}` lacks {part:?}:\n{stdout}",
                self.command
            );
        }
        self
    }

    /// Parses stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout).unwrap_or_else(|err| {
            panic!(
                "stdout of `{}` is not JSON: {err}\n{}",
                self.command,
                self.stdout()
            )
        })
    }

    /// Compares stdout with a golden file under `host/tests/golden/`; `KCHART_BLESS=1`
    /// rewrites the file instead.
    pub fn golden(&self, name: &str) -> &Self {
        self.golden_text(name, self.stdout())
    }

    /// [`Run::golden`] with the times that change from run to run (Helm's `Mon Jan  2
    /// 15:04:05 2006`, RFC 3339) replaced by `<TIME>`.
    pub fn golden_timeless(&self, name: &str) -> &Self {
        static TIMES: OnceLock<regex::Regex> = OnceLock::new();
        let times = TIMES.get_or_init(|| {
            regex::Regex::new(
                r"(?:[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})|(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)",
            )
            .expect("time pattern")
        });
        self.golden_text(
            name,
            times.replace_all(&self.stdout(), "<TIME>").into_owned(),
        )
    }

    fn golden_text(&self, name: &str, actual: String) -> &Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(name);
        if std::env::var_os("KCHART_BLESS").is_some() {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir golden");
            std::fs::write(&path, &actual).expect("write golden");
            return self;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "golden file {} is missing: run with KCHART_BLESS=1 to record it",
                path.display()
            )
        });
        if expected != actual {
            let diff = similar::TextDiff::from_lines(&expected, &actual)
                .unified_diff()
                .header("golden", "actual")
                .to_string();
            panic!(
                "`{}` differs from golden file {} (KCHART_BLESS=1 re-records):\n{diff}",
                self.command,
                path.display()
            );
        }
        self
    }
}
