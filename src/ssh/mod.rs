//! SSH signatures of commits (OpenSSH's SSHSIG format, namespace `git`):
//! [`sign`] makes them as `git commit -S` does with `gpg.format = ssh`,
//! [`verify`] checks them against a member's own `signing_keys`. One
//! base64 codec and one armor serve both (in [`verify`]).

pub mod sign;
pub mod verify;
