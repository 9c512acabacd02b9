//! SSH commit signatures (OpenSSH's `sshsig` format, namespace `git`),
//! verified against a member's own `signing_keys`. Git itself accepts any
//! key listed in `gpg.ssh.allowedSignersFile`; cardinal accepts only the
//! keys of the member who had to make the change. No I/O.
//!
//! Supported key type: `ssh-ed25519` (ssh-keygen's default). Signatures by
//! other SSH key types, and GPG / X.509 signatures, are reported as
//! unverifiable rather than trusted.

use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

/// What a commit's signature amounts to for one member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "reason", rename_all = "lowercase")]
pub enum SigState {
    /// A valid SSH signature by one of the member's keys.
    Valid,
    /// The commit carries no signature.
    Unsigned,
    /// A signature that does not verify, or one by a key that is not the
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

/// Returns the state of `signature` (the commit's `gpgsig` header, as
/// armored text) over `signed` (the commit without that header), checked
/// against `keys` (`ssh-ed25519 AAAA… comment` lines). `None` means the
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
    if !text.starts_with(ARMOR_BEGIN) {
        return SigState::Unverifiable("not an SSH signature".into());
    }
    let sig = match parse_armored(text) {
        Ok(sig) => sig,
        Err(why) => return SigState::Invalid(why),
    };
    if sig.namespace != b"git" {
        return SigState::Invalid(format!(
            "namespace `{}`, expected `git`",
            String::from_utf8_lossy(&sig.namespace)
        ));
    }
    let member_keys: Vec<Vec<u8>> = keys.iter().filter_map(|k| key_blob(k)).collect();
    if !member_keys.contains(&sig.public_key) {
        return SigState::Invalid("signed with a key that is not one of the member's".into());
    }
    let key_type = match sig.key_type() {
        Ok(t) => t.to_vec(),
        Err(why) => return SigState::Invalid(why),
    };
    if key_type != b"ssh-ed25519" {
        return SigState::Unverifiable(format!(
            "key type `{}` is not supported (use ssh-ed25519)",
            String::from_utf8_lossy(&key_type)
        ));
    }
    match check_ed25519(&sig, signed) {
        Ok(()) => SigState::Valid,
        Err(why) => SigState::Invalid(why),
    }
}

/// The fields of an SSHSIG blob (OpenSSH's PROTOCOL.sshsig).
pub(crate) struct SshSig {
    /// The signer's public key blob.
    pub(crate) public_key: Vec<u8>,
    /// The namespace signed in (`git` for commits).
    pub(crate) namespace: Vec<u8>,
    reserved: Vec<u8>,
    /// The hash algorithm (`sha512`).
    pub(crate) hash: Vec<u8>,
    signature: Vec<u8>,
}

impl SshSig {
    /// Returns the key type the public key blob starts with (`ssh-ed25519`).
    pub(crate) fn key_type(&self) -> Result<&[u8], String> {
        read_string(&self.public_key, &mut 0)
    }
}

/// Returns the fields of an armored SSH signature.
pub(crate) fn parse_armored(text: &str) -> Result<SshSig, String> {
    let body: String = text
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != ARMOR_BEGIN)
        .skip(1)
        .take_while(|l| *l != ARMOR_END)
        .collect();
    let blob = base64_decode(&body).ok_or("signature is not valid base64")?;
    let rest = blob
        .strip_prefix(b"SSHSIG")
        .ok_or("signature lacks the SSHSIG preamble")?;
    let mut at = 0;
    let version = read_u32(rest, &mut at)?;
    if version != 1 {
        return Err(format!("unsupported sshsig version {version}"));
    }
    Ok(SshSig {
        public_key: read_string(rest, &mut at)?.to_vec(),
        namespace: read_string(rest, &mut at)?.to_vec(),
        reserved: read_string(rest, &mut at)?.to_vec(),
        hash: read_string(rest, &mut at)?.to_vec(),
        signature: read_string(rest, &mut at)?.to_vec(),
    })
}

fn check_ed25519(sig: &SshSig, message: &[u8]) -> Result<(), String> {
    let mut at = 0;
    read_string(&sig.public_key, &mut at)?;
    let key: [u8; 32] = read_string(&sig.public_key, &mut at)?
        .try_into()
        .map_err(|_| "ed25519 key is not 32 bytes".to_owned())?;
    let mut at = 0;
    let sig_type = read_string(&sig.signature, &mut at)?;
    if sig_type != b"ssh-ed25519" {
        return Err("signature type does not match the key".into());
    }
    let raw: [u8; 64] = read_string(&sig.signature, &mut at)?
        .try_into()
        .map_err(|_| "ed25519 signature is not 64 bytes".to_owned())?;
    let digest: Vec<u8> = match sig.hash.as_slice() {
        b"sha512" => Sha512::digest(message).to_vec(),
        b"sha256" => Sha256::digest(message).to_vec(),
        other => {
            return Err(format!(
                "unsupported hash `{}`",
                String::from_utf8_lossy(other)
            ));
        }
    };
    let mut data = b"SSHSIG".to_vec();
    for field in [&sig.namespace, &sig.reserved, &sig.hash, &digest] {
        put_string(&mut data, field);
    }
    let key = VerifyingKey::from_bytes(&key).map_err(|_| "malformed ed25519 key".to_owned())?;
    key.verify_strict(&data, &Signature::from_bytes(&raw))
        .map_err(|_| "the signature does not match the commit".to_owned())
}

/// Returns the decoded key blob of an `ssh-ed25519 AAAA… comment` line.
pub fn key_blob(line: &str) -> Option<Vec<u8>> {
    let mut parts = line.split_whitespace();
    let kind = parts.next()?;
    let blob = base64_decode(parts.next()?)?;
    // The blob starts with its own key type; a mismatch is a malformed key.
    let declared = read_string(&blob, &mut 0).ok()?;
    (declared == kind.as_bytes()).then_some(blob)
}

fn read_u32(buf: &[u8], at: &mut usize) -> Result<u32, String> {
    let bytes = buf
        .get(*at..*at + 4)
        .ok_or("truncated signature".to_owned())?;
    *at += 4;
    Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn read_string<'b>(buf: &'b [u8], at: &mut usize) -> Result<&'b [u8], String> {
    let len = read_u32(buf, at)? as usize;
    let end = at.checked_add(len).ok_or("truncated signature")?;
    let s = buf.get(*at..end).ok_or("truncated signature".to_owned())?;
    *at = end;
    Ok(s)
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(s);
}

/// Decodes standard base64 (with or without padding); `None` when malformed.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_known_values() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("a*b").is_none());
    }

    #[test]
    fn garbage_never_panics() {
        let keys = vec!["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== x".to_owned()];
        for sig in [
            "-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----",
            "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----",
            "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAf////8=\n-----END SSH SIGNATURE-----",
            "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----",
            "junk",
        ] {
            let state = verify(Some(sig.as_bytes()), b"data", &keys);
            assert_ne!(state, SigState::Valid, "{sig}");
        }
        assert_eq!(verify(None, b"", &keys), SigState::Unsigned);
    }
}
