//! Sprig's keys and certificates: `genPrivateKey` (RSA 4096, ECDSA P-256, Ed25519, DSA
//! 2048/256), `genCA`, `genSelfSignedCert`, `genSignedCert` and their `WithKey` forms, and
//! `buildCustomCert`.
//!
//! Keys and signatures come from RustCrypto (`rsa`, `p256`, `ed25519-dalek`, `dsa`). The
//! certificate itself is laid out here, field by field as Go's `x509.CreateCertificate` lays
//! it out for Sprig's template (v3, a random 128-bit serial, the key usages, extended key
//! usages, basic constraints, a SHA-256-derived subject key id for CAs, the issuer's key id,
//! SANs), so a chart reading `.Cert`/`.Key` sees what Helm would give it. All randomness is a
//! ChaCha20 stream seeded from [`crate::Env::random`] (a fixed environment renders the same
//! keys every time, and can never stall a prime search).
//!
//! Not possible: ECDSA keys on curves other than P-256 in the `WithKey` forms (Go also takes
//! P-224/384/521 keys); a DSA key cannot sign a certificate (Go refuses too).

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use sha2::{Digest, Sha256};

use crate::func::{Args, Env, FuncDef, FuncError, FuncResult, Param, Sig};
use crate::value::{Map, Object, Value};

use super::def;
use super::encoding::decode_base64;

use Param::{Int, List, Named, String as Str};

const CERT: Param = Named("sprig.certificate");

pub(super) const FUNCS: &[FuncDef] = &[
    def("genPrivateKey", Sig::fixed(&[Str]), gen_private_key),
    def(
        "buildCustomCert",
        Sig::fixed(&[Str, Str]),
        build_custom_cert,
    ),
    def("genCA", Sig::fixed(&[Str, Int]), |a| {
        let key = generated_rsa(a)?;
        gen_ca(a, key)
    }),
    def("genCAWithKey", Sig::fixed(&[Str, Int, Str]), |a| {
        let key = pem_key(a.string(2)?)?;
        gen_ca(a, key)
    }),
    def(
        "genSelfSignedCert",
        Sig::fixed(&[Str, List, List, Int]),
        |a| {
            let key = generated_rsa(a)?;
            gen_self_signed(a, key)
        },
    ),
    def(
        "genSelfSignedCertWithKey",
        Sig::fixed(&[Str, List, List, Int, Str]),
        |a| {
            let key = pem_key(a.string(4)?)?;
            gen_self_signed(a, key)
        },
    ),
    def(
        "genSignedCert",
        Sig::fixed(&[Str, List, List, Int, CERT]),
        |a| {
            let key = generated_rsa(a)?;
            gen_signed(a, key)
        },
    ),
    def(
        "genSignedCertWithKey",
        Sig::fixed(&[Str, List, List, Int, CERT, Str]),
        |a| {
            let key = pem_key(a.string(5)?)?;
            gen_signed(a, key)
        },
    ),
];

/// Sprig's `certificate` struct: PEM text in `.Cert` and `.Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub cert: String,
    pub key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> &str {
        "sprig.certificate"
    }

    fn kind(&self) -> &str {
        "struct"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(self.cert.clone().into()),
            "Key" => Some(self.key.clone().into()),
            _ => None,
        }
    }

    fn data(&self) -> Value {
        let mut map = Map::new();
        map.insert("Cert".into(), self.cert.clone().into());
        map.insert("Key".into(), self.key.clone().into());
        Value::map(map)
    }

    fn format_v(&self) -> String {
        format!("{{{} {}}}", self.cert, self.key)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// A CSPRNG for one call, seeded from the environment's source.
fn rng(env: &dyn Env) -> ChaCha20Rng {
    let mut seed = [0u8; 32];
    env.random(&mut seed);
    ChaCha20Rng::from_seed(seed)
}

/// A private key of one of the types Sprig handles.
enum Key {
    Rsa(Box<rsa::PrivateKey>),
    Ecdsa(p256::SecretKey),
    Ed25519(ed25519_dalek::SigningKey),
    Dsa(Box<dsa::SigningKey>),
}

fn msg(text: impl std::fmt::Display) -> FuncError {
    FuncError::msg(text)
}

fn gen_private_key(a: &Args<'_>) -> FuncResult {
    let kind = a.string(0)?;
    let mut rng = rng(a.env);
    let key = match kind {
        "" | "rsa" => rsa::PrivateKey::new(&mut rng, 4096)
            .map(|k| Key::Rsa(Box::new(k)))
            .map_err(|err| format!("failed to generate private key: {err}")),
        "ecdsa" => Ok(Key::Ecdsa(
            <p256::SecretKey as p256::elliptic_curve::Generate>::generate_from_rng(&mut rng),
        )),
        "ed25519" => {
            let mut seed = [0u8; 32];
            rand_core::Rng::fill_bytes(&mut rng, &mut seed);
            Ok(Key::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed)))
        }
        "dsa" => {
            let components = dsa::Components::try_generate_from_rng_with_key_size(
                &mut rng,
                dsa::KeySize::DSA_2048_256,
            );
            let Ok(components) = components;
            let Ok(key) =
                dsa::SigningKey::try_generate_from_rng_with_components(&mut rng, components);
            Ok(Key::Dsa(Box::new(key)))
        }
        other => return Ok(format!("Unknown type {other}").into()),
    };
    match key {
        Ok(key) => Ok(key_pem(&key)?.into()),
        Err(text) => Ok(text.into()),
    }
}

fn generated_rsa(a: &Args<'_>) -> Result<Key, FuncError> {
    let mut rng = rng(a.env);
    rsa::PrivateKey::new(&mut rng, 2048)
        .map(|k| Key::Rsa(Box::new(k)))
        .map_err(|err| msg(format!("error generating rsa key: {err}")))
}

fn pem_key(text: &str) -> Result<Key, FuncError> {
    parse_private_key_pem(text).map_err(|err| msg(format!("parsing private key: {err}")))
}

// ---------------------------------------------------------------------------------------
// DER, written the way Go's encoding/asn1 writes it.

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// An unsigned big-endian integer as a DER INTEGER.
fn uint(be: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = be.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(&trimmed);
    tlv(0x02, &content)
}

fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut content = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &arc in &arcs[2..] {
        let mut bytes = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            bytes.push(0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        bytes.reverse();
        content.extend_from_slice(&bytes);
    }
    tlv(0x06, &content)
}

fn bit_string(bytes: &[u8], unused: u8) -> Vec<u8> {
    let mut content = vec![unused];
    content.extend_from_slice(bytes);
    tlv(0x03, &content)
}

fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(0x04, bytes)
}

/// A Go string in ASN.1: PrintableString when every byte allows it (Go also allows `*`),
/// else UTF8String.
fn asn1_string(s: &str) -> Vec<u8> {
    let printable = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?*".contains(&b));
    tlv(if printable { 0x13 } else { 0x0c }, s.as_bytes())
}

/// A time as Go marshals it: UTCTime for 1950..2049, else GeneralizedTime.
fn asn1_time(secs: i64) -> Vec<u8> {
    let t = super::dates::GoTime::from_unix(secs, 0);
    let year: i64 = t.format("2006").parse().unwrap_or(0);
    if (1950..2050).contains(&year) {
        tlv(0x17, t.format("060102150405Z").as_bytes())
    } else {
        tlv(0x18, t.format("20060102150405Z").as_bytes())
    }
}

const OID_RSA: &[u64] = &[1, 2, 840, 113_549, 1, 1, 1];
const OID_SHA256_RSA: &[u64] = &[1, 2, 840, 113_549, 1, 1, 11];
const OID_EC_PUBLIC_KEY: &[u64] = &[1, 2, 840, 10045, 2, 1];
const OID_P256: &[u64] = &[1, 2, 840, 10045, 3, 1, 7];
const OID_ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
const OID_ED25519: &[u64] = &[1, 3, 101, 112];
const OID_COMMON_NAME: &[u64] = &[2, 5, 4, 3];
const OID_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const OID_EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
const OID_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
const OID_SUBJECT_KEY_ID: &[u64] = &[2, 5, 29, 14];
const OID_AUTHORITY_KEY_ID: &[u64] = &[2, 5, 29, 35];
const OID_SAN: &[u64] = &[2, 5, 29, 17];
const OID_SERVER_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 1];
const OID_CLIENT_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 2];

/// A DER element read from a buffer: tag, content, and the whole encoding.
struct Element<'a> {
    tag: u8,
    content: &'a [u8],
    raw: &'a [u8],
}

/// Reads one DER element at the start of `input`.
fn read_element(input: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = input.get(2..2 + n)?;
        (
            bytes
                .iter()
                .fold(0usize, |acc, b| acc << 8 | usize::from(*b)),
            2 + n,
        )
    };
    let end = header.checked_add(len)?;
    let raw = input.get(..end)?;
    Some((
        Element {
            tag,
            content: &raw[header..],
            raw,
        },
        &input[end..],
    ))
}

fn elements(mut input: &[u8]) -> Option<Vec<Element<'_>>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (element, rest) = read_element(input)?;
        out.push(element);
        input = rest;
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------
// Keys.

impl Key {
    /// The SubjectPublicKeyInfo and the bits of its BIT STRING (what key ids hash).
    fn public_key_info(&self) -> Result<(Vec<u8>, Vec<u8>), FuncError> {
        match self {
            Key::Rsa(key) => {
                use rsa::pkcs1::EncodeRsaPublicKey;
                let public = key
                    .to_public_key()
                    .to_pkcs1_der()
                    .map_err(|err| msg(format!("error creating certificate: {err}")))?;
                let bits = public.as_bytes().to_vec();
                let algorithm = seq(&[&oid(OID_RSA), &[0x05, 0x00]]);
                Ok((seq(&[&algorithm, &bit_string(&bits, 0)]), bits))
            }
            Key::Ecdsa(key) => {
                use p256::elliptic_curve::sec1::ToSec1Point;
                let bits = key.public_key().to_sec1_point(false).as_bytes().to_vec();
                let algorithm = seq(&[&oid(OID_EC_PUBLIC_KEY), &oid(OID_P256)]);
                Ok((seq(&[&algorithm, &bit_string(&bits, 0)]), bits))
            }
            Key::Ed25519(key) => {
                let bits = key.verifying_key().to_bytes().to_vec();
                let algorithm = seq(&[&oid(OID_ED25519)]);
                Ok((seq(&[&algorithm, &bit_string(&bits, 0)]), bits))
            }
            Key::Dsa(_) => Err(msg(
                "error creating certificate: x509: unsupported public key type: *dsa.PublicKey",
            )),
        }
    }

    /// The signature algorithm Go picks for this signer.
    fn signature_algorithm(&self) -> Result<Vec<u8>, FuncError> {
        match self {
            Key::Rsa(_) => Ok(seq(&[&oid(OID_SHA256_RSA), &[0x05, 0x00]])),
            Key::Ecdsa(_) => Ok(seq(&[&oid(OID_ECDSA_SHA256)])),
            Key::Ed25519(_) => Ok(seq(&[&oid(OID_ED25519)])),
            Key::Dsa(_) => Err(msg(
                "error creating certificate: x509: certificate private key does not implement crypto.Signer",
            )),
        }
    }

    fn sign(&self, message: &[u8], env: &dyn Env) -> Result<Vec<u8>, FuncError> {
        use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
        let failed =
            |err: &dyn std::fmt::Display| msg(format!("error creating certificate: {err}"));
        match self {
            Key::Rsa(key) => {
                let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new((**key).clone());
                let signature = signer.try_sign(message).map_err(|e| failed(&e))?;
                Ok(signature.to_vec())
            }
            Key::Ecdsa(key) => {
                let signer = p256::ecdsa::SigningKey::from(key);
                let signature: p256::ecdsa::Signature = signer
                    .try_sign_with_rng(&mut rng(env), message)
                    .map_err(|e| failed(&e))?;
                Ok(signature.to_der().as_bytes().to_vec())
            }
            Key::Ed25519(key) => Ok(key.sign(message).to_bytes().to_vec()),
            Key::Dsa(_) => Err(self
                .signature_algorithm()
                .err()
                .unwrap_or_else(|| failed(&"dsa"))),
        }
    }
}

/// `pemBlockForKey`: the PEM Sprig writes for each key type.
fn key_pem(key: &Key) -> Result<String, FuncError> {
    let failed = |err: &dyn std::fmt::Display| msg(format!("error pem-encoding key: {err}"));
    let (label, der) = match key {
        Key::Rsa(key) => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let der = key.to_pkcs1_der().map_err(|e| failed(&e))?;
            ("RSA PRIVATE KEY", der.as_bytes().to_vec())
        }
        Key::Ecdsa(key) => {
            let der = key.to_sec1_der().map_err(|e| failed(&e))?;
            ("EC PRIVATE KEY", der.to_vec())
        }
        Key::Ed25519(key) => {
            // PKCS#8 v1 with the seed only, as Go's MarshalPKCS8PrivateKey writes it.
            let algorithm = seq(&[&oid(OID_ED25519)]);
            let der = seq(&[
                &uint(&[0]),
                &algorithm,
                &octet_string(&octet_string(&key.to_bytes())),
            ]);
            ("PRIVATE KEY", der)
        }
        Key::Dsa(key) => {
            let components = key.verifying_key().components();
            let der = seq(&[
                &uint(&[0]),
                &uint(&components.p().to_be_bytes()),
                &uint(&components.q().to_be_bytes()),
                &uint(&components.g().to_be_bytes()),
                &uint(&key.verifying_key().y().to_be_bytes()),
                &uint(&key.x().to_be_bytes()),
            ]);
            ("DSA PRIVATE KEY", der)
        }
    };
    Ok(pem_encode(label, &der))
}

/// `pem.Encode`: base64 in lines of 64.
fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// `pem.Decode`: the first PEM block anywhere in the text (type and bytes).
fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let mut rest = text;
    loop {
        let start = rest.find("-----BEGIN ")?;
        let after = &rest[start + 11..];
        let type_end = after.find("-----")?;
        let label = &after[..type_end];
        let body_start = &after[type_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let (Some(end), true) = (body_start.find(&end_marker), !label.contains('\n')) else {
            rest = &rest[start + 11..];
            continue;
        };
        let body: String = body_start[..end]
            .lines()
            .filter(|line| !line.contains(':'))
            .flat_map(|line| line.chars().filter(|c| !c.is_whitespace()))
            .collect();
        return match decode_base64(&body) {
            Ok(bytes) => Some((label.to_owned(), bytes)),
            Err(_) => {
                rest = &body_start[end..];
                continue;
            }
        };
    }
}

/// Sprig's `parsePrivateKeyPEM`.
fn parse_private_key_pem(text: &str) -> Result<Key, String> {
    let (label, der) = pem_decode(text).ok_or("no PEM data in input")?;
    if label == "PRIVATE KEY" {
        return parse_pkcs8(&der).map_err(|err| format!("decoding PEM as PKCS#8: {err}"));
    }
    let Some(kind) = label.strip_suffix(" PRIVATE KEY") else {
        return Err(format!("no private key data in PEM block of type {label}"));
    };
    match kind {
        "RSA" => {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            rsa::PrivateKey::from_pkcs1_der(&der)
                .map(|k| Key::Rsa(Box::new(k)))
                .map_err(|err| format!("parsing RSA private key from PEM: {err}"))
        }
        "EC" => p256::SecretKey::from_sec1_der(&der)
            .map(Key::Ecdsa)
            .map_err(|_| {
                "parsing EC private key from PEM: x509: failed to parse EC private key (only P-256 is supported here)"
                    .to_owned()
            }),
        "DSA" => parse_dsa(&der).ok_or_else(|| {
            "parsing DSA private key from PEM: asn1: structure error".to_owned()
        }),
        _ => Err(format!("invalid private key type {label}")),
    }
}

fn parse_pkcs8(der: &[u8]) -> Result<Key, String> {
    use ed25519_dalek::pkcs8::DecodePrivateKey as _;
    if let Ok(key) = <rsa::PrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_der(der) {
        return Ok(Key::Rsa(Box::new(key)));
    }
    if let Ok(key) = <p256::SecretKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(der) {
        return Ok(Key::Ecdsa(key));
    }
    if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
        return Ok(Key::Ed25519(key));
    }
    Err("x509: failed to parse private key".to_owned())
}

/// Sprig's own DSA key layout: SEQUENCE { version, p, q, g, y, x }.
fn parse_dsa(der: &[u8]) -> Option<Key> {
    let (outer, _) = read_element(der)?;
    let fields = elements(outer.content)?;
    if fields.len() != 6 || fields.iter().any(|f| f.tag != 0x02) {
        return None;
    }
    let trimmed = |i: usize| {
        let bytes = fields[i].content;
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        &bytes[start..]
    };
    // The crate wants every number at the precision of its modulus, in whole limbs.
    let precision = |bytes: &[u8]| ((bytes.len() as u32 * 8).div_ceil(64) * 64).max(64);
    let (p_bits, q_bits) = (precision(trimmed(1)), precision(trimmed(2)));
    let big = |i: usize, bits: u32| crypto_bigint::BoxedUint::from_be_slice(trimmed(i), bits).ok();
    let (p, q, g) = (big(1, p_bits)?, big(2, q_bits)?, big(3, p_bits)?);
    let (y, x) = (big(4, p_bits)?, big(5, q_bits)?);
    let components = dsa::Components::from_components(p, q, g).ok()?;
    let verifying = dsa::VerifyingKey::from_components(components, y).ok()?;
    let signing = dsa::SigningKey::from_components(verifying, x).ok()?;
    Some(Key::Dsa(Box::new(signing)))
}

// ---------------------------------------------------------------------------------------
// Certificates.

/// What a parsed certificate tells its signee.
struct Parent {
    subject: Vec<u8>,
    public_key_info: Vec<u8>,
    subject_key_id: Option<Vec<u8>>,
}

/// `x509.ParseCertificate`, for the parts Sprig needs of a CA.
fn parse_certificate(der: &[u8]) -> Option<Parent> {
    use der::Decode;
    x509_cert::Certificate::from_der(der).ok()?;
    let (cert, _) = read_element(der)?;
    let (tbs, _) = read_element(cert.content)?;
    let mut fields = elements(tbs.content)?.into_iter();
    let mut field = fields.next()?;
    if field.tag == 0xa0 {
        field = fields.next()?; // version, then the serial
    }
    let _serial = field;
    let _signature = fields.next()?;
    let _issuer = fields.next()?;
    let _validity = fields.next()?;
    let subject = fields.next()?.raw.to_vec();
    let public_key_info = fields.next()?.raw.to_vec();
    let mut subject_key_id = None;
    for field in fields {
        if field.tag != 0xa3 {
            continue;
        }
        let (list, _) = read_element(field.content)?;
        for extension in elements(list.content)? {
            let parts = elements(extension.content)?;
            if parts.first()?.raw == oid(OID_SUBJECT_KEY_ID).as_slice() {
                let (id, _) = read_element(parts.last()?.content)?;
                subject_key_id = Some(id.content.to_vec());
            }
        }
    }
    Some(Parent {
        subject,
        public_key_info,
        subject_key_id,
    })
}

/// Sprig's `getBaseCertTemplate` plus what differs between CA and leaf.
struct Template {
    subject: Vec<u8>,
    serial: [u8; 16],
    not_before: i64,
    not_after: i64,
    is_ca: bool,
    dns_names: Vec<String>,
    ips: Vec<Vec<u8>>,
}

fn name(common_name: &str) -> Vec<u8> {
    if common_name.is_empty() {
        return seq(&[]);
    }
    let attribute = seq(&[&oid(OID_COMMON_NAME), &asn1_string(common_name)]);
    seq(&[&tlv(0x31, &attribute)])
}

fn template(
    a: &Args<'_>,
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
) -> Result<Template, FuncError> {
    let list = |value: &Value| -> Result<Vec<Value>, FuncError> {
        match value {
            Value::Nil => Ok(Vec::new()),
            Value::List(items) => Ok(items.to_vec()),
            other => Err(crate::func::wrong_type(Param::List, other)),
        }
    };
    let mut ip_bytes = Vec::new();
    for ip in list(ips)? {
        let Value::String(text) = &ip else {
            return Err(msg(format!("error parsing ip: {ip} is not a string")));
        };
        let parsed: std::net::IpAddr = text
            .parse()
            .map_err(|_| msg(format!("error parsing ip: {text}")))?;
        ip_bytes.push(match parsed {
            std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
            std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.octets().to_vec(),
                None => v6.octets().to_vec(),
            },
        });
    }
    let mut dns_names = Vec::new();
    for name in list(dns)? {
        let Value::String(text) = &name else {
            return Err(msg(format!(
                "error processing alternate dns name: {name} is not a string"
            )));
        };
        dns_names.push(text.to_string());
    }
    let mut serial = [0u8; 16];
    rand_core::Rng::fill_bytes(&mut rng(a.env), &mut serial);
    let (now, _) = a.env.now();
    Ok(Template {
        subject: name(cn),
        serial,
        not_before: now,
        not_after: now.saturating_add(days.saturating_mul(86_400)),
        is_ca: false,
        dns_names,
        ips: ip_bytes,
    })
}

fn extension(id: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        seq(&[&oid(id), &[0x01, 0x01, 0xff], &octet_string(value)])
    } else {
        seq(&[&oid(id), &octet_string(value)])
    }
}

/// `x509.CreateCertificate(rand, template, parent, signee's public key, signer)`, PEM-encoded
/// with the signee's key.
fn create(
    a: &Args<'_>,
    t: &Template,
    signee: &Key,
    parent: Option<&Parent>,
    signer: &Key,
) -> FuncResult {
    let signature_algorithm = signer.signature_algorithm()?;
    let (public_key_info, public_key_bits) = signee.public_key_info()?;
    if let Some(parent) = parent {
        let (signer_info, _) = signer.public_key_info()?;
        if signer_info != parent.public_key_info {
            return Err(msg(
                "error creating certificate: x509: provided PrivateKey doesn't match parent's PublicKey",
            ));
        }
    }
    let issuer = parent.map_or(t.subject.clone(), |p| p.subject.clone());
    // Go 1.25 derives a CA's subject key id from SHA-256 (RFC 7093, method 1).
    let subject_key_id = t
        .is_ca
        .then(|| Sha256::digest(&public_key_bits)[..20].to_vec());
    let authority_key_id = parent
        .filter(|p| p.subject != t.subject)
        .and_then(|p| p.subject_key_id.clone());

    let mut extensions = Vec::new();
    // Key usage: digital signature, key encipherment, and cert sign for a CA, as a BIT
    // STRING of the usage bits in Go's order.
    let usage = if t.is_ca {
        bit_string(&[0xa4], 2)
    } else {
        bit_string(&[0xa0], 5)
    };
    extensions.push(extension(OID_KEY_USAGE, true, &usage));
    extensions.push(extension(
        OID_EXT_KEY_USAGE,
        false,
        &seq(&[&oid(OID_SERVER_AUTH), &oid(OID_CLIENT_AUTH)]),
    ));
    let basic = if t.is_ca {
        seq(&[&[0x01, 0x01, 0xff]])
    } else {
        seq(&[])
    };
    extensions.push(extension(OID_BASIC_CONSTRAINTS, true, &basic));
    if let Some(id) = &subject_key_id {
        extensions.push(extension(OID_SUBJECT_KEY_ID, false, &octet_string(id)));
    }
    if let Some(id) = &authority_key_id {
        extensions.push(extension(
            OID_AUTHORITY_KEY_ID,
            false,
            &seq(&[&tlv(0x80, id)]),
        ));
    }
    if !t.dns_names.is_empty() || !t.ips.is_empty() {
        let mut names = Vec::new();
        for dns in &t.dns_names {
            if !dns.is_ascii() {
                return Err(msg(format!(
                    "error creating certificate: x509: \"{dns}\" cannot be encoded as an IA5String"
                )));
            }
            names.extend(tlv(0x82, dns.as_bytes()));
        }
        for ip in &t.ips {
            names.extend(tlv(0x87, ip));
        }
        let subject_is_empty = t.subject == seq(&[]);
        extensions.push(extension(OID_SAN, subject_is_empty, &tlv(0x30, &names)));
    }
    let validity = seq(&[&asn1_time(t.not_before), &asn1_time(t.not_after)]);
    let tbs = seq(&[
        &tlv(0xa0, &uint(&[2])),
        &uint(&t.serial),
        &signature_algorithm,
        &issuer,
        &validity,
        &t.subject,
        &public_key_info,
        &tlv(0xa3, &tlv(0x30, &extensions.concat())),
    ]);
    let signature = signer.sign(&tbs, a.env)?;
    let cert = seq(&[&tbs, &signature_algorithm, &bit_string(&signature, 0)]);
    Ok(Value::object(Certificate {
        cert: pem_encode("CERTIFICATE", &cert),
        key: key_pem(signee)?,
    }))
}

fn gen_ca(a: &Args<'_>, key: Key) -> FuncResult {
    let mut t = template(a, a.string(0)?, &Value::Nil, &Value::Nil, a.int(1)?)?;
    t.is_ca = true;
    create(a, &t, &key, None, &key)
}

fn gen_self_signed(a: &Args<'_>, key: Key) -> FuncResult {
    let t = template(a, a.string(0)?, a.get(1), a.get(2), a.int(3)?)?;
    create(a, &t, &key, None, &key)
}

fn gen_signed(a: &Args<'_>, key: Key) -> FuncResult {
    let ca = match a.get(4) {
        Value::Object(object) => object
            .as_any()
            .and_then(|any| any.downcast_ref::<Certificate>())
            .cloned(),
        _ => None,
    }
    .ok_or_else(|| crate::func::wrong_type(CERT, a.get(4)))?;
    let der = pem_decode(&ca.cert)
        .map(|(_, der)| der)
        .ok_or_else(|| msg("unable to decode certificate"))?;
    let parent = parse_certificate(&der).ok_or_else(|| {
        msg("error parsing certificate: decodedSignerCert.Bytes: x509: malformed certificate")
    })?;
    let signer = parse_private_key_pem(&ca.key)
        .map_err(|err| msg(format!("error parsing private key: {err}")))?;
    let t = template(a, a.string(0)?, a.get(1), a.get(2), a.int(3)?)?;
    create(a, &t, &key, Some(&parent), &signer)
}

/// `buildCustomCert B64CERT B64KEY`: checks both and returns them as a certificate.
fn build_custom_cert(a: &Args<'_>) -> FuncResult {
    let cert =
        decode_base64(a.string(0)?).map_err(|_| msg("unable to decode base64 certificate"))?;
    let key =
        decode_base64(a.string(1)?).map_err(|_| msg("unable to decode base64 private key"))?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let (_, der) = pem_decode(&cert).ok_or_else(|| msg("unable to decode certificate"))?;
    parse_certificate(&der).ok_or_else(|| {
        msg("error parsing certificate: decodedCert.Bytes: x509: malformed certificate")
    })?;
    parse_private_key_pem(&key).map_err(|err| msg(format!("error parsing private key: {err}")))?;
    Ok(Value::object(Certificate { cert, key }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::FixedEnv;

    fn call(name: &str, args: &[Value]) -> FuncResult {
        let def = FUNCS.iter().find(|d| d.name == name).expect(name);
        (def.func)(&Args::new(args, &FixedEnv))
    }

    fn field(value: &Value, name: &str) -> String {
        match value {
            Value::Object(o) => o.field(name).map(|v| v.to_string()).unwrap_or_default(),
            other => panic!("not a certificate: {other:?}"),
        }
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The DER of a PEM certificate, and its TBS fields.
    fn der_of(pem: &str) -> Vec<u8> {
        pem_decode(pem).expect("a PEM block").1
    }

    /// (OID DER, critical, value) of each extension, in order.
    fn extensions(der: &[u8]) -> Vec<(String, bool, String)> {
        let (cert, _) = read_element(der).unwrap();
        let (tbs, _) = read_element(cert.content).unwrap();
        let fields = elements(tbs.content).unwrap();
        let ext = fields.iter().find(|f| f.tag == 0xa3).unwrap();
        let (list, _) = read_element(ext.content).unwrap();
        elements(list.content)
            .unwrap()
            .iter()
            .map(|e| {
                let parts = elements(e.content).unwrap();
                let critical = parts.len() == 3;
                (
                    hex(parts[0].raw),
                    critical,
                    hex(parts.last().unwrap().content),
                )
            })
            .collect()
    }

    fn tbs_field(der: &[u8], index: usize) -> String {
        let (cert, _) = read_element(der).unwrap();
        let (tbs, _) = read_element(cert.content).unwrap();
        hex(elements(tbs.content).unwrap()[index].raw)
    }

    const EKU: &str = "301406082b0601050507030106082b06010505070302";

    #[test]
    fn certificates_are_laid_out_as_go_writes_them() {
        // Extension values of certificates real Helm made for the same calls (key-independent
        // parts; the key ids are derived from this run's keys as Go derives them).
        let ed_key = call("genPrivateKey", &["ed25519".into()]).unwrap();
        let ec_key = call("genPrivateKey", &["ecdsa".into()]).unwrap();
        assert!(
            ed_key
                .to_string()
                .starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI")
        );
        assert!(
            ec_key
                .to_string()
                .starts_with("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI")
        );

        let ca = call(
            "genCAWithKey",
            &["my-ca".into(), Value::Int(365), ed_key.clone()],
        )
        .unwrap();
        assert_eq!(ca.type_name(), "sprig.certificate");
        assert_eq!(field(&ca, "Key"), ed_key.to_string());
        let ca_der = der_of(&field(&ca, "Cert"));
        let Key::Ed25519(ed) = parse_private_key_pem(&ed_key.to_string()).unwrap() else {
            panic!("not ed25519");
        };
        let ski = hex(&Sha256::digest(ed.verifying_key().to_bytes())[..20]);
        assert_eq!(
            extensions(&ca_der),
            [
                ("0603551d0f".into(), true, "030202a4".into()),
                ("0603551d25".into(), false, EKU.into()),
                ("0603551d13".into(), true, "30030101ff".into()),
                ("0603551d0e".into(), false, format!("0414{ski}")),
            ]
        );
        assert_eq!(
            tbs_field(&ca_der, 5),
            "3010310e300c060355040313056d792d6361"
        );
        assert_eq!(tbs_field(&ca_der, 2), "300506032b6570");

        let leaf = call(
            "genSignedCertWithKey",
            &[
                "leaf".into(),
                Value::list(vec![
                    "10.0.0.1".into(),
                    "::1".into(),
                    "::ffff:1.2.3.4".into(),
                ]),
                Value::list(vec!["a.example.com".into(), "b".into()]),
                Value::Int(30),
                ca.clone(),
                ec_key.clone(),
            ],
        )
        .unwrap();
        let leaf_der = der_of(&field(&leaf, "Cert"));
        assert_eq!(
            extensions(&leaf_der),
            [
                ("0603551d0f".into(), true, "030205a0".into()),
                ("0603551d25".into(), false, EKU.into()),
                ("0603551d13".into(), true, "3000".into()),
                ("0603551d23".into(), false, format!("30168014{ski}")),
                (
                    "0603551d11".into(),
                    false,
                    "3030820d612e6578616d706c652e636f6d82016287040a00000187100000000000000000000000000000000187040102030".to_owned() + "4"
                ),
            ]
        );
        // Issuer is the CA's subject; the signature verifies with the CA's key.
        assert_eq!(
            tbs_field(&leaf_der, 3),
            "3010310e300c060355040313056d792d6361"
        );
        let (cert, _) = read_element(&leaf_der).unwrap();
        let parts = elements(cert.content).unwrap();
        let signature = ed25519_dalek::Signature::from_slice(&parts[2].content[1..]).unwrap();
        assert!(
            ed.verifying_key()
                .verify_strict(parts[0].raw, &signature)
                .is_ok()
        );

        // A certificate with no subject makes its SANs critical.
        let selfsigned = call(
            "genSelfSignedCertWithKey",
            &[
                "".into(),
                Value::Nil,
                Value::list(vec!["x.y".into()]),
                Value::Int(10),
                ec_key,
            ],
        )
        .unwrap();
        let der = der_of(&field(&selfsigned, "Cert"));
        assert_eq!(tbs_field(&der, 5), "3000");
        assert_eq!(
            extensions(&der)[3],
            ("0603551d11".into(), true, "30058203782e79".into())
        );

        // buildCustomCert gives back what it was given.
        use base64::Engine as _;
        let b64 = |s: String| Value::from(base64::engine::general_purpose::STANDARD.encode(s));
        let rebuilt = call(
            "buildCustomCert",
            &[b64(field(&ca, "Cert")), b64(field(&ca, "Key"))],
        )
        .unwrap();
        assert_eq!(rebuilt.to_string(), ca.to_string());
        assert_eq!(
            call("buildCustomCert", &["!".into(), "".into()]),
            Err(FuncError::msg("unable to decode base64 certificate"))
        );
        assert_eq!(
            call("buildCustomCert", &[b64("x".into()), "".into()]),
            Err(FuncError::msg("unable to decode certificate"))
        );
    }

    #[test]
    fn rsa_certificates_verify() {
        let ca = call("genCA", &["ca".into(), Value::Int(1)]).unwrap();
        assert!(field(&ca, "Key").starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        let leaf = call(
            "genSignedCert",
            &[
                "leaf".into(),
                Value::Nil,
                Value::Nil,
                Value::Int(1),
                ca.clone(),
            ],
        )
        .unwrap();
        let Key::Rsa(ca_key) = parse_private_key_pem(&field(&ca, "Key")).unwrap() else {
            panic!("not rsa");
        };
        let der = der_of(&field(&leaf, "Cert"));
        let (cert, _) = read_element(&der).unwrap();
        let parts = elements(cert.content).unwrap();
        use rsa::signature::Verifier;
        let verifier = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(ca_key.to_public_key());
        let signature = rsa::pkcs1v15::Signature::try_from(&parts[2].content[1..]).unwrap();
        assert!(verifier.verify(parts[0].raw, &signature).is_ok());
        // Not the CA's key: Go refuses to sign.
        let other = call("genPrivateKey", &["ed25519".into()]).unwrap();
        let mut wrong = ca.clone();
        if let Value::Object(o) = &ca {
            let c = o
                .as_any()
                .and_then(|a| a.downcast_ref::<Certificate>())
                .unwrap();
            wrong = Value::object(Certificate {
                cert: c.cert.clone(),
                key: other.to_string(),
            });
        }
        assert_eq!(
            call(
                "genSignedCert",
                &["x".into(), Value::Nil, Value::Nil, Value::Int(1), wrong]
            ),
            Err(FuncError::msg(
                "error creating certificate: x509: provided PrivateKey doesn't match parent's PublicKey"
            ))
        );
    }

    #[test]
    fn keys_parse_and_fail_as_sprig_says() {
        // A DSA key in Sprig's (and OpenSSL's traditional) layout parses; Go cannot sign with
        // it (message from real Helm).
        assert!(matches!(parse_private_key_pem(DSA_KEY), Ok(Key::Dsa(_))));
        assert_eq!(
            call("genCAWithKey", &["x".into(), Value::Int(5), DSA_KEY.into()]),
            Err(FuncError::msg(
                "error creating certificate: x509: certificate private key does not implement crypto.Signer"
            ))
        );
        let cases = [
            ("nothing", "parsing private key: no PEM data in input"),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "parsing private key: no private key data in PEM block of type CERTIFICATE",
            ),
            (
                "-----BEGIN FOO PRIVATE KEY-----\nAAAA\n-----END FOO PRIVATE KEY-----\n",
                "parsing private key: invalid private key type FOO PRIVATE KEY",
            ),
        ];
        for (pem, expected) in cases {
            assert_eq!(
                call("genCAWithKey", &["x".into(), Value::Int(5), pem.into()]),
                Err(FuncError::msg(expected)),
                "{pem}"
            );
        }
        assert_eq!(
            call("genPrivateKey", &["rsa2".into()]),
            Ok("Unknown type rsa2".into())
        );
    }

    /// A 2048/256 DSA key made with `openssl gendsa` and `openssl pkey -traditional`.
    const DSA_KEY: &str = "-----BEGIN DSA PRIVATE KEY-----
MIIDTQIBAAKCAQEAvZ62PyU6w/+67/3B5sC51a9i4xi65jPduNNINrFJfEqJQv0B
cSLwHCYHTWkzl/uCaeKdKobMo1uCY51vuA4ybTJh5IJsvE04B2U3yBFh6mSILhwe
ChFzXmC1nz4MTA7yH8zopZe54HfSTNl46NGON6uiffiZOZBv5nl9kiU26OntG+cQ
lHU9gk1yTBpDJ7aLEyTMc9YUVDV3RyIOSxsJT0MuyaEGJGwLpyzPPnN4xnJaENct
az9fpt8lIMNg/+iayvSBwfisILwi/sJ/Bwf2Z+sNrAydY+HisUPCqX46gIX+qReL
bP9cckCM9DGopX+ONypBA/V1xMAp3sJvhsKMrQIdANFhPW5ZuLb86uqyTA8uJkcg
FaGdxNOYSnW6XkcCggEAJ2y5qcJS8hTimgt9TEbtMoO8/htd5LuGsuFAltBEwJjx
eZ/KTRUeljKUX1PnfnuqGRnep5TnUoBtVmkzNZV4edH0O35MatAP8JbfU5YmaJGi
L8mTV5k1ZTfAz+hrcU6GvRxyIaKjwbAeK8AXDofb5wwyjpdWL7XY+IowYOLNLgZt
KlnbEMoPaa0j3Uqs+CxuuDcT3DqgUjIw5lIPXQcwpTqCICzuf2vqvPDsZzEfe5MM
hWpPPvSyk9+GwLhUasbvlLWyyvQ4foHp/pf+bhEzfuPIVeePI+2YEZI1piNWa8H2
BhadKjBjnUsCfDnCYnLpKLKFsG54/QZT6aFwyxuuDgKCAQBAjbZZyRwfQr6nU+Ku
OfH8G7aYS5oFroxPJvkrL28KhRYZKCez29yNbJSWkSc7nSthGkC6N7iBy61oVxsy
vDs22KgDZa3kFnN1XKhQZFujaGeeRpJHmYRpXHGJcDPEdUQh2ICeoXoouwvqt56A
7sZLSWIS8n0nCoPYBG2/+STov1vMGlzGxQJhbIKq/7mtjz1AQRfHG+WxUSnuLM1v
dszGitJcpNRyvWsy8KXoUP/mgR+m3Jkkl45b2oYizEWV3mTYIyD4gzz3g2j3ZXqx
z6B2fGlWKXzqEAs/CjXnyvH2wZkCdTtZNHG0ULTdt9m4Y6GkF8E9glhMISZd/8KH
LD2OAhwgLQ10HHM8uCL0n5c5ku+xTh6khOE/aJle7ZXr
-----END DSA PRIVATE KEY-----
";
}
