"""Concurrent sign-ups with one email against the real binary: exactly one
creates the account, every other one is told it exists (or, past the Argon2
queue, to retry), and the account keeps the winner's password."""

import threading
from concurrent.futures import ThreadPoolExecutor

from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import PUBLIC_CLIENT, client_for

CALLS = 50


def test_concurrent_sign_ups_with_one_email_create_one_account(pool_url, outbox, email):
    # No retries: each call's own answer is what is counted.
    cognito = client_for(
        pool_url, Config(max_pool_connections=CALLS, retries={"max_attempts": 1, "mode": "standard"})
    )
    start = threading.Barrier(CALLS)

    def sign_up(n):
        password = f"password number {n}"
        start.wait()
        try:
            cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=email, Password=password)
            return password, "OK"
        except ClientError as error:
            return password, error.response["Error"]["Code"]

    with ThreadPoolExecutor(CALLS) as threads:
        outcomes = list(threads.map(sign_up, range(CALLS)))

    answers = sorted(code for _, code in outcomes)
    winners = [password for password, code in outcomes if code == "OK"]
    print(f"{len(winners)} of {CALLS} concurrent sign-ups succeeded: {answers}")
    assert len(winners) == 1, answers
    assert set(answers) <= {"OK", "UsernameExistsException", "TooManyRequestsException"}, answers

    # The winner's password is the account's, once confirmed.
    cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=email, ConfirmationCode=outbox(email))
    reply = cognito.initiate_auth(
        ClientId=PUBLIC_CLIENT,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": winners[0]},
    )
    assert "AccessToken" in reply["AuthenticationResult"]
