//! The wasmtime engine shared by every plugin of a run, and the sandbox each call runs in.
//!
//! - One [`Engine`] with epoch interruption; a ticker thread advances the epoch every
//!   [`TICK`], so a call's time bound is a number of ticks.
//! - One [`Linker`] with WASI preview 2 linked in: std guests import it even when they never
//!   use it. Every call gets a fresh [`WasiCtx`] that grants nothing: no preopened folders, no
//!   environment, no arguments, no network addresses, stdin closed, stdout discarded, stderr
//!   captured (a panic message ends up in the error), and clocks stopped at the Unix epoch so
//!   output never depends on when it was rendered.
//! - A fresh [`Store`] per call: a trap poisons an instance, and fresh state means one call
//!   can never see another's data.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::component::{Component, Instance, InstancePre, Linker, ResourceTable};
use wasmtime::{Config, Engine, ResourceLimiter, Store, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use super::cache::Cache;
use super::{Error, Result, text};

/// How often the epoch advances: the granularity of the time bound.
pub const TICK: Duration = Duration::from_millis(5);

/// How much of a plugin's stderr is kept for error messages.
const STDERR_CAPACITY: usize = 64 * 1024;

/// Table growth beyond this many elements is refused (tables hold function references).
const MAX_TABLE_ELEMENTS: usize = 1_000_000;

/// What one call of a plugin may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time for one call, instantiation included.
    pub timeout: Duration,
    /// Linear memory, in bytes.
    pub memory: u64,
    /// Total size of what the call returns, in bytes.
    pub output: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(2),
            memory: 256 * 1024 * 1024,
            output: 64 * 1024 * 1024,
        }
    }
}

/// The data of one call's [`Store`].
pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Refuses memory growth past the limit, by trapping, and remembers that it did so the error
/// can say "memory" rather than a bare trap.
struct Limiter {
    max_memory: usize,
    exceeded: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_memory {
            self.exceeded = true;
            return Err(wasmtime::Error::msg(format!(
                "memory limit of {} bytes reached",
                self.max_memory
            )));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// A clock stopped at the Unix epoch: plugins get no real time.
struct StoppedClock;

impl HostWallClock for StoppedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for StoppedClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// The engine, linker and cache shared by every plugin of a run.
pub struct Host {
    engine: Engine,
    linker: Linker<State>,
    cache: Option<Cache>,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for Host {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

impl Host {
    /// A new engine, with compiled components cached in `cache` when given.
    pub fn new(cache: Option<Cache>) -> Result<Host> {
        let engine_error = |err: wasmtime::Error| Error::Engine {
            message: format!("{err:#}"),
        };
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(engine_error)?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        start_ticker(&engine, Arc::clone(&ticker_stop))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(engine_error)?;
        Ok(Host {
            engine,
            linker,
            cache,
            ticker_stop,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn cache(&self) -> Option<&Cache> {
        self.cache.as_ref()
    }

    /// Compiles `bytes` (the content of `path`), or loads the compiled form from the cache.
    /// Returns the component and whether it came from the cache.
    pub(crate) fn compile(
        &self,
        path: &std::path::Path,
        bytes: &[u8],
    ) -> Result<(Component, bool)> {
        if let Some(cache) = &self.cache
            && let Some(component) = cache.load(&self.engine, bytes, path)
        {
            return Ok((component, true));
        }
        let component =
            Component::new(&self.engine, bytes).map_err(|err| Error::InvalidComponent {
                path: path.to_owned(),
                message: root_message(&err),
            })?;
        if let Some(cache) = &self.cache {
            // A cache that cannot be written costs time on the next run (and one warning).
            cache.store(&self.engine, bytes, &component);
        }
        Ok((component, false))
    }

    /// Checks that the sandbox provides everything `component` imports.
    pub(crate) fn instantiate_pre(
        &self,
        path: &std::path::Path,
        component: &Component,
    ) -> Result<InstancePre<State>> {
        self.linker
            .instantiate_pre(component)
            .map_err(|err| Error::Imports {
                path: path.to_owned(),
                message: root_message(&err),
            })
    }

    /// Runs `f` on a fresh instance of `pre` within `limits`, mapping every way a guest can
    /// fail to an [`Error`] naming `plugin`.
    pub(crate) fn call<R>(
        &self,
        plugin: &str,
        pre: &InstancePre<State>,
        limits: &Limits,
        f: impl FnOnce(&mut Store<State>, &Instance) -> wasmtime::Result<R>,
    ) -> Result<R> {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .wall_clock(StoppedClock)
            .monotonic_clock(StoppedClock)
            .build();
        let state = State {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter {
                max_memory: usize::try_from(limits.memory).unwrap_or(usize::MAX),
                exceeded: false,
            },
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        // Set before instantiating: a start function runs under the same bound.
        store.set_epoch_deadline(deadline_ticks(limits.timeout));
        store.epoch_deadline_trap();
        let result = pre
            .instantiate(&mut store)
            .and_then(|instance| f(&mut store, &instance));
        result.map_err(|err| {
            if store.data().limiter.exceeded {
                return Error::Memory {
                    plugin: plugin.to_owned(),
                    limit_mib: limits.memory / (1024 * 1024),
                };
            }
            if err.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
                return Error::Timeout {
                    plugin: plugin.to_owned(),
                    limit_ms: u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX),
                };
            }
            let mut message = match err.downcast_ref::<Trap>() {
                Some(trap) => trap.to_string(),
                None => root_message(&err),
            };
            let said = guest_said(&stderr.contents());
            if !said.is_empty() {
                message.push_str("; the plugin printed: ");
                message.push_str(&said);
            }
            Error::Trap {
                plugin: plugin.to_owned(),
                message,
            }
        })
    }
}

fn deadline_ticks(timeout: Duration) -> u64 {
    let ticks = timeout.as_nanos().div_ceil(TICK.as_nanos());
    // One more tick: the first may come at once.
    u64::try_from(ticks).unwrap_or(u64::MAX / 2) + 1
}

fn start_ticker(engine: &Engine, stop: Arc<AtomicBool>) -> Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("plugin-epoch".to_owned())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .map(drop)
        .map_err(|err| Error::Engine {
            message: format!("failed to start the epoch ticker thread: {err}"),
        })
}

/// A wasmtime error's chain of causes, on one bounded line (wasmtime's messages can hold
/// backtraces and pretty-printed byte arrays).
pub(crate) fn root_message(err: &wasmtime::Error) -> String {
    let mut parts: Vec<String> = err.chain().map(ToString::to_string).collect();
    parts.dedup();
    text::one_line(&parts.join(": "), 2 * text::QUOTE_CHARS)
}

/// The last lines a guest wrote to stderr (a Rust panic message), on one line, bounded.
fn guest_said(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
        .collect();
    let start = lines.len().saturating_sub(4);
    let mut said = lines[start..].join(" ");
    if said.len() > 500 {
        let mut cut = said.len() - 500;
        while !said.is_char_boundary(cut) {
            cut += 1;
        }
        said = format!("...{}", &said[cut..]);
    }
    text::one_line(&said, 2 * text::QUOTE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_covers_the_timeout() {
        assert_eq!(deadline_ticks(Duration::from_millis(10)), 3);
        assert_eq!(deadline_ticks(Duration::from_millis(11)), 4);
        assert!(deadline_ticks(Duration::MAX) > 1);
    }

    #[test]
    fn guest_stderr_is_summarised() {
        let said = guest_said(
            b"\nthread '<unnamed>' panicked at src/lib.rs:5:9:\nboom\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n",
        );
        assert_eq!(said, "thread '<unnamed>' panicked at src/lib.rs:5:9: boom");
        let long = "x".repeat(2000);
        assert!(guest_said(long.as_bytes()).len() <= 503);
    }
}
