//! A small SMTP server for tests: speaks enough real SMTP over TCP on loopback for lettre (and
//! any other client) to deliver to it, and keeps what it received. Tests use it instead of a
//! mock; the end-to-end suite reuses it (feature `testing`).
//!
//! Two knobs make failures reproducible: recipients that match a pattern get `451` (a
//! transient failure), and `stall()` holds every `DATA` command before its `354`, so a test
//! can crash a client at the exact point where nothing has been accepted yet.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::email::{SmtpSettings, TlsMode};

/// One accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as transmitted (headers and body), dot-unstuffed.
    pub data: Vec<u8>,
}

#[derive(Default)]
struct State {
    messages: Mutex<Vec<ReceivedMail>>,
    reject_patterns: Mutex<Vec<String>>,
    stalled_sessions: AtomicUsize,
    /// Sessions between `354` and the end of the message.
    receiving: AtomicUsize,
}

pub struct SmtpSink {
    addr: SocketAddr,
    state: Arc<State>,
    stall: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    /// Listens on `127.0.0.1:0`.
    pub async fn start() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        let (stall, stall_rx) = watch::channel(false);
        let accept_state = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, accept_state.clone(), stall_rx.clone()));
            }
        });
        Ok(Self {
            addr,
            state,
            stall,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Settings that point the service's SMTP sender here.
    pub fn smtp_settings(&self) -> SmtpSettings {
        SmtpSettings {
            host: self.addr.ip().to_string(),
            port: self.addr.port(),
            tls: TlsMode::None,
            username: None,
            password: None,
            timeout_secs: 5,
        }
    }

    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.state
            .messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn count(&self) -> usize {
        self.state
            .messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Answers `451` to every recipient containing `pattern`.
    pub fn reject_recipients_containing(&self, pattern: &str) {
        self.state
            .reject_patterns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(pattern.to_owned());
    }

    /// Holds every `DATA` command (before `354`) until [`resume`](Self::resume).
    pub fn stall(&self) {
        self.stall.send_replace(true);
    }

    pub fn resume(&self) {
        self.stall.send_replace(false);
    }

    /// Sessions transmitting a message right now (after `354`, before the final `.`).
    pub fn receiving_sessions(&self) -> usize {
        self.state.receiving.load(Ordering::SeqCst)
    }

    /// Sessions waiting in a stalled `DATA` right now.
    pub fn stalled_sessions(&self) -> usize {
        self.state.stalled_sessions.load(Ordering::SeqCst)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Extracts the address of `MAIL FROM:<a>` / `RCPT TO:<a>`.
fn address(argument: &str) -> String {
    let start = argument.find('<').map_or(0, |i| i + 1);
    let end = argument[start..]
        .find('>')
        .map_or(argument.len(), |i| start + i);
    argument[start..end].to_owned()
}

async fn session(stream: TcpStream, state: Arc<State>, mut stall: watch::Receiver<bool>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    if write
        .write_all(b"220 boxoffice-sink ESMTP\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut from = String::new();
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        let verb = text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-boxoffice-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" | "NOOP" => b"250 OK\r\n",
            "RSET" => {
                from.clear();
                to.clear();
                b"250 OK\r\n"
            }
            "MAIL" => {
                from = address(&text);
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                let recipient = address(&text);
                let rejected = state
                    .reject_patterns
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .iter()
                    .any(|p| recipient.contains(p.as_str()));
                if rejected {
                    b"451 4.3.0 Mailbox temporarily unavailable\r\n"
                } else {
                    to.push(recipient);
                    b"250 OK\r\n"
                }
            }
            "DATA" if to.is_empty() => b"503 5.5.1 No valid recipients\r\n",
            "DATA" => {
                if *stall.borrow() {
                    state.stalled_sessions.fetch_add(1, Ordering::SeqCst);
                    let _ = stall.wait_for(|stalled| !*stalled).await;
                    state.stalled_sessions.fetch_sub(1, Ordering::SeqCst);
                }
                state.receiving.fetch_add(1, Ordering::SeqCst);
                let received = async {
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await
                        .ok()?;
                    read_data(&mut reader).await
                }
                .await;
                state.receiving.fetch_sub(1, Ordering::SeqCst);
                let Some(data) = received else {
                    return; // the client went away mid-message: nothing was accepted
                };
                state
                    .messages
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(ReceivedMail {
                        from: std::mem::take(&mut from),
                        to: std::mem::take(&mut to),
                        data,
                    });
                b"250 2.0.0 Queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 Bye\r\n").await;
                return;
            }
            _ => b"502 5.5.2 Command not implemented\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// Reads the message up to the lone `.` line, undoing dot-stuffing; `None` on EOF.
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if line == b".\r\n" || line == b".\n" {
            return Some(data);
        }
        let content = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        data.extend_from_slice(content);
    }
}
