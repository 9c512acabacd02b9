//! SSH signatures of commit objects, made the way `git commit -S` makes them
//! when `gpg.format = ssh`, so `git verify-commit` and `git log
//! --show-signature` accept the result.
//!
//! Git does not sign with a library: it writes the commit buffer to a
//! temporary file and runs `gpg.ssh.program` (default `ssh-keygen`) as
//! `ssh-keygen -Y sign -n git -f KEY [-U] FILE`, then stores the armored
//! `FILE.sig` in the commit's `gpgsig` header. We do exactly the same rather
//! than sign in-process with a crate such as `ssh-key`: running the same
//! program with the same arguments gives the same signature format
//! (SSHSIG, namespace `git`, SHA-512) and supports everything Git's users
//! rely on — passphrase-protected keys, keys held only in `ssh-agent`
//! (`user.signingkey = key::ssh-ed25519 AAAA…` or a `.pub` path), hardware
//! (`sk-`) keys, RSA/ECDSA/Ed25519 — and a custom `gpg.ssh.program` (e.g.
//! 1Password's `op-ssh-sign`), with no extra dependency to build.
//!
//! The module also reads the public key back out of a signature (the SSHSIG
//! blob carries it) so a command can check it against a member's
//! `signing_keys` before it commits. Edge module: runs a process and reads
//! files; no git2.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ssh_key::{HashAlg, PublicKey};

use crate::error::Error;
use crate::ssh::verify::{ARMOR_BEGIN, ARMOR_END};

/// Git's signing settings, as read from its configuration.
#[derive(Debug, Clone, Default)]
pub struct SigningConfig {
    /// `gpg.format`: `openpgp` (Git's default), `x509` or `ssh`.
    pub format: Option<String>,
    /// `user.signingkey`.
    pub signing_key: Option<String>,
    /// `gpg.ssh.program`.
    pub program: Option<String>,
}

/// Where the signing key is, in the forms `user.signingkey` accepts for SSH.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeySource {
    /// `key::ssh-ed25519 AAAA…` (or the older bare `ssh-ed25519 AAAA…`): a
    /// public key whose private half is in `ssh-agent`.
    Literal(String),
    /// A path to a private key file, or to a public key file whose private
    /// half `ssh-keygen` finds next to it or in `ssh-agent`.
    File(PathBuf),
}

/// Signs buffers with an SSH key as Git does.
#[derive(Debug, Clone)]
pub struct SshSigner {
    program: String,
    key: KeySource,
}

impl SshSigner {
    /// Returns a signer for Git's settings, or an error saying what to set
    /// when they do not describe SSH signing.
    pub fn from_config(config: &SigningConfig) -> Result<Self, Error> {
        let format = config.format.as_deref().unwrap_or("openpgp");
        if format != "ssh" {
            return Err(Error::Usage(format!(
                "--sign makes SSH signatures, but Git is set up for `{format}` signing \
                 (gpg.format{}); GPG and X.509 signing are not supported: run \
                 `git config gpg.format ssh` and `git config user.signingkey ~/.ssh/id_ed25519.pub`, \
                 or write the file without --commit/--sign and commit it with `git commit -S`",
                if config.format.is_none() {
                    " is unset, so Git's default"
                } else {
                    ""
                }
            )));
        }
        let key = config
            .signing_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                Error::Usage(
                    "--sign needs an SSH key: run `git config user.signingkey ~/.ssh/id_ed25519.pub` \
                     (a key file, or `key::ssh-ed25519 AAAA…` for a key in ssh-agent); \
                     gpg.ssh.defaultKeyCommand is not supported"
                        .to_owned(),
                )
            })?;
        let program = config
            .program
            .clone()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| "ssh-keygen".to_owned());
        Ok(Self {
            program,
            key: key_source(key, home().as_deref()),
        })
    }

    /// Returns the armored SSH signature (`-----BEGIN SSH SIGNATURE-----`…,
    /// no trailing newline) of `payload` in the namespace `git`.
    pub fn sign(&self, payload: &[u8]) -> Result<String, Error> {
        let tmp = tempfile::Builder::new()
            .prefix("cardinal-sign-")
            .tempdir()
            .map_err(|source| Error::Write {
                path: std::env::temp_dir(),
                source,
            })?;
        let buffer = tmp.path().join("commit");
        std::fs::write(&buffer, payload).map_err(|source| Error::Write {
            path: buffer.clone(),
            source,
        })?;
        let mut cmd = Command::new(&self.program);
        cmd.args(["-Y", "sign", "-n", "git", "-f"]);
        match &self.key {
            KeySource::File(path) => {
                cmd.arg(path);
            }
            KeySource::Literal(key) => {
                let file = tmp.path().join("key.pub");
                std::fs::write(&file, format!("{key}\n")).map_err(|source| Error::Write {
                    path: file.clone(),
                    source,
                })?;
                // -U: the private key is in ssh-agent (what Git passes for
                // a literal key).
                cmd.arg(&file).arg("-U");
            }
        }
        cmd.arg(&buffer)
            .stdin(Stdio::inherit())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let output = cmd.output().map_err(|e| {
            Error::Usage(format!(
                "could not run `{}` to sign: {e} (install OpenSSH 8.2p1 or later, or set gpg.ssh.program)",
                self.program
            ))
        })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let why = if stderr.contains("usage:") {
                "`ssh-keygen -Y sign` needs OpenSSH 8.2p1 or later".to_owned()
            } else if stderr.trim().is_empty() {
                format!(
                    "`{}` exited with {} and printed nothing",
                    self.program, output.status
                )
            } else {
                stderr.trim().to_owned()
            };
            return Err(Error::Usage(format!(
                "signing with `{}` failed: {why}",
                self.describe_key()
            )));
        }
        let sig_path = tmp.path().join("commit.sig");
        let text = std::fs::read_to_string(&sig_path).map_err(|source| Error::Read {
            path: sig_path.clone(),
            source,
        })?;
        let text = text.replace('\r', "");
        let text = text.trim_end_matches('\n');
        if !text.starts_with(ARMOR_BEGIN) || !text.ends_with(ARMOR_END) {
            return Err(Error::Usage(format!(
                "`{}` did not write an SSH signature",
                self.program
            )));
        }
        Ok(text.to_owned())
    }

    /// Returns the key as the user configured it, for messages.
    pub fn describe_key(&self) -> String {
        match &self.key {
            KeySource::File(path) => path.display().to_string(),
            KeySource::Literal(key) => {
                let mut words = key.split_whitespace();
                let kind = words.next().unwrap_or_default();
                let blob = words.next().unwrap_or_default();
                let tail = blob.get(blob.len().saturating_sub(8)..).unwrap_or_default();
                format!("key::{kind} …{tail}")
            }
        }
    }
}

/// The user's home folder, for `~/` in key paths.
fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// Returns where `user.signingkey` points, as Git reads it for SSH.
fn key_source(value: &str, home: Option<&Path>) -> KeySource {
    if let Some(key) = value.strip_prefix("key::") {
        return KeySource::Literal(key.trim().to_owned());
    }
    // Git still accepts a bare public key line (deprecated form).
    if value.starts_with("ssh-") || value.starts_with("sk-ssh-") || value.starts_with("ecdsa-") {
        return KeySource::Literal(value.to_owned());
    }
    let path = match (value.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ if value == "~" => home.map_or_else(|| PathBuf::from(value), Path::to_path_buf),
        _ => PathBuf::from(value),
    };
    KeySource::File(path)
}

/// What an SSH signature says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInfo {
    /// The signer's key type (`ssh-ed25519`).
    pub key_type: String,
    /// The signer's public key blob, base64 as in `authorized_keys` lines.
    pub key_base64: String,
    /// The namespace signed in (`git`).
    pub namespace: String,
    /// The hash algorithm (`sha512`).
    pub hash: String,
    /// The signer's public key.
    key: PublicKey,
}

impl SignatureInfo {
    /// Returns the key's fingerprint as `ssh-keygen -l` prints it
    /// (`SHA256:` and unpadded base64).
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }

    /// Returns whether `line` (`ssh-ed25519 AAAA… comment`, as in
    /// `signing_keys`) is the signer's key.
    pub fn is_key(&self, line: &str) -> bool {
        crate::ssh::verify::parse_key(line).is_ok_and(|k| k.key_data() == self.key.key_data())
    }
}

/// Returns what an armored SSHSIG signature carries, or an error when it
/// is not one (the parser is the one commit verification uses).
pub fn signature_info(armored: &str) -> Result<SignatureInfo, Error> {
    let sig = crate::ssh::verify::parse_armored(armored).map_err(Error::Input)?;
    let key = PublicKey::from(sig.public_key().clone());
    let blob = key
        .to_bytes()
        .map_err(|e| Error::Input(format!("malformed SSH signature ({e})")))?;
    Ok(SignatureInfo {
        key_type: key.algorithm().as_str().to_owned(),
        key_base64: crate::ssh::verify::base64_encode(&blob),
        namespace: sig.namespace().to_owned(),
        hash: sig.hash_alg().as_str().to_owned(),
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_forms() {
        let home = Path::new("/home/u");
        assert_eq!(
            key_source("~/.ssh/id.pub", Some(home)),
            KeySource::File(PathBuf::from("/home/u/.ssh/id.pub"))
        );
        assert_eq!(
            key_source("key::ssh-ed25519 AAAAC3 me", Some(home)),
            KeySource::Literal("ssh-ed25519 AAAAC3 me".into())
        );
        assert_eq!(
            key_source("ssh-ed25519 AAAAC3", None),
            KeySource::Literal("ssh-ed25519 AAAAC3".into())
        );
        assert_eq!(key_source("/k", None), KeySource::File(PathBuf::from("/k")));
    }

    #[test]
    fn formats_other_than_ssh_are_refused() {
        for format in [None, Some("openpgp"), Some("x509")] {
            let config = SigningConfig {
                format: format.map(str::to_owned),
                signing_key: Some("/k".into()),
                program: None,
            };
            let err = SshSigner::from_config(&config).unwrap_err().to_string();
            assert!(err.contains("not supported"), "{err}");
        }
        let config = SigningConfig {
            format: Some("ssh".into()),
            ..SigningConfig::default()
        };
        assert!(
            SshSigner::from_config(&config)
                .unwrap_err()
                .to_string()
                .contains("user.signingkey")
        );
    }

    #[test]
    fn malformed_signatures_are_errors_not_panics() {
        for text in [
            "",
            "-----BEGIN SSH SIGNATURE-----\n!!!\n-----END SSH SIGNATURE-----",
            "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----",
            "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAf////8=\n-----END SSH SIGNATURE-----",
        ] {
            assert!(signature_info(text).is_err(), "{text}");
        }
    }
}
