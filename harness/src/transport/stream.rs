//! Streamed responses (GetStreamingEvents): one long-lived HTTP response, read incrementally on
//! a thread of its own, carrying a sequence of XML documents.
//!
//! [`Transport::open_stream`](super::Transport::open_stream) sends the request on a connection of
//! its own and returns once the response head arrived (bounded by the request timeout); the body
//! keeps arriving as [`StreamEvent`]s on a channel. Dropping the [`StreamHandle`] stops the
//! reader and closes the connection. [`Splitter`] cuts the bytes into documents: it follows the
//! element nesting with an XML reader (never a string search) and checks every document with
//! the strict well-formedness checker of [`crate::xml`].

use std::sync::mpsc;
use std::time::Duration;

use quick_xml::events::Event;

/// What the reader thread sends.
#[derive(Debug)]
pub enum StreamEvent {
    /// Body bytes, in order.
    Data(Vec<u8>),
    /// The body ended normally.
    End,
    /// Reading failed (connection reset, broken chunking, size limit).
    Failed(String),
}

/// The head of a streamed response and the channel its body arrives on.
pub struct StreamHandle {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The request headers as sent (mask credentials before showing them).
    pub request_headers: Vec<(String, String)>,
    pub events: mpsc::Receiver<StreamEvent>,
    /// Dropped with the handle: tells the reader to stop.
    pub(super) _cancel: tokio::sync::oneshot::Sender<()>,
}

impl std::fmt::Debug for StreamHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamHandle")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl StreamHandle {
    /// The next event, waiting at most `wait`; `None` when nothing came.
    pub fn next_event(&self, wait: Duration) -> Option<StreamEvent> {
        match self.events.recv_timeout(wait) {
            Ok(event) => Some(event),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Some(StreamEvent::Failed("the stream reader stopped".into()))
            }
        }
    }
}

/// Cuts a byte stream into complete top-level XML documents.
#[derive(Debug, Default)]
pub struct Splitter {
    buf: Vec<u8>,
    /// Documents found so far.
    count: usize,
}

impl Splitter {
    /// Adds bytes; returns the documents they completed (each checked strictly), or the first
    /// problem (text outside a document, a document that is not well-formed XML).
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        self.buf.extend_from_slice(bytes);
        let mut documents = Vec::new();
        loop {
            let lead = self
                .buf
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(self.buf.len());
            self.buf.drain(..lead);
            if self.buf.is_empty() {
                return Ok(documents);
            }
            match document_end(&self.buf)? {
                Some(end) => {
                    let document: Vec<u8> = self.buf.drain(..end).collect();
                    self.count += 1;
                    crate::xml::check_well_formed(&document, &crate::xml::ParseOptions::default())
                        .map_err(|e| {
                            format!(
                                "stream document {} is not well-formed XML (at {}:{}: {})",
                                self.count, e.pos.line, e.pos.col, e.message
                            )
                        })?;
                    documents.push(document);
                }
                None => return Ok(documents),
            }
        }
    }

    /// At the end of the stream: an error when it stopped inside a document.
    pub fn finish(&self) -> Result<(), String> {
        if self.buf.iter().all(|b| b.is_ascii_whitespace()) {
            Ok(())
        } else {
            Err(format!(
                "the stream ended inside document {} ({} bytes of an unfinished document)",
                self.count + 1,
                self.buf.len()
            ))
        }
    }
}

/// Where the first top-level element of `data` ends (the byte after its end tag), `None` when
/// it is not complete yet. Text other than whitespace outside an element, or a misnested end
/// tag, is an error.
fn document_end(data: &[u8]) -> Result<Option<usize>, String> {
    let mut reader = quick_xml::Reader::from_reader(data);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(quick_xml::Error::IllFormed(e)) => {
                return Err(format!("the stream is not well-formed XML: {e}"));
            }
            // Anything else is most likely markup cut by a chunk boundary: wait for more (a
            // real syntax error is reported when the stream ends, or by the checker).
            Err(_) => return Ok(None),
        };
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(Some(reader.buffer_position() as usize));
                }
            }
            Event::Empty(_) if depth == 0 => return Ok(Some(reader.buffer_position() as usize)),
            Event::Text(text) if depth == 0 => {
                let raw = text.into_inner();
                let text: &[u8] = raw.as_bytes();
                if text.iter().any(|b| !b.is_ascii_whitespace()) {
                    return Err(format!(
                        "the stream carries text outside any XML document: `{}`",
                        String::from_utf8_lossy(text)
                            .chars()
                            .take(40)
                            .collect::<String>()
                    ));
                }
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_cut_at_their_end_tags_whatever_the_chunks() {
        let text = b"<?xml version=\"1.0\"?><a><b>x</b></a>\r\n<?xml version=\"1.0\"?><a/><c>1</c>";
        for chunk in 1..text.len() {
            let mut splitter = Splitter::default();
            let mut docs = Vec::new();
            for piece in text.chunks(chunk) {
                docs.extend(splitter.push(piece).expect("well-formed"));
            }
            assert_eq!(docs.len(), 3, "chunk size {chunk}");
            assert_eq!(docs[0], b"<?xml version=\"1.0\"?><a><b>x</b></a>");
            assert_eq!(docs[2], b"<c>1</c>");
            splitter.finish().expect("nothing left");
        }
    }

    #[test]
    fn ill_formed_streams_are_errors_naming_the_problem() {
        let error = Splitter::default().push(b"<a><b></a>").unwrap_err();
        assert!(error.contains("not well-formed"), "{error}");
        let error = Splitter::default().push(b"<a/>junk<b/>").unwrap_err();
        assert!(error.contains("text outside"), "{error}");
        let error = Splitter::default().push(b"<a x='1' x='2'/>").unwrap_err();
        assert!(error.contains("stream document 1"), "{error}");
        let mut open = Splitter::default();
        assert!(open.push(b"<a><b>").unwrap().is_empty());
        assert!(
            open.finish()
                .unwrap_err()
                .contains("ended inside document 1")
        );
    }
}
