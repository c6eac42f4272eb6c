//! The integration tests: the real `kubectl-chart` binary, driven through [`support::Test`].

mod support;

mod apply;
mod corpus;
mod create;
mod diff;
mod errors;
mod hardening;
mod helm_values;
mod kubectl;
mod lint;
mod package;
mod plugins;
mod release;
mod template;
