//! User input inside one-line messages: shortened with an ellipsis and with line breaks and
//! control characters escaped, so that a 100 KB `--set` value or a long rendered line cannot
//! make an error span a screen. Messages keep the cause; only the quoted input is cut.

/// How many characters of quoted input a message keeps.
pub const MAX_QUOTED_CHARS: usize = 100;

/// `text` cut to [`MAX_QUOTED_CHARS`] characters, ending in `…` when cut. Line breaks and
/// other control characters are escaped (`\n`), so the result is always one line.
pub fn short(text: &str) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == MAX_QUOTED_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` shortened as [`short`] does and put in double quotes, as `{:?}` would.
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", short(text).replace('"', "\\\""))
}

/// A message of several lines (a parser's diagram, a list) as one line: lines trimmed, empty
/// ones dropped, the rest joined with `: `.
pub fn one_line(message: &str) -> String {
    let mut out = String::new();
    for line in message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
    {
        if !out.is_empty() {
            out.push_str(if out.ends_with(':') { " " } else { ": " });
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_table() {
        let long = "x".repeat(100_000);
        let cases = [
            ("a=1", "a=1".to_owned()),
            ("a\nb\tc\r", "a\\nb\\tc\\r".to_owned()),
            (long.as_str(), format!("{}…", "x".repeat(MAX_QUOTED_CHARS))),
            ("ééé", "ééé".to_owned()),
        ];
        for (input, expected) in cases {
            assert_eq!(short(input), expected, "{input:.20}");
        }
        let exactly = "y".repeat(MAX_QUOTED_CHARS);
        assert_eq!(short(&exactly), exactly);
        assert_eq!(quoted("say \"hi\""), r#""say \"hi\"""#);
        assert_eq!(
            one_line("regex parse error:\n    a(\n     ^\nerror: unclosed group\n"),
            "regex parse error: a(: ^: error: unclosed group"
        );
    }
}
