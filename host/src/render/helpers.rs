//! Template helpers for chart authors: the Helm/Sprig functions charts rely on, in Handlebars
//! form (`{{nindent 4 (toYaml Values.resources)}}`).
//!
//! (Skeleton: the full set lands with the template helpers work.)

use std::collections::BTreeMap;
use std::sync::Arc;

use handlebars::Handlebars;

/// The chart's non-template files, readable through the `Files` helpers.
pub type Files = Arc<BTreeMap<String, Vec<u8>>>;

/// Registers every helper on `registry`.
pub fn register(registry: &mut Handlebars<'static>, files: Files) {
    let _ = (registry, files);
}
