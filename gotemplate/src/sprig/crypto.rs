//! Sprig's hashes and password functions: `sha1sum`, `sha256sum`, `sha512sum`,
//! `adler32sum`, `bcrypt`, `htpasswd`, `derivePassword` (Master Password's algorithm) and
//! `encryptAES`/`decryptAES` (AES-256-CBC with a zero-padded key and a random IV), all on
//! RustCrypto's crates. Salts and IVs come from [`crate::Env::random`].

use aes::Aes256;
use base64::Engine as _;
use cbc::cipher::{Block, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::func::{Args, FuncDef, FuncError, FuncResult, Param, Sig};

use super::def;

use Param::{String as Str, Uint32};

pub(super) const FUNCS: &[FuncDef] = &[
    def("sha1sum", Sig::fixed(&[Str]), |a| {
        Ok(hex(&Sha1::digest(a.string(0)?.as_bytes())).into())
    }),
    def("sha256sum", Sig::fixed(&[Str]), |a| {
        Ok(hex(&Sha256::digest(a.string(0)?.as_bytes())).into())
    }),
    def("sha512sum", Sig::fixed(&[Str]), |a| {
        Ok(hex(&Sha512::digest(a.string(0)?.as_bytes())).into())
    }),
    def("adler32sum", Sig::fixed(&[Str]), |a| {
        Ok(adler2::adler32_slice(a.string(0)?.as_bytes())
            .to_string()
            .into())
    }),
    def("bcrypt", Sig::fixed(&[Str]), |a| {
        Ok(bcrypt(a, a.string(0)?).into())
    }),
    def("htpasswd", Sig::fixed(&[Str, Str]), |a| {
        let (user, password) = (a.string(0)?, a.string(1)?);
        if user.contains(':') {
            return Ok(format!("invalid username: {user}").into());
        }
        Ok(format!("{user}:{}", bcrypt(a, password)).into())
    }),
    def(
        "derivePassword",
        Sig::fixed(&[Uint32, Str, Str, Str, Str]),
        derive_password,
    ),
    def("encryptAES", Sig::fixed(&[Str, Str]), encrypt_aes),
    def("decryptAES", Sig::fixed(&[Str, Str]), decrypt_aes),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Go's `bcrypt.DefaultCost`.
const BCRYPT_COST: u32 = 10;

/// `bcrypt.GenerateFromPassword(password, 10)` as `$2a$` text, or Sprig's message when Go
/// refuses (passwords over 72 bytes).
fn bcrypt(a: &Args<'_>, password: &str) -> String {
    if password.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
            .to_owned();
    }
    let mut salt = [0u8; 16];
    a.env.random(&mut salt);
    match bcrypt::hash_with_salt(password, BCRYPT_COST, salt) {
        Ok(parts) => parts.format_for_version(bcrypt::Version::TwoA),
        Err(err) => format!("failed to encrypt string with bcrypt: {err}"),
    }
}

/// Master Password's templates per password type.
fn templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn template_characters(class: u8) -> &'static [u8] {
    match class {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

const MASTER_PASSWORD_SEED: &[u8] = b"com.lyndir.masterpassword";

/// `derivePassword COUNTER TYPE PASSWORD USER SITE`: Master Password's site password (scrypt
/// N=32768, r=8, p=2 over the user, HMAC-SHA256 over the site and counter).
fn derive_password(a: &Args<'_>) -> FuncResult {
    let counter = a.int(0)? as u32;
    let (kind, password, user, site) = (a.string(1)?, a.string(2)?, a.string(3)?, a.string(4)?);
    let Some(templates) = templates(kind) else {
        return Ok(format!("cannot find password template {kind}").into());
    };
    let mut salt = MASTER_PASSWORD_SEED.to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let params = scrypt::Params::new(15, 8, 2)
        .map_err(|err| FuncError::msg(format!("failed to derive password: {err}")))?;
    scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key)
        .map_err(|err| FuncError::msg(format!("failed to derive password: {err}")))?;
    let mut message = MASTER_PASSWORD_SEED.to_vec();
    message.extend_from_slice(&(site.len() as u32).to_be_bytes());
    message.extend_from_slice(site.as_bytes());
    message.extend_from_slice(&counter.to_be_bytes());
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key)
        .map_err(|err| FuncError::msg(format!("failed to derive password: {err}")))?;
    mac.update(&message);
    let seed = mac.finalize().into_bytes();
    let template = templates[usize::from(seed[0]) % templates.len()].as_bytes();
    let out: String = template
        .iter()
        .enumerate()
        .map(|(i, class)| {
            let chars = template_characters(*class);
            char::from(chars[usize::from(seed[i + 1]) % chars.len()])
        })
        .collect();
    Ok(out.into())
}

/// The AES-256 key Sprig makes of a password: its bytes, zero-padded or cut to 32.
fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let bytes = password.as_bytes();
    let n = bytes.len().min(32);
    key[..n].copy_from_slice(&bytes[..n]);
    key
}

fn encrypt_aes(a: &Args<'_>) -> FuncResult {
    let (password, plaintext) = (a.string(0)?, a.string(1)?);
    if plaintext.is_empty() {
        return Ok("".into());
    }
    let mut content = plaintext.as_bytes().to_vec();
    let padding = 16 - content.len() % 16;
    content.extend(std::iter::repeat_n(padding as u8, padding));
    let mut iv = [0u8; 16];
    a.env.random(&mut iv);
    let mut encryptor = cbc::Encryptor::<Aes256>::new(&aes_key(password).into(), &iv.into());
    let mut out = iv.to_vec();
    for chunk in content.chunks(16) {
        let mut block = Block::<Aes256>::try_from(chunk)
            .map_err(|_| FuncError::msg("crypto/cipher: input not full blocks"))?;
        encryptor.encrypt_block(&mut block);
        out.extend_from_slice(&block);
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(out).into())
}

/// `decryptAES`: Sprig's code panics on malformed input (short, not whole blocks, bad
/// padding); those panics are the errors here.
fn decrypt_aes(a: &Args<'_>) -> FuncResult {
    let (password, encoded) = (a.string(0)?, a.string(1)?);
    if encoded.is_empty() {
        return Ok("".into());
    }
    let crypt = super::encoding::decode_base64(encoded).map_err(FuncError::Message)?;
    if crypt.len() < 16 {
        return Err(FuncError::msg(format!(
            "runtime error: slice bounds out of range [:16] with capacity {}",
            crypt.len()
        )));
    }
    let (iv, body) = crypt.split_at(16);
    if body.len() % 16 != 0 {
        return Err(FuncError::msg("crypto/cipher: input not full blocks"));
    }
    let iv: [u8; 16] = iv.try_into().unwrap_or([0; 16]);
    let mut decryptor = cbc::Decryptor::<Aes256>::new(&aes_key(password).into(), &iv.into());
    let mut plain = Vec::with_capacity(body.len());
    for chunk in body.chunks(16) {
        let mut block = Block::<Aes256>::try_from(chunk)
            .map_err(|_| FuncError::msg("crypto/cipher: input not full blocks"))?;
        decryptor.decrypt_block(&mut block);
        plain.extend_from_slice(&block);
    }
    let Some(&last) = plain.last() else {
        return Err(FuncError::msg("runtime error: index out of range [-1]"));
    };
    let keep = plain.len() as i64 - i64::from(last);
    if keep < 0 {
        return Err(FuncError::msg(format!(
            "runtime error: slice bounds out of range [:{keep}]"
        )));
    }
    plain.truncate(keep as usize);
    Ok(String::from_utf8_lossy(&plain).into_owned().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::FixedEnv;
    use crate::value::Value;

    fn call(name: &str, args: &[Value]) -> FuncResult {
        let def = FUNCS.iter().find(|d| d.name == name).expect(name);
        (def.func)(&Args::new(args, &FixedEnv))
    }

    #[test]
    fn hashes() {
        // sha1sum/sha256sum/adler32sum "hello" in Helm.
        assert_eq!(
            call("sha1sum", &["hello".into()]),
            Ok("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d".into())
        );
        assert_eq!(
            call("sha256sum", &["hello".into()]),
            Ok("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".into())
        );
        assert_eq!(
            call("adler32sum", &["hello".into()]),
            Ok("103547413".into())
        );
    }

    #[test]
    fn aes_round_trips_and_bcrypt_verifies() {
        let secret = call("encryptAES", &["key".into(), "my secret".into()]).unwrap();
        assert_eq!(
            call("decryptAES", &["key".into(), secret]),
            Ok("my secret".into())
        );
        assert_eq!(
            call("encryptAES", &["key".into(), "".into()]),
            Ok("".into())
        );
        assert!(call("decryptAES", &["key".into(), "AAAA".into()]).is_err());
        let hash = call("bcrypt", &["pw".into()]).unwrap();
        let hash = hash.as_str().unwrap_or_default();
        assert!(hash.starts_with("$2a$10$"), "{hash}");
        assert!(bcrypt::verify("pw", hash).unwrap_or(false));
        assert_eq!(
            call("htpasswd", &["a:b".into(), "pw".into()]),
            Ok("invalid username: a:b".into())
        );
    }
}
