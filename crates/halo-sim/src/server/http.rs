//! A minimal HTTP/1.1 wire layer: reading one request from a connection and writing one response.
//!
//! It knows nothing about Halo. Bodies are read by `Content-Length` only (a chunked request body
//! is refused with 501). Responses always carry `Content-Length`, so faults that cut a body short
//! or drop a connection are exact.

use std::io::{self, BufRead, Write};

/// Longest request line or header line accepted.
const MAX_LINE: usize = 16 * 1024;
/// Most header lines accepted.
const MAX_HEADERS: usize = 100;
/// Largest request body accepted (the simulator only takes small form posts).
const MAX_BODY: usize = 1024 * 1024;

/// One parsed request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    /// The path without the query, percent-decoded.
    pub path: String,
    /// Query parameters, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
}

impl Request {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter of that name (case-insensitive, as ASP.NET binds them).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A boolean query parameter: `Some(true)` for `true`/`1`, `Some(false)` for anything else
    /// given, `None` when absent.
    pub fn flag(&self, name: &str) -> Option<bool> {
        self.param(name)
            .map(|v| v.trim().eq_ignore_ascii_case("true") || v.trim() == "1")
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed the connection, went idle past the read timeout, or the socket failed.
    Closed,
    /// The request was malformed: answer with this response and close.
    Reply(Response),
}

/// Reads one request. `Ok(None)` when the connection was closed (or idle) before a request began.
/// `interim` receives `100 Continue` when the client asks for it.
pub(crate) fn read_request<R: BufRead, W: Write>(
    reader: &mut R,
    interim: &mut W,
) -> Result<Option<Request>, ReadError> {
    // Skip empty lines before the request line (RFC 9112 §2.2).
    let request_line = loop {
        match read_line(reader) {
            Ok(Some(line)) if line.is_empty() => {}
            Ok(Some(line)) => break line,
            Ok(None) => return Ok(None),
            Err(LineError::TooLong) => return Err(bad(414, "request line too long")),
            Err(LineError::Io) => return Ok(None),
        }
    };
    let mut parts = request_line.split(' ').filter(|p| !p.is_empty());
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(400, "malformed request line"));
    };
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(bad(505, "only HTTP/1.0 and HTTP/1.1 are supported")),
    };

    let mut headers = Vec::new();
    loop {
        let line = match read_line(reader) {
            Ok(Some(line)) => line,
            Ok(None) | Err(LineError::Io) => return Err(ReadError::Closed),
            Err(LineError::TooLong) => return Err(bad(431, "header line too long")),
        };
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(bad(431, "too many header lines"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(bad(400, "malformed header line"));
        };
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }

    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    if header("transfer-encoding").is_some() {
        return Err(bad(
            501,
            "chunked request bodies are not supported; send Content-Length",
        ));
    }
    let length = match header("content-length") {
        None => 0,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n <= MAX_BODY => n,
            Ok(_) => return Err(bad(413, "request body too large")),
            Err(_) => return Err(bad(400, "invalid Content-Length")),
        },
    };
    let connection = header("connection")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let keep_alive = if http11 {
        !connection.split(',').any(|t| t.trim() == "close")
    } else {
        connection.split(',').any(|t| t.trim() == "keep-alive")
    };
    if length > 0
        && header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
        && interim
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .and_then(|()| interim.flush())
            .is_err()
    {
        return Err(ReadError::Closed);
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return Err(ReadError::Closed);
    }

    // Origin form `/path?query`, or absolute form `http://host/path?query`.
    let origin = match target.find("://") {
        Some(i) => {
            let rest = &target[i + 3..];
            rest.find('/').map_or("/", |j| &rest[j..])
        }
        None => target,
    };
    if !origin.starts_with('/') {
        return Err(bad(400, "the request target must be a path"));
    }
    let (raw_path, raw_query) = origin.split_once('?').unwrap_or((origin, ""));
    Ok(Some(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        path: decode(raw_path, false),
        query: parse_form(raw_query),
        headers,
        body,
        keep_alive,
    }))
}

enum LineError {
    TooLong,
    Io,
}

/// One CRLF- (or LF-) terminated line without its terminator; `None` at a clean end of stream.
fn read_line<R: BufRead>(reader: &mut R) -> Result<Option<String>, LineError> {
    let mut line = Vec::new();
    loop {
        let available = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(LineError::Io),
        };
        if available.is_empty() {
            return if line.is_empty() {
                Ok(None)
            } else {
                Err(LineError::Io)
            };
        }
        let (taken, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        line.extend_from_slice(&available[..taken]);
        reader.consume(taken);
        if line.len() > MAX_LINE {
            return Err(LineError::TooLong);
        }
        if done {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
        }
    }
}

fn bad(status: u16, message: &str) -> ReadError {
    ReadError::Reply(Response::text(status, "text/plain; charset=utf-8", message))
}

/// Parses `a=1&b=two+words` (also a form body), percent-decoding names and values.
pub(crate) fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k, true), decode(v, true))
        })
        .collect()
}

/// Percent-decodes `text`; with `plus_is_space`, `+` means a space (form encoding).
pub(crate) fn decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One response, always sent with `Content-Length`.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn empty(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn text(status: u16, content_type: &str, body: &str) -> Self {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_owned())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        // Serialising a `Value` cannot fail.
        let body = serde_json::to_vec(value).unwrap_or_default();
        Response {
            status,
            headers: vec![("Content-Type", "application/json; charset=utf-8".to_owned())],
            body,
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The status line and headers, announcing the full body length.
    pub fn head(&self, close: bool) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        head.push_str("Server: halo-sim\r\n");
        head.push_str(if close {
            "Connection: close\r\n"
        } else {
            "Connection: keep-alive\r\n"
        });
        head.push_str("\r\n");
        head.into_bytes()
    }

    /// Writes the whole response.
    pub fn write_to<W: Write>(&self, out: &mut W, close: bool) -> io::Result<()> {
        let mut bytes = self.head(close);
        bytes.extend_from_slice(&self.body);
        out.write_all(&bytes)?;
        out.flush()
    }

    /// Writes the head (announcing the full length) and only the first half of the body.
    pub fn write_truncated<W: Write>(&self, out: &mut W) -> io::Result<()> {
        let mut bytes = self.head(true);
        bytes.extend_from_slice(&self.body[..self.body.len() / 2]);
        out.write_all(&bytes)?;
        out.flush()
    }
}

/// The reason phrase of a status code.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(decode("a%20b+c", true), "a b c");
        assert_eq!(decode("a%20b+c", false), "a b+c");
        assert_eq!(decode("100%", true), "100%");
        assert_eq!(decode("%zz%4", true), "%zz%4");
        assert_eq!(decode("read%3Atickets", true), "read:tickets");
    }

    #[test]
    fn parses_forms() {
        assert_eq!(
            parse_form("grant_type=client_credentials&scope=admin+all&empty=&flag"),
            vec![
                ("grant_type".to_owned(), "client_credentials".to_owned()),
                ("scope".to_owned(), "admin all".to_owned()),
                ("empty".to_owned(), String::new()),
                ("flag".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn reads_a_request_with_a_body() {
        let raw =
            b"\r\nPOST /auth/token?tenant=x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET";
        let mut reader = &raw[..];
        let mut sink = Vec::new();
        let req = read_request(&mut reader, &mut sink).ok().flatten();
        let req = req.map(|r| (r.method, r.path, r.query, r.body, r.keep_alive));
        assert_eq!(
            req,
            Some((
                "POST".to_owned(),
                "/auth/token".to_owned(),
                vec![("tenant".to_owned(), "x".to_owned())],
                b"abc".to_vec(),
                true
            ))
        );
        assert_eq!(reader, b"GET");
    }

    #[test]
    fn http10_closes_unless_asked() {
        let mut reader = &b"GET / HTTP/1.0\r\n\r\n"[..];
        let req = read_request(&mut reader, &mut Vec::new()).ok().flatten();
        assert_eq!(req.map(|r| r.keep_alive), Some(false));
        let mut reader = &b"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n"[..];
        let req = read_request(&mut reader, &mut Vec::new()).ok().flatten();
        assert_eq!(req.map(|r| r.keep_alive), Some(false));
    }

    #[test]
    fn refuses_bad_requests() {
        for raw in [
            &b"GARBAGE\r\n\r\n"[..],
            b"GET / HTTP/2.0\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
        ] {
            let mut reader = raw;
            assert!(
                matches!(
                    read_request(&mut reader, &mut Vec::new()),
                    Err(ReadError::Reply(_))
                ),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
        let mut reader = &b""[..];
        assert!(matches!(
            read_request(&mut reader, &mut Vec::new()),
            Ok(None)
        ));
        let mut reader = &b"GET / HTTP/1.1\r\nHost"[..];
        assert!(matches!(
            read_request(&mut reader, &mut Vec::new()),
            Err(ReadError::Closed)
        ));
    }
}
