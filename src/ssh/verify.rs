//! SSH commit signatures (OpenSSH's `sshsig` format, namespace `git`),
//! verified against a member's own `signing_keys`. Git itself accepts any
//! key listed in `gpg.ssh.allowedSignersFile`; cardinal accepts only the
//! keys of the member who had to make the change. No I/O.
//!
//! Supported key types: `ssh-ed25519`, `ssh-rsa` (signatures made with
//! `rsa-sha2-512` or `rsa-sha2-256`; SHA-1 `ssh-rsa` signatures are
//! refused) and `ecdsa-sha2-nistp256` / `ecdsa-sha2-nistp384`. Signatures by
//! other SSH key types (DSA, P-521, FIDO `sk-` keys, certificates), and GPG /
//! X.509 signatures, are reported as unverifiable rather than trusted.
//!
//! Parsing and the cryptography are RustCrypto's `ssh-key` crate (its
//! `SshSig`, `PublicKey::from_openssh` and `PublicKey::verify`, with the
//! `rsa`, `p256`, `p384` and `ed25519` features only) rather than a parser
//! of our own: verifying RSA and ECDSA by hand would mean big-number and
//! curve arithmetic of our own, and its 0.7 line builds on the same `sha2`
//! and `ed25519-dalek` versions as the rest of the project (0.6 would bring
//! second copies of both). Without its `sha1` feature it refuses SHA-1
//! `ssh-rsa` signatures by itself; [`verify`] refuses them first, with a
//! clearer reason. Its base64 codec is the project's one as well.

use serde::{Deserialize, Serialize};
use ssh_key::encoding::base64::{Base64, Base64Unpadded, Encoding};
use ssh_key::{Algorithm, EcdsaCurve, PublicKey, SshSig};

/// What a commit's signature amounts to for one member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "reason", rename_all = "lowercase")]
pub enum SigState {
    /// A valid SSH signature by one of the member's keys.
    Valid,
    /// The commit carries no signature.
    Unsigned,
    /// A signature that does not verify, is malformed, was made in another
    /// namespace or with a refused algorithm, or is by a key that is not the
    /// member's; says which.
    Invalid(String),
    /// A signature cardinal cannot check (GPG, X.509, another key type).
    Unverifiable(String),
}

impl SigState {
    /// Returns a short phrase for problems lists.
    pub fn describe(&self) -> String {
        match self {
            SigState::Valid => "validly signed".to_owned(),
            SigState::Unsigned => "not signed".to_owned(),
            SigState::Invalid(why) => format!("bad signature: {why}"),
            SigState::Unverifiable(why) => format!("signature unverifiable: {why}"),
        }
    }
}

pub(crate) const ARMOR_BEGIN: &str = "-----BEGIN SSH SIGNATURE-----";
pub(crate) const ARMOR_END: &str = "-----END SSH SIGNATURE-----";

/// The namespace Git signs commits in (`ssh-keygen -Y sign -n git`).
const NAMESPACE: &str = "git";

/// The key types whose signatures are checked, as `signing_keys` spell them.
pub const SUPPORTED_KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
];

/// Returns whether signatures by keys of `algorithm` are checked.
fn supported(algorithm: &Algorithm) -> bool {
    matches!(
        algorithm,
        Algorithm::Ed25519
            | Algorithm::Rsa { .. }
            | Algorithm::Ecdsa {
                curve: EcdsaCurve::NistP256 | EcdsaCurve::NistP384
            }
    )
}

/// Returns whether signatures by `key` are checked (its type is one of
/// [`SUPPORTED_KEY_TYPES`]).
pub fn key_type_supported(key: &PublicKey) -> bool {
    supported(&key.algorithm())
}

/// Returns the phrase naming the supported key types, for messages.
pub fn supported_key_types() -> String {
    SUPPORTED_KEY_TYPES
        .iter()
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Returns the state of `signature` (the commit's `gpgsig` header, as
/// armored text) over `signed` (the commit without that header), checked
/// against `keys` (`ssh-ed25519 AAAA… comment` lines, of any supported
/// type; lines that are not public keys are ignored). `None` means the
/// commit is unsigned.
pub fn verify(signature: Option<&[u8]>, signed: &[u8], keys: &[String]) -> SigState {
    let Some(signature) = signature else {
        return SigState::Unsigned;
    };
    let text = String::from_utf8_lossy(signature);
    let text = text.trim();
    if text.starts_with("-----BEGIN PGP SIGNATURE-----") {
        return SigState::Unverifiable("GPG signature (only SSH signatures are checked)".into());
    }
    if text.starts_with("-----BEGIN SIGNED MESSAGE-----") {
        return SigState::Unverifiable("X.509 signature (only SSH signatures are checked)".into());
    }
    if !text.starts_with(ARMOR_BEGIN) {
        return SigState::Unverifiable("not an SSH signature".into());
    }
    let sig = match parse_armored(text) {
        Ok(sig) => sig,
        Err(why) => return SigState::Invalid(why),
    };
    if sig.namespace() != NAMESPACE {
        return SigState::Invalid(format!(
            "namespace `{}`, expected `{NAMESPACE}`",
            sig.namespace()
        ));
    }
    let Some(key) = keys
        .iter()
        .filter_map(|k| parse_key(k).ok())
        .find(|k| k.key_data() == sig.public_key())
    else {
        return SigState::Invalid("signed with a key that is not one of the member's".into());
    };
    let key_type = key.algorithm();
    if !supported(&key_type) {
        return SigState::Unverifiable(format!(
            "key type `{}` is not supported (use {})",
            key_type.as_str(),
            supported_key_types()
        ));
    }
    if let Err(why) = check_algorithm(&key_type, &sig.algorithm()) {
        return SigState::Invalid(why);
    }
    match key.verify(NAMESPACE, signed, &sig) {
        Ok(()) => SigState::Valid,
        Err(_) => SigState::Invalid("the signature does not match the commit".into()),
    }
}

/// Checks that a signature's algorithm belongs to its key's type, and
/// refuses RSA signatures over SHA-1 (`ssh-rsa`).
fn check_algorithm(key: &Algorithm, signature: &Algorithm) -> Result<(), String> {
    match (key, signature) {
        (Algorithm::Rsa { .. }, Algorithm::Rsa { hash: None }) => Err(
            "RSA signature over SHA-1 (`ssh-rsa`) is not accepted; sign with `rsa-sha2-512` \
             (what `ssh-keygen -Y sign` makes)"
                .into(),
        ),
        (Algorithm::Rsa { .. }, Algorithm::Rsa { hash: Some(_) }) => Ok(()),
        (key, signature) if key == signature => Ok(()),
        (key, signature) => Err(format!(
            "signature algorithm `{}` does not match the `{}` key",
            signature.as_str(),
            key.as_str()
        )),
    }
}

/// Returns the fields of an armored SSH signature (the signer's key, the
/// namespace, the hash and the signature itself), or why it is malformed.
pub(crate) fn parse_armored(text: &str) -> Result<SshSig, String> {
    let text = text.replace('\r', "");
    let text = text.trim();
    if !text.starts_with(ARMOR_BEGIN) || !text.ends_with(ARMOR_END) {
        return Err("not an armored SSH signature".into());
    }
    SshSig::from_pem(text).map_err(|e| format!("malformed SSH signature ({e})"))
}

/// Returns the public key of a `ssh-ed25519 AAAA… comment` line (any key
/// type the line names), or why it is not one.
pub fn parse_key(line: &str) -> Result<PublicKey, String> {
    let line = line.trim();
    let kind = line.split_whitespace().next().unwrap_or_default();
    PublicKey::from_openssh(line).map_err(|e| match e {
        ssh_key::Error::AlgorithmUnknown => {
            format!("the key data is not a `{kind}` key, or its type is unknown")
        }
        e => format!("malformed public key ({e})"),
    })
}

/// Checks a `signing_keys` line: `Ok` when it is a well-formed key of a
/// supported type, else why not.
pub fn check_signing_key(line: &str) -> Result<(), String> {
    let key = parse_key(line)?;
    if key_type_supported(&key) {
        Ok(())
    } else {
        Err(format!(
            "key type `{}` is not supported for signatures (use {})",
            key.algorithm().as_str(),
            supported_key_types()
        ))
    }
}

/// Returns the decoded key blob of an `ssh-ed25519 AAAA… comment` line, or
/// `None` when the line is not a well-formed public key.
pub fn key_blob(line: &str) -> Option<Vec<u8>> {
    parse_key(line).ok()?.to_bytes().ok()
}

/// Decodes standard base64 (with or without padding); `None` when malformed.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    Base64::decode_vec(text)
        .or_else(|_| Base64Unpadded::decode_vec(text))
        .ok()
}

/// Returns standard base64 (with padding) of `bytes`.
pub fn base64_encode(bytes: &[u8]) -> String {
    Base64::encode_string(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P521: &str = "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAFmZPRbQ8o2thmOh2rU7IKQl5Li5uDTFeX2+iIsZNvlLJl42V1+59MXLm9AD1RTbEwVina221UFyRfewIPOqWP7GAC8lfMf3OHdTQmoaTFWrnQuKjv7VQNGSAnZizwsAAHuPtJ5AKtWURdiQravLge3nUny5Xwkog2fpqjz3ihOJwexvw== p521";

    const ED25519: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti foo@bar";

    #[test]
    fn base64_round_trips_known_values() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("a*b").is_none());
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
    }

    #[test]
    fn garbage_never_panics() {
        let keys = vec![
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== x".to_owned(),
            ED25519.to_owned(),
        ];
        for sig in [
            "-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----",
            "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----",
            "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAf////8=\n-----END SSH SIGNATURE-----",
            "-----BEGIN SSH SIGNATURE-----\n!!!\n-----END SSH SIGNATURE-----",
            "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH",
            "-----BEGIN SSH SIGNATURE-----",
            "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----",
            "junk",
            "",
        ] {
            let state = verify(Some(sig.as_bytes()), b"data", &keys);
            assert_ne!(state, SigState::Valid, "{sig}");
        }
        assert_eq!(verify(None, b"", &keys), SigState::Unsigned);
    }

    #[test]
    fn truncations_of_a_real_signature_never_panic() {
        let blob = build_blob(&ed_blob(), "git", "sha512", "ssh-ed25519", &[0; 64]);
        for len in 0..blob.len() {
            let cut = armor(&blob[..len]);
            let state = verify(Some(cut.as_bytes()), b"data", &[ED25519.to_owned()]);
            assert!(matches!(state, SigState::Invalid(_)), "{len}: {state:?}");
        }
    }

    #[test]
    fn gpg_and_x509_are_unverifiable() {
        let gpg = "-----BEGIN PGP SIGNATURE-----\n\niQEz\n-----END PGP SIGNATURE-----\n";
        let state = verify(Some(gpg.as_bytes()), b"", &[]);
        assert!(
            state.describe().contains("unverifiable: GPG signature"),
            "{state:?}"
        );
        let x509 = "-----BEGIN SIGNED MESSAGE-----\nMIAG\n-----END SIGNED MESSAGE-----\n";
        let state = verify(Some(x509.as_bytes()), b"", &[]);
        assert!(
            state.describe().contains("unverifiable: X.509"),
            "{state:?}"
        );
    }

    #[test]
    fn malformed_signature_is_invalid_and_says_so() {
        let state = verify(
            Some(b"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----"),
            b"data",
            &[ED25519.to_owned()],
        );
        assert!(
            state
                .describe()
                .starts_with("bad signature: malformed SSH signature"),
            "{state:?}"
        );
    }

    #[test]
    fn other_namespace_is_invalid() {
        let sig = build(&ed_blob(), "file", "sha512", "ssh-ed25519", &[0; 64]);
        assert_eq!(
            verify(Some(sig.as_bytes()), b"data", &[ED25519.to_owned()]),
            SigState::Invalid("namespace `file`, expected `git`".into())
        );
    }

    #[test]
    fn key_not_listed_is_invalid() {
        let sig = build(&ed_blob(), "git", "sha512", "ssh-ed25519", &[0; 64]);
        for keys in [
            vec![],
            vec!["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== x".to_owned()],
        ] {
            assert_eq!(
                verify(Some(sig.as_bytes()), b"data", &keys),
                SigState::Invalid("signed with a key that is not one of the member's".into())
            );
        }
    }

    #[test]
    fn signature_algorithm_must_match_the_key() {
        // An ed25519 key with an ECDSA signature in it.
        let mut ecdsa_sig = Vec::new();
        put(&mut ecdsa_sig, &[0x11; 32]);
        put(&mut ecdsa_sig, &[0x11; 32]);
        let sig = build(
            &ed_blob(),
            "git",
            "sha512",
            "ecdsa-sha2-nistp256",
            &ecdsa_sig,
        );
        let state = verify(Some(sig.as_bytes()), b"data", &[ED25519.to_owned()]);
        assert!(
            matches!(&state, SigState::Invalid(why) if why.contains("does not match the `ssh-ed25519` key")),
            "{state:?}"
        );
    }

    #[test]
    fn wrong_ed25519_signature_is_invalid() {
        let sig = build(&ed_blob(), "git", "sha512", "ssh-ed25519", &[7; 64]);
        assert_eq!(
            verify(Some(sig.as_bytes()), b"data", &[ED25519.to_owned()]),
            SigState::Invalid("the signature does not match the commit".into())
        );
    }

    #[test]
    fn sha1_rsa_signature_is_refused() {
        // A hand-built SSHSIG by an RSA key whose signature claims `ssh-rsa`
        // (PKCS#1 v1.5 over SHA-1): refused before any arithmetic.
        let mut key = Vec::new();
        put(&mut key, b"ssh-rsa");
        put(&mut key, &[1, 0, 1]);
        let mut n = vec![0u8];
        n.extend([0xc5; 256]);
        put(&mut key, &n);
        let line = format!("ssh-rsa {} r", base64_encode(&key));
        assert!(check_signing_key(&line).is_ok());
        let sig = build(&key, "git", "sha512", "ssh-rsa", &[1; 256]);
        let state = verify(Some(sig.as_bytes()), b"data", std::slice::from_ref(&line));
        assert!(
            matches!(&state, SigState::Invalid(why) if why.contains("SHA-1 (`ssh-rsa`) is not accepted")),
            "{state:?}"
        );
        // The same with `rsa-sha2-512` gets as far as the arithmetic.
        let sig = build(&key, "git", "sha512", "rsa-sha2-512", &[1; 256]);
        assert_eq!(
            verify(Some(sig.as_bytes()), b"data", &[line]),
            SigState::Invalid("the signature does not match the commit".into())
        );
    }

    #[test]
    fn unsupported_key_types_are_unverifiable() {
        // A P-521 key, made by `ssh-keygen -t ecdsa -b 521`.
        let line = P521.to_owned();
        let key = key_blob(&line).unwrap();
        let err = check_signing_key(&line).unwrap_err();
        assert!(
            err.contains("`ecdsa-sha2-nistp521` is not supported"),
            "{err}"
        );
        let mut raw = Vec::new();
        put(&mut raw, &[1; 66]);
        put(&mut raw, &[1; 66]);
        let sig = build(&key, "git", "sha512", "ecdsa-sha2-nistp521", &raw);
        let state = verify(Some(sig.as_bytes()), b"data", &[line]);
        assert!(
            matches!(&state, SigState::Unverifiable(why) if why.contains("nistp521")),
            "{state:?}"
        );
    }

    #[test]
    fn signing_key_lines() {
        assert!(check_signing_key(ED25519).is_ok());
        assert!(check_signing_key(&format!("  {ED25519}  ")).is_ok());
        assert!(key_blob(ED25519).is_some());
        // Declared type and key data disagree.
        let err = check_signing_key(&ED25519.replacen("ssh-ed25519", "ssh-rsa", 1)).unwrap_err();
        assert!(err.contains("not a `ssh-rsa` key"), "{err}");
        for bad in [
            "",
            "ssh-ed25519",
            "ssh-ed25519 !!!",
            "ssh-ed25519 AAAA",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==",
            "AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti",
        ] {
            assert!(check_signing_key(bad).is_err(), "{bad}");
            assert!(key_blob(bad).is_none(), "{bad}");
        }
    }

    // Helpers building SSHSIG blobs by hand.

    /// The key blob of `ED25519`.
    fn ed_blob() -> Vec<u8> {
        base64_decode(ED25519.split_whitespace().nth(1).unwrap()).unwrap()
    }

    fn put(out: &mut Vec<u8>, s: &[u8]) {
        out.extend_from_slice(&u32::try_from(s.len()).unwrap().to_be_bytes());
        out.extend_from_slice(s);
    }

    /// An armored SSHSIG with `key` (a public key blob), `namespace`,
    /// `hash` and a signature of `sig_type` with the raw bytes `raw`.
    fn build(key: &[u8], namespace: &str, hash: &str, sig_type: &str, raw: &[u8]) -> String {
        armor(&build_blob(key, namespace, hash, sig_type, raw))
    }

    fn build_blob(key: &[u8], namespace: &str, hash: &str, sig_type: &str, raw: &[u8]) -> Vec<u8> {
        let mut blob = b"SSHSIG\0\0\0\x01".to_vec();
        put(&mut blob, key);
        put(&mut blob, namespace.as_bytes());
        put(&mut blob, b"");
        put(&mut blob, hash.as_bytes());
        let mut sig = Vec::new();
        put(&mut sig, sig_type.as_bytes());
        put(&mut sig, raw);
        put(&mut blob, &sig);
        blob
    }

    fn armor(blob: &[u8]) -> String {
        let text = base64_encode(blob);
        let lines: Vec<&str> = text
            .as_bytes()
            .chunks(70)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!("{ARMOR_BEGIN}\n{}\n{ARMOR_END}", lines.join("\n"))
    }
}
