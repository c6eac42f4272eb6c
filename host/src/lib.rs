//! kubectl-chart: render charts, run WebAssembly plugins, diff and apply against a cluster.
//!
//! The binary (`src/main.rs`) is a thin shell over [`cli::Cli`]; everything else is library
//! code, usable and testable on its own.

pub mod apply;
pub mod cache;
pub mod chart;
pub mod cli;
pub mod cluster;
pub mod diff;
pub mod lint;
pub mod log;
pub mod manifest;
pub mod merge;
pub mod plugin;
pub mod quote;
pub mod release;
pub mod render;
pub mod yaml;

#[cfg(test)]
mod proptests;
