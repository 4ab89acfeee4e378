//! Poster images uploaded by staff: which types are accepted and how they are recognised.

use sha2::{Digest, Sha256};

use super::Invalid;

/// The largest poster accepted: plenty for a 2000-pixel-high JPEG or WebP, small enough to
/// keep in the database and in one response.
pub const MAX_POSTER_BYTES: usize = 2 * 1024 * 1024;

/// The image types a browser shows everywhere; anything else (SVG in particular, which can
/// carry scripts) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PosterType {
    Png,
    Jpeg,
    Webp,
}

impl PosterType {
    /// The declared Content-Type, ignoring parameters and case; None if not accepted.
    pub fn from_content_type(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or("").trim();
        match essence.to_ascii_lowercase().as_str() {
            "image/png" => Some(Self::Png),
            "image/jpeg" => Some(Self::Jpeg),
            "image/webp" => Some(Self::Webp),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }

    /// Whether the bytes start like this type's files. The image is served with the declared
    /// type and `nosniff`, so a mislabelled file (HTML called PNG) must not get in.
    pub fn matches(self, bytes: &[u8]) -> bool {
        match self {
            Self::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            Self::Jpeg => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            Self::Webp => bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        }
    }

    /// Checks an upload's bytes against the declared type.
    pub fn check(self, bytes: &[u8]) -> Result<(), Invalid> {
        if bytes.is_empty() {
            return Err(Invalid::new("the poster is empty"));
        }
        if !self.matches(bytes) {
            return Err(Invalid::new(format!(
                "the body is not a {} image",
                self.content_type()
            )));
        }
        Ok(())
    }
}

/// A strong validator for the bytes: the first 128 bits of their SHA-256, in hex. The same
/// image uploaded again keeps its URL, so browsers keep their cached copy.
pub fn poster_etag(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where the shop loads an uploaded poster from. The etag in the query makes each version a
/// new URL, which is what lets the image be cached as immutable.
pub fn poster_url(movie_id: uuid::Uuid, etag: &str) -> String {
    format!("/api/v1/posters/{movie_id}?v={etag}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_are_read_without_parameters_or_case() {
        assert_eq!(
            PosterType::from_content_type("Image/PNG; charset=binary"),
            Some(PosterType::Png)
        );
        assert_eq!(PosterType::from_content_type("image/svg+xml"), None);
        assert_eq!(PosterType::from_content_type(""), None);
    }

    #[test]
    fn the_bytes_must_start_like_the_declared_type() {
        let png = b"\x89PNG\r\n\x1a\nrest";
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0];
        let webp = b"RIFF\x10\0\0\0WEBPVP8 ";
        assert!(PosterType::Png.check(png).is_ok());
        assert!(PosterType::Jpeg.check(&jpeg).is_ok());
        assert!(PosterType::Webp.check(webp).is_ok());
        assert!(PosterType::Png.check(&jpeg).is_err());
        assert!(PosterType::Webp.check(b"RIFF\0\0\0\0WAVE").is_err());
        assert!(PosterType::Jpeg.check(b"<html>").is_err());
        assert!(PosterType::Png.check(b"").is_err());
    }

    #[test]
    fn the_etag_follows_the_bytes() {
        assert_eq!(poster_etag(b"a"), poster_etag(b"a"));
        assert_ne!(poster_etag(b"a"), poster_etag(b"b"));
        assert_eq!(poster_etag(b"a").len(), 32);
    }
}
