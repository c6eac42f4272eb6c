//! Sprig's `urlParse` and `urlJoin`, with Go's `net/url` parsing, unescaping and escaping
//! (which parts are decoded, which characters each part escapes).

use crate::func::{Args, FuncDef, FuncError, FuncResult, Param, Sig};
use crate::value::{Map, Value};

use super::def;
use super::strings::go_quote;

pub(super) const FUNCS: &[FuncDef] = &[
    def("urlParse", Sig::fixed(&[Param::String]), url_parse),
    def("urlJoin", Sig::fixed(&[Param::Map]), url_join),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    UserPassword,
    Fragment,
}

/// Go's `shouldEscape`.
fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if mode == Mode::Host
        && matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        )
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => {
            return match mode {
                Mode::Path => c == b'?',
                Mode::UserPassword => matches!(c, b'@' | b'/' | b'?' | b':'),
                Mode::Fragment => false,
                Mode::Host => true,
            };
        }
        _ => {}
    }
    if mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

fn escape(s: &str, mode: Mode) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if should_escape(b, mode) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

/// Go's `unescape`; its errors are `net/url`'s texts.
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
                match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                    (Some(hi), Some(lo)) => {
                        if mode == Mode::Host && hi < 8 && &s[i..i + 3] != "%25" {
                            return Err(format!("invalid URL escape {}", go_quote(&s[i..i + 3])));
                        }
                        out.push((hi * 16 + lo) as u8);
                        i += 3;
                    }
                    _ => {
                        let end = (i + 3).min(bytes.len());
                        let piece = String::from_utf8_lossy(&bytes[i..end]);
                        return Err(format!("invalid URL escape {}", go_quote(&piece)));
                    }
                }
            }
            b if mode == Mode::Host && b < 0x80 && should_escape(b, mode) => {
                return Err(format!(
                    "invalid character {} in host name",
                    go_quote(&(b as char).to_string())
                ));
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The parts of a URL Sprig reports.
#[derive(Debug, Default)]
struct Url {
    scheme: String,
    opaque: String,
    user: Option<(String, Option<String>)>,
    host: String,
    path: String,
    raw_query: String,
    fragment: String,
}

impl Url {
    /// `Userinfo.String()`: escaped user, and `:password` when one was given.
    fn userinfo(&self) -> String {
        match &self.user {
            None => String::new(),
            Some((user, password)) => {
                let mut out = escape(user, Mode::UserPassword);
                if let Some(password) = password {
                    out.push(':');
                    out.push_str(&escape(password, Mode::UserPassword));
                }
                out
            }
        }
    }

    /// `URL.Hostname()`: the host without its port or IPv6 brackets.
    fn hostname(&self) -> String {
        let host = &self.host;
        if let Some(rest) = host.strip_prefix('[') {
            return match rest.find(']') {
                Some(end) => rest[..end].to_owned(),
                None => rest.to_owned(),
            };
        }
        match host.rfind(':') {
            Some(colon) if host[colon + 1..].bytes().all(|b| b.is_ascii_digit()) => {
                host[..colon].to_owned()
            }
            _ => host.clone(),
        }
    }
}

/// `url.Parse`.
fn parse(raw: &str) -> Result<Url, String> {
    let (rest, fragment) = match raw.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (raw, None),
    };
    let wrap = |url: &str, err: String| format!("parse {}: {err}", go_quote(url));
    let mut url = parse_without_fragment(rest).map_err(|err| wrap(rest, err))?;
    if let Some(fragment) = fragment {
        url.fragment = unescape(fragment, Mode::Fragment).map_err(|err| wrap(raw, err))?;
    }
    Ok(url)
}

fn parse_without_fragment(raw: &str) -> Result<Url, String> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".to_owned());
    }
    let mut url = Url::default();
    if raw == "*" {
        url.path = "*".to_owned();
        return Ok(url);
    }
    let (scheme, mut rest) = get_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest = &rest[..rest.len() - 1];
    } else if let Some((before, query)) = rest.split_once('?') {
        url.raw_query = query.to_owned();
        rest = before;
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            url.opaque = rest.to_owned();
            return Ok(url);
        }
        let segment = rest.split('/').next().unwrap_or_default();
        if segment.contains(':') {
            return Err("first path segment in URL cannot contain colon".to_owned());
        }
    }
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority = &rest[2..];
        let (authority, path) = match authority.find('/') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        };
        parse_authority(&mut url, authority)?;
        rest = path;
    }
    url.path = unescape(rest, Mode::Path)?;
    Ok(url)
}

fn get_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".to_owned()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

fn parse_authority(url: &mut Url, authority: &str) -> Result<(), String> {
    let (userinfo, host) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    url.host = parse_host(host)?;
    if let Some(userinfo) = userinfo {
        let valid = userinfo
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b >= 0x80 || b"-._:~!$&'()*+,;=%@".contains(&b));
        if !valid {
            return Err("net/url: invalid userinfo".to_owned());
        }
        url.user = Some(match userinfo.split_once(':') {
            Some((user, password)) => (
                unescape(user, Mode::UserPassword)?,
                Some(unescape(password, Mode::UserPassword)?),
            ),
            None => (unescape(userinfo, Mode::UserPassword)?, None),
        });
    }
    Ok(())
}

fn parse_host(host: &str) -> Result<String, String> {
    if let Some(rest) = host.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return Err("missing ']' in host".to_owned());
        };
        let port = &rest[end + 1..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {} after host", go_quote(port)));
        }
        return unescape(host, Mode::Host);
    }
    if let Some(colon) = host.rfind(':') {
        let port = &host[colon..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {} after host", go_quote(port)));
        }
    }
    unescape(host, Mode::Host)
}

fn valid_optional_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
    }
}

fn url_parse(a: &Args<'_>) -> FuncResult {
    let url =
        parse(a.string(0)?).map_err(|err| FuncError::msg(format!("unable to parse url: {err}")))?;
    let mut map = Map::new();
    map.insert("hostname".into(), url.hostname().into());
    map.insert("userinfo".into(), url.userinfo().into());
    map.insert("scheme".into(), url.scheme.into());
    map.insert("host".into(), url.host.into());
    map.insert("path".into(), url.path.into());
    map.insert("query".into(), url.raw_query.into());
    map.insert("opaque".into(), url.opaque.into());
    map.insert("fragment".into(), url.fragment.into());
    Ok(Value::dict(map))
}

/// A string entry of the dict, "" when missing; Sprig panics on any other type.
fn entry(map: &Map, key: &str) -> Result<String, FuncError> {
    match map.get(key) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.to_string()),
        Some(Value::Nil) => Err(super::typed::nil_dereference()),
        Some(other) => Err(FuncError::msg(format!(
            "unable to parse {key} key, must be of type string, but {} found",
            other.kind()
        ))),
    }
}

/// `URL.String()` of the parts in the dict.
fn url_join(a: &Args<'_>) -> FuncResult {
    let map = a.map(0)?;
    let mut url = Url {
        scheme: entry(&map, "scheme")?,
        host: entry(&map, "host")?,
        path: entry(&map, "path")?,
        raw_query: entry(&map, "query")?,
        opaque: entry(&map, "opaque")?,
        fragment: entry(&map, "fragment")?,
        user: None,
    };
    let userinfo = entry(&map, "userinfo")?;
    if !userinfo.is_empty() {
        let probe = format!("proto://{userinfo}@host");
        let parsed = parse(&probe)
            .map_err(|err| FuncError::msg(format!("unable to parse userinfo in dict: {err}")))?;
        url.user = parsed.user;
    }
    let mut out = String::new();
    if !url.scheme.is_empty() {
        out.push_str(&url.scheme);
        out.push(':');
    }
    if !url.opaque.is_empty() {
        out.push_str(&url.opaque);
    } else {
        if !url.scheme.is_empty() || !url.host.is_empty() || url.user.is_some() {
            if !url.host.is_empty() || !url.path.is_empty() || url.user.is_some() {
                out.push_str("//");
            }
            if url.user.is_some() {
                out.push_str(&url.userinfo());
                out.push('@');
            }
            out.push_str(&escape(&url.host, Mode::Host));
        }
        let path = if url.path == "*" {
            "*".to_owned()
        } else {
            escape(&url.path, Mode::Path)
        };
        if !path.is_empty() && !path.starts_with('/') && !url.host.is_empty() {
            out.push('/');
        }
        if out.is_empty() && path.split('/').next().is_some_and(|s| s.contains(':')) {
            out.push_str("./");
        }
        out.push_str(&path);
    }
    if !url.raw_query.is_empty() {
        out.push('?');
        out.push_str(&url.raw_query);
    }
    if !url.fragment.is_empty() {
        out.push('#');
        out.push_str(&escape(&url.fragment, Mode::Fragment));
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::FixedEnv;

    #[test]
    fn parse_and_join_follow_net_url() {
        let url = parse("https://user:p%40ss@example.com:8443/a%20b/c?x=1&y=2#frag%21").unwrap();
        assert_eq!(url.scheme, "https");
        assert_eq!(url.host, "example.com:8443");
        assert_eq!(url.hostname(), "example.com");
        assert_eq!(url.path, "/a b/c");
        assert_eq!(url.raw_query, "x=1&y=2");
        assert_eq!(url.fragment, "frag!");
        assert_eq!(url.userinfo(), "user:p%40ss");
        let opaque = parse("mailto:someone@example.com").unwrap();
        assert_eq!(opaque.opaque, "someone@example.com");
        assert_eq!(
            parse("[::1]:80").unwrap_err(),
            "parse \"[::1]:80\": first path segment in URL cannot contain colon"
        );
        assert_eq!(
            parse("http://[::1").unwrap_err(),
            "parse \"http://[::1\": missing ']' in host"
        );
        assert_eq!(
            parse("http://h/%zz").unwrap_err(),
            "parse \"http://h/%zz\": invalid URL escape \"%zz\""
        );
        assert_eq!(
            parse("http://h:x/").unwrap_err(),
            "parse \"http://h:x/\": invalid port \":x\" after host"
        );

        let mut map = Map::new();
        for (k, v) in [
            ("scheme", "https"),
            ("host", "example.com"),
            ("path", "/a b"),
            ("query", "q=1"),
            ("fragment", "f g"),
            ("userinfo", "u:p"),
        ] {
            map.insert(k.into(), v.into());
        }
        let args = [Value::map(map)];
        let joined = url_join(&Args::new(&args, &FixedEnv)).unwrap();
        assert_eq!(
            joined,
            Value::from("https://u:p@example.com/a%20b?q=1#f%20g")
        );
    }
}
