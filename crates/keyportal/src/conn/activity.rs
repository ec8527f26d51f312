//! What a connection served by hyper is doing, counted by the parts that see it: the socket
//! (bytes read and written, a write waiting for the client), the service (requests begun and
//! answered) and the request body (the handler waiting for the client's bytes). The
//! watchdog (`watchdog.rs`) reads these counters; everything runs in the connection's task,
//! so relaxed atomics suffice.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::body::{Body, Bytes, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

#[derive(Debug, Default)]
pub struct Activity {
    read: AtomicU64,
    written: AtomicU64,
    write_blocked: AtomicBool,
    started: AtomicU64,
    finished: AtomicU64,
    body_waiting: AtomicBool,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Bytes read from the client.
    pub read: u64,
    /// Bytes written to the client.
    pub written: u64,
    /// The last write (or flush) could not proceed: the client is not reading.
    pub write_blocked: bool,
    /// Requests whose head was read.
    pub started: u64,
    /// Requests whose answer was handed over whole (or abandoned).
    pub finished: u64,
    /// A handler waits for request body bytes that have not arrived.
    pub body_waiting: bool,
}

impl Activity {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            read: self.read.load(Relaxed),
            written: self.written.load(Relaxed),
            write_blocked: self.write_blocked.load(Relaxed),
            started: self.started.load(Relaxed),
            finished: self.finished.load(Relaxed),
            body_waiting: self.body_waiting.load(Relaxed),
        }
    }

    /// A request's head was read; the answer counts as finished when the returned guard
    /// is dropped (with the answer's body, or with the request if it is abandoned).
    pub fn request_started(self: &Arc<Self>) -> Finished {
        self.started.fetch_add(1, Relaxed);
        Finished(self.clone())
    }
}

/// Marks its request finished when dropped.
#[derive(Debug)]
pub struct Finished(Arc<Activity>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Relaxed);
    }
}

/// The connection's socket, counted.
pub struct Watched<I> {
    inner: I,
    activity: Arc<Activity>,
}

impl<I> Watched<I> {
    pub fn new(inner: I, activity: Arc<Activity>) -> Self {
        Watched { inner, activity }
    }

    fn wrote(&self, polled: &Poll<io::Result<usize>>) {
        match polled {
            Poll::Pending => self.activity.write_blocked.store(true, Relaxed),
            Poll::Ready(result) => {
                self.activity.write_blocked.store(false, Relaxed);
                if let Ok(n) = result {
                    self.activity.written.fetch_add(*n as u64, Relaxed);
                }
            }
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        if read > 0 {
            self.activity.read.fetch_add(read as u64, Relaxed);
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.wrote(&polled);
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.activity
            .write_blocked
            .store(polled.is_pending(), Relaxed);
        polled
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A request body that tells the watchdog while its handler waits for the client.
pub struct WatchedBody<B> {
    inner: B,
    activity: Arc<Activity>,
}

impl<B> WatchedBody<B> {
    pub fn new(inner: B, activity: Arc<Activity>) -> Self {
        WatchedBody { inner, activity }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for WatchedBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        self.activity
            .body_waiting
            .store(polled.is_pending(), Relaxed);
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for WatchedBody<B> {
    fn drop(&mut self) {
        self.activity.body_waiting.store(false, Relaxed);
    }
}

/// An answer's body carrying its request's [`Finished`] guard.
pub struct TrackedBody<B> {
    inner: B,
    _finished: Finished,
}

impl<B> TrackedBody<B> {
    pub fn new(inner: B, finished: Finished) -> Self {
        TrackedBody {
            inner,
            _finished: finished,
        }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for TrackedBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn reads_writes_and_requests_are_counted() {
        let activity = Arc::new(Activity::default());
        let (client, mut other) = tokio::io::duplex(8);
        let mut watched = Watched::new(client, activity.clone());
        other.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 16];
        let n = watched.read(&mut buf).await.unwrap();
        assert_eq!(n, 5);
        watched.write_all(b"12345678").await.unwrap();
        let snapshot = activity.snapshot();
        assert_eq!((snapshot.read, snapshot.written), (5, 8));
        assert!(!snapshot.write_blocked);
        // The pipe is full: the next write waits for the client.
        let blocked = tokio::time::timeout(
            std::time::Duration::from_millis(20),
            watched.write_all(b"9"),
        )
        .await;
        assert!(blocked.is_err());
        assert!(activity.snapshot().write_blocked);

        let finished = activity.request_started();
        assert_eq!(activity.snapshot().started, 1);
        assert_eq!(activity.snapshot().finished, 0);
        drop(finished);
        assert_eq!(activity.snapshot().finished, 1);
    }
}
