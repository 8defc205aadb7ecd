//! A small hand-rolled HTTP/1.1 server: keep-alive, `Content-Length` and chunked
//! request bodies. Hand-rolled (rather than a crate) so that fault injection can
//! reset or truncate a connection at will and connections can be counted exactly.
//!
//! Framing is strict, as RFC 9112 section 6.3 asks of a server: a request with both
//! `Content-Length` and `Transfer-Encoding`, a `Content-Length` that is not `1*DIGIT`
//! (or several that differ), a `Transfer-Encoding` other than a final `chunked`, or a
//! bad chunk line is refused and the connection closed, so that no byte after an
//! ambiguous body is ever read as the next request. Every read and write runs under a
//! deadline, and request bodies are charged to a [`Budget`] shared by all connections.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Upper bound for the request line plus headers (and, separately, for the chunk-size
/// lines plus trailers of one chunked body).
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Upper bound for one chunk-size line, extensions included.
const MAX_CHUNK_LINE_BYTES: usize = 4 * 1024 + 64;
/// Upper bound for all chunk extensions of one body together.
const MAX_CHUNK_EXTENSION_BYTES: usize = 4 * 1024;
/// A refused connection is drained for at most this long before it is closed, so that
/// the peer reads the refusal instead of a reset.
const LINGER: Duration = Duration::from_millis(500);
/// ... and at most this many bytes.
const LINGER_BYTES: usize = 256 * 1024;

/// Request-body bytes buffered across all connections, against a limit.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    used: AtomicUsize,
}

impl Budget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Budget {
        Budget {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    /// Bytes reserved right now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::SeqCst)
    }

    /// An empty reservation, to grow.
    pub fn reservation(&self) -> Reservation<'_> {
        Reservation {
            budget: self,
            bytes: 0,
        }
    }
}

/// Bytes taken from a [`Budget`]; given back on drop.
#[derive(Debug)]
pub struct Reservation<'a> {
    budget: &'a Budget,
    bytes: usize,
}

impl Reservation<'_> {
    /// Grows the reservation to `bytes`; false (and unchanged) when the budget lacks room.
    fn grow_to(&mut self, bytes: usize) -> bool {
        let Some(extra) = bytes.checked_sub(self.bytes) else {
            return true;
        };
        let limit = self.budget.limit;
        let taken = self
            .budget
            .used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(extra).filter(|total| *total <= limit)
            })
            .is_ok();
        if taken {
            self.bytes = bytes;
        }
        taken
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

/// A socket whose reads and writes fail with `TimedOut` once `deadline` has passed:
/// each call waits at most for the time left, so a peer that trickles bytes cannot
/// stretch a request (or a response) beyond its deadline.
#[derive(Debug)]
pub struct TimedStream {
    stream: TcpStream,
    /// When reads and writes stop waiting.
    pub deadline: Instant,
}

impl TimedStream {
    /// Wraps a socket; the deadline is now until set.
    pub fn new(stream: TcpStream) -> TimedStream {
        TimedStream {
            stream,
            deadline: Instant::now(),
        }
    }

    /// The socket.
    pub fn get_ref(&self) -> &TcpStream {
        &self.stream
    }

    fn time_left(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(io::ErrorKind::TimedOut.into())
        } else {
            Ok(left)
        }
    }
}

impl Read for TimedStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.time_left()?;
        self.stream.set_read_timeout(Some(left))?;
        self.stream.read(buf)
    }
}

impl Write for TimedStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = self.time_left()?;
        self.stream.set_write_timeout(Some(left))?;
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// The reading half of a connection.
pub type Reader = BufReader<TimedStream>;

/// Whether an I/O error is a deadline passing (a socket timeout reads as `WouldBlock`).
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// Half-closes, then reads and discards what the peer still sends (bounded in time and
/// bytes) so that closing does not reset the connection under an unread answer.
pub fn linger_close(reader: &mut Reader) {
    let _ = reader.get_ref().get_ref().shutdown(Shutdown::Write);
    reader.get_mut().deadline = Instant::now() + LINGER;
    let mut drained = 0;
    while drained < LINGER_BYTES {
        match reader.fill_buf() {
            Ok([]) | Err(_) => break,
            Ok(buffer) => {
                let n = buffer.len();
                reader.consume(n);
                drained += n;
            }
        }
    }
    let _ = reader.get_ref().get_ref().shutdown(Shutdown::Both);
}

/// One parsed HTTP request.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method, upper case as sent (`GET`).
    pub method: String,
    /// The request target as sent, still percent-encoded (`/v1/users?limit=2`).
    pub target: String,
    /// The HTTP version as sent (`HTTP/1.1`).
    pub version: String,
    /// The percent-decoded path, without the query string (`/v1/users/user_123`).
    pub path: String,
    /// The raw path segments, each percent-decoded separately (so an encoded `/`
    /// inside an id stays inside its segment).
    pub segments: Vec<String>,
    /// Query parameters in order, percent-decoded (`a=1&a=2` gives two entries).
    pub query: Vec<(String, String)>,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// The request body (de-chunked).
    pub body: Vec<u8>,
    /// Whether the client asked to keep the connection open.
    pub keep_alive: bool,
}

impl Request {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP response to write.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra headers (Content-Length and Connection are added when written).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response.
    pub fn json(status: u16, body: &serde_json::Value) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    /// A response without a body (204, 202).
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A request the server will not serve: answer `status` with a Clerk error and close.
#[derive(Debug)]
pub struct Refusal {
    /// The status to answer.
    pub status: u16,
    /// The Clerk error code.
    pub code: &'static str,
    /// What was wrong (the error's `long_message`).
    pub message: String,
}

/// Why reading a request stopped.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed the connection cleanly between requests.
    Closed,
    /// The request deadline passed before the whole request arrived: answer 408, close.
    TimedOut,
    /// The request is malformed, ambiguous or too large: answer and close.
    Refused(Refusal),
    /// An I/O error (reset, EOF mid-request); just close.
    Io,
}

impl From<io::Error> for ReadError {
    fn from(error: io::Error) -> Self {
        if is_timeout(&error) {
            ReadError::TimedOut
        } else {
            ReadError::Io
        }
    }
}

fn refuse(status: u16, code: &'static str, message: impl Into<String>) -> ReadError {
    ReadError::Refused(Refusal {
        status,
        code,
        message: message.into(),
    })
}

fn malformed(message: impl Into<String>) -> ReadError {
    refuse(400, "malformed_request", message)
}

fn too_large(message: impl Into<String>) -> ReadError {
    refuse(413, "request_too_large", message)
}

/// The answer when the shared body budget is used up (transient: retry).
pub fn busy_refusal(message: impl Into<String>) -> Refusal {
    Refusal {
        status: 503,
        code: "emulator_busy",
        message: message.into(),
    }
}

/// Reads one line through its LF, of at most `limit` bytes. `Ok(None)` at a clean EOF
/// before any byte; `Err(Io)` at an EOF inside the line; `on_long` when too long.
fn read_raw_line(
    reader: &mut Reader,
    limit: usize,
    on_long: impl FnOnce() -> ReadError,
) -> Result<Option<Vec<u8>>, ReadError> {
    let mut line = Vec::new();
    let n = reader
        .by_ref()
        .take(limit as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if n > limit {
        return Err(on_long());
    }
    if !line.ends_with(b"\n") {
        return Err(ReadError::Io);
    }
    Ok(Some(line))
}

/// One line of the request head, charged to `budget`: LF or CRLF terminated (RFC 9112
/// section 2.2 lets a server accept a bare LF there), no other CR, UTF-8.
fn read_head_line(reader: &mut Reader, budget: &mut usize) -> Result<Option<String>, ReadError> {
    let Some(mut line) = read_raw_line(reader, *budget, || {
        refuse(
            431,
            "request_head_too_large",
            format!("the request line and headers exceed {MAX_HEAD_BYTES} bytes"),
        )
    })?
    else {
        return Ok(None);
    };
    *budget -= line.len();
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if line.contains(&b'\r') {
        return Err(malformed("a bare CR in the request head"));
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| malformed("the request head is not UTF-8"))
}

/// One line of a chunked body (size line or trailer), charged to `budget`: CRLF
/// terminated, no other CR or LF.
fn read_chunk_line(reader: &mut Reader, budget: &mut usize) -> Result<String, ReadError> {
    let limit = (*budget).min(MAX_CHUNK_LINE_BYTES);
    let line = read_raw_line(reader, limit, || {
        malformed(format!(
            "a chunk-size or trailer line longer than {limit} bytes"
        ))
    })?
    .ok_or(ReadError::Io)?;
    *budget -= line.len();
    let Some(content) = line.strip_suffix(b"\r\n") else {
        return Err(malformed("a chunk line not ended by CRLF"));
    };
    if content.contains(&b'\r') || content.contains(&b'\n') {
        return Err(malformed("a bare CR in a chunk line"));
    }
    String::from_utf8(content.to_vec()).map_err(|_| malformed("a chunk line is not UTF-8"))
}

/// RFC 9110 `tchar`.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_tchar)
}

/// Splits `name: value` (RFC 9112 section 5): no whitespace before the colon, no line
/// folding, a token name, OWS trimmed around the value, no control characters in it.
fn parse_field_line(line: &str) -> Result<(String, String), ReadError> {
    if line.starts_with([' ', '\t']) {
        return Err(malformed("obsolete line folding in the request head"));
    }
    let Some((name, value)) = line.split_once(':') else {
        return Err(malformed(format!(
            "a header line without a colon: {line:?}"
        )));
    };
    if !is_token(name) {
        return Err(malformed(format!("an invalid header name {name:?}")));
    }
    let value = value.trim_matches([' ', '\t']);
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(malformed(format!("a control character in header {name}")));
    }
    Ok((name.to_ascii_lowercase(), value.to_string()))
}

/// The elements of a comma-separated header across all its lines, OWS trimmed, empty
/// elements dropped.
fn list_elements<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| n == name)
        .flat_map(|(_, v)| v.split(','))
        .map(|element| element.trim_matches([' ', '\t']))
        .filter(|element| !element.is_empty())
        .collect()
}

/// How the body is framed.
enum Framing {
    None,
    Length(usize),
    Chunked,
}

/// Decides the framing from the headers as RFC 9112 section 6.3 says, refusing every
/// ambiguous or unsupported combination.
fn framing(
    headers: &[(String, String)],
    version: &str,
    max_body: usize,
) -> Result<Framing, ReadError> {
    let has = |name: &str| headers.iter().any(|(n, _)| n == name);
    let (has_length, has_coding) = (has("content-length"), has("transfer-encoding"));
    if has_length && has_coding {
        return Err(malformed(
            "both Content-Length and Transfer-Encoding: the body length is ambiguous",
        ));
    }
    if has_coding {
        if version == "HTTP/1.0" {
            return Err(malformed("Transfer-Encoding in an HTTP/1.0 request"));
        }
        let codings = list_elements(headers, "transfer-encoding");
        let Some((last, earlier)) = codings.split_last() else {
            return Err(malformed("an empty Transfer-Encoding"));
        };
        if !last.eq_ignore_ascii_case("chunked") {
            return Err(malformed(format!(
                "Transfer-Encoding must end in chunked, got {:?}",
                codings.join(", ")
            )));
        }
        if earlier.iter().any(|c| c.eq_ignore_ascii_case("chunked")) {
            return Err(malformed(
                "Transfer-Encoding applies chunked more than once",
            ));
        }
        if !earlier.is_empty() {
            return Err(refuse(
                501,
                "transfer_coding_unsupported",
                format!(
                    "the transfer coding {:?} is not supported (only chunked)",
                    earlier.join(", ")
                ),
            ));
        }
        return Ok(Framing::Chunked);
    }
    if !has_length {
        return Ok(Framing::None);
    }
    let values = headers
        .iter()
        .filter(|(n, _)| n == "content-length")
        .flat_map(|(_, v)| v.split(','))
        .map(|element| element.trim_matches([' ', '\t']));
    let mut length: Option<u128> = None;
    for value in values {
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed(format!(
                "Content-Length must be decimal digits only, got {value:?}"
            )));
        }
        // Beyond u128 only matters as "too large"; digits-only parsing cannot fail otherwise.
        let parsed = value.parse::<u128>().unwrap_or(u128::MAX);
        if length.is_some_and(|seen| seen != parsed) {
            return Err(malformed("several Content-Length values that differ"));
        }
        length = Some(parsed);
    }
    let length = length.unwrap_or(0);
    match usize::try_from(length) {
        Ok(length) if length <= max_body => Ok(Framing::Length(length)),
        _ => Err(too_large(format!(
            "the request body of {length} bytes exceeds the limit of {max_body} bytes"
        ))),
    }
}

/// Reads one request from the connection under its current deadline; the body is
/// charged to `budget` (the reservation is returned with it). `writer` is used only
/// for `100 Continue`.
pub fn read_request<'b>(
    reader: &mut Reader,
    writer: &mut TimedStream,
    max_body: usize,
    budget: &'b Budget,
) -> Result<(Request, Reservation<'b>), ReadError> {
    let mut head_budget = MAX_HEAD_BYTES;
    // Tolerate stray blank lines between pipelined requests (RFC 9112 section 2.2).
    let request_line = loop {
        match read_head_line(reader, &mut head_budget)? {
            None => return Err(ReadError::Closed),
            Some(line) if line.is_empty() => continue,
            Some(line) => break line,
        }
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(format!("bad request line: {request_line:?}")));
    };
    if !is_token(method) || target.is_empty() {
        return Err(malformed(format!("bad request line: {request_line:?}")));
    }
    let version_digits = version.strip_prefix("HTTP/").map(str::as_bytes);
    match version_digits {
        Some([b'1', b'.', minor]) if minor.is_ascii_digit() => {}
        Some([major, b'.', minor]) if major.is_ascii_digit() && minor.is_ascii_digit() => {
            return Err(refuse(
                505,
                "http_version_unsupported",
                format!("{version} is not supported (HTTP/1.1 is)"),
            ));
        }
        _ => return Err(malformed(format!("bad HTTP version {version:?}"))),
    }
    let mut headers = Vec::new();
    loop {
        let line = read_head_line(reader, &mut head_budget)?
            .ok_or_else(|| malformed("headers cut short"))?;
        if line.is_empty() {
            break;
        }
        headers.push(parse_field_line(&line)?);
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let connection = header("connection")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let keep_alive = if version == "HTTP/1.0" {
        connection.contains("keep-alive")
    } else {
        !connection.contains("close")
    };
    let framing = framing(&headers, version, max_body)?;
    let mut reservation = budget.reservation();
    if let Framing::Length(length) = framing
        && !reservation.grow_to(length)
    {
        return Err(ReadError::Refused(busy_refusal(format!(
            "the emulator buffers {} bytes of request bodies already and cannot take {length} more (max_buffered_bytes)",
            budget.used()
        ))));
    }
    // Only now, with the framing accepted and the body budgeted, invite the body.
    if header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
        && !matches!(framing, Framing::None)
    {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = match framing {
        Framing::None => Vec::new(),
        Framing::Length(length) => {
            let mut body = Vec::with_capacity(length);
            reader.by_ref().take(length as u64).read_to_end(&mut body)?;
            if body.len() != length {
                return Err(ReadError::Io);
            }
            body
        }
        Framing::Chunked => read_chunked(reader, max_body, &mut reservation)?,
    };
    let (raw_path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let segments: Vec<String> = raw_path
        .split('/')
        .skip(1)
        .map(|s| percent_decode(s, false))
        .collect();
    let request = Request {
        method: method.to_ascii_uppercase(),
        target: target.to_string(),
        version: version.to_string(),
        path: percent_decode(raw_path, false),
        segments,
        query: parse_query(raw_query),
        headers,
        body,
        keep_alive,
    };
    Ok((request, reservation))
}

/// Reads a chunked body (RFC 9112 section 7.1), growing `reservation` chunk by chunk.
fn read_chunked(
    reader: &mut Reader,
    max_body: usize,
    reservation: &mut Reservation<'_>,
) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    let mut line_budget = MAX_HEAD_BYTES;
    let mut extension_bytes = 0usize;
    loop {
        let line = read_chunk_line(reader, &mut line_budget)?;
        // chunk-size [ BWS ";" chunk-ext ]: whitespace only right before an extension.
        let size_text = match line.split_once(';') {
            Some((size, extension)) => {
                extension_bytes += extension.len() + 1;
                if extension_bytes > MAX_CHUNK_EXTENSION_BYTES {
                    return Err(malformed(format!(
                        "chunk extensions exceed {MAX_CHUNK_EXTENSION_BYTES} bytes"
                    )));
                }
                size.trim_end_matches([' ', '\t'])
            }
            None => line.as_str(),
        };
        let digits = size_text.trim_start_matches('0');
        if size_text.is_empty()
            || !size_text.bytes().all(|b| b.is_ascii_hexdigit())
            || digits.len() > 16
        {
            return Err(malformed(format!(
                "bad chunk size {size_text:?} (1 to 16 hex digits)"
            )));
        }
        let size = u64::from_str_radix(if digits.is_empty() { "0" } else { digits }, 16)
            .ok()
            .and_then(|size| usize::try_from(size).ok())
            .ok_or_else(|| malformed(format!("chunk size {size_text} out of range")))?;
        if size == 0 {
            // Trailer section: field lines until an empty one; they are not used.
            loop {
                let trailer = read_chunk_line(reader, &mut line_budget)?;
                if trailer.is_empty() {
                    return Ok(body);
                }
                parse_field_line(&trailer)?;
            }
        }
        // Checked: a chunk size near usize::MAX must not wrap around the limit check.
        let end = body
            .len()
            .checked_add(size)
            .ok_or_else(|| malformed(format!("chunk size {size_text} out of range")))?;
        if end > max_body {
            return Err(too_large(format!(
                "the chunked request body exceeds the limit of {max_body} bytes"
            )));
        }
        if !reservation.grow_to(end) {
            return Err(ReadError::Refused(busy_refusal(
                "the emulator buffers too many bytes of request bodies to take more (max_buffered_bytes)",
            )));
        }
        let start = body.len();
        reader.by_ref().take(size as u64).read_to_end(&mut body)?;
        if body.len() - start != size {
            return Err(ReadError::Io);
        }
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
        if &crlf != b"\r\n" {
            return Err(malformed("chunk data not followed by CRLF"));
        }
    }
}

/// Parses `a=1&b=x%20y` into pairs; `+` means space as in HTML forms.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

/// Decodes `%XX` escapes (and `+` as space when `plus_is_space`); invalid escapes stay as they are.
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The reason phrase for a status code.
fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}

/// Serialises the status line and headers; `content_length` is what the header announces.
pub fn head_bytes(response: &Response, content_length: usize, keep_alive: bool) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {content_length}\r\n"));
    head.push_str(if keep_alive {
        "Connection: keep-alive\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    });
    head.into_bytes()
}

/// Writes a whole response.
pub fn write_response(
    stream: &mut impl Write,
    response: &Response,
    keep_alive: bool,
) -> io::Result<()> {
    let mut bytes = head_bytes(response, response.body.len(), keep_alive);
    bytes.extend_from_slice(&response.body);
    stream.write_all(&bytes)?;
    stream.flush()
}
