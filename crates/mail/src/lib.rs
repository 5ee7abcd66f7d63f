//! Sending formwork's emails. One [`Mailer`] for the whole service, chosen by configuration:
//! SMTP (`SMTP_URL`), files in a directory (the embedded default, one `.eml` per email), or memory
//! (tests read what was sent). Emails are sent by the job worker, never during a request.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

/// An email to send: plain text, as GOV.UK Notify's guidance recommends for service emails.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The body, plain text.
    pub body: String,
}

/// Why an email was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The configuration cannot be used.
    #[error("{0}")]
    Config(String),
    /// The address or message is not valid.
    #[error("the email cannot be built: {0}")]
    Message(String),
    /// The server or directory refused it; sending again may work.
    #[error("the email could not be sent: {0}")]
    Send(String),
}

/// Where emails go.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server.
    Smtp {
        /// The connection.
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The sender.
        from: Mailbox,
    },
    /// `.eml` files in a directory, for running formwork on one machine without a mail server.
    Files {
        /// The directory.
        dir: PathBuf,
        /// The sender.
        from: Mailbox,
    },
    /// Kept in memory, for tests.
    Memory(Arc<Mutex<Vec<Email>>>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { from, .. } => write!(f, "Mailer::Smtp(from {from})"),
            Mailer::Files { dir, .. } => write!(f, "Mailer::Files({})", dir.display()),
            Mailer::Memory(_) => f.write_str("Mailer::Memory"),
        }
    }
}

impl Mailer {
    /// SMTP when `smtp_url` is set (`smtp://user:password@host:587?tls=required`, `smtps://…`), else
    /// files in `dir`. `from` is the sender, e.g. `formwork <no-reply@example.gov.uk>`.
    pub fn from_config(smtp_url: Option<&str>, from: &str, dir: &Path) -> Result<Mailer, MailError> {
        let from: Mailbox =
            from.parse().map_err(|e| MailError::Config(format!("MAIL_FROM is not an email address: {e}")))?;
        match smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError::Config(format!("SMTP_URL cannot be used: {e}")))?
                    .build();
                Ok(Mailer::Smtp { transport, from })
            }
            None => Ok(Mailer::Files { dir: dir.to_path_buf(), from }),
        }
    }

    /// A mailer that keeps emails in memory, and the list they go to.
    pub fn memory() -> (Mailer, Arc<Mutex<Vec<Email>>>) {
        let sent = Arc::new(Mutex::new(Vec::new()));
        (Mailer::Memory(Arc::clone(&sent)), sent)
    }

    fn message(from: &Mailbox, email: &Email) -> Result<Message, MailError> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| MailError::Message(format!("“{}” is not an email address: {e}", email.to)))?;
        Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&email.subject)
            .body(email.body.clone())
            .map_err(|e| MailError::Message(e.to_string()))
    }

    /// Send one email.
    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        match self {
            Mailer::Smtp { transport, from } => {
                let message = Self::message(from, email)?;
                transport.send(message).await.map_err(|e| MailError::Send(e.to_string()))?;
            }
            Mailer::Files { dir, from } => {
                let message = Self::message(from, email)?;
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| MailError::Send(format!("{}: {e}", dir.display())))?;
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                let path = dir.join(format!("{stamp}.eml"));
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(|e| MailError::Send(format!("{}: {e}", path.display())))?;
                tracing::info!(mail.to = %email.to, mail.file = %path.display(), "wrote an email to a file");
            }
            Mailer::Memory(sent) => {
                Self::message(
                    &"formwork <no-reply@formwork.invalid>"
                        .parse()
                        .map_err(|_| MailError::Config("sender".into()))?,
                    email,
                )?;
                sent.lock()
                    .map_err(|_| MailError::Send("the test mailbox is poisoned".into()))?
                    .push(email.clone());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_emails_to_files_and_refuses_bad_addresses() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::from_config(None, "formwork <no-reply@example.gov.uk>", dir.path()).unwrap();
        let email = Email {
            to: "ann@example.org".into(),
            subject: "Hello".into(),
            body: "Sign in at https://x".into(),
        };
        mailer.send(&email).await.unwrap();
        let file = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
        let text = std::fs::read_to_string(file).unwrap();
        assert!(text.contains("To: ann@example.org") && text.contains("Subject: Hello"), "{text}");
        let bad = Email { to: "not an address".into(), ..email };
        assert!(matches!(mailer.send(&bad).await, Err(MailError::Message(_))));
        assert!(Mailer::from_config(None, "nobody", dir.path()).is_err());
    }
}
