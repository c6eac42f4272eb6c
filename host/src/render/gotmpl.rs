//! Go templates (`renderer:` absent): Helm's render loop over the `kchart-gotemplate` engine.
//!
//! The engine is being merged into the workspace; until it lands, a Go-template chart is
//! refused with a clear error rather than rendered wrongly.

use super::{EngineOutput, Error, Job, Result, Scope};

pub fn render(scopes: &[Scope<'_>], members: &[usize], _job: &Job) -> Result<EngineOutput> {
    let first = members
        .first()
        .map_or("", |&i| scopes[i].full_path.as_str());
    Err(Error::Go(format!(
        "chart `{first}` is written in Go templates (no `renderer:` in Chart.yaml), which this build cannot render yet; declare `renderer: handlebars` for a Handlebars chart"
    )))
}
