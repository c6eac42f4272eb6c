//! `kubectl chart values CHART`: print the computed values, and the value flags shared by
//! every command that renders.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

use super::{Outcome, OutputFormat};
use crate::chart::values;
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

/// Prints the values the top chart's templates see: the value flags over every chart's
/// defaults, dependencies processed, checked against the schemas.
pub fn run(args: ValuesArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let chart = super::render::load_chart(&args.chart)?;
    let user = values::user_values(&args.values.options(), &mut std::io::stdin().lock())?;
    let (_, computed) = super::render::release_values(chart, user, true)?;
    let plain = values::plain_numbers(Value::Object(computed));
    write_value(out, &plain, args.output)?;
    Ok(Outcome::Success)
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
