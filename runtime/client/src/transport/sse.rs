//! The Server-Sent Events transport: `GET {hub}?id=TOKEN` with `Accept: text/event-stream`
//! carries the server's messages as events (text only); each send is an HTTP POST.

use bytes::Bytes;
use reqwest::Url;
use reqwest::header::{ACCEPT, HeaderValue};

use super::http::{self, Deliver, Incoming, Poster};
use crate::config::Config;
use crate::error::{ClientError, Operation};

/// Opens the event stream at `url` (the hub URL with its `id`): the request is answered
/// within the HTTP request timeout, then its events arrive in the background.
pub(crate) async fn connect(
    client: &reqwest::Client,
    url: &Url,
    config: &Config,
    token: Option<&str>,
) -> Result<(Poster, Incoming), ClientError> {
    let (stream_url, stream_token) = match token {
        Some(t) if config.access_token_in_query => (http::with_access_token(url, t), None),
        other => (url.clone(), other),
    };
    let mut headers = http::headers(config, stream_token)?;
    headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    let request = client.get(stream_url).headers(headers).send();
    let response = tokio::time::timeout(config.http_request_timeout, request)
        .await
        .map_err(|_| ClientError::Timeout {
            operation: Operation::EventStream,
            after: config.http_request_timeout,
        })?
        .map_err(|e| ClientError::request(Operation::EventStream, e))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(ClientError::Status {
            operation: Operation::EventStream,
            status: response.status().as_u16(),
        });
    }
    let incoming = Incoming::spawn(|tx| read_events(response, tx));
    let poster = Poster::new(
        client.clone(),
        url.clone(),
        http::headers(config, token)?,
        config,
    );
    Ok((poster, incoming))
}

/// Forwards the data of every event until the stream ends.
async fn read_events(mut response: reqwest::Response, tx: Deliver) {
    let mut parser = EventStreamParser::default();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return,
            Err(e) => {
                let _ = tx
                    .send(Err(ClientError::request(Operation::EventStream, e)))
                    .await;
                return;
            }
        };
        let mut data = Vec::new();
        parser.feed(&chunk, &mut data);
        if !data.is_empty() && tx.send(Ok(Bytes::from(data))).await.is_err() {
            return;
        }
    }
}

/// Where the parser is within a line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a field name (at most [`MAX_FIELD_NAME`] bytes are kept).
    #[default]
    Name,
    /// Inside a `data` field's value; `at_start` until its first byte (a leading space is
    /// dropped).
    Data { at_start: bool },
    /// Inside a comment or another field: ignored up to the end of the line.
    Ignore,
}

/// Longer field names are not `data`: their lines are ignored.
const MAX_FIELD_NAME: usize = 16;

/// Extracts the data of Server-Sent Events incrementally, without buffering lines: what a
/// `data` field holds is passed on as it arrives, the lines of one event joined by `\n`
/// (the event data of the specification), so memory stays constant whatever the input.
#[derive(Debug, Default)]
pub(crate) struct EventStreamParser {
    state: State,
    name: Vec<u8>,
    /// The current event has had a data line (the next one is preceded by `\n`).
    event_has_data: bool,
    /// The last line ended with `\r`: a `\n` right after it belongs to the same line end.
    after_cr: bool,
    /// Ends each event's data with [`EVENT_END`] (for streams whose events are documents
    /// of their own).
    mark_ends: bool,
}

/// What [`EventStreamParser::marking_event_ends`] writes after each event's data: the
/// record separator, which no JSON text holds unescaped.
pub(crate) const EVENT_END: u8 = 0x1e;

impl EventStreamParser {
    /// A parser that ends each event's data with [`EVENT_END`].
    pub(crate) fn marking_event_ends() -> Self {
        EventStreamParser {
            mark_ends: true,
            ..EventStreamParser::default()
        }
    }

    /// Parses `chunk`, appending the event data it completes or continues to `out`.
    pub(crate) fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let mut rest = chunk;
        if self.after_cr {
            self.after_cr = false;
            if let Some(b'\n') = rest.first() {
                rest = &rest[1..];
            }
        }
        while !rest.is_empty() {
            match self.state {
                State::Data { at_start } => {
                    let mut value = rest;
                    if at_start {
                        if let Some(b' ') = value.first() {
                            value = &value[1..];
                        }
                        self.state = State::Data { at_start: false };
                    }
                    let end = memchr::memchr2(b'\r', b'\n', value);
                    out.extend_from_slice(&value[..end.unwrap_or(value.len())]);
                    match end {
                        Some(i) => rest = self.end_line(&value[i..]),
                        None => rest = &[],
                    }
                }
                State::Ignore => match memchr::memchr2(b'\r', b'\n', rest) {
                    Some(i) => rest = self.end_line(&rest[i..]),
                    None => rest = &[],
                },
                State::Name => {
                    let byte = rest[0];
                    match byte {
                        b'\r' | b'\n' => {
                            if self.name.is_empty() {
                                // A blank line ends the event.
                                if self.mark_ends && self.event_has_data {
                                    out.push(EVENT_END);
                                }
                                self.event_has_data = false;
                            } else if self.name == b"data" {
                                // `data` without a colon: an empty data line.
                                self.start_data(out);
                            }
                            rest = self.end_line(rest);
                        }
                        b':' => {
                            rest = &rest[1..];
                            if self.name == b"data" {
                                self.start_data(out);
                                self.state = State::Data { at_start: true };
                            } else {
                                self.state = State::Ignore;
                            }
                            self.name.clear();
                        }
                        _ => {
                            if self.name.len() < MAX_FIELD_NAME {
                                self.name.push(byte);
                            } else {
                                self.state = State::Ignore;
                                self.name.clear();
                            }
                            rest = &rest[1..];
                        }
                    }
                }
            }
        }
    }

    /// A data line starts: it is separated from the event's previous one by `\n`.
    fn start_data(&mut self, out: &mut Vec<u8>) {
        if self.event_has_data {
            out.push(b'\n');
        }
        self.event_has_data = true;
    }

    /// Consumes the line end at the start of `rest` and returns what follows.
    fn end_line<'r>(&mut self, rest: &'r [u8]) -> &'r [u8] {
        self.state = State::Name;
        self.name.clear();
        match rest {
            [b'\r', b'\n', tail @ ..] => tail,
            [b'\r'] => {
                self.after_cr = true;
                &[]
            }
            [_, tail @ ..] => tail,
            [] => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(input: &[u8], piece: usize) -> Vec<u8> {
        let mut parser = EventStreamParser::default();
        let mut out = Vec::new();
        for chunk in input.chunks(piece) {
            parser.feed(chunk, &mut out);
        }
        out
    }

    #[test]
    fn event_data_in_any_chunking() {
        let input = b":\r\ndata: {\"type\":6}\x1e\r\n\r\nevent: x\nid: 1\ndata:a\ndata: b\r\rdata\n\ndata: c\r\n\r\n";
        // A comment, an event with one data line, ignored fields, an event of two lines
        // (joined by \n) ended by a lone \r, an empty event, an event after CRLF.
        for piece in 1..input.len() {
            assert_eq!(
                parse_in_pieces(input, piece),
                b"{\"type\":6}\x1ea\nbc".to_vec(),
                "piece size {piece}"
            );
        }
    }

    #[test]
    fn event_ends_can_be_marked() {
        let mut parser = EventStreamParser::marking_event_ends();
        let mut out = Vec::new();
        parser.feed(
            b"data: initialized\n\ndata: {}\r\n\r\n\ndata: {\"C\"",
            &mut out,
        );
        parser.feed(b":1}\n\n", &mut out);
        assert_eq!(out, b"initialized\x1e{}\x1e{\"C\":1}\x1e".to_vec());
    }

    #[test]
    fn long_lines_pass_through_without_being_buffered() {
        let mut parser = EventStreamParser::default();
        let mut out = Vec::new();
        parser.feed(b"data: ", &mut out);
        for _ in 0..1000 {
            out.clear();
            parser.feed(&[b'x'; 1000], &mut out);
            assert_eq!(out.len(), 1000);
        }
        let mut garbage = EventStreamParser::default();
        out.clear();
        for _ in 0..1000 {
            garbage.feed(&[b'y'; 1000], &mut out);
        }
        assert!(out.is_empty());
        assert!(garbage.name.len() <= MAX_FIELD_NAME);
    }
}
