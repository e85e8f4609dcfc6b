//! A TCP proxy the tests control, to put a database "out of reach" without touching it: it
//! forwards, refuses (closes every connection, as a stopped server would), or partitions (keeps
//! connections open and forwards nothing, as a dead network would). In front of several servers it
//! sends each new connection to the next one in turn, as a round-robin load balancer would.

use std::net::SocketAddr;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
};

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Forward,
    Refuse,
    Partition,
}

/// A proxy on a free loopback port in front of `upstream`.
pub struct TcpProxy {
    pub port: u16,
    mode: watch::Sender<Mode>,
    accept: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        Self::round_robin(vec![upstream]).await
    }

    /// A proxy on a free loopback port that sends each new connection to the next of
    /// `upstreams`, in turn.
    pub async fn round_robin(upstreams: Vec<SocketAddr>) -> Self {
        assert!(!upstreams.is_empty(), "a proxy needs somewhere to forward to");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the proxy binds");
        let port = listener.local_addr().expect("an address").port();
        let (mode, watcher) = watch::channel(Mode::Forward);
        let accept = tokio::spawn(async move {
            for upstream in upstreams.into_iter().cycle() {
                let Ok((client, _)) = listener.accept().await else { return };
                tokio::spawn(relay(client, upstream, watcher.clone()));
            }
        });
        Self { port, mode, accept }
    }

    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.mode.send_replace(Mode::Refuse);
    }
}

async fn relay(mut client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    let current = *mode.borrow_and_update();
    match current {
        Mode::Refuse => return,
        Mode::Partition => {
            // Accept, then say nothing until the partition heals; then hang up.
            while *mode.borrow_and_update() == Mode::Partition {
                if mode.changed().await.is_err() {
                    return;
                }
            }
            return;
        }
        Mode::Forward => {}
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
    let mut up = vec![0u8; 16 * 1024];
    let mut down = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            read = client.read(&mut up) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => if server.write_all(&up[..n]).await.is_err() { return },
            },
            read = server.read(&mut down) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => if client.write_all(&down[..n]).await.is_err() { return },
            },
            changed = mode.changed() => {
                if changed.is_err() { return }
                let now = *mode.borrow_and_update();
                match now {
                    Mode::Forward => {}
                    Mode::Refuse => return,
                    Mode::Partition => {
                        // Hold both ends open and silent until the partition heals.
                        while *mode.borrow_and_update() == Mode::Partition {
                            if mode.changed().await.is_err() { return }
                        }
                        return;
                    }
                }
            }
        }
    }
}
