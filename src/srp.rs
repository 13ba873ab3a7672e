//! The Secure Remote Password protocol as Cognito's clients speak it
//! (`USER_SRP_AUTH`: Amplify, amazon-cognito-identity-js, pycognito, the mobile
//! SDKs): SRP-6a over the 3072-bit group of RFC 5054 with SHA-256, and
//! Cognito's own conventions, taken from amazon-cognito-identity-js's
//! `AuthenticationHelper` and `CognitoUser`:
//! - numbers are hashed as their shortest two's-complement hex (`pad_hex`:
//!   even length, `00` first when the top bit is set), not padded to N's length;
//! - `x = H(pad(salt) | H(<pool name><user id>:<password>))`, the pool name
//!   being the pool id's part after `_`;
//! - the session key is HKDF-SHA256 of `pad(S)` with salt `pad(u)` and info
//!   "Caldera Derived Key", 16 bytes;
//! - the client's proof is HMAC-SHA256, under that key, of the pool name, the
//!   user id, the `SECRET_BLOCK` and the `TIMESTAMP` (`Tue Dec 1 09:05:03 UTC 2026`).
//!
//! Pure arithmetic with no state: the flow keeps what it needs (see `accounts`).

use std::sync::LazyLock;

use aws_lc_rs::{digest, hkdf, hmac};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use num_bigint::BigUint;

use crate::error::Error;

/// RFC 5054's 3072-bit prime.
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64",
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B",
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31",
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

struct Group {
    n: BigUint,
    g: BigUint,
    /// `k = H(pad(N) | pad(g))`.
    k: BigUint,
}

static GROUP: LazyLock<Group> = LazyLock::new(|| {
    let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap_or_default();
    let g = BigUint::from(2u8);
    let k = hash_numbers(&[&n, &g]);
    Group { n, g, k }
});

/// The shortest big-endian two's-complement bytes of a non-negative number
/// (Cognito's `padHex`, as bytes).
fn pad(number: &BigUint) -> Vec<u8> {
    let mut bytes = number.to_bytes_be();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    bytes
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut context = digest::Context::new(&digest::SHA256);
    for part in parts {
        context.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    out
}

fn hash_numbers(numbers: &[&BigUint]) -> BigUint {
    let padded: Vec<Vec<u8>> = numbers.iter().map(|n| pad(n)).collect();
    let parts: Vec<&[u8]> = padded.iter().map(Vec::as_slice).collect();
    BigUint::from_bytes_be(&sha256(&parts))
}

/// The private value `x` of a user's password.
fn private_x(pool_name: &str, user_id: &str, password: &str, salt: &BigUint) -> BigUint {
    let inner = sha256(&[
        pool_name.as_bytes(),
        user_id.as_bytes(),
        b":",
        password.as_bytes(),
    ]);
    BigUint::from_bytes_be(&sha256(&[&pad(salt), &inner]))
}

/// What the pool keeps of a password for SRP: a salt and `v = g^x`, both hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verifier {
    pub(crate) salt: String,
    pub(crate) verifier: String,
}

/// A new verifier of `password` for `user_id` in the pool `pool_name`, with a
/// fresh 16-byte salt.
pub(crate) fn verifier(pool_name: &str, user_id: &str, password: &str) -> Result<Verifier, Error> {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| Error::Random)?;
    Ok(verifier_with_salt(
        pool_name,
        user_id,
        password,
        &BigUint::from_bytes_be(&salt),
    ))
}

/// A verifier as the store keeps it: `<pool name>:<salt>:<verifier>`, so that
/// one made under another pool id (the declared pool renamed) is not used.
pub(crate) fn stored(pool_id: &str, user_id: &str, password: &str) -> Result<String, Error> {
    let made = verifier(pool_name(pool_id), user_id, password)?;
    Ok(format!(
        "{}:{}:{}",
        pool_name(pool_id),
        made.salt,
        made.verifier
    ))
}

/// The verifier `stored` holds for the pool `pool_id`, if it is one of its.
pub(crate) fn parse_stored(stored: &str, pool_id: &str) -> Option<Verifier> {
    let mut parts = stored.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(name), Some(salt), Some(verifier), None) if name == pool_name(pool_id) => {
            Some(Verifier {
                salt: salt.to_owned(),
                verifier: verifier.to_owned(),
            })
        }
        _ => None,
    }
}

fn verifier_with_salt(pool_name: &str, user_id: &str, password: &str, salt: &BigUint) -> Verifier {
    let group = &*GROUP;
    let v = group
        .g
        .modpow(&private_x(pool_name, user_id, password, salt), &group.n);
    Verifier {
        salt: hex(&pad(salt)),
        verifier: hex(&pad(&v)),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn number(hex: &str) -> Option<BigUint> {
    BigUint::parse_bytes(hex.as_bytes(), 16)
}

/// The server's side of one sign-in: `B` for the client, and the key the
/// client proves it has derived too.
pub(crate) struct ServerSession {
    /// Hex, as `SRP_B`.
    pub(crate) b_public: String,
    pub(crate) key: [u8; 16],
}

/// Why a client's `SRP_A` or the stored verifier cannot start a session.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SrpRefusal {
    /// Not hex, or `A mod N = 0` (which would make the session key known).
    #[error("SRP_A is not a valid SRP value")]
    InvalidA,
    #[error("the stored verifier is malformed")]
    BadVerifier,
}

/// Starts the server's side: a random `b`, `B = k·v + g^b`, and the session
/// key from the client's `a_public` (hex).
pub(crate) fn start(
    a_public: &str,
    stored: &Verifier,
) -> Result<Result<ServerSession, SrpRefusal>, Error> {
    let mut secret = [0u8; 32];
    aws_lc_rs::rand::fill(&mut secret).map_err(|_| Error::Random)?;
    Ok(session(a_public, stored, &BigUint::from_bytes_be(&secret)))
}

fn session(a_public: &str, stored: &Verifier, b: &BigUint) -> Result<ServerSession, SrpRefusal> {
    let group = &*GROUP;
    let Some(a) = number(a_public).filter(|a| (a % &group.n) != BigUint::ZERO) else {
        return Err(SrpRefusal::InvalidA);
    };
    let Some(v) = number(&stored.verifier) else {
        return Err(SrpRefusal::BadVerifier);
    };
    let b_public = (&group.k * &v + group.g.modpow(b, &group.n)) % &group.n;
    let u = hash_numbers(&[&a, &b_public]);
    if u == BigUint::ZERO {
        return Err(SrpRefusal::InvalidA);
    }
    // S = (A · v^u)^b mod N
    let s = ((&a * v.modpow(&u, &group.n)) % &group.n).modpow(b, &group.n);
    Ok(ServerSession {
        b_public: hex(&pad(&b_public)),
        key: session_key(&s, &u),
    })
}

/// HKDF-SHA256 of `pad(S)` with salt `pad(u)`, info "Caldera Derived Key", 16 bytes.
fn session_key(s: &BigUint, u: &BigUint) -> [u8; 16] {
    struct Len16;
    impl hkdf::KeyType for Len16 {
        fn len(&self) -> usize {
            16
        }
    }
    let mut key = [0u8; 16];
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &pad(u)).extract(&pad(s));
    // expand and fill fail only for lengths over 255 hashes: 16 bytes never do.
    if let Ok(okm) = prk.expand(&[b"Caldera Derived Key"], Len16) {
        let _ = okm.fill(&mut key);
    }
    key
}

/// Whether `signature` (base64, `PASSWORD_CLAIM_SIGNATURE`) is the client's
/// proof of `key` over the pool name, user id, secret block and timestamp;
/// compared in constant time.
pub(crate) fn proves(
    key: &[u8; 16],
    pool_name: &str,
    user_id: &str,
    secret_block: &[u8],
    timestamp: &str,
    signature: &str,
) -> bool {
    let Ok(signature) = STANDARD.decode(signature) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let message = [
        pool_name.as_bytes(),
        user_id.as_bytes(),
        secret_block,
        timestamp.as_bytes(),
    ]
    .concat();
    hmac::verify(&key, &message, &signature).is_ok()
}

const TIMESTAMP_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[weekday repr:short] [month repr:short] [day padding:none] [hour]:[minute]:[second] UTC [year]"
);

/// The Unix time of a client's `TIMESTAMP` (`Tue Dec 1 09:05:03 UTC 2026`:
/// the day unpadded, the time padded), if it is one.
pub(crate) fn timestamp(text: &str) -> Option<i64> {
    time::PrimitiveDateTime::parse(text, TIMESTAMP_FORMAT)
        .ok()
        .map(|moment| moment.assume_utc().unix_timestamp())
}

/// The pool name the clients hash in: the pool id's part after `_`.
pub(crate) fn pool_name(pool_id: &str) -> &str {
    pool_id.split_once('_').map_or(pool_id, |(_, name)| name)
}

/// A client's side, as amazon-cognito-identity-js computes it, for the
/// integration tests (the real clients' own code is run by `end2end/`).
#[cfg(test)]
pub(crate) struct TestClient {
    a: BigUint,
    /// `SRP_A`, hex.
    pub(crate) a_public: String,
}

#[cfg(test)]
impl TestClient {
    pub(crate) fn new() -> TestClient {
        let mut secret = [0u8; 128];
        aws_lc_rs::rand::fill(&mut secret).unwrap();
        let a = BigUint::from_bytes_be(&secret);
        let a_public = GROUP.g.modpow(&a, &GROUP.n).to_str_radix(16);
        TestClient { a, a_public }
    }

    /// Now, as a client writes its `TIMESTAMP`.
    pub(crate) fn timestamp() -> String {
        time::OffsetDateTime::now_utc()
            .format(TIMESTAMP_FORMAT)
            .unwrap()
    }

    /// `PASSWORD_CLAIM_SIGNATURE` for the challenge's `SALT`, `SRP_B` and
    /// `SECRET_BLOCK`, signing in as `user_id` with `password` at `timestamp`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn signature(
        &self,
        pool_id: &str,
        user_id: &str,
        password: &str,
        salt: &str,
        b_public: &str,
        secret_block: &str,
        timestamp: &str,
    ) -> String {
        let group = &*GROUP;
        let (salt, b_public) = (number(salt).unwrap(), number(b_public).unwrap());
        let a_public = number(&self.a_public).unwrap();
        let u = hash_numbers(&[&a_public, &b_public]);
        let x = private_x(pool_name(pool_id), user_id, password, &salt);
        let kgx = (&group.k * group.g.modpow(&x, &group.n)) % &group.n;
        let base = (b_public + &group.n - kgx) % &group.n;
        let s = base.modpow(&(&self.a + &u * &x), &group.n);
        let key = hmac::Key::new(hmac::HMAC_SHA256, &session_key(&s, &u));
        let message = [
            pool_name(pool_id).as_bytes(),
            user_id.as_bytes(),
            &STANDARD.decode(secret_block).unwrap(),
            timestamp.as_bytes(),
        ]
        .concat();
        STANDARD.encode(hmac::sign(&key, &message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_and_a_client_agree_on_the_key() {
        let stored = verifier("LocalPool", "alice", "correct horse").unwrap();
        let client = TestClient::new();
        let session = start(&client.a_public, &stored).unwrap().unwrap();
        let block = STANDARD.encode(b"block");
        let stamp = "Tue Dec 1 09:05:03 UTC 2026";
        let sign = |password: &str| {
            client.signature(
                "us-east-1_LocalPool",
                "alice",
                password,
                &stored.salt,
                &session.b_public,
                &block,
                stamp,
            )
        };
        let proof = |password: &str| {
            proves(
                &session.key,
                "LocalPool",
                "alice",
                b"block",
                stamp,
                &sign(password),
            )
        };
        assert!(proof("correct horse"));
        assert!(!proof("wrong horse"));
    }

    /// Computed with amazon-cognito-identity-js 6.3.16's `AuthenticationHelper` (Node, its own
    /// BigInteger and SHA-256): its `a` fixed at 0x0f0f..0f (128 bytes), the salt, and the
    /// server's `b` at 0x1d1d..1d (32 bytes); `B = k·v + g^b`, the key from
    /// `getPasswordAuthenticationKey("alice", "correct horse battery", B, salt)`, and the
    /// signature as `CognitoUser` signs, for pool name "LocalPool".
    #[test]
    fn the_javascript_clients_vectors() {
        let salt = number("8a5b6f2c11d4e3f09a7b6c5d4e3f2a1b").unwrap();
        let stored = verifier_with_salt("LocalPool", "alice", "correct horse battery", &salt);
        assert_eq!(
            stored.verifier,
            concat!(
                "00d2f2139006a10aa06ef986f28c5fec24910d20427e9875d847854a1ff514d637281ec6ccd1c4b440b784f4fe11ca06",
                "83655e7dc47f3bba664bc839bf7fc757f06a35a1098d6f88d5b94798256099a1fcf1a616dd07ba842b25e56c503e10c4",
                "bf02d3cfeefb24b638430777444d685acb1a06f2a8c1f90791c634fc11cde3ef58585464235a77f68237e033a35e710d",
                "51b20f87c60081784d6e270fb885b9d671929e54cb0cc42ea7c27f6d3276ec45df764d4dd8755c9cc90ac03bb5e5566f",
                "a9913b1dbd2742a1fe9eae78fef4981e6db8fd99fb657df0adeacd827f70621d6ed359bc881b2826d7cda48f44ad668c",
                "2e51563cdd9db02547ed02d483707b4dc30771dada5d914c2071e663c17e32ec91c114a6efe7a7116b6be224aa41f001",
                "dd10035aa1dee9aeada4e33ab41a478315435ad7295a8713793ec9bdf977b43b6c99259d39359a8db78f9cd3c543a676",
                "fd84dd27727ace3f9ad33a1f0c107cc2d9c4f9215a6c3a6d39667d89790a307f4742290694029ecda557b97e9b83ce04",
                "ba",
            )
        );
        let a_public = concat!(
            "739560adae8367056b63bc39c6420b79443be76070419948d8427f1e59747dd9cfa02fcd3ccb9da3fef14085755c5c6f",
            "31797ec7a48b2eaec16b79ce8c713bd300796e92eea2109a26566da1a0ae89288d26092c9ab86cefb685c0eff3a7ff2e",
            "bb3b74bd9694543bbc8decd31c6823ca77d23b6f3a4264e7ed79816ab78ceb1dec85b3a32818411019670f03b76d1d1a",
            "24b9ce5f1fad221ec63cced42ae7ed02dcba62e0738f8c3fb5f5e7711945e624d04bd8504574b227f27950dca2710131",
            "b1c9d87b95062e1bbc54211d71683018320aeb96bc687f9771d03feb1c45159cd302a562e5a24b243a6faf7496a88834",
            "b5b7ffd4cd9ceae85e3ba9667387afbb2a4572163da62fe7b445cfff1cf3d61905ba0d17cd828e897d26e34192a500da",
            "60ac8ba7ad89c123bf6e18ad5971bdbb2b2cd744b1c8b4e1d1a3425956242aaa0bab364dd76a749b5ef466f498095afb",
            "8785597b4f7b8af3bf69a5174eaf68428e1b50642386f5f3f58f1ce636b7d1bbcb9a80a62e74162393087ab084acf3f5",
        );
        let b = number("1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d").unwrap();
        let session = session(a_public, &stored, &b).unwrap();
        assert_eq!(
            session.b_public,
            concat!(
                "00f24b4dfa5a2fab19298b51e5db1c84d00f5e896ac791c0612afcf774443809c143b071c5d78c78b76ae06cfc042d84",
                "b5e39523dd183f46407ca9d1814fa269ef9557c552eb941c107e20517d3cfbf9600732d453cd87db21ff2b8c4a775261",
                "a271985bacfd5eb62e4c3f63382ef112cdc52e7993794a2a62d17cfe7b67823dba427a66a69680c09e51e136719633b7",
                "eb8e007af69bbe61e7a53ffe418ec7e9eacae6dd72478a3f458cce4a5222a32eb7d71dd433e73e3cfcdff798ba9adf2a",
                "3d8438279b9b27be7abf9166eea7bbe20dd0d125597d8926fcdba1d647510ae8d92fc71ebeb40ca0ab75d0fa04d805ef",
                "a5fd79a0e7130f8a34084a8691a19723c5f7c75697ee47e2a0f7818a701ea35f5fe8bebe4e209b7a1e1fdcce164187dc",
                "b9dbea45dc894501db8001a9a2f50c1a535ea054550785bc7316891bfa71ff180885c25bd49fc8af6b9f4a1e80f8a0b9",
                "0a5134c940fdd3f58b2157adced11dbd5dfb98b4293cf5c193560a5ccc57cc2efbcd01d7bc29da7f4f0e292c43848f86",
                "a2",
            )
        );
        assert_eq!(hex(&session.key), "828e2c3ed36b7c1bab593083c92b2e17");
        let block = STANDARD
            .decode("YSBzZWNyZXQgYmxvY2sgb2YgdGhlIHBvb2w=")
            .unwrap();
        let (timestamp, signature) = (
            "Tue Dec 1 09:05:03 UTC 2026",
            "0kcLgUMigel/Dqa/skv9P1Ui0UasYZ9KOlwhLRCExUo=",
        );
        assert!(proves(
            &session.key,
            "LocalPool",
            "alice",
            &block,
            timestamp,
            signature
        ));
        assert!(!proves(
            &session.key,
            "LocalPool",
            "alice",
            &block,
            "Tue Dec 1 09:05:04 UTC 2026",
            signature
        ));
    }

    #[test]
    fn a_worthless_a_is_refused() {
        let stored = verifier("LocalPool", "alice", "pw").unwrap();
        for bad in ["0", "not hex", N_HEX] {
            assert_eq!(
                start(bad, &stored).unwrap().err(),
                Some(SrpRefusal::InvalidA),
                "{bad}"
            );
        }
    }

    #[test]
    fn numbers_are_padded_as_cognitos_clients_pad_them() {
        assert_eq!(pad(&BigUint::from(0x7fu8)), vec![0x7f]);
        assert_eq!(pad(&BigUint::from(0x80u8)), vec![0x00, 0x80]);
        assert_eq!(pad(&BigUint::from(0x0100u16)), vec![0x01, 0x00]);
    }

    #[test]
    fn timestamps_are_read_in_the_clients_format() {
        assert_eq!(
            timestamp("Tue Dec 1 09:05:03 UTC 2026"),
            Some(1_796_115_903)
        );
        assert_eq!(timestamp("yesterday"), None);
    }

    #[test]
    fn the_pool_name_is_the_ids_part_after_the_region() {
        assert_eq!(pool_name("us-east-1_LocalPool"), "LocalPool");
    }
}
