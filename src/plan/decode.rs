//! Bytes → UTF-8 text: BOMs and UTF-16 (PowerShell's `>` writes UTF-16LE with a BOM), and the
//! recognisable wrong inputs (a binary plan file, human `terraform plan` output).

use std::borrow::Cow;

/// What the bytes turned out to be, before any JSON parsing.
pub enum Sniffed<'a> {
    /// Text that may be JSON, BOM removed, UTF-16 converted.
    Text(Cow<'a, [u8]>),
    /// Nothing but white space.
    Empty,
    /// A zip archive: the binary plan file `terraform plan -out` writes.
    Zip,
    /// Bytes that are not text (NUL bytes, invalid UTF-8 or UTF-16).
    Binary,
    /// UTF-16 (recognised by its byte order mark, or by every other byte being NUL) that does
    /// not decode: an odd number of bytes (the file is cut short), or a lone surrogate.
    BadUtf16 { bom: bool, odd_length: bool },
}

pub fn sniff(bytes: &[u8]) -> Sniffed<'_> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Sniffed::Zip;
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return text(Cow::Borrowed(rest));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, true, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, true, u16::from_be_bytes);
    }
    // UTF-16 without a BOM: every other byte of ASCII text is NUL.
    if bytes.len() >= 4 && bytes[1] == 0 && bytes[3] == 0 && bytes[0] != 0 {
        return utf16(bytes, false, u16::from_le_bytes);
    }
    if bytes.len() >= 4 && bytes[0] == 0 && bytes[2] == 0 && bytes[1] != 0 {
        return utf16(bytes, false, u16::from_be_bytes);
    }
    text(Cow::Borrowed(bytes))
}

fn text(bytes: Cow<'_, [u8]>) -> Sniffed<'_> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Sniffed::Empty;
    }
    // Only look for NUL in the head: a large file is checked by the JSON parser itself.
    let head = &bytes[..bytes.len().min(4096)];
    if head.contains(&0) {
        return Sniffed::Binary;
    }
    Sniffed::Text(bytes)
}

fn utf16(bytes: &[u8], bom: bool, unit: fn([u8; 2]) -> u16) -> Sniffed<'static> {
    if !bytes.len().is_multiple_of(2) {
        return Sniffed::BadUtf16 {
            bom,
            odd_length: true,
        };
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    match char::decode_utf16(units).collect::<Result<String, _>>() {
        Ok(s) => text(Cow::Owned(s.into_bytes())),
        Err(_) => Sniffed::BadUtf16 {
            bom,
            odd_length: false,
        },
    }
}

/// True when the text looks like what `terraform plan` prints for people.
pub fn looks_like_human_plan(text: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&text[..text.len().min(64 * 1024)]);
    const MARKERS: [&str; 8] = [
        "Terraform will perform the following actions",
        "Terraform used the selected providers",
        "OpenTofu will perform the following actions",
        "OpenTofu used the selected providers",
        "An execution plan has been generated",
        "No changes. Your infrastructure matches the configuration",
        "Refreshing state...",
        "Plan: ",
    ];
    MARKERS.iter().any(|m| head.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_text(s: Sniffed<'_>) -> String {
        match s {
            Sniffed::Text(t) => String::from_utf8(t.into_owned()).unwrap(),
            _ => panic!("not text"),
        }
    }

    #[test]
    fn utf8_bom_is_stripped() {
        assert_eq!(as_text(sniff(b"\xEF\xBB\xBF{}")), "{}");
    }

    #[test]
    fn utf16_le_and_be_with_bom_decode() {
        let le: Vec<u8> = [0xFF, 0xFE, b'{', 0, b'}', 0].to_vec();
        let be: Vec<u8> = [0xFE, 0xFF, 0, b'{', 0, b'}'].to_vec();
        assert_eq!(as_text(sniff(&le)), "{}");
        assert_eq!(as_text(sniff(&be)), "{}");
    }

    #[test]
    fn zip_empty_and_binary_are_recognised() {
        assert!(matches!(sniff(b"PK\x03\x04rest"), Sniffed::Zip));
        assert!(matches!(sniff(b"  \n"), Sniffed::Empty));
        assert!(matches!(sniff(b"\x7fELF\x00\x01"), Sniffed::Binary));
        assert!(matches!(
            sniff(&[0xFF, 0xFE, 0x00]),
            Sniffed::BadUtf16 {
                bom: true,
                odd_length: true
            }
        ));
        assert!(matches!(
            sniff(b"{\0\"\0x"),
            Sniffed::BadUtf16 {
                bom: false,
                odd_length: true
            }
        ));
        assert!(matches!(
            sniff(&[0xFF, 0xFE, b'{', 0, 0x00, 0xD8, b'}', 0]),
            Sniffed::BadUtf16 {
                bom: true,
                odd_length: false
            }
        ));
    }
}
