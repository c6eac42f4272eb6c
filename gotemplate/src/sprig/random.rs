//! Sprig's random functions (`randAlphaNum`, `randAlpha`, `randNumeric`, `randAscii`,
//! `randBytes`, `randInt`, `uuidv4`), drawing every random byte from [`Env::random`] so a
//! host with a fixed source renders reproducibly.
//!
//! goutils picks characters by rejection sampling over `' '..='z'`; picking uniformly from the
//! accepted alphabet gives the same distribution and cannot spin on a degenerate source.

use base64::Engine as _;

use crate::func::{Args, Env, FuncDef, FuncError, FuncResult, Param, Sig};

use super::{MAX_OUTPUT, def, too_large};

use Param::Int;

pub(super) const FUNCS: &[FuncDef] = &[
    def("randAlphaNum", Sig::fixed(&[Int]), |a| {
        random_string(a, "randAlphaNum", ALPHANUMERIC)
    }),
    def("randAlpha", Sig::fixed(&[Int]), |a| {
        random_string(a, "randAlpha", ALPHA)
    }),
    def("randNumeric", Sig::fixed(&[Int]), |a| {
        random_string(a, "randNumeric", DIGITS)
    }),
    def("randAscii", Sig::fixed(&[Int]), |a| {
        random_string(a, "randAscii", ASCII)
    }),
    def("randBytes", Sig::fixed(&[Int]), rand_bytes),
    def("randInt", Sig::fixed(&[Int, Int]), rand_int),
    def("uuidv4", Sig::fixed(&[]), |a| {
        let mut bytes = [0u8; 16];
        a.env.random(&mut bytes);
        Ok(uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string()
            .into())
    }),
];

const DIGITS: &[u8] = b"0123456789";
const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ASCII: &[u8] = b" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

/// A uniform random integer in `0..n` (n > 0) from the environment's source, by rejection
/// of the top, biased range (a zero source gives 0 at once).
pub(super) fn intn(env: &dyn Env, n: u64) -> u64 {
    debug_assert!(n > 0);
    let zone = u64::MAX - u64::MAX % n;
    loop {
        let mut buf = [0u8; 8];
        env.random(&mut buf);
        let x = u64::from_le_bytes(buf);
        if x < zone {
            return x % n;
        }
    }
}

fn random_string(a: &Args<'_>, name: &str, alphabet: &[u8]) -> FuncResult {
    let count = a.int(0)?;
    if count <= 0 {
        // goutils returns an error for a negative count, which Sprig drops.
        return Ok("".into());
    }
    if count as u64 > MAX_OUTPUT as u64 {
        return Err(too_large(name, count as u64));
    }
    let out: String = (0..count)
        .map(|_| char::from(alphabet[intn(a.env, alphabet.len() as u64) as usize]))
        .collect();
    Ok(out.into())
}

fn rand_bytes(a: &Args<'_>) -> FuncResult {
    let count = a.int(0)?;
    if count < 0 {
        return Err(FuncError::msg("runtime error: makeslice: len out of range"));
    }
    if count as u64 > MAX_OUTPUT as u64 {
        return Err(too_large("randBytes", count as u64));
    }
    let mut buf = vec![0u8; count as usize];
    a.env.random(&mut buf);
    Ok(base64::engine::general_purpose::STANDARD.encode(buf).into())
}

/// `rand.Intn(max-min) + min`, with Go's panic when the range is empty.
fn rand_int(a: &Args<'_>) -> FuncResult {
    let (min, max) = (a.int(0)?, a.int(1)?);
    let span = max.wrapping_sub(min);
    if span <= 0 {
        return Err(FuncError::msg("invalid argument to Intn"));
    }
    Ok(crate::Value::Int(intn(a.env, span as u64) as i64 + min))
}
