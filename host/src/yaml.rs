//! The one place that knows which YAML crate the project uses (`serde_yaml_ng`, the maintained
//! fork of the archived `serde_yaml`), so that choice stays cheap to change.

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use serde_yaml_ng::Error;

/// Parses one YAML document.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    serde_yaml_ng::from_str(text)
}

/// Parses one YAML document from bytes (checked to be UTF-8 by the parser).
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_yaml_ng::from_slice(bytes)
}

/// Prints a value as a YAML document (no leading `---`), ending in a newline.
///
/// Serialising a `serde_json::Value` cannot fail (its keys are strings), so this returns text.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    serde_yaml_ng::to_string(value).unwrap_or_else(|err| format!("# unprintable value: {err}\n"))
}

/// The 1-based line of a parse error and its message without the position suffix.
pub fn error_position(err: &Error) -> (usize, String) {
    let line = err.location().map_or(1, |loc| loc.line());
    let mut message = err.to_string();
    // serde_yaml_ng appends " at line L column C"; the caller reports the line itself.
    if let Some(index) = message.find(" at line ") {
        message.truncate(index);
    }
    (line, message)
}
