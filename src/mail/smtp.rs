//! Delivery through an SMTP server (`[smtp]`, lettre): messages wait in a
//! bounded queue and a worker sends them, a few at a time, each with a text and
//! an HTML part, retrying a server that is down or busy with backoff. A
//! request only ever waits to put its message in the queue; a full queue is
//! Cognito's `CodeDeliveryFailureException`. Failures are logged with the
//! masked address, never the message (it carries codes).

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::{Semaphore, mpsc};

use super::Message;
use crate::config::{SmtpConfig, SmtpSecurity};
use crate::error::Error;

/// Messages that may wait for the server at once.
const QUEUE: usize = 1024;
/// Messages being sent at once.
const CONCURRENT: usize = 4;
/// Tries per message, and the wait before the second (doubled each time after).
const ATTEMPTS: u32 = 4;
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest an SMTP command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);

/// The queue to the SMTP server; its worker ends when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct Mailer {
    queue: mpsc::Sender<Outgoing>,
}

struct Outgoing {
    to: String,
    message: Message,
}

/// The queue is full: the server has been unreachable for a while.
#[derive(Debug)]
pub(crate) struct QueueFull;

/// The HTML part of a message written as text: its paragraphs, escaped.
fn html_part(message: &Message) -> Result<String, String> {
    HtmlPart {
        subject: &message.subject,
        paragraphs: message
            .body
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect(),
    }
    .render()
    .map_err(|e| e.to_string())
}

/// The HTML part of a message: its text, paragraph by paragraph, escaped.
#[derive(Template)]
#[template(path = "message.html")]
struct HtmlPart<'a> {
    subject: &'a str,
    paragraphs: Vec<&'a str>,
}

impl Mailer {
    /// Connects nothing yet: builds the transport of `config` and starts the worker.
    pub(crate) fn start(config: &SmtpConfig) -> Result<Mailer, Error> {
        let transport = transport(config)?;
        let from = mailbox(&config.from)?;
        let reply_to = config.reply_to.as_deref().map(mailbox).transpose()?;
        let (queue, outgoing) = mpsc::channel(QUEUE);
        tokio::spawn(work(
            Arc::new(Sender {
                transport,
                from,
                reply_to,
            }),
            outgoing,
        ));
        Ok(Mailer { queue })
    }

    /// Puts a message in the queue, without waiting for the server.
    pub(crate) fn send(&self, to: &str, message: Message) -> Result<(), QueueFull> {
        self.queue
            .try_send(Outgoing {
                to: to.to_owned(),
                message,
            })
            .map_err(|_| QueueFull)
    }
}

fn mailbox(address: &str) -> Result<Mailbox, Error> {
    address
        .parse()
        .map_err(|e| Error::Mail(format!("{address:?} is not a mail address: {e}")))
}

fn transport(config: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, Error> {
    let tls = |config: &SmtpConfig| -> Result<TlsParameters, Error> {
        let mut builder = TlsParameters::builder(config.host.clone());
        if let Some(path) = &config.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| Error::Mail(format!("smtp.ca_file {}: {e}", path.display())))?;
            let certificate = Certificate::from_pem(&pem)
                .map_err(|e| Error::Mail(format!("smtp.ca_file {}: {e}", path.display())))?;
            builder = builder.add_root_certificate(certificate);
        }
        builder
            .build_rustls()
            .map_err(|e| Error::Mail(format!("TLS for {}: {e}", config.host)))
    };
    let tls = match config.security {
        // Required: no credentials or mail go out if the server offers no STARTTLS.
        SmtpSecurity::Starttls => Tls::Required(tls(config)?),
        SmtpSecurity::Tls => Tls::Wrapper(tls(config)?),
        SmtpSecurity::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
        .port(config.port())
        .tls(tls)
        .timeout(Some(COMMAND_TIMEOUT));
    if let (Some(username), Some(password)) = (&config.username, &config.password) {
        builder = builder.credentials(Credentials::new(username.clone(), password.clone()));
    }
    Ok(builder.build())
}

struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

impl Sender {
    /// The message as mail: a text part and an HTML one.
    fn mail(&self, to: Mailbox, message: &Message) -> Result<lettre::Message, String> {
        let html = match &message.html {
            Some(html) => html.clone(),
            None => html_part(message)?,
        };
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&message.subject);
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                message.body.clone(),
                html,
            ))
            .map_err(|e| e.to_string())
    }

    /// Sends one message, retrying what may pass later (a server down, busy, or timing out).
    async fn deliver(&self, outgoing: Outgoing) {
        let to = super::masked(&outgoing.to);
        let mail = match outgoing
            .to
            .parse()
            .map_err(|e: lettre::address::AddressError| e.to_string())
            .and_then(|address| self.mail(address, &outgoing.message))
        {
            Ok(mail) => mail,
            Err(error) => {
                tracing::warn!(%to, %error, "mail not sent: it cannot be written");
                return;
            }
        };
        let mut wait = FIRST_RETRY;
        for attempt in 1..=ATTEMPTS {
            match self.transport.send(mail.clone()).await {
                Ok(_) => {
                    tracing::info!(%to, attempt, "mail sent");
                    return;
                }
                Err(error) if error.is_permanent() || attempt == ATTEMPTS => {
                    tracing::warn!(%to, attempt, %error, "mail not delivered");
                    return;
                }
                Err(error) => {
                    tracing::info!(%to, attempt, %error, "mail not delivered yet: trying again");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
            }
        }
    }
}

/// Sends what the queue brings, at most [`CONCURRENT`] at a time.
async fn work(sender: Arc<Sender>, mut outgoing: mpsc::Receiver<Outgoing>) {
    let slots = Arc::new(Semaphore::new(CONCURRENT));
    while let Some(next) = outgoing.recv().await {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let sender = sender.clone();
        tokio::spawn(async move {
            sender.deliver(next).await;
            drop(slot);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender() -> Sender {
        Sender {
            transport: AsyncSmtpTransport::<Tokio1Executor>::unencrypted_localhost(),
            from: "Pool <pool@example.com>".parse().unwrap(),
            reply_to: Some("help@example.com".parse().unwrap()),
        }
    }

    #[test]
    fn a_message_has_a_text_part_and_an_escaped_html_part() {
        let message = Message {
            subject: "Your code".to_owned(),
            body: "Your code is 123456.\n\n<b>Not bold</b> & more".to_owned(),
            html: None,
        };
        let mail = sender()
            .mail("ada@example.com".parse().unwrap(), &message)
            .unwrap();
        let text = String::from_utf8(mail.formatted()).unwrap();
        assert!(text.contains("From: Pool <pool@example.com>"), "{text}");
        assert!(text.contains("Reply-To: help@example.com"), "{text}");
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(text.contains("Content-Type: text/plain"), "{text}");
        assert!(text.contains("Content-Type: text/html"), "{text}");
        assert!(text.contains("<p>Your code is 123456.</p>"), "{text}");
        assert!(
            text.contains("<p>&#60;b&#62;Not bold&#60;/b&#62; &#38; more</p>"),
            "{text}"
        );
    }

    #[test]
    fn a_custom_messages_markup_is_its_html_part() {
        let written = "<h1>Welcome</h1><p>Your code is 123456.</p>";
        let message = Message {
            subject: "Welcome".to_owned(),
            body: written.to_owned(),
            html: Some(written.to_owned()),
        };
        let mail = sender()
            .mail("ada@example.com".parse().unwrap(), &message)
            .unwrap();
        let text = String::from_utf8(mail.formatted()).unwrap();
        assert!(text.contains("Content-Type: text/html"), "{text}");
        assert!(
            text.contains("<h1>Welcome</h1><p>Your code is 123456.</p>"),
            "{text}"
        );
        assert!(!text.contains("&#60;h1"), "{text}");
    }
}
