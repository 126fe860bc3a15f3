//! Emails over real SMTP: [`SmtpSink`] runs `aiosmtpd` (Python, installed by `cargo xtask test`
//! in the virtual environment named by `MARKETPLACE_TEST_SMTP_PY`) on a loopback port, storing
//! what it receives in a Maildir that the tests read back. The scenarios here check the
//! notification worker itself: an email is sent, retried while the server is down, and skipped
//! without `--smtp-url`.

use crate::server::common::{Backend, TempDir, TestServer};
use marketplace_server::store::notifications::{NewNotification, Recipient};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The environment variable naming the virtual environment that holds `aiosmtpd`.
const SMTP_VAR: &str = "MARKETPLACE_TEST_SMTP_PY";

/// A received email, parsed.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    /// The `To` addresses.
    pub(crate) to: Vec<String>,
    /// The `From` address.
    pub(crate) from: String,
    /// The subject.
    pub(crate) subject: String,
    /// The plain-text body, decoded.
    pub(crate) text: String,
}

/// An SMTP server on loopback (aiosmtpd with its Maildir handler).
pub(crate) struct SmtpSink {
    child: Child,
    /// `smtp://127.0.0.1:PORT`.
    pub(crate) url: String,
    port: u16,
    dir: TempDir,
}

/// A free loopback port (bound then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Runs aiosmtpd on `port`, storing into `maildir`.
fn spawn_aiosmtpd(port: u16, maildir: &std::path::Path) -> Child {
    let venv = std::env::var(SMTP_VAR).unwrap_or_else(|_| {
        panic!("{SMTP_VAR} must name a virtual environment with aiosmtpd (cargo xtask test installs it)")
    });
    Command::new(PathBuf::from(venv).join("bin/python3"))
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start aiosmtpd")
}

impl SmtpSink {
    /// Starts a server on a free port; waits until it accepts connections.
    pub(crate) async fn start() -> SmtpSink {
        let dir = TempDir::new("smtp");
        let port = free_port();
        let sink = SmtpSink {
            child: spawn_aiosmtpd(port, &dir.0.join("maildir")),
            url: format!("smtp://127.0.0.1:{port}"),
            port,
            dir,
        };
        sink.wait_listening().await;
        sink
    }

    /// Waits until the server accepts connections.
    async fn wait_listening(&self) {
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not listen on {}", self.port);
    }

    /// Every message received so far, oldest first.
    pub(crate) fn received(&self) -> Vec<Mail> {
        let new = self.dir.0.join("maildir/new");
        let mut files: Vec<_> = std::fs::read_dir(&new)
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok());
        files
            .iter()
            .filter_map(|path| std::fs::read(path).ok())
            .map(|raw| parse(&raw))
            .collect()
    }

    /// Waits (up to 10 s) until `count` messages arrived; returns them.
    pub(crate) async fn wait_for(&self, count: usize) -> Vec<Mail> {
        for _ in 0..200 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {count} emails, got {:?}", self.received());
    }

    /// Stops the server, keeping what it received.
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on its port and Maildir.
    async fn restart(&mut self) {
        self.stop();
        self.child = spawn_aiosmtpd(self.port, &self.dir.0.join("maildir"));
        self.wait_listening().await;
    }
}

/// Parses a received message.
fn parse(raw: &[u8]) -> Mail {
    let message = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a parsable email");
    let addresses = |list: Option<&mail_parser::Address<'_>>| -> Vec<String> {
        list.map(|a| {
            a.iter()
                .filter_map(|addr| addr.address().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
    };
    Mail {
        to: addresses(message.to()),
        from: addresses(message.from()).join(","),
        subject: message.subject().unwrap_or_default().to_owned(),
        text: message
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default(),
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts a service on SQLite that sends its emails to `smtp_url`.
pub(crate) async fn server_mailing_to(backend: Backend, smtp_url: Option<&str>) -> TestServer {
    let smtp_url = smtp_url.map(str::to_owned);
    TestServer::start_with(backend, move |mut settings| {
        settings.mail.smtp_url = smtp_url;
        settings.mail.from = "Test Vendor <vendor@example.com>".into();
        settings
    })
    .await
}

/// Enqueues an email as services do, in a transaction.
async fn enqueue_email(server: &TestServer, to: &[&str], subject: &str, body: &str) {
    let mut tx = server.state.store.begin().await.unwrap();
    marketplace_server::store::notifications::enqueue(
        &mut tx,
        &NewNotification {
            organization_id: &server.organization_id,
            recipient: Recipient::Email(to.iter().map(|s| s.to_string()).collect()),
            subject,
            body,
            now: marketplace_server::store::now_ms(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// The status of every notification, oldest first.
async fn statuses(server: &TestServer) -> Vec<(String, i64)> {
    sqlx::query_as::<_, (String, i64)>(
        "SELECT status, attempt_count FROM notifications ORDER BY created_at",
    )
    .fetch_all(&server.state.store.db.read)
    .await
    .unwrap()
}

/// An email reaches the SMTP server with its recipients, sender, subject and a body whose long
/// lines (an accept link) survive the transfer encoding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs aiosmtpd: cargo xtask test installs it and sets MARKETPLACE_TEST_SMTP_PY"]
async fn an_email_is_sent_over_smtp() {
    let sink = SmtpSink::start().await;
    let server = server_mailing_to(Backend::Sqlite, Some(&sink.url)).await;
    let link = format!(
        "https://vendor.example/portal/org/accept#token={}",
        "x".repeat(120)
    );
    enqueue_email(
        &server,
        &["ada@customer.example", "bob@customer.example"],
        "You are invited",
        &format!("Hello Ada,\n\nSet your password: {link}\n"),
    )
    .await;
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, ["ada@customer.example", "bob@customer.example"]);
    assert_eq!(mail.from, "vendor@example.com");
    assert_eq!(mail.subject, "You are invited");
    assert!(mail.text.contains(&link), "{}", mail.text);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(statuses(&server).await, [("sent".to_owned(), 1)]);
}

/// While the SMTP server is down the email stays pending and is tried again; it is sent once
/// the server is back, exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs aiosmtpd: cargo xtask test installs it and sets MARKETPLACE_TEST_SMTP_PY"]
async fn an_email_is_retried_until_the_server_answers() {
    let mut sink = SmtpSink::start().await;
    sink.stop();
    let server = server_mailing_to(Backend::Sqlite, Some(&sink.url)).await;
    enqueue_email(&server, &["ada@customer.example"], "Retried", "body").await;
    let mut attempts = 0;
    for _ in 0..100 {
        let now = statuses(&server).await;
        if now[0].1 >= 2 {
            attempts = now[0].1;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        attempts >= 2,
        "two failed attempts while the server is down"
    );
    assert_eq!(statuses(&server).await[0].0, "pending");
    sink.restart().await;
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].subject, "Retried");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 1, "sent once");
    assert_eq!(statuses(&server).await[0].0, "sent");
}

/// Without `--smtp-url` an email is recorded as skipped, not retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_smtp_server_emails_are_skipped() {
    let server = server_mailing_to(Backend::Sqlite, None).await;
    enqueue_email(&server, &["ada@customer.example"], "Skipped", "body").await;
    for _ in 0..100 {
        if statuses(&server).await[0].0 != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(statuses(&server).await, [("skipped".to_owned(), 1)]);
}
