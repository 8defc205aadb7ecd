//! `multipart/form-data` request bodies (RFC 7578), for profile images and logos.

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The `name` of the form field.
    pub name: String,
    /// The `filename`, for file parts.
    pub filename: Option<String>,
    /// The part's `Content-Type`, if given.
    pub content_type: Option<String>,
    /// The part's bytes.
    pub data: Vec<u8>,
}

/// The boundary parameter of a `multipart/form-data` content type, if it is one.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut pieces = content_type.split(';');
    let media_type = pieces.next()?.trim();
    if !media_type.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    pieces.find_map(|piece| {
        let (key, value) = piece.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_string())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len()).find(|&i| &haystack[i..i + needle.len()] == needle)
}

/// A parameter (`name="x"`) of a `Content-Disposition` header value.
fn disposition_param(value: &str, key: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|piece| {
        let (k, v) = piece.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Splits a multipart body into its parts.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut position = find(body, &delimiter, 0).ok_or("multipart boundary not found")?;
    let mut parts = Vec::new();
    loop {
        position += delimiter.len();
        if body[position..].starts_with(b"--") {
            return Ok(parts);
        }
        if !body[position..].starts_with(b"\r\n") {
            return Err("multipart boundary not followed by CRLF".into());
        }
        position += 2;
        let head_end =
            find(body, b"\r\n\r\n", position).ok_or("multipart part without headers end")?;
        let head = std::str::from_utf8(&body[position..head_end])
            .map_err(|_| "multipart headers are not UTF-8")?;
        let data_start = head_end + 4;
        let mut next_delimiter = b"\r\n".to_vec();
        next_delimiter.extend_from_slice(&delimiter);
        let data_end =
            find(body, &next_delimiter, data_start).ok_or("multipart part not terminated")?;
        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in head.split("\r\n") {
            let Some((header, value)) = line.split_once(':') else {
                continue;
            };
            if header.trim().eq_ignore_ascii_case("content-disposition") {
                name = disposition_param(value, "name");
                filename = disposition_param(value, "filename");
            } else if header.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(value.trim().to_string());
            }
        }
        parts.push(Part {
            name: name.ok_or("multipart part without a name")?,
            filename,
            content_type,
            data: body[data_start..data_end].to_vec(),
        });
        position = data_end + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_file_and_a_field() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"uploader_user_id\"\r\n\r\nuser_1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x00\r\n--XyZ--\r\n";
        let parts = parse(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "uploader_user_id");
        assert_eq!(parts[0].data, b"user_1");
        assert_eq!(parts[1].filename.as_deref(), Some("a.png"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[1].data, b"\x89PNG\r\n\x00");
    }

    #[test]
    fn reads_the_boundary() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary("application/json"), None);
    }

    #[test]
    fn rejects_a_body_without_the_boundary() {
        assert!(parse(b"hello", "XyZ").is_err());
    }
}
