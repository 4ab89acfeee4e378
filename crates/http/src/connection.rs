//! One accepted connection: its socket (holding a slot of the listener's connection cap and
//! draining the client's leftovers before it closes) and its request activity.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit};
use tokio::time::{Instant, Sleep};

/// How long a closing connection keeps reading (and discarding) what the client still sends,
/// and how much of it, as nginx's lingering close does. A client that writes its whole body
/// before reading (Python's urllib, curl without `Expect`) is still writing when an early
/// answer (413) is sent; closing with its bytes unread makes the kernel send a reset, and the
/// client gets a broken pipe instead of the answer.
const LINGER_TIME: Duration = Duration::from_secs(10);
/// …and how long the client may pause while we linger.
const LINGER_PAUSE: Duration = Duration::from_secs(2);
const LINGER_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// A served socket. It holds its slot of the listener's connection cap for as long as it
/// lives (after a WebSocket upgrade too), and on shutdown sends FIN, then drains the read side
/// for up to [`LINGER_TIME`] so that the answer already written is read, not reset.
pub(crate) struct Guarded {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    linger: Option<Linger>,
}

struct Linger {
    ends: Pin<Box<Sleep>>,
    pause: Pin<Box<Sleep>>,
    drained: u64,
}

impl Guarded {
    pub(crate) fn new(stream: TcpStream, permit: OwnedSemaphorePermit) -> Self {
        Self {
            stream,
            _permit: permit,
            linger: None,
        }
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.linger.is_none() {
            // FIN after the answer: the client sees the end of it, whatever it still sends.
            ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
            let now = Instant::now();
            this.linger = Some(Linger {
                ends: Box::pin(tokio::time::sleep_until(now + LINGER_TIME)),
                pause: Box::pin(tokio::time::sleep_until(now + LINGER_PAUSE)),
                drained: 0,
            });
        }
        let Some(linger) = this.linger.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let mut scratch = [0u8; 8192];
        loop {
            if linger.ends.as_mut().poll(cx).is_ready()
                || linger.pause.as_mut().poll(cx).is_ready()
                || linger.drained >= LINGER_MAX_BYTES
            {
                return Poll::Ready(Ok(()));
            }
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.stream).poll_read(cx, &mut buf) {
                Poll::Pending => return Poll::Pending,
                // The client closed (or reset): nothing left to protect.
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => {
                    linger.drained += buf.filled().len() as u64;
                    linger.pause.as_mut().reset(Instant::now() + LINGER_PAUSE);
                }
            }
        }
    }
}

/// What a connection has been doing, for its watchdog: requests seen, requests in flight,
/// and when the last one ended.
pub(crate) struct Activity {
    started: Instant,
    seen: AtomicBool,
    /// Wakes the watchdog at the first request (it sleeps towards the header deadline).
    first_request: Notify,
    in_flight: AtomicUsize,
    /// Milliseconds after `started` at which the last request ended.
    last_end_ms: AtomicU64,
}

/// Why the watchdog ended a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expired {
    /// No request arrived within the header timeout: the connection is dropped.
    NoRequest,
    /// No request in flight for the idle timeout: the connection is closed gracefully.
    Idle,
}

/// Counts a request in flight until dropped.
pub(crate) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let ended = self.0.started.elapsed().as_millis() as u64;
        self.0.last_end_ms.store(ended, Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Activity {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            started: Instant::now(),
            seen: AtomicBool::new(false),
            first_request: Notify::new(),
            in_flight: AtomicUsize::new(0),
            last_end_ms: AtomicU64::new(0),
        })
    }

    pub(crate) fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        if !self.seen.swap(true, Ordering::AcqRel) {
            // Stores a permit if the watchdog is not waiting yet: no lost wake-up.
            self.first_request.notify_one();
        }
        InFlight(self.clone())
    }

    /// Resolves when the connection has outstayed its welcome: no first request within
    /// `header_timeout`, or no request in flight for `idle_timeout`. Timer-driven (one sleep
    /// per deadline), no polling of the socket.
    pub(crate) async fn expired(
        &self,
        header_timeout: Duration,
        idle_timeout: Duration,
    ) -> Expired {
        let first_request_by = self.started + header_timeout;
        loop {
            if !self.seen.load(Ordering::Acquire) {
                if Instant::now() >= first_request_by {
                    return Expired::NoRequest;
                }
                tokio::select! {
                    () = tokio::time::sleep_until(first_request_by) => {}
                    () = self.first_request.notified() => {}
                }
                continue;
            }
            if self.in_flight.load(Ordering::Acquire) > 0 {
                // Long requests (streams, uploads) are not idle; look again later.
                tokio::time::sleep(idle_timeout).await;
                continue;
            }
            let last_end =
                self.started + Duration::from_millis(self.last_end_ms.load(Ordering::Acquire));
            let idle_until = last_end + idle_timeout;
            if Instant::now() >= idle_until && self.in_flight.load(Ordering::Acquire) == 0 {
                return Expired::Idle;
            }
            tokio::time::sleep_until(idle_until).await;
        }
    }
}
