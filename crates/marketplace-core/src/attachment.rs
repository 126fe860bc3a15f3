//! Customer files: attachments (documents a vendor or a customer user uploads) and avatars (a
//! customer's picture). The rules the service applies before storing a file: the allowed content
//! types, the size limits, the magic-byte check that a binary is what it declares, the file name
//! kept, the `Content-Disposition` of a download, the square an avatar is cropped to, and the
//! `q` filter of a list. Decoding images is the service's (core reads no image), but the pixel
//! budget of a decoded image is decided here.

use std::fmt::Write as _;

/// Largest attachment, in bytes (10 MiB).
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// Largest avatar upload, in bytes (5 MiB).
pub const MAX_AVATAR_BYTES: usize = 5 * 1024 * 1024;

/// Most pixels (width × height) an uploaded image may declare (40 Mpx): larger ones are refused
/// before decoding, so a small file cannot claim gigabytes of memory.
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// Width and height of a stored avatar, in pixels.
pub const AVATAR_SIDE: u32 = 500;

/// Longest kept file name, in characters.
pub const MAX_NAME_CHARS: usize = 255;

/// The name kept when an upload's name is empty once cleaned.
pub const DEFAULT_NAME: &str = "file";

/// A content type the service accepts for attachments (the images also for avatars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// `application/pdf`.
    Pdf,
    /// `image/png`.
    Png,
    /// `image/jpeg`.
    Jpeg,
    /// `image/webp`.
    Webp,
    /// `text/plain`.
    PlainText,
    /// `text/csv`.
    Csv,
    /// `application/json`.
    Json,
    /// `application/zip`.
    Zip,
    /// A Word document (OOXML).
    Docx,
    /// An Excel sheet (OOXML).
    Xlsx,
    /// A PowerPoint presentation (OOXML).
    Pptx,
}

impl FileKind {
    /// Every accepted kind, in the order the API documents them.
    pub const ALL: [FileKind; 11] = [
        Self::Pdf,
        Self::Png,
        Self::Jpeg,
        Self::Webp,
        Self::PlainText,
        Self::Csv,
        Self::Json,
        Self::Zip,
        Self::Docx,
        Self::Xlsx,
        Self::Pptx,
    ];

    /// The kind a declared content type names: parameters (`; charset=...`) ignored, case
    /// insensitive; `None` for a type the service does not take.
    pub fn parse(content_type: &str) -> Option<Self> {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        Self::ALL
            .into_iter()
            .find(|kind| kind.mime().eq_ignore_ascii_case(essence))
    }

    /// The canonical content type, as stored and served.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
            Self::PlainText => "text/plain",
            Self::Csv => "text/csv",
            Self::Json => "application/json",
            Self::Zip => "application/zip",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
        }
    }

    /// Whether this kind is text (checked as UTF-8, not by magic bytes).
    pub fn is_text(self) -> bool {
        matches!(self, Self::PlainText | Self::Csv | Self::Json)
    }

    /// Whether this kind may be an avatar (PNG, JPEG or WebP).
    pub fn is_image(self) -> bool {
        matches!(self, Self::Png | Self::Jpeg | Self::Webp)
    }

    /// Whether the bytes are what this kind declares: binaries by their magic bytes (OOXML files
    /// are ZIP containers, refused only when recognisably another OOXML kind), text as UTF-8
    /// (and JSON must parse).
    pub fn matches_content(self, bytes: &[u8]) -> bool {
        use infer::{archive, doc, image};
        match self {
            Self::Pdf => archive::is_pdf(bytes),
            Self::Png => image::is_png(bytes),
            Self::Jpeg => image::is_jpeg(bytes),
            Self::Webp => image::is_webp(bytes),
            Self::Zip => archive::is_zip(bytes),
            Self::Docx | Self::Xlsx | Self::Pptx => {
                let detected = [
                    (Self::Docx, doc::is_docx(bytes)),
                    (Self::Xlsx, doc::is_xlsx(bytes)),
                    (Self::Pptx, doc::is_pptx(bytes)),
                ];
                archive::is_zip(bytes) && detected.iter().all(|&(kind, seen)| !seen || kind == self)
            }
            Self::PlainText | Self::Csv => std::str::from_utf8(bytes).is_ok(),
            Self::Json => serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok(),
        }
    }
}

/// Why a file is refused; each has a stable code (the service picks the HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The declared content type is not one the endpoint takes (415).
    #[error("this content type is not accepted")]
    UnsupportedType,
    /// The file is over the endpoint's limit (413).
    #[error("the file is over {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The bytes are not what the declared content type says (422).
    #[error("the content does not match its declared type")]
    ContentMismatch,
    /// An avatar that does not decode as its declared type, or whose size is empty or over
    /// [`MAX_IMAGE_PIXELS`] (422).
    #[error("the image does not decode as its declared type within 40 megapixels")]
    InvalidImage,
}

impl FileError {
    /// The stable machine code.
    pub fn code(self) -> &'static str {
        match self {
            Self::UnsupportedType => "unsupported_media_type",
            Self::TooLarge { .. } => "payload_too_large",
            Self::ContentMismatch => "content_mismatch",
            Self::InvalidImage => "invalid_image",
        }
    }
}

/// The kind of an attachment from its declared content type (`UnsupportedType` otherwise).
pub fn attachment_kind(content_type: &str) -> Result<FileKind, FileError> {
    FileKind::parse(content_type).ok_or(FileError::UnsupportedType)
}

/// The kind of an avatar from its declared content type: PNG, JPEG or WebP.
pub fn avatar_kind(content_type: &str) -> Result<FileKind, FileError> {
    FileKind::parse(content_type)
        .filter(|kind| kind.is_image())
        .ok_or(FileError::UnsupportedType)
}

/// Most bytes of an uploaded integration icon (512 KiB).
pub const MAX_ICON_BYTES: usize = 512 * 1024;

/// Side of the square a raster icon is fitted into, transparent around (256 pixels).
pub const ICON_SIDE: u32 = 256;

/// An uploaded integration icon, by its declared content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconKind {
    /// PNG or WebP: decoded, fitted into [`ICON_SIDE`] and stored as PNG.
    Raster(FileKind),
    /// `image/svg+xml`: sanitised (no script, style, link or external reference) and stored as SVG.
    Svg,
}

/// The kind of an icon from its declared content type: PNG, WebP or SVG (`UnsupportedType`
/// otherwise).
pub fn icon_kind(content_type: &str) -> Result<IconKind, FileError> {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("image/svg+xml") {
        return Ok(IconKind::Svg);
    }
    match FileKind::parse(content_type) {
        Some(kind @ (FileKind::Png | FileKind::Webp)) => Ok(IconKind::Raster(kind)),
        _ => Err(FileError::UnsupportedType),
    }
}

/// How a stored icon is served: PNG (every raster upload) or sanitised SVG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredIcon {
    /// `image/png`.
    Png,
    /// `image/svg+xml`.
    Svg,
}

impl StoredIcon {
    /// The file extension of its URL.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Svg => "svg",
        }
    }

    /// Its content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Svg => "image/svg+xml",
        }
    }

    /// The file name an icon is served at: its content's SHA-256 (hex) and extension, so the
    /// URL changes with the content and may be cached for ever.
    pub fn file_name(self, sha256: &str) -> String {
        format!("{sha256}.{}", self.extension())
    }

    /// The SHA-256 and kind a served file name names (`None`: not an icon's name).
    pub fn parse_file_name(name: &str) -> Option<(&str, StoredIcon)> {
        let (sha256, extension) = name.rsplit_once('.')?;
        let kind = match extension {
            "png" => Self::Png,
            "svg" => Self::Svg,
            _ => return None,
        };
        let is_hash = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        is_hash.then_some((sha256, kind))
    }
}

/// Checks a size against a limit (`TooLarge` over it).
pub fn check_size(len: usize, limit: usize) -> Result<(), FileError> {
    if len > limit {
        Err(FileError::TooLarge { limit })
    } else {
        Ok(())
    }
}

/// Checks a whole attachment: its size, then its bytes against its declared kind.
pub fn check_attachment(kind: FileKind, bytes: &[u8]) -> Result<(), FileError> {
    check_size(bytes.len(), MAX_ATTACHMENT_BYTES)?;
    if kind.matches_content(bytes) {
        Ok(())
    } else {
        Err(FileError::ContentMismatch)
    }
}

/// Checks the size an image declares before it is decoded: not empty, at most
/// [`MAX_IMAGE_PIXELS`].
pub fn check_image_size(width: u32, height: u32) -> Result<(), FileError> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels == 0 || pixels > MAX_IMAGE_PIXELS {
        Err(FileError::InvalidImage)
    } else {
        Ok(())
    }
}

/// A square region of an image: its top-left corner and its side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Square {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Side, in pixels.
    pub side: u32,
}

/// The largest square centred in a `width` × `height` image (an avatar's crop before resizing).
pub fn centre_square(width: u32, height: u32) -> Square {
    let side = width.min(height);
    Square {
        x: (width - side) / 2,
        y: (height - side) / 2,
        side,
    }
}

/// The name an upload is kept under: the last segment of any path (`/` or `\`), without
/// control characters, trimmed, at most [`MAX_NAME_CHARS`] characters; [`DEFAULT_NAME`] when
/// nothing (or only `.`/`..`) is left.
pub fn file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    let kept: String = cleaned.trim().chars().take(MAX_NAME_CHARS).collect();
    let kept = kept.trim_end().to_owned();
    if kept.is_empty() || kept == "." || kept == ".." {
        DEFAULT_NAME.to_owned()
    } else {
        kept
    }
}

/// The `Content-Disposition` of a download: `attachment; filename*=UTF-8''<name>`, the name
/// percent-encoded outside RFC 5987's `attr-char`.
pub fn content_disposition(name: &str) -> String {
    format!("attachment; filename*=UTF-8''{}", rfc5987_encode(name))
}

/// Percent-encodes every byte of the UTF-8 text that is not an RFC 5987 `attr-char`
/// (`ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"`).
pub fn rfc5987_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let attr_char = byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte);
        if attr_char {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Whether a file's name matches a list's `q` filter: a case-insensitive substring; an absent
/// or blank `q` matches everything.
pub fn matches_query(name: &str, q: Option<&str>) -> bool {
    match q.map(str::trim).filter(|q| !q.is_empty()) {
        None => true,
        Some(q) => name.to_lowercase().contains(&q.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0";
    const WEBP: &[u8] = b"RIFF\x24\0\0\0WEBPVP8 ";
    const PDF: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
    const ZIP: &[u8] = b"PK\x03\x04\x14\0\0\0\x08\0";

    #[test]
    fn declared_types_parse_without_parameters_and_case() {
        for (declared, expected) in [
            ("application/pdf", Some(FileKind::Pdf)),
            ("IMAGE/PNG", Some(FileKind::Png)),
            ("image/jpeg; quality=high", Some(FileKind::Jpeg)),
            (" image/webp ", Some(FileKind::Webp)),
            ("text/plain; charset=utf-8", Some(FileKind::PlainText)),
            ("text/CSV", Some(FileKind::Csv)),
            ("application/json", Some(FileKind::Json)),
            ("application/zip", Some(FileKind::Zip)),
            (
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                Some(FileKind::Docx),
            ),
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                Some(FileKind::Xlsx),
            ),
            (
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                Some(FileKind::Pptx),
            ),
            ("image/gif", None),
            ("image/jpg", None),
            ("text/html", None),
            ("application/octet-stream", None),
            ("application/x-msdownload", None),
            ("", None),
            ("image/png/extra", None),
        ] {
            assert_eq!(FileKind::parse(declared), expected, "{declared:?}");
        }
        for kind in FileKind::ALL {
            assert_eq!(FileKind::parse(kind.mime()), Some(kind));
        }
    }

    #[test]
    fn avatars_take_only_images() {
        assert_eq!(avatar_kind("image/png"), Ok(FileKind::Png));
        assert_eq!(avatar_kind("image/webp"), Ok(FileKind::Webp));
        assert_eq!(avatar_kind("Image/JPEG"), Ok(FileKind::Jpeg));
        assert_eq!(
            avatar_kind("application/pdf"),
            Err(FileError::UnsupportedType)
        );
        assert_eq!(avatar_kind("image/gif"), Err(FileError::UnsupportedType));
        assert_eq!(
            attachment_kind("text/html"),
            Err(FileError::UnsupportedType)
        );
    }

    #[test]
    fn content_must_match_its_declared_kind() {
        use FileKind::*;
        for (kind, bytes, ok) in [
            (Pdf, PDF, true),
            (Pdf, PNG, false),
            (Png, PNG, true),
            (Png, b"just some text".as_slice(), false),
            (Png, JPEG, false),
            (Jpeg, JPEG, true),
            (Jpeg, PNG, false),
            (Webp, WEBP, true),
            (Webp, b"RIFF\x24\0\0\0WAVEfmt ".as_slice(), false),
            (Zip, ZIP, true),
            (Zip, PDF, false),
            (Docx, ZIP, true),
            (Xlsx, ZIP, true),
            (Pptx, PDF, false),
            (PlainText, "héllo wörld\n".as_bytes(), true),
            (PlainText, b"\xFF\xFE\x00bad".as_slice(), false),
            (Csv, b"a,b\n1,2\n".as_slice(), true),
            (Csv, PNG, false),
            (Json, br#"{"a": [1, 2]}"#.as_slice(), true),
            (Json, b"{not json".as_slice(), false),
            (Json, b"".as_slice(), false),
            (Pdf, b"".as_slice(), false),
        ] {
            assert_eq!(kind.matches_content(bytes), ok, "{kind:?} {bytes:?}");
        }
        assert_eq!(check_attachment(Pdf, PNG), Err(FileError::ContentMismatch));
        assert_eq!(check_attachment(Png, PNG), Ok(()));
    }

    #[test]
    fn a_recognised_ooxml_kind_must_be_the_declared_one() {
        // A ZIP whose first entry is `word/...`: infer recognises a Word document.
        let mut docx = b"PK\x03\x04".to_vec();
        docx.extend([0u8; 26]);
        docx.extend(b"word/document.xml");
        docx.extend([0u8; 64]);
        assert!(infer::doc::is_docx(&docx));
        assert!(FileKind::Docx.matches_content(&docx));
        assert!(FileKind::Zip.matches_content(&docx));
        assert!(!FileKind::Xlsx.matches_content(&docx));
        assert!(!FileKind::Pptx.matches_content(&docx));
    }

    #[test]
    fn sizes_and_pixels_have_limits() {
        assert_eq!(check_size(MAX_AVATAR_BYTES, MAX_AVATAR_BYTES), Ok(()));
        assert_eq!(
            check_size(MAX_AVATAR_BYTES + 1, MAX_AVATAR_BYTES),
            Err(FileError::TooLarge {
                limit: MAX_AVATAR_BYTES
            })
        );
        let big = vec![b'a'; MAX_ATTACHMENT_BYTES + 1];
        assert_eq!(
            check_attachment(FileKind::PlainText, &big),
            Err(FileError::TooLarge {
                limit: MAX_ATTACHMENT_BYTES
            })
        );
        for (w, h, ok) in [
            (500, 500, true),
            (8000, 5000, true),
            (8000, 5001, false),
            (100_000, 100_000, false),
            (u32::MAX, u32::MAX, false),
            (0, 10, false),
            (1, 1, true),
        ] {
            assert_eq!(check_image_size(w, h).is_ok(), ok, "{w}x{h}");
        }
    }

    #[test]
    fn errors_have_stable_codes() {
        assert_eq!(FileError::UnsupportedType.code(), "unsupported_media_type");
        assert_eq!(FileError::TooLarge { limit: 1 }.code(), "payload_too_large");
        assert_eq!(FileError::ContentMismatch.code(), "content_mismatch");
        assert_eq!(FileError::InvalidImage.code(), "invalid_image");
    }

    #[test]
    fn the_centre_square_is_cropped() {
        assert_eq!(
            centre_square(500, 500),
            Square {
                x: 0,
                y: 0,
                side: 500
            }
        );
        assert_eq!(
            centre_square(300, 100),
            Square {
                x: 100,
                y: 0,
                side: 100
            }
        );
        assert_eq!(
            centre_square(100, 301),
            Square {
                x: 0,
                y: 100,
                side: 100
            }
        );
        assert_eq!(
            centre_square(1, 2),
            Square {
                x: 0,
                y: 0,
                side: 1
            }
        );
    }

    #[test]
    fn file_names_are_cleaned() {
        let long = "a".repeat(300);
        for (raw, kept) in [
            ("report.pdf", "report.pdf"),
            ("C:\\Users\\me\\report.pdf", "report.pdf"),
            ("../../etc/passwd", "passwd"),
            ("dir/", "file"),
            ("", "file"),
            ("  ", "file"),
            ("..", "file"),
            ("bad\u{0}\r\nname\u{7f}.txt", "badname.txt"),
            ("  spaced name.txt  ", "spaced name.txt"),
            ("résumé 2024.pdf", "résumé 2024.pdf"),
        ] {
            assert_eq!(file_name(raw), kept, "{raw:?}");
        }
        assert_eq!(file_name(&long).chars().count(), MAX_NAME_CHARS);
        let wide = "é".repeat(300);
        assert_eq!(file_name(&wide).chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn content_disposition_encodes_outside_attr_char() {
        for (name, header) in [
            ("report.pdf", "attachment; filename*=UTF-8''report.pdf"),
            ("a b.txt", "attachment; filename*=UTF-8''a%20b.txt"),
            (
                "résumé.pdf",
                "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
            ),
            (
                "q\"uote';,=%.csv",
                "attachment; filename*=UTF-8''q%22uote%27%3B%2C%3D%25.csv",
            ),
            ("!#$&+-.^_`|~", "attachment; filename*=UTF-8''!#$&+-.^_`|~"),
            ("日本", "attachment; filename*=UTF-8''%E6%97%A5%E6%9C%AC"),
        ] {
            assert_eq!(content_disposition(name), header, "{name:?}");
        }
    }

    #[test]
    fn the_query_is_a_case_insensitive_substring() {
        for (name, q, ok) in [
            ("Invoice-2024.pdf", None, true),
            ("Invoice-2024.pdf", Some(""), true),
            ("Invoice-2024.pdf", Some("  "), true),
            ("Invoice-2024.pdf", Some("invoice"), true),
            ("Invoice-2024.pdf", Some("2024.PDF"), true),
            ("Invoice-2024.pdf", Some("receipt"), false),
            ("Ärger.txt", Some("ärger"), true),
        ] {
            assert_eq!(matches_query(name, q), ok, "{name} {q:?}");
        }
    }

    #[test]
    fn icons_are_png_webp_or_svg_named_by_their_hash() {
        assert_eq!(icon_kind("image/png"), Ok(IconKind::Raster(FileKind::Png)));
        assert_eq!(
            icon_kind("image/webp"),
            Ok(IconKind::Raster(FileKind::Webp))
        );
        assert_eq!(icon_kind("Image/SVG+xml; charset=utf-8"), Ok(IconKind::Svg));
        for refused in ["image/jpeg", "text/html", "application/pdf", ""] {
            assert_eq!(
                icon_kind(refused),
                Err(FileError::UnsupportedType),
                "{refused}"
            );
        }
        let sha = "ab".repeat(32);
        let name = StoredIcon::Svg.file_name(&sha);
        assert_eq!(
            StoredIcon::parse_file_name(&name),
            Some((sha.as_str(), StoredIcon::Svg))
        );
        assert_eq!(
            StoredIcon::parse_file_name(&format!("{sha}.png")),
            Some((sha.as_str(), StoredIcon::Png))
        );
        for bad in [
            format!("{sha}.gif"),
            format!("{}.png", "AB".repeat(32)),
            "x.png".into(),
            sha.clone(),
        ] {
            assert_eq!(StoredIcon::parse_file_name(&bad), None, "{bad}");
        }
    }
}
