//! Raw connections to the test server, shared by the API and security suites: plain or TLS,
//! from a chosen local address; answers read by hand; heads trickled byte by byte. Every wait
//! has a generous guard only so a broken limit fails instead of hanging.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpSocket;

use crate::harness::TestServer;

/// A connection, plain or TLS.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
pub(crate) type Conn = Box<dyn Io>;

/// How long a test waits for something that should happen within a few seconds.
pub(crate) const GUARD: Duration = Duration::from_secs(30);

pub(crate) fn addr(s: &TestServer) -> SocketAddr {
    s.server.as_ref().expect("running").addr
}

/// A TCP connection from `from` (any 127.x.y.z is a local address on Linux).
pub(crate) async fn tcp(s: &TestServer, from: IpAddr) -> tokio::net::TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(addr(s)).await.expect("connect")
}

/// A client trusting the test server's self-signed certificate.
pub(crate) fn tls_connector(s: &TestServer) -> tokio_rustls::TlsConnector {
    let pem = std::fs::read(s.data_dir.path().join("tls/self-signed-cert.pem")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut &pem[..]) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// A connection speaking the server's protocol (TLS done when it serves HTTPS).
pub(crate) async fn connect(s: &TestServer) -> Conn {
    let stream = tcp(s, [127, 0, 0, 1].into()).await;
    if s.url.starts_with("https") {
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        Box::new(tls_connector(s).connect(name, stream).await.expect("TLS"))
    } else {
        Box::new(stream)
    }
}

/// Reads one answer with a `Content-Length` body: (status, body), or `None` if the server
/// closes the connection first.
pub(crate) async fn try_read_answer(io: &mut Conn) -> Option<(u16, String)> {
    try_read_full(io)
        .await
        .map(|(status, _, body)| (status, body))
}

/// Like [`try_read_answer`], with the head too (lowercase): (status, head, body).
pub(crate) async fn try_read_full(io: &mut Conn) -> Option<(u16, String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match io.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status = head[9..12].parse().expect("status");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().expect("length"))
        .unwrap_or_else(|| panic!("no content-length: {head}"));
    while buf.len() < head_end + length {
        match io.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).into_owned();
    Some((status, head, body))
}

pub(crate) async fn read_answer(io: &mut Conn) -> (u16, String) {
    tokio::time::timeout(GUARD, try_read_answer(io))
        .await
        .expect("no answer in time")
        .expect("closed before answering")
}

/// Sends a request and reads its answer with its head: (status, head, body).
pub(crate) async fn ask_full(io: &mut Conn, request: &[u8]) -> (u16, String, String) {
    io.write_all(request).await.expect("send");
    io.flush().await.expect("flush");
    tokio::time::timeout(GUARD, try_read_full(io))
        .await
        .expect("no answer in time")
        .expect("closed before answering")
}

/// Sends a request and reads its answer.
pub(crate) async fn ask(io: &mut Conn, request: &[u8]) -> (u16, String) {
    io.write_all(request).await.expect("send");
    io.flush().await.expect("flush");
    read_answer(io).await
}

pub(crate) const HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: kp\r\n\r\n";

/// Whether the server closes the connection (reading to the end) before `GUARD`.
pub(crate) async fn closed_by_server(io: Conn) -> bool {
    let (mut reader, _writer) = tokio::io::split(io);
    let to_the_end = async {
        let mut sink = [0u8; 4096];
        while let Ok(n) = reader.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::time::timeout(GUARD, to_the_end).await.is_ok()
}

/// Sends `bytes` one at a time, `every` apart; true when the server closed the connection
/// before they were all sent.
pub(crate) async fn trickle_until_closed(io: Conn, bytes: &[u8], every: Duration) -> bool {
    let (mut reader, mut writer) = tokio::io::split(io);
    let closed = async move {
        let mut sink = [0u8; 4096];
        while let Ok(n) = reader.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::pin!(closed);
    for &byte in bytes {
        let send = async {
            let _ = writer.write_all(&[byte]).await;
            let _ = writer.flush().await;
            tokio::time::sleep(every).await;
        };
        tokio::select! {
            () = &mut closed => return true,
            () = send => {}
        }
    }
    false
}

/// A head that takes `bytes × every` to trickle in: far longer than the timeouts below.
pub(crate) fn long_head(path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: kp\r\nX-Padding: {}\r\n\r\n",
        "p".repeat(200)
    )
    .into_bytes()
}

/// A connection from `from` if the server accepts it (it answers a request), `None` if the
/// server closes it.
pub(crate) async fn answered(s: &TestServer, from: IpAddr) -> Option<Conn> {
    let mut io: Conn = Box::new(tcp(s, from).await);
    io.write_all(HEALTH).await.ok()?;
    let answer = tokio::time::timeout(GUARD, try_read_answer(&mut io))
        .await
        .expect("neither answered nor closed")?;
    assert_eq!(answer.0, 200);
    Some(io)
}
