//! Cryptography at rest and for credentials: AES-256-GCM sealing of configs, SHA-256 of API
//! keys, random secrets. All from aws-lc-rs, the same library that verifies tokens.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use std::fmt;
use std::path::Path;

/// The 32-byte master key that seals configs; `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

/// Why a master key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The given key is not 32 bytes of base64.
    #[error("the master key must be 32 bytes, base64-encoded")]
    Malformed,
    /// The key file could not be read or written.
    #[error("master key file {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl MasterKey {
    /// Decodes a base64 key.
    pub fn from_base64(s: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD.decode(s.trim()).map_err(|_| KeyError::Malformed)?;
        bytes
            .try_into()
            .map(MasterKey)
            .map_err(|_| KeyError::Malformed)
    }

    /// A new random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes);
        MasterKey(bytes)
    }

    /// Reads a key file; `None` when there is none.
    pub fn load(path: &Path) -> Result<Option<Self>, KeyError> {
        match std::fs::read_to_string(path) {
            Ok(s) => Self::from_base64(&s).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(KeyError::File {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// Reads the key file, or creates it (mode 0600) with a new random key.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        if let Some(key) = Self::load(path)? {
            return Ok(key);
        }
        let key = Self::generate();
        write_private(path, STANDARD.encode(key.0).as_bytes()).map_err(|source| {
            KeyError::File {
                path: path.display().to_string(),
                source,
            }
        })?;
        Ok(key)
    }
}

/// Copies a key file to `to`, created with mode 0600 (never over an existing file).
pub fn copy_key_file(from: &Path, to: &Path) -> Result<(), KeyError> {
    let contents = std::fs::read(from).map_err(|source| KeyError::File {
        path: from.display().to_string(),
        source,
    })?;
    write_private(to, &contents).map_err(|source| KeyError::File {
        path: to.display().to_string(),
        source,
    })
}

/// Replaces the key file `to` with `from` (an atomic rename, made durable).
pub fn replace_key_file(from: &Path, to: &Path) -> Result<(), KeyError> {
    let file_error = |source| KeyError::File {
        path: to.display().to_string(),
        source,
    };
    std::fs::rename(from, to).map_err(file_error)?;
    let folder = to.parent().filter(|p| !p.as_os_str().is_empty());
    std::fs::File::open(folder.unwrap_or(Path::new(".")))
        .and_then(|dir| dir.sync_all())
        .map_err(file_error)
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Seals and opens values with AES-256-GCM; each blob is `nonce || ciphertext || tag`, bound to
/// the record it belongs to (associated data), so a blob moved to another row does not open.
///
/// It seals with the current master key and opens with it or with any previous key (a key
/// ring): during a rotation, values sealed under the old key keep opening until
/// `rotate-master-key` has re-sealed them (docs/operations.md).
pub struct Sealer {
    key: LessSafeKey,
    previous: Vec<LessSafeKey>,
}

/// Which key of a [`Sealer`] opened a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenedWith {
    /// The current master key.
    Current,
    /// A previous key: the value should be re-sealed.
    Previous,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

impl Sealer {
    /// A sealer for the master key.
    pub fn new(key: &MasterKey) -> Self {
        Self::with_previous(key, &[])
    }

    /// A sealer that seals with `key` and also opens values sealed with the `previous` keys.
    pub fn with_previous(key: &MasterKey, previous: &[MasterKey]) -> Self {
        let aead = |key: &MasterKey| {
            LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key.0).expect("32-byte AES-256 key"))
        };
        Sealer {
            key: aead(key),
            previous: previous.iter().map(aead).collect(),
        }
    }

    /// Encrypts `plaintext` for the record named by `context`.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce);
        let mut buffer = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buffer,
            )
            .expect("AES-GCM sealing does not fail for in-memory buffers");
        let mut out = Vec::with_capacity(NONCE_LEN + buffer.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buffer);
        out
    }

    /// Decrypts a blob sealed for `context`; `None` if it was tampered with or moved, or sealed
    /// under a key this sealer does not hold.
    pub fn open(&self, context: &str, blob: &[u8]) -> Option<Vec<u8>> {
        self.open_telling(context, blob).map(|(plain, _)| plain)
    }

    /// [`Sealer::open`], also telling which key opened the blob.
    pub fn open_telling(&self, context: &str, blob: &[u8]) -> Option<(Vec<u8>, OpenedWith)> {
        if blob.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let attempt = |key: &LessSafeKey| {
            let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
            let mut buffer = sealed.to_vec();
            let plain = key
                .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buffer)
                .ok()?;
            Some(plain.to_vec())
        };
        if let Some(plain) = attempt(&self.key) {
            return Some((plain, OpenedWith::Current));
        }
        self.previous
            .iter()
            .find_map(attempt)
            .map(|plain| (plain, OpenedWith::Previous))
    }

    /// Seals a JSON value.
    pub fn seal_json(&self, context: &str, value: &serde_json::Value) -> Vec<u8> {
        self.seal(context, &serde_json::to_vec(value).unwrap_or_default())
    }

    /// Opens a JSON value.
    pub fn open_json(&self, context: &str, blob: &[u8]) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.open(context, blob)?).ok()
    }
}

/// Fills a buffer from the system's secure random generator.
pub fn fill_random(buffer: &mut [u8]) {
    SystemRandom::new()
        .fill(buffer)
        .expect("the system random generator works");
}

/// A random URL-safe secret of `bytes` bytes of entropy.
pub fn random_secret(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    fill_random(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

/// SHA-256 of a string, hex-encoded (the stored form of API keys and token cache keys).
pub fn sha256_hex(input: &str) -> String {
    sha256_hex_bytes(input.as_bytes())
}

/// SHA-256 of bytes, hex-encoded (files: attachments and avatars).
pub fn sha256_hex_bytes(input: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, input);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_round_trips_and_binds_the_context() {
        let key = MasterKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        let sealer = Sealer::new(&key);
        let blob = sealer.seal("instance:a", b"hunter2");
        assert!(!blob.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(sealer.open("instance:a", &blob).unwrap(), b"hunter2");
        assert!(sealer.open("instance:b", &blob).is_none());
        let mut tampered = blob.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(sealer.open("instance:a", &tampered).is_none());
        assert_ne!(
            sealer.seal("instance:a", b"x"),
            sealer.seal("instance:a", b"x"),
            "nonces differ"
        );
        assert!(MasterKey::from_base64("short").is_err());
        assert_eq!(format!("{key:?}"), "MasterKey([redacted])");
    }

    #[test]
    fn a_key_ring_opens_values_of_previous_keys_and_seals_with_the_current_one() {
        let old = MasterKey::from_base64(&STANDARD.encode([1u8; 32])).unwrap();
        let new = MasterKey::from_base64(&STANDARD.encode([2u8; 32])).unwrap();
        let under_old = Sealer::new(&old).seal("instance:a", b"v1");
        let ring = Sealer::with_previous(&new, std::slice::from_ref(&old));
        assert_eq!(
            ring.open_telling("instance:a", &under_old),
            Some((b"v1".to_vec(), OpenedWith::Previous))
        );
        assert!(ring.open("instance:b", &under_old).is_none(), "still bound");
        let under_new = ring.seal("instance:a", b"v2");
        assert_eq!(
            ring.open_telling("instance:a", &under_new),
            Some((b"v2".to_vec(), OpenedWith::Current))
        );
        assert!(
            Sealer::new(&old).open("instance:a", &under_new).is_none(),
            "the old key alone does not open what the new one sealed"
        );
        assert!(Sealer::new(&new).open("instance:a", &under_old).is_none());
    }

    #[test]
    fn hashes_are_sha256() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(random_secret(32).len(), 43);
    }
}
