//! Sprig's `b64enc`, `b64dec`, `b32enc` and `b32dec` (standard alphabets, padded). Decoding
//! follows Go's `encoding/base64` and `base32` exactly, because Sprig returns Go's error text
//! as the result (`illegal base64 data at input byte 4`): line breaks are skipped, padding is
//! required, and the reported offset is Go's.

use base64::Engine as _;

use crate::func::{FuncDef, Param, Sig};

use super::def;

use Param::String as Str;

pub(super) const FUNCS: &[FuncDef] = &[
    def("b64enc", Sig::fixed(&[Str]), |a| {
        Ok(base64::engine::general_purpose::STANDARD
            .encode(a.string(0)?)
            .into())
    }),
    def("b64dec", Sig::fixed(&[Str]), |a| {
        Ok(text(decode(a.string(0)?, &B64)).into())
    }),
    def("b32enc", Sig::fixed(&[Str]), |a| {
        Ok(b32_encode(a.string(0)?.as_bytes()).into())
    }),
    def("b32dec", Sig::fixed(&[Str]), |a| {
        Ok(text(decode(a.string(0)?, &B32)).into())
    }),
];

/// Go's `base64.StdEncoding.DecodeString`, its error text included.
pub(super) fn decode_base64(input: &str) -> Result<Vec<u8>, String> {
    decode(input, &B64)
}

/// The decoded bytes as text (invalid UTF-8 becomes U+FFFD), or Go's error message.
fn text(result: Result<Vec<u8>, String>) -> String {
    match result {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
        },
        Err(message) => message,
    }
}

/// One of Go's padded encodings: `bits` per symbol.
struct Alphabet {
    symbols: &'static [u8],
    bits: u32,
    name: &'static str,
}

const B64: Alphabet = Alphabet {
    symbols: b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    bits: 6,
    name: "base64",
};

const B32: Alphabet = Alphabet {
    symbols: b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
    bits: 5,
    name: "base32",
};

fn b32_encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(5) * 8);
    for chunk in input.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let n = block.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        let symbols = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < symbols {
                let index = (n >> (35 - 5 * i)) & 31;
                out.push(char::from(B32.symbols[index as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `StdEncoding.DecodeString`, base64 or base32, with its error offsets.
fn decode(input: &str, alphabet: &Alphabet) -> Result<Vec<u8>, String> {
    let illegal = |at: usize| format!("illegal {} data at input byte {at}", alphabet.name);
    let value = |b: u8| {
        alphabet
            .symbols
            .iter()
            .position(|&s| s == b)
            .map(|v| v as u64)
    };
    if alphabet.bits == 5 {
        // base32 drops line breaks first; offsets count in what is left.
        let src: Vec<u8> = input
            .bytes()
            .filter(|b| !matches!(b, b'\r' | b'\n'))
            .collect();
        return decode32(&src, value).map_err(illegal);
    }
    let src = input.as_bytes();
    let mut out = Vec::with_capacity(src.len() * 3 / 4);
    let mut si = 0;
    while si < src.len() {
        let mut acc: u64 = 0;
        let mut j = 0;
        let mut done = false;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(illegal(si - j));
            }
            let b = src[si];
            si += 1;
            if matches!(b, b'\r' | b'\n') {
                continue;
            }
            if b == b'=' {
                match j {
                    0 | 1 => return Err(illegal(si - 1)),
                    2 => {
                        while si < src.len() && matches!(src[si], b'\r' | b'\n') {
                            si += 1;
                        }
                        if si == src.len() {
                            return Err(illegal(src.len()));
                        }
                        if src[si] != b'=' {
                            return Err(illegal(si - 1));
                        }
                        si += 1;
                    }
                    _ => {}
                }
                while si < src.len() && matches!(src[si], b'\r' | b'\n') {
                    si += 1;
                }
                if si < src.len() {
                    return Err(illegal(si));
                }
                done = true;
                break;
            }
            let Some(v) = value(b) else {
                return Err(illegal(si - 1));
            };
            acc = acc << 6 | v;
            j += 1;
        }
        let bits = j as u32 * 6;
        let whole = bits / 8;
        let acc = acc >> (bits - whole * 8);
        for k in (0..whole).rev() {
            out.push((acc >> (8 * k)) as u8);
        }
        if done {
            break;
        }
    }
    Ok(out)
}

/// Go's base32 `decode` loop over input without line breaks; the error is an offset.
fn decode32(src: &[u8], value: impl Fn(u8) -> Option<u64>) -> Result<Vec<u8>, usize> {
    let olen = src.len();
    let mut rest = src;
    let mut out = Vec::with_capacity(olen * 5 / 8);
    while !rest.is_empty() {
        let mut acc: u64 = 0;
        let mut j = 0;
        let mut end = false;
        while j < 8 {
            let Some((&b, tail)) = rest.split_first() else {
                return Err(olen - j);
            };
            rest = tail;
            if b == b'=' && j >= 2 && rest.len() < 8 {
                if rest.len() + j < 7 {
                    return Err(olen);
                }
                for k in 0..7 - j {
                    if rest.len() > k && rest[k] != b'=' {
                        return Err(olen - rest.len() + k - 1);
                    }
                }
                if matches!(j, 1 | 3 | 6) {
                    return Err(olen - rest.len() - 1);
                }
                end = true;
                break;
            }
            let Some(v) = value(b) else {
                return Err(olen - rest.len() - 1);
            };
            acc = acc << 5 | v;
            j += 1;
        }
        let bits = j as u32 * 5;
        let whole = bits / 8;
        let acc = acc >> (bits - whole * 8);
        for k in (0..whole).rev() {
            out.push((acc >> (8 * k)) as u8);
        }
        if end {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_follows_go() {
        // base64.StdEncoding.DecodeString / base32.StdEncoding.DecodeString in Go.
        let b64 = |s: &str| text(decode(s, &B64));
        assert_eq!(b64("aGVsbG8="), "hello");
        assert_eq!(b64("aGVs\nbG8="), "hello");
        assert_eq!(b64("aGVsbG8"), "illegal base64 data at input byte 4");
        assert_eq!(b64("aGVsbG8=x"), "illegal base64 data at input byte 8");
        assert_eq!(b64("a!"), "illegal base64 data at input byte 1");
        assert_eq!(b64("a==="), "illegal base64 data at input byte 1");
        assert_eq!(b64(""), "");
        let b32 = |s: &str| text(decode(s, &B32));
        assert_eq!(b32("NBSWY3DP"), "hello");
        assert_eq!(b32("MZXW6==="), "foo");
        assert_eq!(b32("MZXW6"), "illegal base32 data at input byte 0");
        assert_eq!(b32_encode(b"foo"), "MZXW6===");
        assert_eq!(b32_encode(b"hello"), "NBSWY3DP");
    }
}
