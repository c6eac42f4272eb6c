//! Glob patterns as `.Files.Glob` reads them (`github.com/gobwas/glob` with `/` as the
//! separator): `*` and `?` stop at `/`, `**` does not, `[abc]`, `[!a-z]` and `{a,b}` as in
//! shells, `\` escapes. A pattern that does not compile matches everything, because Helm
//! falls back to `**`.
//!
//! Matching keeps the set of positions each part of the pattern can reach, so it takes
//! polynomial time whatever the pattern (`*a*a*a*b` cannot make it backtrack
//! exponentially).

/// One part of a pattern.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(Vec<char>),
    /// `*`: any run of characters other than `/`.
    Any,
    /// `**`: any run of characters.
    Super,
    /// `?`: one character other than `/`.
    Single,
    /// `[abc]`, `[!abc]`: one character in (or not in) the list.
    List {
        chars: Vec<char>,
        not: bool,
    },
    /// `[a-z]`, `[!a-z]`.
    Range {
        lo: char,
        hi: char,
        not: bool,
    },
    /// `{a,b}`: any of the alternatives.
    AnyOf(Vec<Vec<Node>>),
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Glob {
    nodes: Vec<Node>,
}

const SEPARATOR: char = '/';

impl Glob {
    /// Compiles `pattern` as gobwas/glob does; its error message when it does not.
    pub fn compile(pattern: &str) -> Result<Glob, String> {
        let mut parser = Parser {
            chars: pattern.chars().collect(),
            pos: 0,
        };
        let nodes = parser.sequence(0)?;
        Ok(Glob { nodes })
    }

    /// Helm's `Glob`: the pattern, or `**` when it does not compile.
    pub fn compile_or_all(pattern: &str) -> Glob {
        Glob::compile(pattern).unwrap_or(Glob {
            nodes: vec![Node::Super],
        })
    }

    /// Whether the whole of `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        let chars: Vec<char> = name.chars().collect();
        let mut start = vec![false; chars.len() + 1];
        start[0] = true;
        let end = advance(&self.nodes, &chars, start);
        end[chars.len()]
    }
}

/// The positions reachable after matching `nodes` from any of the `from` positions.
fn advance(nodes: &[Node], s: &[char], mut from: Vec<bool>) -> Vec<bool> {
    for node in nodes {
        let mut to = vec![false; s.len() + 1];
        match node {
            Node::Text(text) => {
                for i in (0..=s.len()).filter(|&i| from[i]) {
                    if s[i..].starts_with(text) {
                        to[i + text.len()] = true;
                    }
                }
            }
            Node::Super => {
                if let Some(first) = from.iter().position(|&b| b) {
                    to[first..].fill(true);
                }
            }
            Node::Any => {
                // Extend each reachable position over the run of non-separators after it.
                let mut open = false;
                for i in 0..=s.len() {
                    open = open || from[i];
                    to[i] = open;
                    if s.get(i) == Some(&SEPARATOR) {
                        open = false;
                    }
                }
            }
            Node::Single | Node::List { .. } | Node::Range { .. } => {
                for i in (0..s.len()).filter(|&i| from[i]) {
                    let c = s[i];
                    let ok = match node {
                        Node::Single => c != SEPARATOR,
                        Node::List { chars, not } => chars.contains(&c) != *not,
                        Node::Range { lo, hi, not } => (*lo <= c && c <= *hi) != *not,
                        _ => false,
                    };
                    if ok {
                        to[i + 1] = true;
                    }
                }
            }
            Node::AnyOf(alternatives) => {
                for alternative in alternatives {
                    let reached = advance(alternative, s, from.clone());
                    for (t, r) in to.iter_mut().zip(reached) {
                        *t |= r;
                    }
                }
            }
        }
        from = to;
    }
    from
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// A sequence of nodes up to the end, or (inside `{...}`) up to `,` or `}`. An
    /// unclosed `{` ends with the pattern, as gobwas/glob's parser allows.
    fn sequence(&mut self, depth: usize) -> Result<Vec<Node>, String> {
        let mut nodes = Vec::new();
        while let Some(c) = self.peek() {
            match c {
                '{' => {
                    self.pos += 1;
                    let mut alternatives = vec![self.sequence(depth + 1)?];
                    loop {
                        match self.peek() {
                            Some(',') => {
                                self.pos += 1;
                                alternatives.push(self.sequence(depth + 1)?);
                            }
                            Some('}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => break,
                        }
                    }
                    nodes.push(Node::AnyOf(alternatives));
                }
                ',' | '}' if depth > 0 => return Ok(nodes),
                '[' => {
                    self.pos += 1;
                    nodes.push(self.range()?);
                }
                '?' => {
                    self.pos += 1;
                    nodes.push(Node::Single);
                }
                '*' => {
                    self.pos += 1;
                    if self.peek() == Some('*') {
                        self.pos += 1;
                        nodes.push(Node::Super);
                    } else {
                        nodes.push(Node::Any);
                    }
                }
                _ => {
                    let breakers: &[char] = if depth > 0 {
                        &['?', '*', '[', '{', '}', ',']
                    } else {
                        &['?', '*', '[', '{']
                    };
                    let text = self.text(breakers);
                    if !text.is_empty() {
                        nodes.push(Node::Text(text));
                    }
                }
            }
        }
        Ok(nodes)
    }

    /// Literal text up to a breaker; `\` escapes the next character.
    fn text(&mut self, breakers: &[char]) -> Vec<char> {
        let mut text = Vec::new();
        let mut escaped = false;
        while let Some(c) = self.peek() {
            if !escaped {
                if c == '\\' {
                    escaped = true;
                    self.pos += 1;
                    continue;
                }
                if breakers.contains(&c) {
                    break;
                }
            }
            escaped = false;
            text.push(c);
            self.pos += 1;
        }
        text
    }

    /// After `[`: `!` for negation, then one `lo-hi` range or a list of characters, then `]`.
    fn range(&mut self) -> Result<Node, String> {
        let mut not = false;
        if self.peek() == Some('!') {
            not = true;
            self.pos += 1;
        }
        let Some(first) = self.peek() else {
            return Err("unexpected end of input".to_owned());
        };
        let node = if self.chars.get(self.pos + 1) == Some(&'-') {
            let Some(&hi) = self.chars.get(self.pos + 2) else {
                return Err("unexpected end of input".to_owned());
            };
            self.pos += 3;
            if hi < first {
                return Err(format!(
                    "hi character '{hi}' should be greater than lo '{first}'"
                ));
            }
            Node::Range { lo: first, hi, not }
        } else {
            let chars = self.text(&[']']);
            if chars.is_empty() {
                return Err("could not parse range".to_owned());
            }
            Node::List { chars, not }
        };
        match self.peek() {
            Some(']') => {
                self.pos += 1;
                Ok(node)
            }
            Some(_) => Err("expected close range character".to_owned()),
            None => Err("unexpected end of input".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_as_gobwas_glob_with_slash_separator() {
        let cases: &[(&str, &str, bool)] = &[
            ("files/*", "files/a.txt", true),
            ("files/*", "files/sub/c.yaml", false),
            ("files/**", "files/sub/c.yaml", true),
            ("files/**", "files/", true),
            ("**.txt", "secrets/s.txt", true),
            ("**.txt", "a/b/c.txt", true),
            ("*.txt", "a/b.txt", false),
            ("a/**/b", "a/b", false),
            ("a/**/b", "a/x/y/b", true),
            ("?.txt", "a.txt", true),
            ("?.txt", "/.txt", false),
            ("files/{a,b}.txt", "files/b.txt", true),
            ("files/{a,b}.txt", "files/c.txt", false),
            ("{a,b/*}", "b/x", true),
            ("{a,{b,c}d}", "cd", true),
            ("{a,b", "b", true),
            ("[abc].txt", "b.txt", true),
            ("[!abc].txt", "d.txt", true),
            ("[!abc].txt", "a.txt", false),
            ("[a-c]x", "bx", true),
            ("[!a-c]x", "bx", false),
            ("[!a]", "/", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "axb", false),
            ("", "", true),
            ("", "a", false),
            ("*", "", true),
            ("a}b,c", "a}b,c", true),
            ("*a*a*a*a*a*a*b", &"a".repeat(60), false),
            ("é*", "éa", true),
        ];
        for (pattern, name, expected) in cases {
            let glob = Glob::compile(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
            assert_eq!(glob.matches(name), *expected, "{pattern} ~ {name}");
        }
    }

    #[test]
    fn bad_patterns_fail_and_helm_falls_back_to_everything() {
        for bad in ["[", "[]", "[!]", "[z-a]", "[a-z0-9]", "[ab"] {
            assert!(Glob::compile(bad).is_err(), "{bad}");
            assert!(Glob::compile_or_all(bad).matches("any/thing"), "{bad}");
        }
    }
}
