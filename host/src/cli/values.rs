//! `kubectl chart values CHART`: print the computed values, and the value flags shared by
//! every command that renders.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use super::{Outcome, OutputFormat};
use crate::chart::{self, Chart, values};
use crate::yaml;

/// Helm's value flags. As in Helm, files apply first, then every `--set-json`, `--set`,
/// `--set-string`, `--set-file` and `--set-literal`, in that order whatever the order given.
#[derive(Debug, Clone, Default, Args)]
pub struct ValueArgs {
    /// Values file (YAML); repeat or comma-separate for several, later ones win; `-` is stdin
    #[arg(
        short = 'f',
        long = "values",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub files: Vec<String>,
    /// Set values: `a.b=1,c[0]=x` (types are inferred as Helm does)
    #[arg(long, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Set values as strings, never inferring a type
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    pub set_string: Vec<String>,
    /// Set values from JSON: `a={"b":1}`, `a.b=[1,2]`, or a whole object `{"a":{"b":1}}`
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    /// Set values to the contents of files: `cert=path/to/cert.pem` (`-` is stdin)
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
    /// Set a literal string value, with no escapes or commas parsed
    #[arg(long = "set-literal", value_name = "KEY=VALUE")]
    pub set_literal: Vec<String>,
}

impl ValueArgs {
    pub fn options(&self) -> values::Options {
        values::Options {
            files: self.files.clone(),
            set: self.set.clone(),
            set_string: self.set_string.clone(),
            set_json: self.set_json.clone(),
            set_file: self.set_file.clone(),
            set_literal: self.set_literal.clone(),
        }
    }

    /// Computes the values for `chart`: defaults, user values, then the schema check.
    pub fn compute(&self, chart: &Chart) -> anyhow::Result<Value> {
        Ok(self.compute_with_user(chart)?.1)
    }

    /// The values the user supplied, and the values computed from them for `chart`.
    pub fn compute_with_user(&self, chart: &Chart) -> anyhow::Result<(Value, Value)> {
        let user = values::user_values(&self.options(), &mut std::io::stdin().lock())?;
        let coalesced = values::coalesce(&chart.values, user.clone());
        // Helm logs these and goes on; so do we, on stderr.
        for warning in &coalesced.warnings {
            eprintln!("warning: {warning}");
        }
        if let Some(schema) = &chart.schema {
            values::validate(
                schema,
                &chart.file_path("values.schema.json"),
                &coalesced.values,
            )?;
        }
        Ok((user, coalesced.values))
    }
}

#[derive(Debug, Args)]
pub struct ValuesArgs {
    /// Chart folder or packaged chart (.tgz)
    #[arg(value_name = "CHART")]
    pub chart: PathBuf,
    #[command(flatten)]
    pub values: ValueArgs,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

pub fn run(args: ValuesArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let chart = load_chart(&args.chart)?;
    let values = args.values.compute(&chart)?;
    write_value(out, &values, args.output)?;
    Ok(Outcome::Success)
}

/// Loads a chart, with the path in the error.
pub fn load_chart(path: &Path) -> anyhow::Result<Chart> {
    Ok(chart::load(path)?)
}

pub fn write_value(out: &mut dyn Write, value: &Value, format: OutputFormat) -> anyhow::Result<()> {
    match format {
        OutputFormat::Yaml => out.write_all(yaml::to_string(value).as_bytes())?,
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, value)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}
