//! Triggers without Lambda: a pool's `LambdaConfig` names a function per
//! trigger, and this server sends the function's event, in exactly Cognito's
//! shape, to where `[triggers]` says that ARN goes (`lambda_config::Target`):
//! POSTed to a webhook, signed, or piped through a local command. The answer
//! is the event with its `response` filled in, as a Lambda function returns it.
//!
//! A call takes at most five seconds (Cognito's limit), waiting for a free lane
//! included: a few run at once. Failures answer as Cognito's do
//! (`error::TriggerFailure`): the function's own error (a webhook's non-2xx
//! status, a command's failure, a timeout) is `UserLambdaValidationException`,
//! a function that cannot be reached `UnexpectedLambdaException`, an answer
//! that does not read `InvalidLambdaResponseException`. The events of each
//! trigger are built and read in its own module.

pub(crate) mod authentication;
pub(crate) mod custom_auth;
pub(crate) mod event;
pub(crate) mod message;
pub(crate) mod sign_up;
pub(crate) mod token;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use aws_lc_rs::hmac;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::error::{Error, TriggerFailure};
use crate::lambda_config::{Target, Trigger};

/// Cognito waits five seconds for a function.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Calls in flight at once, server-wide; more wait (within their five seconds).
const LANES: usize = 32;
/// The most of an answer that is read.
const MAX_ANSWER: u64 = 1 << 20;
/// The most of a function's own error message that is passed on.
const MAX_MESSAGE: usize = 256;

/// The header with a webhook request's signature (see [`signature`]).
pub(crate) const SIGNATURE_HEADER: &str = "X-Userpool-Signature";

/// Calls the functions of every pool's triggers.
pub(crate) struct Runner {
    http: reqwest::Client,
    lanes: Semaphore,
    /// `USERPOOL_TRIGGER_SECRET`: each pool signs with a key derived from it.
    secret: Option<hmac::Key>,
    /// Where each Lambda ARN's events go.
    functions: BTreeMap<String, Target>,
}

impl Runner {
    /// `http` gets no redirects and bounds each request (`UserPool`'s outbound client).
    pub(crate) fn new(config: &Config, http: reqwest::Client) -> Runner {
        Runner {
            http,
            lanes: Semaphore::new(LANES),
            secret: config
                .trigger_secret()
                .map(|secret| hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes())),
            functions: config.triggers().functions,
        }
    }

    /// Sends `event` to the function `arn` of `pool_id`'s `trigger`, and returns
    /// the `response` of its answer.
    pub(crate) async fn call(
        &self,
        pool_id: &str,
        trigger: Trigger,
        arn: &str,
        event: &Value,
    ) -> Result<Value, Error> {
        let Some(target) = self.functions.get(arn) else {
            tracing::warn!(trigger = trigger.name(), %arn, "no [triggers.lambda_urls] entry for the function");
            return Err(unexpected(trigger, "ResourceNotFoundException"));
        };
        let body = serde_json::to_vec(event)?;
        let answer = tokio::time::timeout(TIMEOUT, async {
            let _lane = self
                .lanes
                .acquire()
                .await
                .map_err(|_| Called::Unreachable("TooManyRequestsException".to_owned()))?;
            match target {
                Target::Url(url) => self.post(pool_id, trigger, url, body).await,
                Target::Command(command) => run(command, &body).await,
            }
        })
        .await
        .unwrap_or(Err(Called::TimedOut));
        let answer = match answer {
            Ok(answer) => answer,
            Err(Called::Failed(message)) => {
                return Err(Error::Trigger {
                    failure: TriggerFailure::Validation,
                    message: format!(
                        "{} failed with error {}.",
                        trigger.name(),
                        readable(&message)
                    ),
                });
            }
            Err(Called::TimedOut) => {
                return Err(Error::Trigger {
                    failure: TriggerFailure::Validation,
                    message: format!(
                        "{} failed with error Task timed out after 5.00 seconds.",
                        trigger.name()
                    ),
                });
            }
            Err(Called::Unreachable(reason)) => {
                tracing::warn!(trigger = trigger.name(), %arn, %reason, "the trigger's function cannot be called");
                return Err(unexpected(trigger, "ServiceException"));
            }
        };
        match serde_json::from_slice::<Value>(&answer) {
            Ok(Value::Object(mut answer)) => Ok(answer.remove("response").unwrap_or(Value::Null)),
            _ => Err(invalid_response()),
        }
    }

    async fn post(
        &self,
        pool_id: &str,
        trigger: Trigger,
        url: &url::Url,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, Called> {
        let mut request = self
            .http
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Userpool-Trigger", trigger.name());
        if let Some(secret) = &self.secret {
            let key = pool_key(secret, pool_id);
            request = request.header(SIGNATURE_HEADER, signature(&key, crate::now(), &body));
        }
        let response = request.body(body).send().await.map_err(|e| {
            if e.is_timeout() {
                Called::TimedOut
            } else {
                Called::Unreachable(e.to_string())
            }
        })?;
        let ok = response.status().is_success();
        let mut answer = Vec::new();
        let mut stream = response;
        while let Some(chunk) = stream
            .chunk()
            .await
            .map_err(|e| Called::Unreachable(e.to_string()))?
        {
            if answer.len() as u64 + chunk.len() as u64 > MAX_ANSWER {
                return Err(Called::Failed("the answer is too large".to_owned()));
            }
            answer.extend_from_slice(&chunk);
        }
        if ok {
            Ok(answer)
        } else {
            Err(Called::Failed(error_message(&answer)))
        }
    }
}

/// How a call ended, when it did not answer.
enum Called {
    /// The function's own failure, with its message.
    Failed(String),
    TimedOut,
    /// It could not be reached or started (logged, not shown).
    Unreachable(String),
}

/// Runs `command` with `body` on its standard input; its standard output is the answer.
async fn run(command: &[String], body: &[u8]) -> Result<Vec<u8>, Called> {
    let (program, arguments) = command
        .split_first()
        .ok_or_else(|| Called::Unreachable("no program".to_owned()))?;
    let mut child = tokio::process::Command::new(program)
        .args(arguments)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Called::Unreachable(format!("{program}: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Called::Unreachable("no stdin".to_owned()))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| Called::Unreachable("no stdout".to_owned()))?;
    let mut stderr = child
        .stderr
        .take()
        .ok_or_else(|| Called::Unreachable("no stderr".to_owned()))?;
    let write = async {
        // A program that answers without reading its input closes the pipe: not an error.
        let _ = stdin.write_all(body).await;
        drop(stdin);
    };
    let mut answer = Vec::new();
    let mut errors = Vec::new();
    let mut stdout = (&mut stdout).take(MAX_ANSWER);
    let mut stderr = (&mut stderr).take(MAX_ANSWER);
    let read = stdout.read_to_end(&mut answer);
    let read_errors = stderr.read_to_end(&mut errors);
    let ((), read, _) = tokio::join!(write, read, read_errors);
    read.map_err(|e| Called::Unreachable(e.to_string()))?;
    let status = child
        .wait()
        .await
        .map_err(|e| Called::Unreachable(e.to_string()))?;
    if status.success() {
        return Ok(answer);
    }
    let said = String::from_utf8_lossy(&errors);
    let message = said
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(str::trim)
        .map(str::to_owned);
    Err(Called::Failed(message.unwrap_or_else(|| {
        format!("the command exited with {status}")
    })))
}

/// A webhook's error: `errorMessage` (a Lambda error's field) or `message` of a JSON
/// body, else the text itself.
fn error_message(body: &[u8]) -> String {
    if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) {
        for field in ["errorMessage", "message"] {
            if let Some(Value::String(message)) = object.get(field) {
                return message.clone();
            }
        }
    }
    String::from_utf8_lossy(body).trim().to_owned()
}

/// A message fit to show: one line, printable, at most [`MAX_MESSAGE`] characters.
fn readable(message: &str) -> String {
    let line: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE)
        .collect();
    let line = line.trim().trim_end_matches('.');
    if line.is_empty() {
        "(no message)".to_owned()
    } else {
        line.to_owned()
    }
}

fn unexpected(trigger: Trigger, reason: &str) -> Error {
    Error::Trigger {
        failure: TriggerFailure::Unexpected,
        message: format!(
            "{} invocation failed due to error {reason}.",
            trigger.name()
        ),
    }
}

pub(crate) fn invalid_response() -> Error {
    Error::Trigger {
        failure: TriggerFailure::InvalidResponse,
        message: "Unrecognizable lambda output".to_owned(),
    }
}

/// The key `pool_id`'s webhook requests are signed with:
/// HMAC-SHA256(`USERPOOL_TRIGGER_SECRET`, pool id), in hex, so that a receiver
/// of one pool's events cannot sign another's.
fn pool_key(secret: &hmac::Key, pool_id: &str) -> hmac::Key {
    let derived = hex(hmac::sign(secret, pool_id.as_bytes()).as_ref());
    hmac::Key::new(hmac::HMAC_SHA256, derived.as_bytes())
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the time is signed
/// too, so that a receiver can refuse an old request played again.
fn signature(key: &hmac::Key, now: i64, body: &[u8]) -> String {
    let mut signed = format!("{now}.").into_bytes();
    signed.extend_from_slice(body);
    format!("t={now},v1={}", hex(hmac::sign(key, &signed).as_ref()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmacs_of_the_time_and_body_under_the_pools_key() {
        let secret = hmac::Key::new(hmac::HMAC_SHA256, b"0123456789abcdef");
        let key = pool_key(&secret, "us-east-1_example");
        let signed = signature(&key, 1_700_000_000, b"{}");
        // As a receiver computes it (Python's hmac module gives the same).
        let derived = hex(hmac::sign(&secret, b"us-east-1_example").as_ref());
        let expected = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, derived.as_bytes()),
            b"1700000000.{}",
        );
        assert_eq!(
            signed,
            format!("t=1700000000,v1={}", hex(expected.as_ref()))
        );
        let other = pool_key(&secret, "us-east-1_other");
        assert_ne!(signature(&other, 1_700_000_000, b"{}"), signed);
    }

    #[test]
    fn error_messages_are_one_short_line() {
        assert_eq!(
            error_message(br#"{"errorMessage":"Domain not allowed"}"#),
            "Domain not allowed"
        );
        assert_eq!(error_message(b"  teapot \n"), "teapot");
        assert_eq!(readable("bad\nthing."), "bad thing");
        assert_eq!(readable(&"x".repeat(1000)).len(), MAX_MESSAGE);
        assert_eq!(readable(""), "(no message)");
    }

    #[tokio::test]
    async fn commands_answer_on_stdout_and_fail_with_stderr() {
        let echo = ["sh", "-c", "cat"].map(str::to_owned);
        assert_eq!(
            run(&echo, b"{\"a\":1}").await.ok(),
            Some(b"{\"a\":1}".to_vec())
        );
        let failing = ["sh", "-c", "echo 'No, thank you' >&2; exit 3"].map(str::to_owned);
        assert!(
            matches!(run(&failing, b"{}").await, Err(Called::Failed(m)) if m == "No, thank you")
        );
        let missing = ["/nonexistent/hook".to_owned()];
        assert!(matches!(
            run(&missing, b"{}").await,
            Err(Called::Unreachable(_))
        ));
    }
}
