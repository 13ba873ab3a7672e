"""Who may call the pool: admin operations need an AWS Signature Version 4 by a
configured key pair, checked as Amazon Cognito checks it (boto3 and the AWS CLI
sign for real), and the pool answers only for its own host names, so a page
that rebinds its DNS name to 127.0.0.1 reaches nothing."""

import datetime
import json
import urllib.error
import urllib.parse
import urllib.request
from unittest import mock

import botocore.auth
import pytest
from botocore import UNSIGNED
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import POOL_ID, admin_credential, aws_cli, client_for

ONE_ATTEMPT = Config(retries={"max_attempts": 1, "mode": "standard"})


def refusal(excinfo):
    response = excinfo.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_the_configured_key_pair_signs_admin_calls(cognito):
    assert "Users" in cognito.list_users(UserPoolId=POOL_ID, Limit=1)


def test_a_wrong_secret_is_an_invalid_signature(pool_url):
    access_key_id, _ = admin_credential()
    client = client_for(pool_url, ONE_ATTEMPT, (access_key_id, "not-the-secret-0123456789"))
    with pytest.raises(ClientError) as excinfo:
        client.list_users(UserPoolId=POOL_ID)
    assert refusal(excinfo) == (400, "InvalidSignatureException")
    assert excinfo.value.response["Error"]["Message"].startswith(
        "The request signature we calculated does not match the signature you provided."
    )


def test_an_unknown_key_is_not_recognised(pool_url):
    _, secret = admin_credential()
    client = client_for(pool_url, ONE_ATTEMPT, ("AKIANOTCONFIGURED001", secret))
    with pytest.raises(ClientError) as excinfo:
        client.admin_create_user(UserPoolId=POOL_ID, Username="mallory@example.com", MessageAction="SUPPRESS")
    assert refusal(excinfo) == (400, "UnrecognizedClientException")
    assert excinfo.value.response["Error"]["Message"] == "The security token included in the request is invalid."


def test_unsigned_admin_calls_are_refused(pool_url):
    client = client_for(pool_url, Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as excinfo:
        client.list_users(UserPoolId=POOL_ID)
    assert refusal(excinfo) == (403, "MissingAuthenticationTokenException")


def signed_request(pool_url, at):
    """A ListUsers request signed by botocore's own SigV4 signer with the clock at `at`."""
    request = AWSRequest(
        method="POST",
        url=pool_url + "/",
        data=json.dumps({"UserPoolId": POOL_ID}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUsers",
        },
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=at):
        botocore.auth.SigV4Auth(Credentials(*admin_credential()), "cognito-idp", "us-east-1").add_auth(request)
    return urllib.request.Request(request.url, data=request.body, headers=dict(request.headers))


def test_a_signature_is_good_for_fifteen_minutes(pool_url):
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    with urllib.request.urlopen(signed_request(pool_url, now - datetime.timedelta(minutes=10))) as reply:
        assert "Users" in json.load(reply)
    for skew in (datetime.timedelta(minutes=-20), datetime.timedelta(minutes=20)):
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(signed_request(pool_url, now + skew))
        body = json.load(excinfo.value)
        assert (excinfo.value.code, body["__type"]) == (400, "InvalidSignatureException")
        assert body["message"].startswith("Signature expired" if skew.total_seconds() < 0 else "Signature not yet current")


def status_for_host(pool_url, path, host):
    request = urllib.request.Request(pool_url + path, headers={"Host": host})
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def test_other_host_names_are_misdirected(pool_url):
    port = urllib.parse.urlsplit(pool_url).port
    for path in ["/", "/_dev/outbox.json", "/login?client_id=x", "/oauth2/authorize"]:
        for host in [f"evil.example:{port}", "evil.example", f"127.0.0.1.nip.io:{port}"]:
            assert status_for_host(pool_url, path, host) == 421, (host, path)
    for host in [f"127.0.0.1:{port}", f"localhost:{port}"]:
        assert status_for_host(pool_url, "/_dev/outbox.json", host) == 200, host
    assert status_for_host(pool_url, "/healthz", f"10.0.0.7:{port}") == 200


def test_the_aws_cli_signs_with_the_configured_keys(pool_url):
    def list_users(secret_access_key=None):
        return aws_cli(
            pool_url, "list-users", "--user-pool-id", POOL_ID, "--limit", "1", secret_access_key=secret_access_key
        )

    done = list_users()
    assert done.returncode == 0, done.stderr
    assert "Users" in json.loads(done.stdout)
    refused = list_users("not-the-secret-0123456789")
    assert refused.returncode != 0
    assert "InvalidSignatureException" in refused.stderr
