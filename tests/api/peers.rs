//! Real peers on loopback for delivery tests: an SMTP listener that speaks the protocol and an
//! HTTP webhook receiver that records what it was sent.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use doorward::config::{SmtpConfig, SmtpSecurity, WebhookConfig};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// A minimal SMTP server: answers one session at a time and hands each message's DATA over.
pub async fn smtp_listener() -> (u16, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            sender.send(std::mem::take(body)).unwrap();
                            data = None;
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-test\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, received)
}

pub fn smtp_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
    }
}

pub async fn next(received: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a message in time")
        .unwrap()
}

/// A webhook receiver: every body it was posted, in order, on a channel.
pub async fn webhook_receiver() -> (String, mpsc::UnboundedReceiver<Value>) {
    async fn receive(
        State(sender): State<mpsc::UnboundedSender<Value>>,
        Json(body): Json<Value>,
    ) -> StatusCode {
        let _ = sender.send(body);
        StatusCode::OK
    }
    let (sender, received) = mpsc::unbounded_channel();
    let router = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(sender);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, received)
}

/// A webhook configuration for a receiver.
pub fn webhook_config(url: &str) -> WebhookConfig {
    WebhookConfig {
        webhook_url: url.to_owned(),
        bearer: None,
        timeout: Duration::from_secs(5),
        attempts: 1,
    }
}

/// The next body a receiver got, within ten seconds.
pub async fn next_post(received: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a webhook call in time")
        .unwrap()
}

/// The first run of six digits in a text.
pub fn six_digits(text: &str) -> String {
    text.as_bytes()
        .windows(6)
        .find(|w| w.iter().all(u8::is_ascii_digit))
        .map(|w| String::from_utf8(w.to_vec()).unwrap())
        .expect("a six-digit code")
}

/// A real OpenLDAP server (`slapd`, Debian's package) on a loopback port, with one person:
/// `uid=dora,ou=people,dc=example,dc=test` (mail `dora@example.test`, password
/// [`DIRECTORY_PASSWORD`]). Stopped when dropped.
pub struct Slapd {
    pub url: String,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

pub const DIRECTORY_PASSWORD: &str = "directory secret 1";

impl Slapd {
    /// Starts `slapd`; `None` (after a loud notice) on a machine without it, so that the README's
    /// test command passes with only the Rust toolchain. Under `CI` it must be there.
    pub async fn start() -> Option<Self> {
        let Some(slapd) = ["/usr/sbin/slapd", "/usr/local/sbin/slapd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
        else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install slapd (apt-get install slapd ldap-utils; .ci/run does): \
                 the directory tests may not be skipped"
            );
            static NOTICE: std::sync::Once = std::sync::Once::new();
            NOTICE.call_once(|| {
                use std::io::Write;
                // Written past the test harness's capture so that a local run sees it.
                let _ = writeln!(
                    std::io::stderr(),
                    "\nNOTICE: slapd is not installed: the LDAP directory tests are SKIPPED (they \
                     pass without running). `bash .ci/run` installs it and runs everything.\n"
                );
            });
            return None;
        };
        let slapadd = slapd.replace("slapd", "slapadd");
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("db")).unwrap();
        let conf = root.join("slapd.conf");
        std::fs::write(
            &conf,
            format!(
                "include /etc/ldap/schema/core.schema\n\
                 include /etc/ldap/schema/cosine.schema\n\
                 include /etc/ldap/schema/inetorgperson.schema\n\
                 modulepath /usr/lib/ldap\n\
                 moduleload back_mdb\n\
                 pidfile {root}/slapd.pid\n\
                 database mdb\n\
                 maxsize 10485760\n\
                 suffix \"dc=example,dc=test\"\n\
                 rootdn \"cn=admin,dc=example,dc=test\"\n\
                 rootpw admin-secret\n\
                 directory {root}/db\n\
                 access to * by * read\n",
                root = root.display()
            ),
        )
        .unwrap();
        let ldif = root.join("data.ldif");
        std::fs::write(
            &ldif,
            format!(
                "dn: dc=example,dc=test\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
                 dn: ou=people,dc=example,dc=test\nobjectClass: organizationalUnit\nou: people\n\n\
                 dn: uid=dora,ou=people,dc=example,dc=test\nobjectClass: inetOrgPerson\nuid: dora\ncn: Dora Directory\nsn: Directory\nmail: dora@example.test\nuserPassword: {DIRECTORY_PASSWORD}\n"
            ),
        )
        .unwrap();
        let added = std::process::Command::new(&slapadd)
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(&ldif)
            .output()
            .unwrap();
        assert!(added.status.success(), "slapadd: {added:?}");
        let port = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("ldap://127.0.0.1:{port}");
        let mut child = std::process::Command::new(slapd)
            .args(["-d", "0", "-h", &format!("{url}/"), "-f"])
            .arg(&conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(Self {
                    url,
                    child,
                    _dir: dir,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("slapd did not start on {url}");
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
