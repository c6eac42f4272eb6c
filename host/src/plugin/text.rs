//! Text that came from a plugin, a plugin file or wasmtime, made fit for a one-line error or
//! warning: line breaks folded, control characters escaped (a guest cannot move the cursor or
//! colour the terminal), and long text cut with an ellipsis that keeps its start, where the
//! cause usually is.

use std::path::Path;

/// How much of a guest's or a file's text an error quotes.
pub(crate) const QUOTE_CHARS: usize = 300;

/// `text` on one line of at most `max` characters (plus an ellipsis when cut).
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 8));
    let mut chars = 0usize;
    let mut pending_space = false;
    for c in text.trim().chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space {
            if chars >= max {
                out.push('…');
                return out;
            }
            out.push(' ');
            chars += 1;
            pending_space = false;
        }
        if chars >= max {
            out.push('…');
            return out;
        }
        if c.is_control() || is_bidi_control(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        chars += 1;
    }
    out
}

/// Characters that reorder how a terminal shows the text around them (Trojan Source).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// A path for a one-line message: a file name with a line break or an escape sequence in it
/// is shown escaped (`a\nb.wasm`), never printed raw.
pub(crate) fn path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.display().to_string().chars() {
        if c.is_control() || is_bidi_control(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The first bytes of a file, as escaped ASCII (`\x7fELF\x02\x01…`), for "it starts with".
pub(crate) fn bytes_start(bytes: &[u8], max: usize) -> String {
    let shown = &bytes[..bytes.len().min(max)];
    let mut out = shown.escape_ascii().to_string();
    if bytes.len() > max {
        out.push('…');
    }
    out
}

/// A byte count as people read it: `512 B`, `1.5 KiB`, `2.0 GiB`.
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_folds_escapes_and_cuts() {
        for (input, max, expected) in [
            ("plain", 10, "plain"),
            ("", 10, ""),
            ("  padded  ", 10, "padded"),
            ("a\nb", 10, "a b"),
            ("a \r\n\t  b", 10, "a b"),
            (
                "expected=[\n    0x0,\n    0x61,\n]",
                80,
                "expected=[ 0x0, 0x61, ]",
            ),
            ("bell\u{7}", 10, "bell\\u{7}"),
            ("\u{1b}[31mred", 20, "\\u{1b}[31mred"),
            ("rtl\u{202e}txt", 20, "rtl\\u{202e}txt"),
            ("abcdef", 3, "abc…"),
            ("abc def", 3, "abc…"),
            ("abc", 3, "abc"),
            ("ééééé", 2, "éé…"),
        ] {
            assert_eq!(one_line(input, max), expected, "{input:?}");
        }
    }

    #[test]
    fn one_line_is_bounded_for_any_input() {
        let long = "line\n".repeat(100_000);
        let out = one_line(&long, QUOTE_CHARS);
        assert!(out.chars().count() <= QUOTE_CHARS + 1);
        assert!(!out.contains('\n'));
        assert!(out.ends_with('…'));
    }

    #[test]
    fn file_starts_are_escaped() {
        for (bytes, expected) in [
            (&b"hello world"[..], "hello wo…"),
            (b"\x7fELF\x02\x01\x01\x00", "\\x7fELF\\x02\\x01\\x01\\x00"),
            (b"ab", "ab"),
            (b"", ""),
            (b"a\nb", "a\\nb"),
        ] {
            assert_eq!(bytes_start(bytes, 8), expected);
        }
    }

    #[test]
    fn sizes_read_naturally() {
        for (bytes, expected) in [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1536, "1.5 KiB"),
            (128 * 1024 * 1024, "128.0 MiB"),
            (2 * 1024 * 1024 * 1024, "2.0 GiB"),
            (u64::MAX, "16777216.0 TiB"),
        ] {
            assert_eq!(size(bytes), expected);
        }
    }

    #[test]
    fn paths_stay_on_one_line() {
        assert_eq!(path(Path::new("/p/a\nb.wasm")), "/p/a\\nb.wasm");
        assert_eq!(path(Path::new("/p/a b.wasm")), "/p/a b.wasm");
    }
}
