"""Real mail: the pool sends its codes through an SMTP server started here (aiosmtpd, which
offers STARTTLS with a certificate of a private CA made by openssl, and wants a user and a
password over TLS), read back as a mail client would. A sign-up's code arrives as a text and an
HTML part and confirms the account; a wrong password or a server that comes back late are seen
in the pool's log and by the mail that arrives, never as a code in the log."""

import email
import email.policy
import re
import ssl
import subprocess
import time
import uuid

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from conftest import POOL_ID, PUBLIC_CLIENT, client_for, free_port, pool_env, serve, write_config

SMTP_USER = "pool-mailer"
SMTP_PASSWORD = "a mail server password"
PASSWORD = "correct horse battery"


def make_certificates(directory):
    """A private CA and a certificate it signed for localhost (openssl); returns (ca, cert, key)."""
    ca_key, ca, key, request, cert = (directory / name for name in ("ca.key", "ca.pem", "smtp.key", "smtp.csr", "smtp.pem"))
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2",
        "-subj", "/CN=Test mail CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request, "-subj", "/CN=localhost")
    extensions = directory / "smtp.ext"
    extensions.write_text("subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
        "-days", "2", "-extfile", extensions)
    return ca, cert, key


class Inbox:
    """What the SMTP server received, as parsed messages."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def wait_for(self, to, seconds=20):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in self.messages:
                if message["To"] == to:
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no mail to {to} within {seconds} s; received: {[m['To'] for m in self.messages]}")


def authenticate(server, session, envelope, mechanism, auth_data):
    # handled=False: aiosmtpd answers the client itself (535 on a failure).
    good = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=good, handled=False)


class MailServer:
    def __init__(self, directory, port):
        ca, cert, key = make_certificates(directory)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self.ca, self.port, self.inbox, self.context = ca, port, Inbox(), context
        self.controller = None

    def start(self):
        # A controller runs once: a server that comes back is a new one on the same port.
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, tls_context=self.context, require_starttls=True,
            authenticator=authenticate, auth_require_tls=True, server_hostname="localhost",
        )
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


def start_mailing_pool(directory, mail, password=SMTP_PASSWORD):
    port = free_port()
    config_path = write_config(directory, port)
    config_path.write_text(
        config_path.read_text()
        + f"""
[smtp]
host = "localhost"
port = {mail.port}
security = "starttls"
username = "{SMTP_USER}"
from = "Local Pool <no-reply@example.com>"
reply_to = "help@example.com"
ca_file = "{mail.ca}"
"""
    )
    env = pool_env()
    env["USERPOOL_SMTP_PASSWORD"] = password
    log = directory / "userpool.log"
    process = serve(config_path, port, log, env=env)
    return process, f"http://127.0.0.1:{port}", log


@pytest.fixture
def mail(tmp_path):
    server = MailServer(tmp_path, free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pool(tmp_path, mail, request):
    process, url, log = start_mailing_pool(tmp_path, mail, getattr(request, "param", SMTP_PASSWORD))
    yield url, log
    process.terminate()
    process.wait(timeout=10)


def wait_for_line(log, text, seconds=30):
    """Waits until the pool's log says `text`."""
    deadline = time.monotonic() + seconds
    while text not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.2)


def new_email():
    return f"mail-{uuid.uuid4().hex[:10]}@example.com"


def test_a_sign_up_code_arrives_by_mail_with_text_and_html_and_confirms_the_account(pool, mail):
    url, log = pool
    cognito = client_for(url)
    address = new_email()
    reply = cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=address, Password=PASSWORD)
    assert reply["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    message = mail.inbox.wait_for(address)
    assert message["From"] == "Local Pool <no-reply@example.com>"
    assert message["Reply-To"] == "help@example.com"
    assert message["Subject"] == "Your verification code"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    code = re.search(r"\b(\d{6})\b", text).group(1)
    assert f"<p>Your verification code is {code}.</p>" in html
    cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=address, ConfirmationCode=code)
    assert cognito.admin_get_user(UserPoolId=POOL_ID, Username=address)["UserStatus"] == "CONFIRMED"
    # Mail sent by SMTP stays out of the database's outbox, and its code out of the log.
    assert code not in log.read_text()
    assert "mail sent" in log.read_text()


@pytest.mark.parametrize("pool", ["not the password"], indirect=True)
def test_a_refused_login_is_logged_without_the_code(pool, mail):
    url, log = pool
    address = new_email()
    client_for(url).sign_up(ClientId=PUBLIC_CLIENT, Username=address, Password=PASSWORD)
    wait_for_line(log, "mail not delivered")
    assert mail.inbox.messages == []
    assert "Your verification code" not in log.read_text()
    assert SMTP_PASSWORD not in log.read_text() and "not the password" not in log.read_text()


def test_mail_waits_for_a_server_that_comes_back(pool, mail):
    url, log = pool
    mail.stop()
    address = new_email()
    client_for(url).sign_up(ClientId=PUBLIC_CLIENT, Username=address, Password=PASSWORD)
    wait_for_line(log, "trying again")
    mail.start()
    message = mail.inbox.wait_for(address, seconds=30)
    assert re.search(r"\b\d{6}\b", message.get_body(("plain",)).get_content())
