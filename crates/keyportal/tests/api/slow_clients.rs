//! Clients that try to exhaust the server: slow heads and bodies on every path (the `/verify`
//! front, hyper, TLS), too many connections, floods of sign-ins, huge usernames. Raw sockets
//! against the real server, with small limits set through the knobs. The assertions are
//! about what happens (closed, refused, answered), never how fast: every wait has a generous
//! guard only so a broken limit fails instead of hanging.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use keyportal::config::ServeConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpSocket;

use crate::harness::TestServer;

/// A connection, plain or TLS.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
type Conn = Box<dyn Io>;

/// How long a test waits for something that should happen within a few seconds.
const GUARD: Duration = Duration::from_secs(30);

fn addr(s: &TestServer) -> SocketAddr {
    s.server.as_ref().expect("running").addr
}

/// A TCP connection from `from` (any 127.x.y.z is a local address on Linux).
async fn tcp(s: &TestServer, from: IpAddr) -> tokio::net::TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(addr(s)).await.expect("connect")
}

/// A client trusting the test server's self-signed certificate.
fn tls_connector(s: &TestServer) -> tokio_rustls::TlsConnector {
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
async fn connect(s: &TestServer) -> Conn {
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
async fn try_read_answer(io: &mut Conn) -> Option<(u16, String)> {
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
    Some((status, body))
}

async fn read_answer(io: &mut Conn) -> (u16, String) {
    tokio::time::timeout(GUARD, try_read_answer(io))
        .await
        .expect("no answer in time")
        .expect("closed before answering")
}

/// Sends a request and reads its answer.
async fn ask(io: &mut Conn, request: &[u8]) -> (u16, String) {
    io.write_all(request).await.expect("send");
    io.flush().await.expect("flush");
    read_answer(io).await
}

const HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: kp\r\n\r\n";

/// Whether the server closes the connection (reading to the end) before `GUARD`.
async fn closed_by_server(io: Conn) -> bool {
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
async fn trickle_until_closed(io: Conn, bytes: &[u8], every: Duration) -> bool {
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
fn long_head(path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: kp\r\nX-Padding: {}\r\n\r\n",
        "p".repeat(200)
    )
    .into_bytes()
}

const TRICKLE: Duration = Duration::from_millis(150);

fn small_timeouts(config: &mut ServeConfig) {
    config.connections.head_timeout = Duration::from_secs(1);
    config.connections.idle_timeout = Duration::from_secs(2);
    config.connections.body_rate_window = Duration::from_secs(1);
    config.connections.min_body_rate = 1024;
}

/// Every way of being slow, on one server: each is cut, while normal requests are answered.
async fn slow_clients_are_cut(s: TestServer) {
    let idle = async { closed_by_server(connect(&s).await).await };
    let first_head =
        async { trickle_until_closed(connect(&s).await, &long_head("/health"), TRICKLE).await };
    let head_after_a_request = async {
        let mut io = connect(&s).await;
        assert_eq!(ask(&mut io, HEALTH).await.0, 200);
        trickle_until_closed(io, &long_head("/health"), TRICKLE).await
    };
    let verify_then_trickle = async {
        // The front answers the first request itself; the next head is trickled there.
        let mut io = connect(&s).await;
        let (status, _) = ask(&mut io, b"GET /verify HTTP/1.1\r\nHost: kp\r\n\r\n").await;
        assert_eq!(status, 401);
        trickle_until_closed(io, &long_head("/verify"), TRICKLE).await
    };
    let oversized_head = async {
        // More than the front reads (16 KiB): hyper takes it over mid-head.
        let mut io = connect(&s).await;
        let start = format!("GET /verify?pad={} HTTP/1.1\r\n", "a".repeat(17 * 1024));
        io.write_all(start.as_bytes()).await.unwrap();
        trickle_until_closed(io, &long_head("/x")["GET /x HTTP/1.1\r\n".len()..], TRICKLE).await
    };
    let slow_body = async {
        let mut io = connect(&s).await;
        io.write_all(
            b"POST /sharing/rest/portals/self HTTP/1.1\r\nHost: kp\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\nf=json",
        )
        .await
        .unwrap();
        trickle_until_closed(io, &[b'x'; 200], TRICKLE).await
    };
    let quick_body = async {
        let mut io = connect(&s).await;
        let body = format!("f=json&pad={}", "x".repeat(64 * 1024));
        let request = format!(
            "POST /sharing/rest/portals/self HTTP/1.1\r\nHost: kp\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        ask(&mut io, request.as_bytes()).await
    };
    let (idle, first_head, after, verify, oversized, slow_body, quick) = tokio::join!(
        idle,
        first_head,
        head_after_a_request,
        verify_then_trickle,
        oversized_head,
        slow_body,
        quick_body
    );
    assert!(idle, "an idle connection stayed open");
    assert!(first_head, "a trickled first head was not cut");
    assert!(after, "a head trickled after a request (hyper) was not cut");
    assert!(verify, "a head trickled after a /verify answer was not cut");
    assert!(oversized, "an oversized trickled head was not cut");
    assert!(slow_body, "a trickled body was not cut");
    assert_eq!(quick.0, 200, "a body sent at once was refused: {}", quick.1);
    assert!(
        quick.1.contains("portalName") || quick.1.contains("name"),
        "{}",
        quick.1
    );

    if s.url.starts_with("https") {
        // A TLS handshake that never happens.
        let silent: Conn = Box::new(tcp(&s, [127, 0, 0, 1].into()).await);
        assert!(
            closed_by_server(silent).await,
            "a stalled handshake stayed open"
        );
        // One trickled byte by byte.
        let hello: Conn = Box::new(tcp(&s, [127, 0, 0, 1].into()).await);
        let client_hello = [
            0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
        ];
        let mut trickled = client_hello.to_vec();
        trickled.extend_from_slice(&[0u8; 180]);
        assert!(
            trickle_until_closed(hello, &trickled, TRICKLE).await,
            "a trickled handshake was not cut"
        );
    }
    // The server still answers.
    let mut io = connect(&s).await;
    assert_eq!(ask(&mut io, HEALTH).await.0, 200);
}

crate::tuned_on_both_backends!(
    slow_clients_http,
    false,
    small_timeouts,
    slow_clients_are_cut
);
crate::tuned_on_both_backends!(
    slow_clients_https,
    true,
    small_timeouts,
    slow_clients_are_cut
);

fn small_caps(config: &mut ServeConfig) {
    config.connections.max_connections = 6;
    config.connections.max_connections_per_address = 4;
}

/// A connection from `from` if the server accepts it (it answers a request), `None` if the
/// server closes it.
async fn answered(s: &TestServer, from: IpAddr) -> Option<Conn> {
    let mut io: Conn = Box::new(tcp(s, from).await);
    io.write_all(HEALTH).await.ok()?;
    let answer = tokio::time::timeout(GUARD, try_read_answer(&mut io))
        .await
        .expect("neither answered nor closed")?;
    assert_eq!(answer.0, 200);
    Some(io)
}

async fn connection_caps_hold_and_others_are_served(s: TestServer) {
    let one: IpAddr = [127, 0, 0, 1].into();
    let two: IpAddr = [127, 0, 0, 2].into();
    let three: IpAddr = [127, 0, 0, 3].into();
    let mut mine = Vec::new();
    for _ in 0..4 {
        mine.push(answered(&s, one).await.expect("within the per-address cap"));
    }
    // The fifth from the same address is closed; the others keep being answered.
    assert!(
        answered(&s, one).await.is_none(),
        "a fifth connection was served"
    );
    assert!(closed_by_server(Box::new(tcp(&s, one).await)).await);
    for io in &mut mine {
        assert_eq!(ask(io, HEALTH).await.0, 200);
    }
    // Another client is served while the first is at its cap...
    let theirs = [
        answered(&s, two).await.expect("another address"),
        answered(&s, two).await.expect("another address"),
    ];
    // ...until the server's total is reached.
    assert!(
        answered(&s, three).await.is_none(),
        "a seventh connection was served"
    );
    // A closed connection gives its place back.
    drop(mine.pop());
    drop(theirs);
    let mut attempts = 0;
    while answered(&s, one).await.is_none() {
        attempts += 1;
        assert!(attempts < 100, "the freed place never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

crate::tuned_on_both_backends!(
    connection_caps,
    false,
    small_caps,
    connection_caps_hold_and_others_are_served
);
