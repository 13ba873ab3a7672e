//! The accept loop of both servers (`userpool serve`, and the app's server with
//! its embedded pool): HTTP/1.1 with a header-read timeout, so that a client
//! that never finishes its headers (or idles between requests) is dropped; a
//! cap on open connections, so that slow clients cannot use up the process's
//! file descriptors (the others wait in the kernel's backlog); the peer's
//! address as [`ConnectInfo`] (the per-address throttle counts it); and
//! graceful shutdown. axum's own `serve` has neither the timeout nor the cap.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

/// How long a client has to send a request's headers, from the connection's
/// start or the end of the previous response.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Open connections served at once, unless configured otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// What [`serve`] allows each client.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    /// 0 counts as 1.
    pub max_connections: usize,
}

impl Limits {
    /// [`HEADER_READ_TIMEOUT`] and at most `max_connections` connections.
    pub fn with_max_connections(max_connections: usize) -> Limits {
        Limits {
            header_read_timeout: HEADER_READ_TIMEOUT,
            max_connections,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops
/// accepting, lets every open connection finish its request in flight, and
/// returns once all are closed.
pub async fn serve(
    mut listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let max_connections = limits.max_connections.max(1);
    let permits = Arc::new(Semaphore::new(max_connections));
    let (stop, stopping) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    // Warned about the current burst already: once per burst, not per connection.
    let mut at_limit = false;
    loop {
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                at_limit = false;
                permit
            }
            Err(_) => {
                if !at_limit {
                    at_limit = true;
                    tracing::warn!(
                        max_connections,
                        "connection limit reached: new connections wait until open ones close"
                    );
                }
                tokio::select! {
                    permit = permits.clone().acquire_owned() => match permit {
                        Ok(permit) => permit,
                        // Never closed.
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        // axum's `Listener` retries failed accepts (pausing on EMFILE).
        let (stream, peer) = tokio::select! {
            accepted = Listener::accept(&mut listener) => accepted,
            () = &mut shutdown => break,
        };
        tokio::spawn(connection(
            stream,
            peer,
            router.clone(),
            limits.header_read_timeout,
            stopping.clone(),
            permit,
        ));
    }
    drop(listener);
    drop(stopping);
    // Tells every connection to finish; each holds a permit until it has closed.
    stop.send_replace(());
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    let _drained = permits.acquire_many(all).await;
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    header_read_timeout: Duration,
    mut stopping: watch::Receiver<()>,
    _permit: OwnedSemaphorePermit,
) {
    // Responses written in parts (a file's headers, then its body) must not wait for the
    // peer's delayed ACK (Nagle's algorithm): 40 ms per asset on a keep-alive connection.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "TCP_NODELAY not set");
    }
    let service = router.map_request(move |request: Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let mut conn =
        pin!(builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
    let result = tokio::select! {
        result = conn.as_mut() => result,
        _ = stopping.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%peer, %error, "connection closed");
    }
}

/// Resolves on Ctrl-C, or SIGTERM on Unix: the servers' signal to stop.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// Threads the runtime keeps for blocking work: file reads (the static
/// assets), key generation, Argon2 (itself at most one hash per core). More
/// queue; without a bound, a burst of asset requests grew the pool to over
/// a hundred threads.
pub const MAX_BLOCKING_THREADS: usize = 16;

/// The multi-threaded runtime both servers run on, its blocking pool bounded.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Generous: only a server that never closes takes this long.
    const EVENTUALLY: Duration = Duration::from_secs(20);

    /// A server answering `GET /` with the peer's address, and its address.
    async fn start(limits: Limits) -> (SocketAddr, watch::Sender<()>, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route(
            "/",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        );
        let (stop, mut stopped) = watch::channel(());
        let server = tokio::spawn(serve(listener, router, limits, async move {
            let _ = stopped.changed().await;
        }));
        (addr, stop, server)
    }

    /// Sends a whole request on `stream` and reads the answer to its end.
    async fn get_root(stream: &mut TcpStream) -> String {
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn a_client_that_never_finishes_its_headers_is_disconnected() {
        let limits = Limits {
            header_read_timeout: Duration::from_millis(200),
            max_connections: 8,
        };
        let (addr, _stop, _server) = start(limits).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET / HT").await.unwrap();
        let mut buffer = [0; 1024];
        let read = tokio::time::timeout(EVENTUALLY, stream.read(&mut buffer))
            .await
            .expect("the server closes the connection");
        // Closed (or reset) without an answer.
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");

        // Complete requests are answered, with the client's address (on a server whose
        // timeout a busy test machine cannot outlast between connecting and writing).
        let (addr, _stop, _server) = start(Limits {
            header_read_timeout: EVENTUALLY,
            max_connections: 8,
        })
        .await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let local = stream.local_addr().unwrap();
        let answer = get_root(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(&local.to_string()), "{answer}");
    }

    #[tokio::test]
    async fn connections_over_the_cap_wait_until_one_closes() {
        let log = crate::tests::CapturedLog::start();
        let limits = Limits {
            header_read_timeout: Duration::from_secs(600),
            max_connections: 2,
        };
        let (addr, _stop, _server) = start(limits).await;
        let mut held = Vec::new();
        for _ in 0..2 {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"GET / HT").await.unwrap();
            held.push(stream);
        }
        let mut third = TcpStream::connect(addr).await.unwrap();
        let waiting = tokio::spawn(async move { get_root(&mut third).await });
        // Not answered while two connections are open.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiting.is_finished());
        held.pop();
        let answer = tokio::time::timeout(EVENTUALLY, waiting)
            .await
            .expect("answered once a connection closed")
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let text = log.text();
        assert_eq!(
            text.matches("connection limit reached").count(),
            1,
            "one warning for the burst: {text}"
        );
    }

    #[tokio::test]
    async fn shutdown_lets_the_request_in_flight_finish() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let released = Arc::new(tokio::sync::Mutex::new(Some(released)));
        let router = Router::new().route(
            "/",
            get(move || async move {
                if let Some(released) = released.lock().await.take() {
                    let _ = released.await;
                }
                "done"
            }),
        );
        let (stop, mut stopped) = watch::channel(());
        let server = tokio::spawn(serve(
            listener,
            router,
            Limits::with_max_connections(8),
            async move {
                let _ = stopped.changed().await;
            },
        ));
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let in_flight = tokio::spawn(async move { get_root(&mut stream).await });
        tokio::time::sleep(Duration::from_millis(200)).await;
        stop.send_replace(());
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Stopped accepting, still serving the request in flight.
        assert!(!server.is_finished());
        release.send(()).unwrap();
        let answer = tokio::time::timeout(EVENTUALLY, in_flight)
            .await
            .unwrap()
            .unwrap();
        assert!(answer.ends_with("done"), "{answer}");
        tokio::time::timeout(EVENTUALLY, server)
            .await
            .unwrap()
            .unwrap();
        assert!(TcpStream::connect(addr).await.is_err());
    }
}
