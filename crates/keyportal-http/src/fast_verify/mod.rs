//! The connection front. Every HTTP/1.x connection starts here: well-formed `GET`/`HEAD
//! /verify` requests — what a busy nginx sends through `auth_request` for each request it
//! serves — are read with `httparse` and answered by hand, one read and one write per request
//! and no allocation once the connection's buffers have grown. At the first request that is
//! anything else (another path or method, a body, an upgrade, HTTP/2, a malformed or oversized
//! head) the connection goes to hyper and the router for good, with the bytes already read.
//! So the front answers only what it fully understands, and every error answer is hyper's.

mod date;
mod head;
mod prefixed;
mod write;

use keyportal_service::Portal;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

pub use head::{next_request, Next, VerifyHead, MAX_HEAD};
pub use prefixed::Prefixed;

use crate::routes::verify::{decide, render};
use date::DateHeader;
use write::write_answer;

/// How much is read at a time (nginx's verify heads are a few hundred bytes).
const READ_SIZE: usize = 4096;

/// Answers the connection's `/verify` requests until it closes (`None`) or carries another
/// request (`Some`: the connection, to be served by hyper from that request on).
pub async fn serve<I>(mut io: I, portal: &Portal) -> Option<Prefixed<I>>
where
    I: AsyncRead + AsyncWrite + Unpin,
{
    let mut input: Vec<u8> = Vec::with_capacity(READ_SIZE);
    let mut output: Vec<u8> = Vec::new();
    let mut body = String::new();
    let mut date = DateHeader::new();
    loop {
        // Answer every complete request read so far (pipelined ones in order).
        let mut start = 0;
        let mut close = false;
        let handover = loop {
            match next_request(&input[start..]) {
                Next::Verify(head) => {
                    let outcome = decide(portal, head.query, &head.headers);
                    let answer = render(&outcome, &mut body);
                    write_answer(&mut output, &answer, &body, &head, date.now());
                    tracing::debug!(status = answer.status.as_u16(), "verify");
                    start += head.consumed;
                    if !head.keep_alive {
                        close = true;
                        break false;
                    }
                }
                Next::Incomplete => break false,
                Next::Other => break true,
            }
        };
        if !output.is_empty() {
            if io.write_all(&output).await.is_err() || io.flush().await.is_err() {
                return None;
            }
            output.clear();
        }
        if close {
            let _ = io.shutdown().await;
            return None;
        }
        input.drain(..start);
        if handover {
            return Some(Prefixed::new(input, io));
        }
        if input.capacity() - input.len() < READ_SIZE / 2 {
            input.reserve(READ_SIZE);
        }
        match io.read_buf(&mut input).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}
