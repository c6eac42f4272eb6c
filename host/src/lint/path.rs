//! JSONPath strings for findings: built by rules one step at a time, or converted from the
//! normalized paths `jsonpath-rust` returns (`$['spec']['replicas']`), so every finding shows
//! the same dotted form (`$.spec.replicas`, `$.metadata.labels['app.kubernetes.io/name']`).

/// Appends a member: `.name` when the name is a plain identifier, `['a.b/c']` otherwise.
pub fn key(path: &str, name: &str) -> String {
    let mut out = String::with_capacity(path.len() + name.len() + 4);
    out.push_str(path);
    push_key(&mut out, name);
    out
}

/// Appends an array index: `[3]`.
pub fn index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

/// Appends several members: `keys("$", &["spec", "template"])` is `$.spec.template`.
pub fn keys(path: &str, names: &[&str]) -> String {
    let mut out = path.to_owned();
    for name in names {
        push_key(&mut out, name);
    }
    out
}

fn push_key(out: &mut String, name: &str) {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        out.push('.');
        out.push_str(name);
    } else {
        out.push_str("['");
        for c in name.chars() {
            if c == '\'' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push_str("']");
    }
}

/// Converts a normalized path (`$['spec']['containers'][0]`) to the dotted form, and appends
/// it to `base` (a path that already ends where the normalized path's `$` starts).
pub fn from_normalized(base: &str, normalized: &str) -> String {
    let mut out = base.to_owned();
    let rest = normalized.strip_prefix('$').unwrap_or(normalized);
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '[' {
            // Not a normalized path after all: keep the rest as it is.
            out.push(c);
            out.extend(chars.by_ref());
            break;
        }
        if chars.peek() == Some(&'\'') {
            chars.next();
            let mut name = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(escaped) = chars.next() {
                            name.push(escaped);
                        }
                    }
                    '\'' => break,
                    other => name.push(other),
                }
            }
            // The closing `]`.
            chars.next();
            push_key(&mut out, &name);
        } else {
            out.push('[');
            for c in chars.by_ref() {
                out.push(c);
                if c == ']' {
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_dotted_paths() {
        let cases = [
            (keys("$", &["spec", "template"]), "$.spec.template"),
            (
                key("$.metadata.labels", "app.kubernetes.io/name"),
                "$.metadata.labels['app.kubernetes.io/name']",
            ),
            (key("$", "it's"), "$['it\\'s']"),
            (key("$", "9lives"), "$['9lives']"),
            (index("$.spec.containers", 2), "$.spec.containers[2]"),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn converts_normalized_paths() {
        let cases = [
            ("$", "$", "$"),
            (
                "$",
                "$['spec']['containers'][0]['image']",
                "$.spec.containers[0].image",
            ),
            (
                "$.spec.containers[1]",
                "$['resources']['limits']",
                "$.spec.containers[1].resources.limits",
            ),
            (
                "$",
                "$['metadata']['labels']['a.b/c']",
                "$.metadata.labels['a.b/c']",
            ),
            ("$", "$['it\\'s']", "$['it\\'s']"),
        ];
        for (base, normalized, want) in cases {
            assert_eq!(from_normalized(base, normalized), want, "{normalized}");
        }
    }
}
