"""Managing user pools as Amazon Cognito does (CreateUserPool, DescribeUserPool,
UpdateUserPool, DeleteUserPool, ListUserPools, their domains and resource servers), driven
by boto3 and the AWS CLI exactly as a test suite written against AWS would drive them: each new pool has
its own settings, password policy, users, groups, issuer and signing keys, it
survives a restart, and the pool configured in userpool.toml is listed beside it."""

import base64
import contextlib
import datetime
import hashlib
import hmac
import html
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import (
    BINARY,
    POOL_ID,
    ROOT,
    admin_credential,
    aws_cli,
    client_for,
    delete_quietly,
    free_port,
    pool_env,
    serve,
    unique_name,
    write_config,
)

POOL_ID_SHAPE = re.compile(r"^us-east-1_[0-9A-Za-z]{9}$")
ONE_ATTEMPT = Config(retries={"max_attempts": 1, "mode": "standard"})
# Amazon Cognito's password policy when CreateUserPool is given none.
DEFAULT_PASSWORD_POLICY = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}
STRICT_POLICY = {
    "MinimumLength": 10,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
}
COMPLIANT_PASSWORD = "Compliant-Pass1"
# Cognito words SignUp's refusals "did not conform with", and some other operations' "does not conform to".
POLICY_REFUSAL = re.compile(r"^Password (did not conform with|does not conform to) policy")


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def refusal(excinfo):
    response = excinfo.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def unique_email():
    return f"{uuid.uuid4()}@example.com"


def all_pools(client):
    """Every pool that ListUserPools names, page by page."""
    pools, token = [], None
    while True:
        page = client.list_user_pools(MaxResults=60, **({"NextToken": token} if token else {}))
        pools += page["UserPools"]
        token = page.get("NextToken")
        if not token:
            return pools


def get_json(url):
    """The status and JSON body (None unless 200) of a GET of `url`."""
    try:
        with urllib.request.urlopen(url) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        return error.code, None


def assert_recent(moment):
    assert isinstance(moment, datetime.datetime)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs(now - moment) < datetime.timedelta(minutes=5), moment


# --- CreateUserPool and DescribeUserPool ---


def test_a_new_pool_gets_an_id_an_arn_and_cognitos_defaults(new_pool, cognito):
    """A pool created with only a name has a Cognito-shaped id and ARN, timestamps and Cognito's defaults."""
    name = unique_name("defaults")
    pool = new_pool(PoolName=name)
    assert POOL_ID_SHAPE.match(pool["Id"]), pool["Id"]
    assert pool["Name"] == name
    assert re.fullmatch(rf"arn:aws:cognito-idp:us-east-1:\d{{12}}:userpool/{pool['Id']}", pool["Arn"]), pool["Arn"]
    assert_recent(pool["CreationDate"])
    assert_recent(pool["LastModifiedDate"])
    assert pool["LastModifiedDate"] >= pool["CreationDate"]
    policy = pool["Policies"]["PasswordPolicy"]
    assert {key: policy.get(key) for key in DEFAULT_PASSWORD_POLICY} == DEFAULT_PASSWORD_POLICY
    assert pool["DeletionProtection"] == "INACTIVE"
    assert pool["MfaConfiguration"] == "OFF"
    assert pool["EstimatedNumberOfUsers"] == 0
    assert pool["Id"] != POOL_ID


def test_a_new_pool_keeps_the_settings_it_was_created_with(new_pool, cognito):
    """What CreateUserPool is given comes back from it and from DescribeUserPool."""
    settings = {
        "UserPoolTags": {"team": "identity", "stage": "test"},
        "AutoVerifiedAttributes": ["email"],
        "UsernameAttributes": ["email"],
        "EmailVerificationMessage": "Your code for the test pool is {####}.",
        "EmailVerificationSubject": "Test pool code",
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    }
    created = new_pool(**settings)
    described = cognito.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
    for pool in (created, described):
        assert pool["UserPoolTags"] == settings["UserPoolTags"]
        assert pool["AutoVerifiedAttributes"] == ["email"]
        assert pool["UsernameAttributes"] == ["email"]
        assert pool["EmailVerificationMessage"] == settings["EmailVerificationMessage"]
        assert pool["EmailVerificationSubject"] == settings["EmailVerificationSubject"]
        assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
        assert pool["AccountRecoverySetting"] == settings["AccountRecoverySetting"]
    kept = ("Id", "Name", "Arn", "CreationDate", "LastModifiedDate", "Policies", "DeletionProtection", "MfaConfiguration")
    for key in kept:
        assert described[key] == created[key], key


def test_a_new_pool_keeps_its_mfa_setting(new_pool, cognito):
    """A pool created with optional MFA says so when described."""
    pool = new_pool(MfaConfiguration="OPTIONAL")
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["MfaConfiguration"] == "OPTIONAL"


def test_describing_a_pool_that_does_not_exist(cognito):
    """A well-formed id of no pool is not found; a malformed one is an invalid parameter."""
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool(UserPoolId="us-east-1_NoSuchPoo")
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool(UserPoolId="not a pool id")
    assert error_code(excinfo) == "InvalidParameterException"


# --- ListUserPools ---


def test_list_user_pools_pages_through_every_pool(new_pool, cognito):
    """Paging one pool at a time names the new pools and the configured one, each once, with their dates."""
    created = {pool["Id"]: pool["Name"] for pool in (new_pool() for _ in range(3))}
    seen, token, pages = [], None, 0
    while True:
        page = cognito.list_user_pools(MaxResults=1, **({"NextToken": token} if token else {}))
        assert len(page["UserPools"]) <= 1
        seen += page["UserPools"]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
        assert pages < 10_000, "NextToken never runs out"
    ids = [pool["Id"] for pool in seen]
    assert len(ids) == len(set(ids)), "a pool was listed twice"
    assert set(created) | {POOL_ID} <= set(ids)
    for pool in seen:
        assert {"Id", "Name", "CreationDate", "LastModifiedDate"} <= set(pool), pool
        assert isinstance(pool["CreationDate"], datetime.datetime)
        assert isinstance(pool["LastModifiedDate"], datetime.datetime)
        if pool["Id"] in created:
            assert pool["Name"] == created[pool["Id"]]
    # The paginator that boto3 ships works too.
    paginated = [
        pool["Id"]
        for page in cognito.get_paginator("list_user_pools").paginate(PaginationConfig={"PageSize": 2})
        for pool in page["UserPools"]
    ]
    assert set(created) | {POOL_ID} <= set(paginated)
    assert len(paginated) == len(set(paginated))


@pytest.mark.parametrize("max_results", [0, 61])
def test_list_user_pools_wants_between_1_and_60_results(pool_url, max_results):
    """MaxResults outside 1..60 is an invalid parameter (sent past botocore's own check)."""
    client = client_for(pool_url, Config(parameter_validation=False, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as excinfo:
        client.list_user_pools(MaxResults=max_results)
    assert error_code(excinfo) == "InvalidParameterException"


# --- UpdateUserPool ---


def test_update_user_pool_sets_what_it_is_given_and_defaults_the_rest(new_pool, cognito):
    """UpdateUserPool sets the new policy and, as Cognito documents, puts settings it is not given back to their defaults."""
    pool = new_pool(
        UserPoolTags={"team": "identity"},
        Policies={"PasswordPolicy": {**STRICT_POLICY, "MinimumLength": 12}},
        AutoVerifiedAttributes=["email"],
        EmailVerificationSubject="A subject of our own",
        DeletionProtection="ACTIVE",
    )
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    new_policy = {
        "MinimumLength": 9,
        "RequireUppercase": False,
        "RequireLowercase": True,
        "RequireNumbers": False,
        "RequireSymbols": False,
        "TemporaryPasswordValidityDays": 3,
    }
    cognito.update_user_pool(UserPoolId=pool["Id"], Policies={"PasswordPolicy": new_policy})
    updated = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    policy = updated["Policies"]["PasswordPolicy"]
    assert {key: policy.get(key) for key in new_policy} == new_policy
    # What UpdateUserPool cannot change is kept.
    for key in ("Id", "Name", "Arn", "CreationDate"):
        assert updated[key] == pool[key], key
    assert updated["LastModifiedDate"] >= pool["LastModifiedDate"]
    assert updated["LastModifiedDate"] >= updated["CreationDate"]
    # What it was not given is back to Cognito's defaults.
    assert updated["DeletionProtection"] == "INACTIVE"
    assert updated["MfaConfiguration"] == "OFF"
    assert updated.get("AutoVerifiedAttributes", []) == []
    assert updated.get("EmailVerificationSubject") != "A subject of our own"


def test_update_user_pool_renames_a_pool_given_a_pool_name(new_pool, cognito):
    """UpdateUserPool with PoolName gives the pool a new friendly name under the same id."""
    pool = new_pool()
    renamed = unique_name("renamed")
    cognito.update_user_pool(UserPoolId=pool["Id"], PoolName=renamed)
    described = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert (described["Id"], described["Name"]) == (pool["Id"], renamed)
    listed = {p["Id"]: p["Name"] for p in all_pools(cognito)}
    assert listed[pool["Id"]] == renamed


def test_updating_a_pool_that_does_not_exist(cognito):
    """UpdateUserPool on an id of no pool is not found."""
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool(UserPoolId="us-east-1_NoSuchPoo", Policies={"PasswordPolicy": STRICT_POLICY})
    assert error_code(excinfo) == "ResourceNotFoundException"


# --- DeleteUserPool ---


def test_a_deleted_pool_is_gone(new_pool, cognito):
    """After DeleteUserPool the pool, its users and its listing are gone."""
    pool = new_pool()
    email = unique_email()
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=email, MessageAction="SUPPRESS")
    cognito.delete_user_pool(UserPoolId=pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool(UserPoolId=pool["Id"])
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=pool["Id"], Username=email)
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert pool["Id"] not in {p["Id"] for p in all_pools(cognito)}
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_user_pool(UserPoolId=pool["Id"])
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_deletion_protection_keeps_a_pool_until_it_is_lifted(new_pool, cognito):
    """A pool with deletion protection cannot be deleted until UpdateUserPool deactivates it."""
    pool = new_pool(DeletionProtection="ACTIVE")
    assert pool["DeletionProtection"] == "ACTIVE"
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_user_pool(UserPoolId=pool["Id"])
    assert error_code(excinfo) == "InvalidParameterException"
    assert cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["DeletionProtection"] == "ACTIVE"
    cognito.update_user_pool(UserPoolId=pool["Id"], DeletionProtection="INACTIVE")
    cognito.delete_user_pool(UserPoolId=pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool(UserPoolId=pool["Id"])
    assert error_code(excinfo) == "ResourceNotFoundException"


# --- the password policy of a new pool ---

WEAK_PASSWORDS = [
    pytest.param("Ab1-xyz", id="too-short"),
    pytest.param("lowercase-only1", id="no-uppercase"),
    pytest.param("UPPERCASE-ONLY1", id="no-lowercase"),
    pytest.param("No-Numbers-Here", id="no-number"),
    pytest.param("NoSymbolsHere123", id="no-symbol"),
]


def assert_policy_refusal(excinfo):
    assert error_code(excinfo) == "InvalidPasswordException"
    message = excinfo.value.response["Error"]["Message"]
    assert POLICY_REFUSAL.match(message), message


@pytest.mark.parametrize("weak", WEAK_PASSWORDS)
def test_a_new_pools_password_policy_is_enforced(new_pool, cognito, weak):
    """Admins cannot give a user of a strict pool a password that breaks its policy; a compliant one works."""
    pool = new_pool(Policies={"PasswordPolicy": STRICT_POLICY})
    policy = pool["Policies"]["PasswordPolicy"]
    assert {key: policy.get(key) for key in STRICT_POLICY} == STRICT_POLICY
    assert policy["TemporaryPasswordValidityDays"] == 7
    pool_id = pool["Id"]
    refused = unique_email()
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(UserPoolId=pool_id, Username=refused, TemporaryPassword=weak, MessageAction="SUPPRESS")
    assert_policy_refusal(excinfo)
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=pool_id, Username=refused)
    assert error_code(excinfo) == "UserNotFoundException"

    user = unique_email()
    cognito.admin_create_user(UserPoolId=pool_id, Username=user, MessageAction="SUPPRESS")
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=user, Password=weak, Permanent=True)
    assert_policy_refusal(excinfo)
    assert cognito.admin_get_user(UserPoolId=pool_id, Username=user)["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    cognito.admin_set_user_password(UserPoolId=pool_id, Username=user, Password=COMPLIANT_PASSWORD, Permanent=True)
    assert cognito.admin_get_user(UserPoolId=pool_id, Username=user)["UserStatus"] == "CONFIRMED"
    temporary = unique_email()
    cognito.admin_create_user(
        UserPoolId=pool_id, Username=temporary, TemporaryPassword=COMPLIANT_PASSWORD, MessageAction="SUPPRESS"
    )
    assert cognito.admin_get_user(UserPoolId=pool_id, Username=temporary)["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_a_lenient_pool_takes_six_lowercase_letters(new_pool, cognito):
    """A pool that requires no character classes and six characters takes six lowercase letters, not five."""
    lenient = {
        "MinimumLength": 6,
        "RequireUppercase": False,
        "RequireLowercase": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
    }
    pool_id = new_pool(Policies={"PasswordPolicy": lenient})["Id"]
    user = unique_email()
    cognito.admin_create_user(UserPoolId=pool_id, Username=user, MessageAction="SUPPRESS")
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=user, Password="qzxvb", Permanent=True)
    assert_policy_refusal(excinfo)
    # Not "abcdef": the pool also refuses the most common passwords, and that one is on the list.
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=user, Password="qzxvbn", Permanent=True)
    assert cognito.admin_get_user(UserPoolId=pool_id, Username=user)["UserStatus"] == "CONFIRMED"


# --- users and groups belong to one pool ---


def test_users_belong_to_their_pool(new_pool, cognito):
    """The same address can be a user of two pools, and each pool lists and finds only its own users."""
    first, second = new_pool()["Id"], new_pool()["Id"]
    shared, only_first = unique_email(), unique_email()
    for pool_id in (first, second):
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=shared,
            UserAttributes=[{"Name": "email", "Value": shared}],
            MessageAction="SUPPRESS",
        )
    cognito.admin_create_user(UserPoolId=first, Username=only_first, MessageAction="SUPPRESS")

    listed = sorted(u["Username"] for u in cognito.list_users(UserPoolId=first)["Users"])
    assert listed == sorted([shared, only_first])
    assert [u["Username"] for u in cognito.list_users(UserPoolId=second)["Users"]] == [shared]
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=second, Username=only_first)
    assert error_code(excinfo) == "UserNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=POOL_ID, Username=shared)
    assert error_code(excinfo) == "UserNotFoundException"
    # Deleting the user in one pool leaves the other pool's.
    cognito.admin_delete_user(UserPoolId=first, Username=shared)
    assert cognito.admin_get_user(UserPoolId=second, Username=shared)["Username"] == shared


def test_groups_belong_to_their_pool(new_pool, cognito):
    """Each pool can have its own Admins group."""
    first, second = new_pool()["Id"], new_pool()["Id"]
    for pool_id in (first, second):
        group = cognito.create_group(UserPoolId=pool_id, GroupName="Admins")["Group"]
        assert (group["GroupName"], group["UserPoolId"]) == ("Admins", pool_id)
    cognito.create_group(UserPoolId=first, GroupName="Readers")
    assert sorted(g["GroupName"] for g in cognito.list_groups(UserPoolId=first)["Groups"]) == ["Admins", "Readers"]
    assert [g["GroupName"] for g in cognito.list_groups(UserPoolId=second)["Groups"]] == ["Admins"]
    with pytest.raises(ClientError) as excinfo:
        cognito.create_group(UserPoolId=second, GroupName="Admins")
    assert error_code(excinfo) == "GroupExistsException"


# --- each pool's issuer and keys ---


def test_each_pool_has_its_own_issuer_and_keys(new_pool, cognito, pool_url):
    """A new pool publishes its own issuer and RSA keys, unlike the configured pool's, until it is deleted."""
    pool_id = new_pool()["Id"]
    discovery_url = f"{pool_url}/{pool_id}/.well-known/openid-configuration"
    jwks_url = f"{pool_url}/{pool_id}/.well-known/jwks.json"
    status, discovery = get_json(discovery_url)
    assert status == 200
    assert discovery["issuer"] == f"{pool_url}/{pool_id}"
    assert discovery["jwks_uri"] == jwks_url
    status, jwks = get_json(jwks_url)
    assert status == 200
    assert jwks["keys"]
    assert all(key["kty"] == "RSA" and key["kid"] for key in jwks["keys"])
    status, configured = get_json(f"{pool_url}/{POOL_ID}/.well-known/jwks.json")
    assert status == 200
    assert not {key["kid"] for key in jwks["keys"]} & {key["kid"] for key in configured["keys"]}

    cognito.delete_user_pool(UserPoolId=pool_id)
    assert get_json(discovery_url)[0] == 404
    assert get_json(jwks_url)[0] == 404


# --- who may manage pools ---


def test_managing_pools_needs_the_admin_signature(pool_url, cognito):
    """An unsigned, wrongly signed or unknown-key CreateUserPool is refused and creates nothing."""
    access_key_id, secret = admin_credential()
    unsigned = Config(signature_version=UNSIGNED, retries={"max_attempts": 1})
    attempts = [
        (client_for(pool_url, unsigned), (403, "MissingAuthenticationTokenException")),
        (client_for(pool_url, ONE_ATTEMPT, (access_key_id, "not-the-secret-0123456789")), (400, "InvalidSignatureException")),
        (client_for(pool_url, ONE_ATTEMPT, ("AKIANOTCONFIGURED001", secret)), (400, "UnrecognizedClientException")),
    ]
    names = []
    for client, expected in attempts:
        name = unique_name("unsigned")
        names.append(name)
        with pytest.raises(ClientError) as excinfo:
            client.create_user_pool(PoolName=name)
        assert refusal(excinfo) == expected
        with pytest.raises(ClientError) as excinfo:
            client.list_user_pools(MaxResults=10)
        assert refusal(excinfo) == expected
    listed = {pool["Name"] for pool in all_pools(cognito)}
    assert not listed & set(names)


# --- separate pool processes ---


def stop(process):
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_pools_and_their_users_survive_a_restart():
    """A created pool and its user are there after the pool process restarts on the same data."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        config = write_config(data_dir, port)
        log = os.path.join(data_dir, "userpool.log")
        process = serve(config, port, log)
        client = client_for(url, ONE_ATTEMPT)
        pool_id = None
        try:
            policies = {"PasswordPolicy": STRICT_POLICY}
            pool = client.create_user_pool(PoolName=unique_name("restart"), Policies=policies)["UserPool"]
            pool_id = pool["Id"]
            email = unique_email()
            client.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
            stop(process)

            process = serve(config, port, log)
            described = client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
            for key in ("Id", "Name", "Arn", "CreationDate", "Policies"):
                assert described[key] == pool[key], key
            assert client.admin_get_user(UserPoolId=pool_id, Username=email)["Username"] == email
        finally:
            if pool_id and process.poll() is None:
                with contextlib.suppress(ClientError):
                    delete_quietly(client, pool_id)  # the database may be a shared PostgreSQL
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)


def test_the_command_line_works_on_a_pool_created_through_the_api():
    """`userpool users export --pool <id>` writes that pool's users and `keys rotate --pool <id>` gives it a
    key that its JWKS publishes and its tokens are signed with; an unknown pool is an error."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        config = write_config(data_dir, port)
        process = serve(config, port, os.path.join(data_dir, "userpool.log"))
        client = client_for(url, ONE_ATTEMPT)

        def command(*args):
            return subprocess.run(
                [str(BINARY), *args, "--config", str(config)], capture_output=True, text=True, env=pool_env()
            )

        pool_id = None
        try:
            pool_id = client.create_user_pool(PoolName=unique_name("cli"), Policies=LENIENT_POLICIES)["UserPool"]["Id"]
            client_id = password_client(client, pool_id)
            username = unique_username("exported")
            create_user(client, pool_id, username)
            exported = command("users", "export", "--pool", pool_id)
            assert exported.returncode == 0, exported.stderr
            assert [json.loads(line).get("username") for line in exported.stdout.splitlines()] == [username]
            unknown = command("users", "export", "--pool", "us-east-1_NoSuchPool")
            assert unknown.returncode != 0 and "us-east-1_NoSuchPool" in unknown.stderr

            rotated = command("keys", "rotate", "--pool", pool_id, "--publish-ahead", "0")
            assert rotated.returncode == 0, rotated.stderr
            kid = rotated.stdout.strip()
            # Running pools reload their keys every 30 s.
            deadline = time.monotonic() + 45
            while kid not in [k["kid"] for k in get_json(f"{url}/{pool_id}/.well-known/jwks.json")[1]["keys"]]:
                assert time.monotonic() < deadline, "the new key was not published"
                time.sleep(1)
            assert jwt_part(sign_in(client, client_id, username)["IdToken"], 0)["kid"] == kid
        finally:
            if pool_id and process.poll() is None:
                with contextlib.suppress(ClientError):
                    delete_quietly(client, pool_id)  # the database may be a shared PostgreSQL
            process.terminate()
            process.wait(timeout=10)


DECLARED_POOLS = """
[[user_pools]]
id = "us-east-1_Fixtures{n}"
name = "declared fixtures"
settings = {{ AutoVerifiedAttributes = ["email"], Policies = {{ PasswordPolicy = {{ MinimumLength = {length} }} }}, Schema = [{{ Name = "tenant", AttributeDataType = "String" }}] }}

[[user_pools.clients]]
id = "f1xtur3sc1ient{n}"
name = "fixtures-cli"
settings = {{ ExplicitAuthFlows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], PreventUserExistenceErrors = "ENABLED" }}
"""


def test_userpool_toml_declares_further_pools_with_their_clients():
    """[[user_pools]] in userpool.toml: made at start-up as CreateUserPool and CreateUserPoolClient would make
    them, brought up to date at the next start (users kept), and refused when how users are named changes."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    n = uuid.uuid4().hex[:8]
    pool_id, client_id = f"us-east-1_Fixtures{n}", f"f1xtur3sc1ient{n}"
    with tempfile.TemporaryDirectory() as data_dir:
        config = write_config(data_dir, port)
        base = config.read_text()
        config.write_text(base + DECLARED_POOLS.format(n=n, length=8))
        log = os.path.join(data_dir, "userpool.log")
        process = serve(config, port, log)
        client = client_for(url, ONE_ATTEMPT)
        try:
            pool = client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
            assert pool["Name"] == "declared fixtures"
            assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
            assert "custom:tenant" in [a["Name"] for a in pool["SchemaAttributes"]]
            described = client.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
            assert described["PreventUserExistenceErrors"] == "ENABLED"
            username = unique_username("declared")
            create_user(client, pool_id, username, password="Declared pass 1")
            assert sign_in(client, client_id, username, "Declared pass 1")["IdToken"]
            stop(process)

            # The next start brings the pool up to date with the file, and keeps its users.
            config.write_text(base + DECLARED_POOLS.format(n=n, length=12))
            process = serve(config, port, log)
            updated = client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
            assert updated["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
            assert updated["CreationDate"] == pool["CreationDate"]
            assert sign_in(client, client_id, username, "Declared pass 1")["IdToken"]
            stop(process)

            # Cognito cannot rename how users sign in; neither can the file.
            config.write_text(
                base
                + DECLARED_POOLS.format(n=n, length=12).replace(
                    "AutoVerifiedAttributes", 'UsernameAttributes = ["email"], AutoVerifiedAttributes'
                )
            )
            refused = subprocess.run(
                [str(BINARY), "serve", "--config", str(config)], capture_output=True, text=True, env=pool_env(), timeout=60
            )
            assert refused.returncode != 0
            assert pool_id in refused.stderr and "UsernameAttributes" in refused.stderr, refused.stderr
        finally:
            if process.poll() is None:
                stop(process)
            # The database may be a shared PostgreSQL: a server without the declaration deletes the pool.
            config.write_text(base)
            process = serve(config, port, log)
            delete_quietly(client, pool_id)
            stop(process)


def deterministic_pool(data_dir):
    """A pool process on a fresh SQLite `data_dir` with deterministic pool ids; returns it and its URL."""
    port = free_port()
    env = {**pool_env(sqlite=True), "USERPOOL_DETERMINISTIC_POOL_IDS": "true"}
    process = serve(write_config(data_dir, port), port, os.path.join(data_dir, "userpool.log"), env=env)
    return process, f"http://127.0.0.1:{port}"


def test_deterministic_pool_ids_follow_the_pool_name():
    """With deterministic ids, a pool name gives the same id on a fresh server, and a name can be used once."""
    name, other = unique_name("fixture"), unique_name("fixture")
    ids = []
    for _ in range(2):
        with tempfile.TemporaryDirectory() as data_dir:
            process, url = deterministic_pool(data_dir)
            try:
                client = client_for(url, ONE_ATTEMPT)
                pool_id = client.create_user_pool(PoolName=name)["UserPool"]["Id"]
                assert POOL_ID_SHAPE.match(pool_id), pool_id
                ids.append(pool_id)
                with pytest.raises(ClientError) as excinfo:
                    client.create_user_pool(PoolName=name)
                assert error_code(excinfo) == "InvalidParameterException"
                other_id = client.create_user_pool(PoolName=other)["UserPool"]["Id"]
                assert other_id != pool_id
                assert client.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Name"] == name
                assert [p["Name"] for p in all_pools(client)].count(name) == 1
            finally:
                process.terminate()
                process.wait(timeout=10)
    assert ids[0] == ids[1]


# --- the AWS CLI ---

def test_the_aws_cli_creates_describes_and_deletes_a_pool(pool_url, cognito):
    """`aws cognito-idp create-user-pool`, `describe-user-pool` and `delete-user-pool` work against the pool."""

    def aws(*arguments):
        return aws_cli(pool_url, *arguments)

    name = unique_name("cli")
    created = aws("create-user-pool", "--pool-name", name)
    assert created.returncode == 0, created.stderr
    pool = json.loads(created.stdout)["UserPool"]
    try:
        assert POOL_ID_SHAPE.match(pool["Id"]), pool["Id"]
        assert pool["Name"] == name
        described = aws("describe-user-pool", "--user-pool-id", pool["Id"])
        assert described.returncode == 0, described.stderr
        assert json.loads(described.stdout)["UserPool"]["Name"] == name
        deleted = aws("delete-user-pool", "--user-pool-id", pool["Id"])
        assert deleted.returncode == 0, deleted.stderr
        gone = aws("describe-user-pool", "--user-pool-id", pool["Id"])
        assert gone.returncode != 0
        assert "ResourceNotFoundException" in gone.stderr
    finally:
        with contextlib.suppress(ClientError):
            delete_quietly(cognito, pool["Id"])


# --- app clients of a new pool (CreateUserPoolClient and the rest) ---

CLIENT_ID_SHAPE = re.compile(r"^[a-z0-9]{26}$")
# Cognito's ClientSecretType: 24 to 64 word characters or "+"; generated secrets have 51.
CLIENT_SECRET_SHAPE = re.compile(r"^[\w+]{51}$")
# What a client created without ExplicitAuthFlows supports, as Cognito documents.
DEFAULT_AUTH_FLOWS = ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
PASSWORD_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
# A policy with no character classes: the passwords of these tests need only be long enough.
LENIENT_POLICIES = {
    "PasswordPolicy": {
        "MinimumLength": 8,
        "RequireUppercase": False,
        "RequireLowercase": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
    }
}
PLAIN_PASSWORD = "meadow lantern 42"
OAUTH_SETTINGS = {
    "AllowedOAuthFlowsUserPoolClient": True,
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid", "email"],
    "CallbackURLs": ["https://app.example.com/callback", "http://localhost:3000/callback"],
    "LogoutURLs": ["https://app.example.com/"],
}
TOKEN_SETTINGS = {
    "AccessTokenValidity": 30,
    "IdTokenValidity": 45,
    "RefreshTokenValidity": 7,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
}
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86_400}


def new_client(cognito, pool_id, name=None, **settings):
    """CreateUserPoolClient in `pool_id` (a unique ClientName unless given); returns the UserPoolClient."""
    return cognito.create_user_pool_client(UserPoolId=pool_id, ClientName=name or unique_name("client"), **settings)[
        "UserPoolClient"
    ]


def all_clients(cognito, pool_id, page_size=60):
    """Every entry ListUserPoolClients gives for `pool_id`, page by page, with the pages' sizes."""
    clients, sizes, token = [], [], None
    while True:
        page = cognito.list_user_pool_clients(
            UserPoolId=pool_id, MaxResults=page_size, **({"NextToken": token} if token else {})
        )
        clients += page["UserPoolClients"]
        sizes.append(len(page["UserPoolClients"]))
        token = page.get("NextToken")
        if not token:
            return clients, sizes
        assert len(sizes) < 1000, "NextToken never runs out"


def validity_seconds(client, token, default_unit):
    """How long `client` says its `token` ("AccessToken", "IdToken", "RefreshToken") lasts, or None."""
    given = client.get(f"{token}Validity")
    if given is None:
        return None
    unit = client.get("TokenValidityUnits", {}).get(token, default_unit)
    return given * UNIT_SECONDS[unit]


def unique_username(prefix):
    """A plain username (no address), as pools without UsernameAttributes take."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def secret_hash(secret, username, client_id):
    """Cognito's SECRET_HASH: base64(HMAC-SHA256(client secret, username + client id))."""
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_part(token, index):
    """The JSON of a JWT's header (0) or payload (1), not verified."""
    return json.loads(b64url(token.split(".")[index]))


# SHA-256's DigestInfo prefix (RFC 8017, 9.2).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def rs256_verifies(token, jwk):
    """Whether `token`'s RS256 signature verifies with the RSA `jwk` (RSASSA-PKCS1-v1_5 by hand:
    neither PyJWT nor cryptography is in the virtualenv)."""
    signing_input, _, signature = token.rpartition(".")
    n = int.from_bytes(b64url(jwk["n"]), "big")
    e = int.from_bytes(b64url(jwk["e"]), "big")
    length = (n.bit_length() + 7) // 8
    s = int.from_bytes(b64url(signature), "big")
    if s >= n:
        return False
    encoded = pow(s, e, n).to_bytes(length, "big")
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(signing_input.encode()).digest()
    expected = b"\x00\x01" + b"\xff" * (length - 3 - len(digest_info)) + b"\x00" + digest_info
    return hmac.compare_digest(encoded, expected)


def password_pool(new_pool, cognito, **settings):
    """A new pool with plain usernames and a lenient password policy, and a client without a
    secret for the password flows; returns (pool id, client id)."""
    pool_id = new_pool(Policies=LENIENT_POLICIES, **settings)["Id"]
    return pool_id, password_client(cognito, pool_id)


def password_client(cognito, pool_id):
    """A client without a secret for USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and refresh; returns its id."""
    return new_client(cognito, pool_id, ExplicitAuthFlows=PASSWORD_FLOWS)["ClientId"]


def create_user(cognito, pool_id, username, password=PLAIN_PASSWORD, attributes=None):
    """AdminCreateUser (no invitation) with `attributes` (name to value) and a permanent password,
    so the user is CONFIRMED."""
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": name, "Value": value} for name, value in (attributes or {}).items()],
        TemporaryPassword="temporary pass 1",
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)


def sign_in(cognito, client_id, username, password=PLAIN_PASSWORD, **extra):
    """USER_PASSWORD_AUTH; returns the AuthenticationResult."""
    reply = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password, **extra},
    )
    return reply["AuthenticationResult"]


def admin_sign_in(cognito, pool_id, client_id, username, password=PLAIN_PASSWORD, **extra):
    """ADMIN_USER_PASSWORD_AUTH; returns the AuthenticationResult."""
    reply = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password, **extra},
    )
    return reply["AuthenticationResult"]


def test_a_new_client_has_an_id_a_secret_and_the_settings_it_was_given(new_pool, cognito):
    """CreateUserPoolClient with a secret returns its id, secret, dates and settings, and DescribeUserPoolClient the same."""
    pool_id = new_pool()["Id"]
    name = unique_name("web")
    settings = {"ExplicitAuthFlows": PASSWORD_FLOWS, **OAUTH_SETTINGS, **TOKEN_SETTINGS}
    created = new_client(cognito, pool_id, name, GenerateSecret=True, **settings)
    assert CLIENT_ID_SHAPE.match(created["ClientId"]), created["ClientId"]
    assert CLIENT_SECRET_SHAPE.match(created["ClientSecret"]), created["ClientSecret"]
    assert (created["ClientName"], created["UserPoolId"]) == (name, pool_id)
    assert_recent(created["CreationDate"])
    assert_recent(created["LastModifiedDate"])
    assert created["LastModifiedDate"] >= created["CreationDate"]
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=created["ClientId"])["UserPoolClient"]
    for client in (created, described):
        assert sorted(client["ExplicitAuthFlows"]) == sorted(PASSWORD_FLOWS)
        for key in ("AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs", "LogoutURLs"):
            assert sorted(client[key]) == sorted(settings[key]), key
        assert client["AllowedOAuthFlowsUserPoolClient"] is True
        for key in ("AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity", "TokenValidityUnits"):
            assert client[key] == settings[key], key
    for key in ("ClientId", "ClientSecret", "ClientName", "UserPoolId", "CreationDate", "LastModifiedDate"):
        assert described[key] == created[key], key


def test_a_client_given_no_flows_gets_cognitos_defaults_and_no_secret(new_pool, cognito):
    """A client created with only a name has SRP, custom and refresh-token sign-in, no secret and no OAuth."""
    pool_id = new_pool()["Id"]
    for client in (
        new_client(cognito, pool_id),
        new_client(cognito, pool_id, GenerateSecret=False),
    ):
        assert CLIENT_ID_SHAPE.match(client["ClientId"]), client["ClientId"]
        assert "ClientSecret" not in client
        assert sorted(client["ExplicitAuthFlows"]) == DEFAULT_AUTH_FLOWS
        assert client.get("AllowedOAuthFlowsUserPoolClient", False) is False
        described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
        assert "ClientSecret" not in described
        assert sorted(described["ExplicitAuthFlows"]) == DEFAULT_AUTH_FLOWS


def test_each_client_gets_its_own_id_and_secret(new_pool, cognito):
    """Two clients of one pool, even with one name, have different ids and secrets."""
    pool_id = new_pool()["Id"]
    first = new_client(cognito, pool_id, "same-name", GenerateSecret=True)
    second = new_client(cognito, pool_id, "same-name", GenerateSecret=True)
    assert first["ClientId"] != second["ClientId"]
    assert first["ClientSecret"] != second["ClientSecret"]


def test_a_client_is_found_only_in_its_own_pool(new_pool, cognito):
    """DescribeUserPoolClient of an unknown id, or of another pool's client, is not found."""
    first, second = new_pool()["Id"], new_pool()["Id"]
    client_id = new_client(cognito, first)["ClientId"]
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool_client(UserPoolId=first, ClientId="nosuchclient0000000000000a")
    assert error_code(excinfo) == "ResourceNotFoundException"
    for pool_id in (second, POOL_ID):
        with pytest.raises(ClientError) as excinfo:
            cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
        assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool_client(UserPoolId="us-east-1_NoSuchPoo", ClientId=client_id)
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_update_user_pool_client_sets_what_it_is_given_and_defaults_the_rest(new_pool, cognito):
    """UpdateUserPoolClient sets the flows it is given, keeps id, secret, name and creation date, and drops settings left out."""
    pool_id = new_pool()["Id"]
    name = unique_name("web")
    created = new_client(
        cognito, pool_id, name, GenerateSecret=True, ExplicitAuthFlows=PASSWORD_FLOWS, **OAUTH_SETTINGS, **TOKEN_SETTINGS
    )
    client_id = created["ClientId"]
    flows = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    replied = cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, ExplicitAuthFlows=flows)[
        "UserPoolClient"
    ]
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    for updated in (replied, described):
        for key in ("ClientId", "ClientSecret", "ClientName", "UserPoolId", "CreationDate"):
            assert updated[key] == created[key], key
        assert updated["LastModifiedDate"] >= created["LastModifiedDate"]
        assert sorted(updated["ExplicitAuthFlows"]) == sorted(flows)
        # What the update left out is back to Cognito's defaults.
        assert updated.get("AllowedOAuthFlowsUserPoolClient", False) is False
        for key in ("AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs", "LogoutURLs"):
            assert updated.get(key, []) == [], key
        assert validity_seconds(updated, "AccessToken", "hours") in (None, 3600)
        assert validity_seconds(updated, "IdToken", "hours") in (None, 3600)
        assert validity_seconds(updated, "RefreshToken", "days") in (None, 30 * 86_400)

    renamed = unique_name("renamed")
    cognito.update_user_pool_client(
        UserPoolId=pool_id, ClientId=client_id, ClientName=renamed, ExplicitAuthFlows=flows, **TOKEN_SETTINGS
    )
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    assert described["ClientName"] == renamed
    assert described["ClientSecret"] == created["ClientSecret"]
    for key in ("AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity", "TokenValidityUnits"):
        assert described[key] == TOKEN_SETTINGS[key], key
    listed = {c["ClientId"]: c["ClientName"] for c in all_clients(cognito, pool_id)[0]}
    assert listed[client_id] == renamed


def test_updating_a_client_that_does_not_exist(new_pool, cognito):
    """UpdateUserPoolClient of an unknown client, or of another pool's, is not found."""
    first, second = new_pool()["Id"], new_pool()["Id"]
    client_id = new_client(cognito, first)["ClientId"]
    for pool_id, some_id in ((first, "nosuchclient0000000000000a"), (second, client_id)):
        with pytest.raises(ClientError) as excinfo:
            cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=some_id, ClientName="renamed")
        assert error_code(excinfo) == "ResourceNotFoundException"
    assert cognito.describe_user_pool_client(UserPoolId=first, ClientId=client_id)["UserPoolClient"]["ClientName"] != "renamed"


def test_a_deleted_client_is_gone(new_pool, cognito):
    """After DeleteUserPoolClient the client is not described, not listed and cannot sign anyone in."""
    pool_id = new_pool(Policies=LENIENT_POLICIES)["Id"]
    kept = new_client(cognito, pool_id)["ClientId"]
    client_id = new_client(cognito, pool_id, ExplicitAuthFlows=PASSWORD_FLOWS)["ClientId"]
    username = unique_username("alice")
    create_user(cognito, pool_id, username)
    sign_in(cognito, client_id, username)
    cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert [c["ClientId"] for c in all_clients(cognito, pool_id)[0]] == [kept]
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client_id, username)
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_list_user_pool_clients_pages_through_a_pools_clients(new_pool, cognito):
    """ListUserPoolClients names each client of the pool once, one page at a time, with its id, pool and name."""
    pool_id, other_pool = new_pool()["Id"], new_pool()["Id"]
    created = {c["ClientId"]: c["ClientName"] for c in (new_client(cognito, pool_id) for _ in range(3))}
    new_client(cognito, other_pool)
    listed, sizes = all_clients(cognito, pool_id, page_size=1)
    assert all(size <= 1 for size in sizes), sizes
    assert len(sizes) >= 3
    assert sorted(c["ClientId"] for c in listed) == sorted(created)
    for entry in listed:
        assert set(entry) == {"ClientId", "UserPoolId", "ClientName"}, entry
        assert entry["UserPoolId"] == pool_id
        assert entry["ClientName"] == created[entry["ClientId"]]
    listed, sizes = all_clients(cognito, pool_id)
    assert sizes == [3]
    assert sorted(c["ClientId"] for c in listed) == sorted(created)
    with pytest.raises(ClientError) as excinfo:
        cognito.list_user_pool_clients(UserPoolId="us-east-1_NoSuchPoo", MaxResults=10)
    assert error_code(excinfo) == "ResourceNotFoundException"


# Settings Cognito refuses, with the error code it gives (Cognito's own wording in the comments).
REFUSED_CLIENT_SETTINGS = [
    pytest.param(
        # "client_credentials flow can not be selected if client does not have a client secret."
        {
            "GenerateSecret": False,
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["client_credentials"],
            "AllowedOAuthScopes": ["openid"],
        },
        "InvalidOAuthFlowException",
        id="client-credentials-without-a-secret",
    ),
    pytest.param(
        # "CallbackUrls can not be empty when code flow or implicit flow is selected"
        {"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid"]},
        "InvalidOAuthFlowException",
        id="code-flow-without-callback-urls",
    ),
    pytest.param(
        # "http://example.com/cb cannot use the HTTP protocol."
        {**OAUTH_SETTINGS, "CallbackURLs": ["http://example.com/cb"]},
        "InvalidParameterException",
        id="http-callback-off-localhost",
    ),
    pytest.param(
        # "Invalid scope requested: no.such.scope"
        {**OAUTH_SETTINGS, "AllowedOAuthScopes": ["openid", "no.such.scope"]},
        "ScopeDoesNotExistException",
        id="unknown-scope",
    ),
    pytest.param(
        # "Invalid range for token validity." (access tokens last 5 minutes to 1 day)
        {"AccessTokenValidity": 25},
        "InvalidParameterException",
        id="access-token-over-a-day",
    ),
]


@pytest.mark.parametrize("settings,code", REFUSED_CLIENT_SETTINGS)
def test_settings_cognito_refuses_create_no_client(new_pool, cognito, settings, code):
    """CreateUserPoolClient with settings Cognito refuses fails as Cognito does and creates nothing; so does such an update."""
    pool_id = new_pool()["Id"]
    name = unique_name("refused")
    with pytest.raises(ClientError) as excinfo:
        new_client(cognito, pool_id, name, **settings)
    assert error_code(excinfo) == code, excinfo.value.response["Error"]
    assert all_clients(cognito, pool_id)[0] == []
    client = new_client(cognito, pool_id, name)
    update = {k: v for k, v in settings.items() if k != "GenerateSecret"}
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"], **update)
    assert error_code(excinfo) == code, excinfo.value.response["Error"]
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    assert sorted(described["ExplicitAuthFlows"]) == DEFAULT_AUTH_FLOWS
    assert described.get("AllowedOAuthFlows", []) == []


def test_clients_for_localhost_and_app_schemes_are_accepted(new_pool, cognito):
    """Callback URLs over http to localhost, 127.0.0.1 and [::1] (any port) and an app's own scheme are accepted."""
    pool_id = new_pool()["Id"]
    urls = ["http://localhost/cb", "http://127.0.0.1:8080/cb", "http://[::1]:3000/cb", "myapp://signed-in"]
    client = new_client(cognito, pool_id, **{**OAUTH_SETTINGS, "CallbackURLs": urls})
    assert sorted(client["CallbackURLs"]) == sorted(urls)


def test_deleting_a_pool_deletes_its_clients(new_pool, cognito):
    """After DeleteUserPool its clients are unknown to InitiateAuth."""
    pool_id, client_id = password_pool(new_pool, cognito)
    username = unique_username("alice")
    create_user(cognito, pool_id, username)
    sign_in(cognito, client_id, username)
    cognito.delete_user_pool(UserPoolId=pool_id)
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client_id, username)
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert error_code(excinfo) == "ResourceNotFoundException"


# --- signing in to a new pool with plain usernames ---


def test_a_user_of_a_new_pool_signs_in_with_a_plain_username(new_pool, cognito, pool_url):
    """A user created with a plain username signs in to a new pool and its tokens name the user, the pool and the client."""
    pool_id, client_id = password_pool(new_pool, cognito)
    username = unique_username("alice")
    create_user(cognito, pool_id, username)
    assert cognito.admin_get_user(UserPoolId=pool_id, Username=username)["UserStatus"] == "CONFIRMED"
    tokens = sign_in(cognito, client_id, username)
    assert {"AccessToken", "IdToken", "RefreshToken"} <= set(tokens)
    assert tokens["TokenType"] == "Bearer"
    identity = jwt_part(tokens["IdToken"], 1)
    assert identity["cognito:username"] == username
    assert identity["iss"] == f"{pool_url}/{pool_id}"
    assert identity["aud"] == client_id
    assert identity["token_use"] == "id"
    access = jwt_part(tokens["AccessToken"], 1)
    assert access["iss"] == f"{pool_url}/{pool_id}"
    assert access["client_id"] == client_id
    assert access["token_use"] == "access"
    assert access["username"] == username
    assert access["sub"] == identity["sub"]
    me = cognito.get_user(AccessToken=tokens["AccessToken"])
    assert me["Username"] == username
    assert {"Name": "sub", "Value": identity["sub"]} in me["UserAttributes"]
    refreshed = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]}
    )["AuthenticationResult"]
    assert jwt_part(refreshed["IdToken"], 1)["cognito:username"] == username


def test_admin_initiate_auth_signs_in_a_user_of_a_new_pool(new_pool, cognito, pool_url):
    """ADMIN_USER_PASSWORD_AUTH signs in a plain-username user of a new pool."""
    pool_id, client_id = password_pool(new_pool, cognito)
    username = unique_username("alice")
    create_user(cognito, pool_id, username)
    tokens = admin_sign_in(cognito, pool_id, client_id, username, PLAIN_PASSWORD)
    identity = jwt_part(tokens["IdToken"], 1)
    assert (identity["cognito:username"], identity["iss"], identity["aud"]) == (
        username,
        f"{pool_url}/{pool_id}",
        client_id,
    )
    # The client belongs to the new pool: the configured pool does not know it.
    with pytest.raises(ClientError) as excinfo:
        admin_sign_in(cognito, POOL_ID, client_id, username, PLAIN_PASSWORD)
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_a_wrong_password_is_not_authorized(new_pool, cognito):
    """USER_PASSWORD_AUTH and ADMIN_USER_PASSWORD_AUTH with a wrong password are not authorized."""
    pool_id, client_id = password_pool(new_pool, cognito)
    username = unique_username("alice")
    create_user(cognito, pool_id, username)
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client_id, username, "not the password 1")
    assert error_code(excinfo) == "NotAuthorizedException"
    with pytest.raises(ClientError) as excinfo:
        admin_sign_in(cognito, pool_id, client_id, username, "not the password 1")
    assert error_code(excinfo) == "NotAuthorizedException"


def test_a_username_can_be_taken_once(new_pool, cognito):
    """Creating a user with a username the pool already has fails with UsernameExistsException."""
    pool_id, _ = password_pool(new_pool, cognito)
    username = unique_username("alice")
    create_user(cognito, pool_id, username)
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
    assert error_code(excinfo) == "UsernameExistsException"


def test_usernames_are_case_sensitive_by_default(new_pool, cognito):
    """In a pool created without UsernameConfiguration, ALICE-… is another user than alice-…."""
    pool_id, client_id = password_pool(new_pool, cognito)
    username = unique_username("alice")
    create_user(cognito, pool_id, username)
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=pool_id, Username=username.upper())
    assert error_code(excinfo) == "UserNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client_id, username.upper())
    assert error_code(excinfo) == "UserNotFoundException"
    # Being another username, the upper-case one can be created beside it.
    create_user(cognito, pool_id, username.upper())
    assert jwt_part(sign_in(cognito, client_id, username.upper())["IdToken"], 1)["cognito:username"] == username.upper()


def test_a_case_insensitive_pool_finds_a_user_in_any_case(new_pool, cognito):
    """With UsernameConfiguration CaseSensitive False, a user is found and signs in whatever the case of the username."""
    pool = new_pool(Policies=LENIENT_POLICIES, UsernameConfiguration={"CaseSensitive": False})
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    pool_id = pool["Id"]
    client_id = password_client(cognito, pool_id)
    username = unique_username("alice")
    create_user(cognito, pool_id, username)
    found = cognito.admin_get_user(UserPoolId=pool_id, Username=username.upper())
    assert found["Username"].lower() == username
    tokens = sign_in(cognito, client_id, username.upper())
    assert jwt_part(tokens["IdToken"], 1)["cognito:username"].lower() == username
    assert cognito.get_user(AccessToken=tokens["AccessToken"])["Username"].lower() == username
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(UserPoolId=pool_id, Username=username.upper(), MessageAction="SUPPRESS")
    assert error_code(excinfo) == "UsernameExistsException"


# --- SignUp on a new pool with plain usernames ---


def test_sign_up_with_a_plain_username_then_admin_confirm(new_pool, cognito):
    """SignUp with a plain username and an email leaves the user unconfirmed until AdminConfirmSignUp; then they sign in."""
    pool_id, client_id = password_pool(new_pool, cognito)
    username = unique_username("bob")
    email = unique_email()
    reply = cognito.sign_up(
        ClientId=client_id,
        Username=username,
        Password=PLAIN_PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    assert reply["UserConfirmed"] is False
    assert uuid.UUID(reply["UserSub"])
    user = cognito.admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["UserStatus"] == "UNCONFIRMED"
    assert {"Name": "email", "Value": email} in user["UserAttributes"]
    assert {"Name": "sub", "Value": reply["UserSub"]} in user["UserAttributes"]
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client_id, username)
    assert error_code(excinfo) == "UserNotConfirmedException"
    cognito.admin_confirm_sign_up(UserPoolId=pool_id, Username=username)
    identity = jwt_part(sign_in(cognito, client_id, username)["IdToken"], 1)
    assert identity["cognito:username"] == username
    assert identity["sub"] == reply["UserSub"]
    assert identity["email"] == email


def test_sign_up_with_a_plain_username_then_confirm_with_the_mailed_code(new_pool, cognito, outbox):
    """A pool that verifies email mails a code on SignUp; ConfirmSignUp with it confirms the user, who then signs in."""
    pool_id, client_id = password_pool(new_pool, cognito, AutoVerifiedAttributes=["email"])
    username = unique_username("bob")
    email = unique_email()
    reply = cognito.sign_up(
        ClientId=client_id,
        Username=username,
        Password=PLAIN_PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    assert reply["UserConfirmed"] is False
    assert reply["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert reply["CodeDeliveryDetails"]["AttributeName"] == "email"
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=client_id, Username=username, ConfirmationCode="000000")
    assert error_code(excinfo) == "CodeMismatchException"
    cognito.confirm_sign_up(ClientId=client_id, Username=username, ConfirmationCode=outbox(email))
    user = cognito.admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]
    assert jwt_part(sign_in(cognito, client_id, username)["IdToken"], 1)["cognito:username"] == username


def test_users_with_plain_usernames_may_share_an_email(new_pool, cognito):
    """Where the email is not a sign-in name, it is only an attribute: two users may have the same one, as in Cognito."""
    pool_id, client_id = password_pool(new_pool, cognito)
    shared = unique_email()
    first, second = unique_username("first"), unique_username("second")
    create_user(cognito, pool_id, first, attributes={"email": shared})
    cognito.sign_up(
        ClientId=client_id, Username=second, Password=PLAIN_PASSWORD, UserAttributes=[{"Name": "email", "Value": shared}]
    )
    cognito.admin_confirm_sign_up(UserPoolId=pool_id, Username=second)
    for username in (first, second):
        assert jwt_part(sign_in(cognito, client_id, username)["IdToken"], 1)["email"] == shared
    # The address signs nobody in here.
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client_id, shared)
    assert error_code(excinfo) == "UserNotFoundException"


def unique_phone():
    """A phone number of the 555-01xx kind no real one has, unique enough for a run."""
    return f"+1555{uuid.uuid4().int % 10**7:07d}"


def test_phone_numbers_as_usernames(new_pool, cognito, outbox):
    """UsernameAttributes ["phone_number"]: users sign up with a number, get the code by text message
    (the outbox here), and sign in with it; the username is their sub; a number has one account."""
    pool_id, client_id = password_pool(
        new_pool, cognito, UsernameAttributes=["phone_number"], AutoVerifiedAttributes=["phone_number"]
    )
    phone = unique_phone()
    reply = cognito.sign_up(ClientId=client_id, Username=phone, Password=PLAIN_PASSWORD)
    delivery = reply["CodeDeliveryDetails"]
    assert (delivery["DeliveryMedium"], delivery["AttributeName"]) == ("SMS", "phone_number")
    assert delivery["Destination"] == "+*******" + phone[-4:]
    cognito.confirm_sign_up(ClientId=client_id, Username=phone, ConfirmationCode=outbox(phone))
    id_claims = jwt_part(sign_in(cognito, client_id, phone)["IdToken"], 1)
    assert id_claims["cognito:username"] == id_claims["sub"] == reply["UserSub"]
    assert id_claims["phone_number"] == phone
    assert cognito.admin_get_user(UserPoolId=pool_id, Username=phone)["Username"] == reply["UserSub"]
    # The code proved the number: password resets go to it.
    assert cognito.forgot_password(ClientId=client_id, Username=phone)["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client_id, Username=phone, Password=PLAIN_PASSWORD)
    assert error_code(excinfo) == "UsernameExistsException"
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client_id, Username=unique_username("bob"), Password=PLAIN_PASSWORD)
    assert error_code(excinfo) == "InvalidParameterException"
    assert "phone number" in excinfo.value.response["Error"]["Message"]


def test_phone_number_and_preferred_username_aliases_sign_in(new_pool, cognito):
    """AliasAttributes ["phone_number", "preferred_username"]: a user signs in with the username, the number or the
    preferred username; another user cannot take either (AliasExistsException), nor a username shaped like a number."""
    pool_id, client_id = password_pool(new_pool, cognito, AliasAttributes=["phone_number", "preferred_username"])
    username, phone, nickname = unique_username("carol"), unique_phone(), unique_username("caz")
    create_user(cognito, pool_id, username, attributes={"phone_number": phone, "preferred_username": nickname})
    for name in (username, phone, nickname):
        assert jwt_part(sign_in(cognito, client_id, name)["IdToken"], 1)["cognito:username"] == username, name

    other = unique_username("dave")
    create_user(cognito, pool_id, other)
    for taken in ({"Name": "phone_number", "Value": phone}, {"Name": "preferred_username", "Value": nickname}):
        with pytest.raises(ClientError) as excinfo:
            cognito.admin_update_user_attributes(UserPoolId=pool_id, Username=other, UserAttributes=[taken])
        assert error_code(excinfo) == "AliasExistsException", taken
    # A new preferred username moves the alias: the old one signs nobody in.
    renamed = unique_username("cc")
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id, Username=username, UserAttributes=[{"Name": "preferred_username", "Value": renamed}]
    )
    assert jwt_part(sign_in(cognito, client_id, renamed)["IdToken"], 1)["cognito:username"] == username
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client_id, nickname)
    assert error_code(excinfo) == "UserNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(UserPoolId=pool_id, Username=unique_phone(), MessageAction="SUPPRESS")
    assert error_code(excinfo) == "InvalidParameterException"


def recovery(*names):
    return {"RecoveryMechanisms": [{"Priority": i + 1, "Name": name} for i, name in enumerate(names)]}


def test_password_resets_go_where_account_recovery_setting_says(new_pool, cognito, outbox):
    """AccountRecoverySetting picks the channel of ForgotPassword's code: the first the user has verified."""
    pool_id, client_id = password_pool(new_pool, cognito, AccountRecoverySetting=recovery("verified_phone_number", "verified_email"))
    username, email, phone = unique_username("rec"), unique_email(), unique_phone()
    create_user(
        cognito,
        pool_id,
        username,
        attributes={
            "email": email,
            "phone_number": phone,
            "phone_number_verified": "true",
        },
    )
    delivery = cognito.forgot_password(ClientId=client_id, Username=username)["CodeDeliveryDetails"]
    assert (delivery["DeliveryMedium"], delivery["Destination"]) == ("SMS", "+*******" + phone[-4:])
    cognito.confirm_forgot_password(
        ClientId=client_id, Username=username, ConfirmationCode=outbox(phone), Password="a new meadow lantern"
    )
    assert sign_in(cognito, client_id, username, "a new meadow lantern")["IdToken"]

    # Email first: the same kind of user gets the code by mail.
    pool_id, client_id = password_pool(new_pool, cognito, AccountRecoverySetting=recovery("verified_email"))
    username, email = unique_username("mail"), unique_email()
    create_user(cognito, pool_id, username, attributes={"email": email, "email_verified": "true"})
    delivery = cognito.forgot_password(ClientId=client_id, Username=username)["CodeDeliveryDetails"]
    assert (delivery["DeliveryMedium"], delivery["AttributeName"]) == ("EMAIL", "email")
    assert outbox(email)

    # Nothing to send to: a LEGACY client is told so.
    bare = unique_username("bare")
    create_user(cognito, pool_id, bare)
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client_id, Username=bare)
    assert error_code(excinfo) == "InvalidParameterException"


def test_admin_only_recovery_refuses_forgot_password(new_pool, cognito):
    pool_id, client_id = password_pool(new_pool, cognito, AccountRecoverySetting=recovery("admin_only"))
    username = unique_username("locked")
    create_user(cognito, pool_id, username)
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client_id, Username=username)
    assert error_code(excinfo) == "NotAuthorizedException"
    for bad in (recovery("carrier_pigeon"), recovery("admin_only", "verified_email")):
        with pytest.raises(ClientError) as excinfo:
            new_pool(AccountRecoverySetting=bad)
        assert error_code(excinfo) == "InvalidParameterException", bad


def test_sign_up_takes_a_username_once(new_pool, cognito):
    """SignUp with a username the pool already has fails with UsernameExistsException."""
    pool_id, client_id = password_pool(new_pool, cognito)
    username = unique_username("bob")
    create_user(cognito, pool_id, username)
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client_id, Username=username, Password=PLAIN_PASSWORD)
    assert error_code(excinfo) == "UsernameExistsException"


# --- clients with a secret, and flows a client does not enable ---


def test_a_client_with_a_secret_needs_the_secret_hash(new_pool, cognito):
    """InitiateAuth for a client with a secret is refused without SECRET_HASH or with a wrong one, and works with it."""
    pool_id = new_pool(Policies=LENIENT_POLICIES)["Id"]
    client = new_client(cognito, pool_id, GenerateSecret=True, ExplicitAuthFlows=PASSWORD_FLOWS)
    client_id, secret = client["ClientId"], client["ClientSecret"]
    username = unique_username("alice")
    create_user(cognito, pool_id, username)
    for extra in ({}, {"SECRET_HASH": secret_hash("not-the-secret", username, client_id)}):
        with pytest.raises(ClientError) as excinfo:
            sign_in(cognito, client_id, username, **extra)
        assert error_code(excinfo) == "NotAuthorizedException", extra
    tokens = sign_in(cognito, client_id, username, SECRET_HASH=secret_hash(secret, username, client_id))
    assert jwt_part(tokens["IdToken"], 1)["aud"] == client_id
    admin = admin_sign_in(
        cognito, pool_id, client_id, username, SECRET_HASH=secret_hash(secret, username, client_id)
    )
    assert jwt_part(admin["IdToken"], 1)["cognito:username"] == username


def test_a_flow_the_client_does_not_enable_is_refused(new_pool, cognito):
    """A client with only ALLOW_REFRESH_TOKEN_AUTH cannot sign in with USER_PASSWORD_AUTH or ADMIN_USER_PASSWORD_AUTH."""
    pool_id = new_pool(Policies=LENIENT_POLICIES)["Id"]
    client_id = new_client(cognito, pool_id, ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"])["ClientId"]
    username = unique_username("alice")
    create_user(cognito, pool_id, username)
    # Cognito: InvalidParameterException "USER_PASSWORD_AUTH flow not enabled for this client".
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client_id, username)
    assert error_code(excinfo) == "InvalidParameterException"
    assert "not enabled" in excinfo.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as excinfo:
        admin_sign_in(cognito, pool_id, client_id, username, PLAIN_PASSWORD)
    assert error_code(excinfo) == "InvalidParameterException"


def test_a_client_created_through_the_api_says_when_a_user_does_not_exist(new_pool, cognito):
    """PreventUserExistenceErrors is LEGACY unless asked for, as in Cognito: UserNotFoundException for a
    name without an account; ENABLED answers as for a wrong password and pretends to send codes."""
    pool_id, client_id = password_pool(new_pool, cognito)
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    assert (described["PreventUserExistenceErrors"], described["EnableTokenRevocation"]) == ("LEGACY", True)
    nobody = unique_username("nobody")
    attempts = {
        "sign in": lambda: sign_in(cognito, client_id, nobody),
        "admin sign in": lambda: admin_sign_in(cognito, pool_id, client_id, nobody),
        "forgot password": lambda: cognito.forgot_password(ClientId=client_id, Username=nobody),
        "confirm forgot password": lambda: cognito.confirm_forgot_password(
            ClientId=client_id, Username=nobody, ConfirmationCode="123456", Password=PLAIN_PASSWORD
        ),
        "confirm sign-up": lambda: cognito.confirm_sign_up(ClientId=client_id, Username=nobody, ConfirmationCode="123456"),
        "resend code": lambda: cognito.resend_confirmation_code(ClientId=client_id, Username=nobody),
    }
    for what, attempt in attempts.items():
        with pytest.raises(ClientError) as excinfo:
            attempt()
        assert error_code(excinfo) == "UserNotFoundException", what

    cognito.update_user_pool_client(
        UserPoolId=pool_id, ClientId=client_id, ExplicitAuthFlows=PASSWORD_FLOWS, PreventUserExistenceErrors="ENABLED"
    )
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client_id, nobody)
    assert error_code(excinfo) == "NotAuthorizedException"
    assert cognito.forgot_password(ClientId=client_id, Username=nobody)["CodeDeliveryDetails"]
    with pytest.raises(ClientError) as excinfo:
        new_client(cognito, pool_id, PreventUserExistenceErrors="SOMETIMES")
    assert error_code(excinfo) == "InvalidParameterException"


def test_a_client_without_token_revocation_cannot_revoke(new_pool, cognito):
    """EnableTokenRevocation false: RevokeToken is UnsupportedOperationException and the refresh token keeps working."""
    pool_id = new_pool(Policies=LENIENT_POLICIES)["Id"]
    client_id = new_client(cognito, pool_id, ExplicitAuthFlows=PASSWORD_FLOWS, EnableTokenRevocation=False)["ClientId"]
    username = unique_username("keeper")
    create_user(cognito, pool_id, username)
    refresh_token = sign_in(cognito, client_id, username)["RefreshToken"]
    with pytest.raises(ClientError) as excinfo:
        cognito.revoke_token(ClientId=client_id, Token=refresh_token)
    assert error_code(excinfo) == "UnsupportedOperationException"
    refreshed = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh_token}
    )
    assert refreshed["AuthenticationResult"]["AccessToken"]


# --- tokens of a new pool verify with its keys ---


def test_tokens_of_a_new_pool_verify_with_its_jwks(new_pool, cognito, pool_url):
    """The ID and access tokens of a new pool are RS256-signed by a key of that pool's JWKS, not the configured pool's."""
    pool_id, client_id = password_pool(new_pool, cognito)
    username = unique_username("alice")
    create_user(cognito, pool_id, username)
    tokens = sign_in(cognito, client_id, username)
    status, jwks = get_json(f"{pool_url}/{pool_id}/.well-known/jwks.json")
    assert status == 200
    keys = {key["kid"]: key for key in jwks["keys"]}
    status, configured = get_json(f"{pool_url}/{POOL_ID}/.well-known/jwks.json")
    assert status == 200
    configured_keys = {key["kid"]: key for key in configured["keys"]}
    for name in ("IdToken", "AccessToken"):
        token = tokens[name]
        header = jwt_part(token, 0)
        assert header["alg"] == "RS256", name
        assert header["kid"] in keys, name
        assert header["kid"] not in configured_keys, name
        assert rs256_verifies(token, keys[header["kid"]]), name
        assert not any(rs256_verifies(token, key) for key in configured_keys.values()), name
        # A token whose payload was changed no longer verifies.
        head, payload, signature = token.split(".")
        claims = jwt_part(token, 1)
        claims["sub"] = str(uuid.uuid4())
        forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        assert not rs256_verifies(f"{head}.{forged_payload}.{signature}", keys[header["kid"]]), name


# --- the AWS CLI, as a deployment script would drive it ---


def test_the_aws_cli_creates_a_pool_a_client_and_a_user_who_signs_in(pool_url, cognito):
    """From the AWS CLI: a pool, a client with a secret, a user with a permanent password, and initiate-auth with SECRET_HASH."""

    def aws(*arguments):
        done = aws_cli(pool_url, *arguments)
        assert done.returncode == 0, (arguments, done.stderr)
        return json.loads(done.stdout) if done.stdout.strip() else {}

    pool = aws("create-user-pool", "--pool-name", unique_name("cli"), "--policies", json.dumps(LENIENT_POLICIES))[
        "UserPool"
    ]
    pool_id = pool["Id"]
    try:
        assert POOL_ID_SHAPE.match(pool_id), pool_id
        client = aws(
            "create-user-pool-client",
            "--user-pool-id",
            pool_id,
            "--client-name",
            "cli-backend",
            "--generate-secret",
            "--explicit-auth-flows",
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_USER_PASSWORD_AUTH",
        )["UserPoolClient"]
        client_id, secret = client["ClientId"], client["ClientSecret"]
        assert CLIENT_ID_SHAPE.match(client_id), client_id
        assert sorted(client["ExplicitAuthFlows"]) == ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
        username = unique_username("carol")
        created = aws(
            "admin-create-user", "--user-pool-id", pool_id, "--username", username, "--message-action", "SUPPRESS"
        )
        assert created["User"]["Username"] == username
        aws(
            "admin-set-user-password",
            "--user-pool-id",
            pool_id,
            "--username",
            username,
            "--password",
            PLAIN_PASSWORD,
            "--permanent",
        )
        parameters = {
            "USERNAME": username,
            "PASSWORD": PLAIN_PASSWORD,
            "SECRET_HASH": secret_hash(secret, username, client_id),
        }
        signed_in = aws(
            "initiate-auth",
            "--client-id",
            client_id,
            "--auth-flow",
            "USER_PASSWORD_AUTH",
            "--auth-parameters",
            json.dumps(parameters),
        )["AuthenticationResult"]
        identity = jwt_part(signed_in["IdToken"], 1)
        assert (identity["cognito:username"], identity["iss"], identity["aud"]) == (
            username,
            f"{pool_url}/{pool_id}",
            client_id,
        )
        listed = aws("list-user-pool-clients", "--user-pool-id", pool_id, "--max-results", "10")["UserPoolClients"]
        assert [c["ClientId"] for c in listed] == [client_id]
        aws("delete-user-pool", "--user-pool-id", pool_id)
        gone = aws_cli(pool_url, "describe-user-pool", "--user-pool-id", pool_id)
        assert gone.returncode != 0
        assert "ResourceNotFoundException" in gone.stderr
    finally:
        with contextlib.suppress(ClientError):
            delete_quietly(cognito, pool_id)


# --- user pool domains (CreateUserPoolDomain and the rest) ---


def unique_prefix(prefix="shop"):
    """A prefix domain no other test uses (hex digits never spell aws, amazon or cognito)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def new_domain(new_pool, cognito):
    """CreateUserPoolDomain for a pool, deleted after the test before its pool is (Cognito
    deletes no pool that has a domain): `new_domain(pool_id, prefix=None)` returns the prefix."""
    created = []

    def create(pool_id, prefix=None):
        prefix = prefix or unique_prefix()
        reply = cognito.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
        assert reply["ManagedLoginVersion"] == 1
        created.append((prefix, pool_id))
        return prefix

    yield create
    for prefix, pool_id in created:
        with contextlib.suppress(ClientError):
            cognito.delete_user_pool_domain(Domain=prefix, UserPoolId=pool_id)


def port_of(pool_url):
    return urllib.parse.urlsplit(pool_url).port


def test_a_pool_gets_a_prefix_domain_that_describes_it(new_pool, new_domain, cognito, pool_url):
    """A pool given a prefix domain names it, and DescribeUserPoolDomain describes it as active at its host."""
    pool_id = new_pool()["Id"]
    prefix = new_domain(pool_id)
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Domain"] == prefix
    description = cognito.describe_user_pool_domain(Domain=prefix)["DomainDescription"]
    assert description["UserPoolId"] == pool_id
    assert description["Domain"] == prefix
    assert description["Status"] == "ACTIVE"
    assert re.fullmatch(r"\d{12}", description["AWSAccountId"]), description["AWSAccountId"]
    assert description["CloudFrontDistribution"] == f"{prefix}.localhost:{port_of(pool_url)}"
    assert description["Version"]


def test_a_domain_nobody_has_describes_as_empty(cognito):
    """DescribeUserPoolDomain of a prefix no pool has answers an empty description, as Cognito does."""
    assert cognito.describe_user_pool_domain(Domain=unique_prefix("nobody"))["DomainDescription"] == {}


def test_a_pool_has_one_domain(new_pool, new_domain, cognito):
    """A pool that has a domain is refused a second one, and keeps its first."""
    pool_id = new_pool()["Id"]
    first = new_domain(pool_id)
    second = unique_prefix()
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_domain(Domain=second, UserPoolId=pool_id)
    assert error_code(excinfo) == "InvalidParameterException"
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Domain"] == first
    assert cognito.describe_user_pool_domain(Domain=second)["DomainDescription"] == {}


def test_a_prefix_belongs_to_one_pool(new_pool, new_domain, cognito):
    """A prefix another pool has is refused, and stays that pool's."""
    owner, other = new_pool()["Id"], new_pool()["Id"]
    prefix = new_domain(owner)
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_domain(Domain=prefix, UserPoolId=other)
    assert error_code(excinfo) == "InvalidParameterException"
    assert cognito.describe_user_pool_domain(Domain=prefix)["DomainDescription"]["UserPoolId"] == owner
    assert "Domain" not in cognito.describe_user_pool(UserPoolId=other)["UserPool"]


@pytest.mark.parametrize(
    "prefix",
    ["Shop", "-shop", "shop-", "shop_1", "shop.example", "a" * 64, "my-aws-shop", "amazonshop", "shopcognito"],
)
def test_a_prefix_must_be_lowercase_letters_digits_and_inner_hyphens(new_pool, cognito, prefix):
    """A prefix with capitals, outer hyphens or other characters, over 63 characters, or naming AWS is refused."""
    pool_id = new_pool()["Id"]
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    assert error_code(excinfo) == "InvalidParameterException"
    assert "Domain" not in cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]


def test_a_63_character_prefix_is_taken(new_pool, new_domain, cognito):
    """A prefix of 63 lowercase letters and digits, the longest there is, is taken."""
    prefix = ("s" + uuid.uuid4().hex * 2)[:63]
    assert new_domain(new_pool()["Id"], prefix) == prefix


def test_custom_domains_are_refused(new_pool, cognito):
    """A CustomDomainConfig is refused: this pool serves prefix domains only."""
    pool_id = new_pool()["Id"]
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_domain(
            Domain="auth.example.com",
            UserPoolId=pool_id,
            CustomDomainConfig={"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"},
        )
    assert error_code(excinfo) == "InvalidParameterException"
    assert "Domain" not in cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]


def test_managed_login_version_2_is_refused(new_pool, cognito):
    """ManagedLoginVersion 2 (the newer managed login) is refused: this pool has the classic hosted UI."""
    pool_id = new_pool()["Id"]
    prefix = unique_prefix()
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id, ManagedLoginVersion=2)
    assert error_code(excinfo) == "InvalidParameterException"
    assert cognito.describe_user_pool_domain(Domain=prefix)["DomainDescription"] == {}


def test_a_domain_for_a_pool_that_does_not_exist(cognito):
    """CreateUserPoolDomain for a pool that does not exist is not found."""
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_domain(Domain=unique_prefix(), UserPoolId="us-east-1_NoSuchPoo")
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_a_deleted_domain_is_gone_and_free(new_pool, new_domain, cognito):
    """A deleted domain describes as empty, leaves its pool without one, and another pool can take it."""
    first, second = new_pool()["Id"], new_pool()["Id"]
    prefix = new_domain(first)
    assert cognito.delete_user_pool_domain(Domain=prefix, UserPoolId=first)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert cognito.describe_user_pool_domain(Domain=prefix)["DomainDescription"] == {}
    assert "Domain" not in cognito.describe_user_pool(UserPoolId=first)["UserPool"]
    new_domain(second, prefix)
    assert cognito.describe_user_pool_domain(Domain=prefix)["DomainDescription"]["UserPoolId"] == second


def test_a_domain_is_deleted_only_by_its_pool(new_pool, new_domain, cognito):
    """DeleteUserPoolDomain naming another pool, or a prefix nobody has, is refused and deletes nothing."""
    owner, other = new_pool()["Id"], new_pool()["Id"]
    prefix = new_domain(owner)
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_user_pool_domain(Domain=prefix, UserPoolId=other)
    assert error_code(excinfo) == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_user_pool_domain(Domain=unique_prefix("nobody"), UserPoolId=owner)
    assert error_code(excinfo) == "InvalidParameterException"
    assert cognito.describe_user_pool_domain(Domain=prefix)["DomainDescription"]["UserPoolId"] == owner


def test_a_pool_with_a_domain_is_deleted_after_its_domain(new_pool, new_domain, cognito):
    """As in Cognito, a pool with a domain cannot be deleted until the domain is; then its prefix is free."""
    doomed, heir = new_pool()["Id"], new_pool()["Id"]
    prefix = unique_prefix()
    cognito.create_user_pool_domain(Domain=prefix, UserPoolId=doomed)
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_user_pool(UserPoolId=doomed)
    assert error_code(excinfo) == "InvalidParameterException"
    assert "domain" in excinfo.value.response["Error"]["Message"]
    assert cognito.describe_user_pool(UserPoolId=doomed)["UserPool"]["Domain"] == prefix
    cognito.delete_user_pool_domain(Domain=prefix, UserPoolId=doomed)
    cognito.delete_user_pool(UserPoolId=doomed)
    assert cognito.describe_user_pool_domain(Domain=prefix)["DomainDescription"] == {}
    new_domain(heir, prefix)
    assert cognito.describe_user_pool_domain(Domain=prefix)["DomainDescription"]["UserPoolId"] == heir


def test_update_user_pool_domain_keeps_the_classic_hosted_ui(new_pool, new_domain, cognito):
    """UpdateUserPoolDomain to ManagedLoginVersion 1 answers version 1 and leaves the domain as it was."""
    pool_id = new_pool()["Id"]
    prefix = new_domain(pool_id)
    reply = cognito.update_user_pool_domain(Domain=prefix, UserPoolId=pool_id, ManagedLoginVersion=1)
    assert reply["ManagedLoginVersion"] == 1
    description = cognito.describe_user_pool_domain(Domain=prefix)["DomainDescription"]
    assert (description["UserPoolId"], description["Status"]) == (pool_id, "ACTIVE")


# --- the hosted UI on a pool's domain ---

CALLBACK = "http://localhost:4000/cb"


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hands a redirect back (as an HTTPError) instead of following it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


OPENER = urllib.request.build_opener(NoRedirects)


def fetch(url, host=None, form=None, cookies=None):
    """GET `url` (POST `form`, urlencoded, if given) with `host` as its Host header if given and
    `cookies` ({name: value}); returns (status, headers, body text), following no redirect."""
    headers = {}
    if host:
        headers["Host"] = host
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    if data is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with OPENER.open(request, timeout=30) as reply:
            return reply.status, reply.headers, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def set_cookies(headers):
    """The name and value of each cookie `headers` set."""
    cookies = {}
    for line in headers.get_all("Set-Cookie") or []:
        name, _, value = line.split(";", 1)[0].partition("=")
        cookies[name.strip()] = value.strip()
    return cookies


def pkce_pair():
    """A PKCE code verifier and its S256 challenge."""
    verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def hosted_ui_pool(new_pool, new_domain, cognito):
    """A pool signing in by email with a lenient policy, a public code-flow client calling back
    to CALLBACK, and a domain; returns (pool id, client id, prefix)."""
    pool_id = new_pool(UsernameAttributes=["email"], Policies=LENIENT_POLICIES)["Id"]
    client_id = new_client(
        cognito,
        pool_id,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[CALLBACK],
        SupportedIdentityProviders=["COGNITO"],
    )["ClientId"]
    return pool_id, client_id, new_domain(pool_id)


def test_the_hosted_ui_answers_on_the_pools_domain_only(new_pool, new_domain, cognito, pool_url):
    """The sign-in page of a new pool's client answers on its domain, not on the server's own host, an unknown prefix or a foreign host."""
    pool_id, client_id, prefix = hosted_ui_pool(new_pool, new_domain, cognito)
    port = port_of(pool_url)
    _, challenge = pkce_pair()
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "state": "s",
            "scope": "openid",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    login = f"{pool_url}/login?{query}"
    status, _, page = fetch(login, host=f"{prefix}.localhost:{port}")
    assert status == 200, page
    assert 'action="/login"' in page and 'name="password"' in page and 'name="_csrf"' in page
    # The server's own host is the configured pool's, which does not know this client.
    assert fetch(login)[0] == 400
    assert fetch(login, host=f"nope.localhost:{port}")[0] == 404
    assert fetch(login, host="shop.evil.example")[0] == 421


def test_a_pools_discovery_document_names_its_domain(new_pool, new_domain, cognito, pool_url):
    """The discovery document of a pool with a domain sends browsers to the domain and keeps the pool's issuer."""
    pool_id, _, prefix = hosted_ui_pool(new_pool, new_domain, cognito)
    status, discovery = get_json(f"{pool_url}/{pool_id}/.well-known/openid-configuration")
    assert status == 200
    assert discovery["authorization_endpoint"] == f"http://{prefix}.localhost:{port_of(pool_url)}/oauth2/authorize"
    assert discovery["issuer"] == f"{pool_url}/{pool_id}"


def test_a_user_signs_in_on_the_pools_domain_and_the_app_redeems_the_code(new_pool, new_domain, cognito, pool_url):
    """A user signs in on the pool's hosted UI, is sent back with a code, and the code buys an ID token of the pool for the client."""
    pool_id, client_id, prefix = hosted_ui_pool(new_pool, new_domain, cognito)
    email = unique_email()
    create_user(cognito, pool_id, email)
    host = f"{prefix}.localhost:{port_of(pool_url)}"
    verifier, challenge = pkce_pair()
    oauth = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "state": "s",
        "scope": "openid",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    status, headers, page = fetch(f"{pool_url}/login?{urllib.parse.urlencode(oauth)}", host=host)
    assert status == 200, page
    csrf = re.search(r'name="_csrf" value="([^"]*)"', page)
    assert csrf, page
    cookies = set_cookies(headers)
    assert cookies, "the sign-in page set no cookie"
    form = {**oauth, "_csrf": html.unescape(csrf.group(1)), "username": email, "password": PLAIN_PASSWORD}
    status, headers, body = fetch(f"{pool_url}/login", host=host, form=form, cookies=cookies)
    assert status == 302, body
    location = urllib.parse.urlsplit(headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    returned = dict(urllib.parse.parse_qsl(location.query))
    assert returned["state"] == "s"
    status, _, body = fetch(
        f"{pool_url}/oauth2/token",
        host=host,
        form={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": returned["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
    )
    assert status == 200, body
    identity = jwt_part(json.loads(body)["id_token"], 1)
    assert identity["iss"] == f"{pool_url}/{pool_id}"
    assert identity["aud"] == client_id
    assert identity["email"] == email


# --- resource servers and their custom scopes (CreateResourceServer and the rest) ---

API = "https://api.example.com"
API_SCOPES = [
    {"ScopeName": "read", "ScopeDescription": "Read"},
    {"ScopeName": "write", "ScopeDescription": "Write"},
]
READ_SCOPE = f"{API}/read"


def new_resource_server(cognito, pool_id, identifier=API, name="API", scopes=API_SCOPES):
    """CreateResourceServer in `pool_id`; returns the ResourceServer it answers."""
    return cognito.create_resource_server(UserPoolId=pool_id, Identifier=identifier, Name=name, Scopes=scopes)[
        "ResourceServer"
    ]


def describe_resource_server(cognito, pool_id, identifier=API):
    return cognito.describe_resource_server(UserPoolId=pool_id, Identifier=identifier)["ResourceServer"]


def all_resource_servers(cognito, pool_id, page_size=50):
    """Every entry ListResourceServers gives for `pool_id`, page by page, with the pages' sizes."""
    servers, sizes, token = [], [], None
    while True:
        page = cognito.list_resource_servers(
            UserPoolId=pool_id, MaxResults=page_size, **({"NextToken": token} if token else {})
        )
        servers += page["ResourceServers"]
        sizes.append(len(page["ResourceServers"]))
        token = page.get("NextToken")
        if not token:
            return servers, sizes
        assert len(sizes) < 1000, "NextToken never runs out"


def test_a_resource_server_keeps_its_identifier_name_and_scopes(new_pool, cognito):
    """A new resource server is answered and described with its pool, identifier, name and scopes."""
    pool_id = new_pool()["Id"]
    expected = {"UserPoolId": pool_id, "Identifier": API, "Name": "API", "Scopes": API_SCOPES}
    assert new_resource_server(cognito, pool_id) == expected
    assert describe_resource_server(cognito, pool_id) == expected


def test_describing_a_resource_server_that_does_not_exist(new_pool, cognito):
    """DescribeResourceServer of an identifier the pool does not have, or in a pool that does not exist, is not found."""
    pool_id = new_pool()["Id"]
    new_resource_server(cognito, pool_id)
    with pytest.raises(ClientError) as excinfo:
        describe_resource_server(cognito, pool_id, "https://other.example.com")
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        describe_resource_server(cognito, "us-east-1_NoSuchPoo")
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_an_identifier_is_taken_once_per_pool(new_pool, cognito):
    """A second resource server with an identifier the pool has is refused and changes nothing; another pool may have it."""
    pool_id, other_pool = new_pool()["Id"], new_pool()["Id"]
    new_resource_server(cognito, pool_id)
    with pytest.raises(ClientError) as excinfo:
        new_resource_server(cognito, pool_id, name="Impostor", scopes=[{"ScopeName": "admin", "ScopeDescription": "A"}])
    assert error_code(excinfo) == "InvalidParameterException"
    assert describe_resource_server(cognito, pool_id)["Name"] == "API"
    assert describe_resource_server(cognito, pool_id)["Scopes"] == API_SCOPES
    assert new_resource_server(cognito, other_pool, name="Theirs")["UserPoolId"] == other_pool
    assert describe_resource_server(cognito, other_pool)["Name"] == "Theirs"


def test_update_resource_server_replaces_its_name_and_scopes(new_pool, cognito):
    """UpdateResourceServer replaces the name and the whole list of scopes, as answered and described."""
    pool_id = new_pool()["Id"]
    new_resource_server(cognito, pool_id)
    scopes = [{"ScopeName": "admin", "ScopeDescription": "Administer"}]
    reply = cognito.update_resource_server(UserPoolId=pool_id, Identifier=API, Name="Renamed API", Scopes=scopes)
    expected = {"UserPoolId": pool_id, "Identifier": API, "Name": "Renamed API", "Scopes": scopes}
    assert reply["ResourceServer"] == expected
    assert describe_resource_server(cognito, pool_id) == expected


def test_updating_a_resource_server_that_does_not_exist(new_pool, cognito):
    """UpdateResourceServer of an identifier the pool does not have is not found and creates nothing."""
    pool_id = new_pool()["Id"]
    with pytest.raises(ClientError) as excinfo:
        cognito.update_resource_server(UserPoolId=pool_id, Identifier=API, Name="API", Scopes=API_SCOPES)
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert all_resource_servers(cognito, pool_id)[0] == []


def test_a_deleted_resource_server_is_gone(new_pool, cognito):
    """A deleted resource server is not found, is not listed, cannot be deleted again, and its identifier is free."""
    pool_id = new_pool()["Id"]
    new_resource_server(cognito, pool_id)
    cognito.delete_resource_server(UserPoolId=pool_id, Identifier=API)
    with pytest.raises(ClientError) as excinfo:
        describe_resource_server(cognito, pool_id)
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert all_resource_servers(cognito, pool_id)[0] == []
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_resource_server(UserPoolId=pool_id, Identifier=API)
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert new_resource_server(cognito, pool_id, name="Again")["Name"] == "Again"


def test_list_resource_servers_pages_through_a_pools_servers(new_pool, cognito):
    """ListResourceServers names each resource server of the pool once, one page at a time, in full."""
    pool_id, other_pool = new_pool()["Id"], new_pool()["Id"]
    created = {}
    for n in range(3):
        server = new_resource_server(cognito, pool_id, f"https://api{n}.example.com", f"API {n}")
        created[server["Identifier"]] = server
    new_resource_server(cognito, other_pool, "https://elsewhere.example.com")
    listed, sizes = all_resource_servers(cognito, pool_id, page_size=1)
    assert all(size <= 1 for size in sizes), sizes
    assert len(sizes) >= 3
    assert sorted(s["Identifier"] for s in listed) == sorted(created)
    for entry in listed:
        assert entry == created[entry["Identifier"]]
    listed, sizes = all_resource_servers(cognito, pool_id)
    assert sizes == [3]
    assert sorted(s["Identifier"] for s in listed) == sorted(created)


@pytest.mark.parametrize("max_results", [0, 51])
def test_list_resource_servers_wants_between_1_and_50_results(new_pool, pool_url, max_results):
    """MaxResults outside 1..50 is an invalid parameter (sent past botocore's own check)."""
    pool_id = new_pool()["Id"]
    client = client_for(pool_url, Config(parameter_validation=False, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as excinfo:
        client.list_resource_servers(UserPoolId=pool_id, MaxResults=max_results)
    assert error_code(excinfo) == "InvalidParameterException"


def test_list_resource_servers_of_a_pool_that_does_not_exist(cognito):
    """ListResourceServers of a pool that does not exist is not found."""
    with pytest.raises(ClientError) as excinfo:
        cognito.list_resource_servers(UserPoolId="us-east-1_NoSuchPoo", MaxResults=10)
    assert error_code(excinfo) == "ResourceNotFoundException"


# Resource servers Cognito refuses: outside the documented patterns of Identifier
# ([\x21\x23-\x5B\x5D-\x7E]+), Name ([\w\s+=,.@-]+) and ScopeName ([\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+),
# or with a scope twice.
REFUSED_RESOURCE_SERVERS = [
    pytest.param({"Identifier": "https://api.example.com/my api"}, id="identifier-with-a-space"),
    pytest.param({"Identifier": 'https://api.example.com/"quoted"'}, id="identifier-with-a-double-quote"),
    pytest.param({"Identifier": "https://api.example.com\\v1"}, id="identifier-with-a-backslash"),
    pytest.param({"Name": "API/v1"}, id="name-with-a-slash"),
    pytest.param({"Scopes": [{"ScopeName": "read/all", "ScopeDescription": "Read all"}]}, id="scope-with-a-slash"),
    pytest.param(
        {"Scopes": [{"ScopeName": "read", "ScopeDescription": "Read"}, {"ScopeName": "read", "ScopeDescription": "Again"}]},
        id="the-same-scope-twice",
    ),
]


@pytest.mark.parametrize("settings", REFUSED_RESOURCE_SERVERS)
def test_resource_servers_cognito_refuses_are_not_created(new_pool, cognito, settings):
    """CreateResourceServer with an identifier, name or scopes Cognito refuses is an invalid parameter and creates nothing; so is such an update."""
    pool_id = new_pool()["Id"]
    request = {"UserPoolId": pool_id, "Identifier": API, "Name": "API", "Scopes": API_SCOPES, **settings}
    with pytest.raises(ClientError) as excinfo:
        cognito.create_resource_server(**request)
    assert error_code(excinfo) == "InvalidParameterException", excinfo.value.response["Error"]
    assert all_resource_servers(cognito, pool_id)[0] == []
    if "Identifier" in settings:
        return  # an update names an existing server: a refused identifier cannot name one
    new_resource_server(cognito, pool_id)
    with pytest.raises(ClientError) as excinfo:
        cognito.update_resource_server(**request)
    assert error_code(excinfo) == "InvalidParameterException", excinfo.value.response["Error"]
    assert describe_resource_server(cognito, pool_id)["Scopes"] == API_SCOPES
    assert describe_resource_server(cognito, pool_id)["Name"] == "API"


def test_a_client_may_be_given_a_custom_scope_of_a_resource_server(new_pool, cognito):
    """An app client may be allowed a custom scope (<identifier>/<scope>) once the pool's resource server has it."""
    pool_id = new_pool()["Id"]
    settings = {**OAUTH_SETTINGS, "AllowedOAuthScopes": ["openid", READ_SCOPE]}
    with pytest.raises(ClientError) as excinfo:
        new_client(cognito, pool_id, **settings)
    assert error_code(excinfo) == "ScopeDoesNotExistException"
    new_resource_server(cognito, pool_id)
    client = new_client(cognito, pool_id, **settings)
    assert sorted(client["AllowedOAuthScopes"]) == sorted(["openid", READ_SCOPE])
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    assert sorted(described["AllowedOAuthScopes"]) == sorted(["openid", READ_SCOPE])


def test_a_scope_the_resource_server_does_not_have_is_refused(new_pool, cognito):
    """A custom scope the resource server does not have, or of a server of another pool, does not exist, on create and on update."""
    pool_id, other_pool = new_pool()["Id"], new_pool()["Id"]
    new_resource_server(cognito, pool_id)
    new_resource_server(cognito, other_pool, "https://theirs.example.com")
    for scope in [f"{API}/delete", "https://theirs.example.com/read"]:
        settings = {**OAUTH_SETTINGS, "AllowedOAuthScopes": ["openid", scope]}
        with pytest.raises(ClientError) as excinfo:
            new_client(cognito, pool_id, **settings)
        assert error_code(excinfo) == "ScopeDoesNotExistException", scope
        client_id = new_client(cognito, pool_id)["ClientId"]
        with pytest.raises(ClientError) as excinfo:
            cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, **settings)
        assert error_code(excinfo) == "ScopeDoesNotExistException", scope


def machine_client(cognito, pool_id, scopes=(READ_SCOPE,)):
    """A confidential client for the client_credentials grant, allowed `scopes`; returns (id, secret)."""
    client = new_client(
        cognito,
        pool_id,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=list(scopes),
    )
    return client["ClientId"], client["ClientSecret"]


def client_credentials(pool_url, host, client_id, secret, scope):
    """POST /oauth2/token on `host` with grant_type=client_credentials, the client's id and secret
    in HTTP Basic; returns (status, JSON body)."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        f"{pool_url}/oauth2/token",
        data=urllib.parse.urlencode({"grant_type": "client_credentials", "scope": scope}).encode(),
        headers={
            "Host": host,
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with OPENER.open(request, timeout=30) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_a_machine_client_gets_an_access_token_with_its_custom_scope(new_pool, new_domain, cognito, pool_url):
    """A confidential client gets, with client_credentials on the pool's domain, an access token of the pool for itself with its custom scope."""
    pool_id = new_pool()["Id"]
    new_resource_server(cognito, pool_id)
    client_id, secret = machine_client(cognito, pool_id)
    host = f"{new_domain(pool_id)}.localhost:{port_of(pool_url)}"
    status, body = client_credentials(pool_url, host, client_id, secret, READ_SCOPE)
    assert status == 200, body
    assert body["token_type"] == "Bearer"
    assert "id_token" not in body and "refresh_token" not in body
    access = jwt_part(body["access_token"], 1)
    assert access["scope"] == READ_SCOPE
    assert access["client_id"] == client_id
    assert access["token_use"] == "access"
    assert access["iss"] == f"{pool_url}/{pool_id}"
    assert access["exp"] - access["iat"] == body["expires_in"]


def test_a_machine_client_verifies_with_its_pools_jwks(new_pool, new_domain, cognito, pool_url):
    """The client_credentials access token verifies with the key of its pool's JWKS that its header names."""
    pool_id = new_pool()["Id"]
    new_resource_server(cognito, pool_id)
    client_id, secret = machine_client(cognito, pool_id)
    host = f"{new_domain(pool_id)}.localhost:{port_of(pool_url)}"
    status, body = client_credentials(pool_url, host, client_id, secret, READ_SCOPE)
    assert status == 200, body
    token = body["access_token"]
    status, jwks = get_json(f"{pool_url}/{pool_id}/.well-known/jwks.json")
    assert status == 200
    keys = {key["kid"]: key for key in jwks["keys"]}
    assert rs256_verifies(token, keys[jwt_part(token, 0)["kid"]])


def test_a_machine_client_is_refused_a_scope_it_was_not_given(new_pool, new_domain, cognito, pool_url):
    """client_credentials asking for a scope the client was not allowed (though its server has it) is invalid_scope."""
    pool_id = new_pool()["Id"]
    new_resource_server(cognito, pool_id)
    client_id, secret = machine_client(cognito, pool_id)
    host = f"{new_domain(pool_id)}.localhost:{port_of(pool_url)}"
    for scope in [f"{API}/write", f"{API}/delete", f"{READ_SCOPE} {API}/write"]:
        status, body = client_credentials(pool_url, host, client_id, secret, scope)
        assert (status, body and body.get("error")) == (400, "invalid_scope"), (scope, body)


def test_a_machine_client_with_a_wrong_secret_gets_no_token(new_pool, new_domain, cognito, pool_url):
    """client_credentials with a wrong client secret is invalid_client."""
    pool_id = new_pool()["Id"]
    new_resource_server(cognito, pool_id)
    client_id, _ = machine_client(cognito, pool_id)
    host = f"{new_domain(pool_id)}.localhost:{port_of(pool_url)}"
    status, body = client_credentials(pool_url, host, client_id, "not-the-secret", READ_SCOPE)
    assert status in (400, 401), body
    assert body["error"] == "invalid_client"
    assert "access_token" not in body


def test_the_configured_pool_lists_the_resource_servers_userpool_toml_declares(cognito):
    """ListResourceServers of the pool of userpool.toml names exactly the resource servers the file declares (none if it declares none)."""
    declared = tomllib.loads((ROOT / "userpool.toml").read_text()).get("resource_servers", [])
    listed, _ = all_resource_servers(cognito, POOL_ID)
    assert sorted((s["Identifier"], s["Name"]) for s in listed) == sorted((d["identifier"], d["name"]) for d in declared)
    for server in listed:
        assert server["UserPoolId"] == POOL_ID
        [entry] = [d for d in declared if d["identifier"] == server["Identifier"]]
        assert [scope["ScopeName"] for scope in server["Scopes"]] == entry["scopes"]


# --- AdminCreateUserConfig ---


def test_a_pool_where_only_administrators_create_users_refuses_sign_up(new_pool, cognito):
    """With AllowAdminCreateUserOnly, SignUp is not authorized and creates nobody; AdminCreateUser still works."""
    pool_id = new_pool(Policies=LENIENT_POLICIES, AdminCreateUserConfig={"AllowAdminCreateUserOnly": True})["Id"]
    client_id = password_client(cognito, pool_id)
    username = unique_username("walk-in")
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client_id, Username=username, Password=PLAIN_PASSWORD)
    assert error_code(excinfo) == "NotAuthorizedException"
    assert excinfo.value.response["Error"]["Message"] == "SignUp is not permitted for this user pool."
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=pool_id, Username=username)
    assert error_code(excinfo) == "UserNotFoundException"
    create_user(cognito, pool_id, username)
    assert sign_in(cognito, client_id, username)["AccessToken"]
    described = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_invitations_follow_the_pools_template(new_pool, cognito, outbox):
    """AdminCreateUser mails the InviteMessageTemplate with the username and the temporary password filled in."""
    template = {
        "EmailSubject": "Welcome to the shop",
        "EmailMessage": "Hello {username}, sign in with {####} and choose a password.",
    }
    pool_id = new_pool(
        Policies=LENIENT_POLICIES,
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": False, "InviteMessageTemplate": template},
    )["Id"]
    username = unique_username("invited")
    email = f"{username}@example.com"
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword="temporary pass 1",
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    body = outbox(email, r"(Hello .*)")
    assert body == f"Hello {username}, sign in with temporary pass 1 and choose a password."


# --- the attribute schema ---

CUSTOM_SCHEMA = [
    {"Name": "name", "AttributeDataType": "String", "Required": True, "Mutable": True},
    {
        "Name": "team",
        "AttributeDataType": "String",
        "Mutable": True,
        "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "8"},
    },
    {"Name": "level", "AttributeDataType": "Number", "Mutable": False},
]


def test_a_pools_schema_lists_the_standard_and_custom_attributes(new_pool, cognito):
    """DescribeUserPool's SchemaAttributes has Cognito's standard attributes and the pool's custom: ones."""
    pool = new_pool(Policies=LENIENT_POLICIES, Schema=CUSTOM_SCHEMA)
    described = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    schema = {attribute["Name"]: attribute for attribute in described["SchemaAttributes"]}
    for standard in ("sub", "email", "email_verified", "phone_number", "updated_at", "given_name"):
        assert standard in schema, standard
    assert schema["name"]["Required"] is True
    assert schema["custom:team"]["StringAttributeConstraints"] == {"MinLength": "2", "MaxLength": "8"}
    assert (schema["custom:level"]["AttributeDataType"], schema["custom:level"]["Mutable"]) == ("Number", False)


def test_attributes_are_written_only_as_the_schema_allows(new_pool, cognito):
    """Unknown attributes, values out of bounds, a missing required attribute and a change to an immutable one are refused."""
    pool_id = new_pool(Policies=LENIENT_POLICIES, Schema=CUSTOM_SCHEMA)["Id"]
    username = unique_username("schema")

    def created_with(attributes):
        return cognito.admin_create_user(
            UserPoolId=pool_id, Username=username, UserAttributes=attributes, MessageAction="SUPPRESS"
        )

    for attributes, words in [
        ([{"Name": "custom:level", "Value": "3"}], "required"),
        ([{"Name": "name", "Value": "Ada"}, {"Name": "custom:colour", "Value": "red"}], "could not be determined"),
        ([{"Name": "name", "Value": "Ada"}, {"Name": "custom:team", "Value": "a-very-long-team"}], "no longer than"),
        ([{"Name": "name", "Value": "Ada"}, {"Name": "custom:level", "Value": "high"}], "number"),
    ]:
        with pytest.raises(ClientError) as excinfo:
            created_with(attributes)
        assert error_code(excinfo) == "InvalidParameterException", attributes
        assert words in excinfo.value.response["Error"]["Message"], excinfo.value.response["Error"]["Message"]
    created_with([{"Name": "name", "Value": "Ada"}, {"Name": "custom:team", "Value": "blue"}, {"Name": "custom:level", "Value": "3"}])
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id, Username=username, UserAttributes=[{"Name": "custom:team", "Value": "green"}]
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_update_user_attributes(
            UserPoolId=pool_id, Username=username, UserAttributes=[{"Name": "custom:level", "Value": "4"}]
        )
    assert error_code(excinfo) == "InvalidParameterException"
    assert "non-mutable" in excinfo.value.response["Error"]["Message"]
    attributes = {
        a["Name"]: a["Value"]
        for a in cognito.admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"]
    }
    assert (attributes["custom:team"], attributes["custom:level"], attributes["name"]) == ("green", "3", "Ada")


def test_custom_attributes_can_be_added_later(new_pool, cognito):
    """AddCustomAttributes adds custom: attributes users may then be given; a name taken or a required one is refused."""
    pool_id = new_pool(Policies=LENIENT_POLICIES)["Id"]
    username = unique_username("later")
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(
            UserPoolId=pool_id, Username=username, UserAttributes=[{"Name": "custom:plan", "Value": "pro"}], MessageAction="SUPPRESS"
        )
    assert error_code(excinfo) == "InvalidParameterException"
    cognito.add_custom_attributes(UserPoolId=pool_id, CustomAttributes=[{"Name": "plan", "AttributeDataType": "String"}])
    cognito.admin_create_user(
        UserPoolId=pool_id, Username=username, UserAttributes=[{"Name": "custom:plan", "Value": "pro"}], MessageAction="SUPPRESS"
    )
    for again in ({"Name": "plan", "AttributeDataType": "String"}, {"Name": "tier", "AttributeDataType": "String", "Required": True}):
        with pytest.raises(ClientError) as excinfo:
            cognito.add_custom_attributes(UserPoolId=pool_id, CustomAttributes=[again])
        assert error_code(excinfo) == "InvalidParameterException", again
    names = [a["Name"] for a in cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["SchemaAttributes"]]
    assert names.count("custom:plan") == 1 and "custom:tier" not in names


def test_a_client_reads_and_writes_only_the_attributes_it_is_allowed(new_pool, cognito):
    """ReadAttributes limits what GetUser shows the client's users and what their ID tokens carry;
    WriteAttributes what they and SignUp may set."""
    pool_id = new_pool(
        Policies=LENIENT_POLICIES,
        Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}],
    )["Id"]
    client_id = new_client(
        cognito,
        pool_id,
        ExplicitAuthFlows=PASSWORD_FLOWS,
        ReadAttributes=["name", "custom:team"],
        WriteAttributes=["name"],
    )["ClientId"]
    username = unique_username("limited")
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(
            ClientId=client_id,
            Username=username,
            Password=PLAIN_PASSWORD,
            UserAttributes=[{"Name": "custom:team", "Value": "red"}],
        )
    assert error_code(excinfo) == "NotAuthorizedException"
    create_user(cognito, pool_id, username, attributes={"name": "Lim", "custom:team": "blue", "nickname": "hidden"})
    tokens = sign_in(cognito, client_id, username)
    token = tokens["AccessToken"]
    shown = {a["Name"]: a["Value"] for a in cognito.get_user(AccessToken=token)["UserAttributes"]}
    assert shown.keys() == {"sub", "name", "custom:team"}, shown
    id_claims = jwt_part(tokens["IdToken"], 1)
    assert (id_claims["name"], id_claims["custom:team"]) == ("Lim", "blue")
    assert "nickname" not in id_claims
    cognito.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "name", "Value": "Lima"}])
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "custom:team", "Value": "red"}])
    assert error_code(excinfo) == "NotAuthorizedException"
    everything = {
        a["Name"]: a["Value"] for a in cognito.admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"]
    }
    assert (everything["name"], everything["custom:team"], everything["nickname"]) == ("Lima", "blue", "hidden")


def test_id_tokens_carry_the_users_attributes(new_pool, cognito):
    """As Cognito's do: every attribute the client may read, verified flags as booleans, custom ones as strings."""
    pool_id = new_pool(
        Policies=LENIENT_POLICIES,
        Schema=[{"Name": "age", "AttributeDataType": "Number", "Mutable": True}],
    )["Id"]
    client_id = new_client(cognito, pool_id, ExplicitAuthFlows=PASSWORD_FLOWS)["ClientId"]
    username = unique_username("claims")
    create_user(
        cognito,
        pool_id,
        username,
        attributes={
            "given_name": "Ada",
            "phone_number": "+15555550123",
            "phone_number_verified": "true",
            "custom:age": "36",
        },
    )
    id_claims = jwt_part(sign_in(cognito, client_id, username)["IdToken"], 1)
    assert id_claims["cognito:username"] == username
    assert id_claims["given_name"] == "Ada"
    assert id_claims["phone_number"] == "+15555550123"
    assert id_claims["phone_number_verified"] is True
    assert id_claims["custom:age"] == "36"


# --- hosted UI branding (SetUICustomization, GetUICustomization) ---


def png(width=2, height=1):
    """A small valid PNG image (red pixels), made here rather than read from a file."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


BRAND_CSS = ".submitButton-customizable { background-color: #0a7d3b; }\n.banner-customizable { padding: 12px 0; }"


def login_query(client_id):
    _, challenge = pkce_pair()
    return urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )


def fetch_bytes(url, host):
    request = urllib.request.Request(url, headers={"Host": host})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return reply.headers.get("Content-Type"), reply.read()


def test_a_pool_is_customized_only_once_it_has_a_domain(new_pool, cognito):
    """As in Cognito, SetUICustomization needs the pool's hosted UI: a pool without a domain is refused."""
    pool_id = new_pool()["Id"]
    with pytest.raises(ClientError) as excinfo:
        cognito.set_ui_customization(UserPoolId=pool_id, ClientId="ALL", CSS=BRAND_CSS)
    assert error_code(excinfo) == "InvalidParameterException"
    assert "domain" in excinfo.value.response["Error"]["Message"]


def test_the_pools_default_look_brands_the_hosted_ui_of_its_clients(new_pool, new_domain, cognito, pool_url):
    """A logo and stylesheet set for ALL are what GetUICustomization answers for a client without its own,
    and what its sign-in page links to, served back byte for byte from the pool's domain."""
    pool_id, client_id, prefix = hosted_ui_pool(new_pool, new_domain, cognito)
    host = f"{prefix}.localhost:{port_of(pool_url)}"
    logo = png()
    reply = cognito.set_ui_customization(UserPoolId=pool_id, ClientId="ALL", CSS=BRAND_CSS, ImageFile=logo)
    custom = reply["UICustomization"]
    assert (custom["UserPoolId"], custom["ClientId"], custom["CSSVersion"]) == (pool_id, "ALL", "1")
    assert ".submitButton-customizable {\n  background-color: #0a7d3b;\n}" in custom["CSS"]
    assert custom["ImageUrl"].startswith(f"http://{host}/static/ui/ALL/logo?v=1")
    assert isinstance(custom["CreationDate"], datetime.datetime)

    effective = cognito.get_ui_customization(UserPoolId=pool_id, ClientId=client_id)["UICustomization"]
    assert (effective["ClientId"], effective["CSS"], effective["ImageUrl"]) == ("ALL", custom["CSS"], custom["ImageUrl"])

    status, _, page = fetch(f"{pool_url}/login?{login_query(client_id)}", host=host)
    assert status == 200, page
    assert '<link rel="stylesheet" href="/static/ui/ALL/custom.css?v=1">' in page
    assert '<img class="logo-customizable" src="/static/ui/ALL/logo?v=1"' in page
    assert 'class="submitButton-customizable"' in page and 'class="inputField-customizable"' in page
    assert fetch_bytes(custom["ImageUrl"].replace(host, f"127.0.0.1:{port_of(pool_url)}"), host) == ("image/png", logo)
    content_type, css = fetch_bytes(f"{pool_url}/static/ui/ALL/custom.css?v=1", host)
    assert (content_type, css.decode()) == ("text/css; charset=utf-8", custom["CSS"])


def test_a_clients_own_look_replaces_the_default(new_pool, new_domain, cognito, pool_url):
    """A client given its own customization keeps it (stylesheet only: no logo) whatever ALL becomes,
    and setting it again raises its version."""
    pool_id, client_id, prefix = hosted_ui_pool(new_pool, new_domain, cognito)
    host = f"{prefix}.localhost:{port_of(pool_url)}"
    cognito.set_ui_customization(UserPoolId=pool_id, ClientId="ALL", CSS=BRAND_CSS, ImageFile=png())
    cognito.set_ui_customization(UserPoolId=pool_id, ClientId=client_id, CSS=".label-customizable { color: #333 }")
    again = cognito.set_ui_customization(
        UserPoolId=pool_id, ClientId=client_id, CSS=".label-customizable { color: #111 }"
    )["UICustomization"]
    assert (again["ClientId"], again["CSSVersion"]) == (client_id, "2")
    assert "ImageUrl" not in again
    own = cognito.get_ui_customization(UserPoolId=pool_id, ClientId=client_id)["UICustomization"]
    assert own["CSS"] == ".label-customizable {\n  color: #111;\n}\n"
    _, _, page = fetch(f"{pool_url}/login?{login_query(client_id)}", host=host)
    assert f'href="/static/ui/{client_id}/custom.css?v=2"' in page
    assert "logo-customizable" not in page
    # The pool's default is still ALL's, for GetUICustomization without a client.
    assert cognito.get_ui_customization(UserPoolId=pool_id)["UICustomization"]["ClientId"] == "ALL"


@pytest.mark.parametrize(
    "css",
    [
        "body { background: red }",
        "@import url(https://evil.example/x.css);",
        ".logo-customizable { background-image: url(https://evil.example/track.png) }",
        ".label-customizable { color: var(--secret) }",
        ".label-customizable a { color: red }",
    ],
)
def test_css_outside_cognitos_classes_is_refused_and_changes_nothing(new_pool, new_domain, cognito, css):
    """A stylesheet with other selectors, at-rules or values that load anything is refused, and the look stays."""
    pool_id, client_id, _ = hosted_ui_pool(new_pool, new_domain, cognito)
    cognito.set_ui_customization(UserPoolId=pool_id, ClientId="ALL", CSS=BRAND_CSS)
    with pytest.raises(ClientError) as excinfo:
        cognito.set_ui_customization(UserPoolId=pool_id, ClientId="ALL", CSS=css)
    assert error_code(excinfo) == "InvalidParameterException"
    kept = cognito.get_ui_customization(UserPoolId=pool_id, ClientId=client_id)["UICustomization"]
    assert (kept["CSSVersion"], "#0a7d3b" in kept["CSS"]) == ("1", True)


def test_a_logo_must_be_a_small_png_or_jpeg(new_pool, new_domain, cognito):
    """An SVG (it could carry script), a GIF or an image over 100 KB is refused as a logo."""
    pool_id, _, _ = hosted_ui_pool(new_pool, new_domain, cognito)
    for image in (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", b"GIF89a....", png() + b"\x00" * 100 * 1024):
        with pytest.raises(ClientError) as excinfo:
            cognito.set_ui_customization(UserPoolId=pool_id, ImageFile=image)
        assert error_code(excinfo) == "InvalidParameterException"
    assert "CSSVersion" not in cognito.get_ui_customization(UserPoolId=pool_id)["UICustomization"]


def test_customizing_a_client_the_pool_does_not_have_is_not_found(new_pool, new_domain, cognito):
    pool_id, _, _ = hosted_ui_pool(new_pool, new_domain, cognito)
    with pytest.raises(ClientError) as excinfo:
        cognito.set_ui_customization(UserPoolId=pool_id, ClientId="nosuchclient", CSS=BRAND_CSS)
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.get_ui_customization(UserPoolId=pool_id, ClientId="nosuchclient")
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_the_aws_cli_uploads_a_logo_from_a_file(new_pool, new_domain, cognito, pool_url, tmp_path):
    """`aws cognito-idp set-ui-customization --image-file fileb://logo.png`, as Cognito's guide does it."""
    pool_id, client_id, prefix = hosted_ui_pool(new_pool, new_domain, cognito)
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(4, 4))
    done = aws_cli(
        pool_url, "set-ui-customization", "--user-pool-id", pool_id, "--client-id", client_id,
        "--image-file", f"fileb://{logo}", "--css", BRAND_CSS,
    )
    assert done.returncode == 0, done.stderr
    url = json.loads(done.stdout)["UICustomization"]["ImageUrl"]
    host = f"{prefix}.localhost:{port_of(pool_url)}"
    assert fetch_bytes(url.replace(host, f"127.0.0.1:{port_of(pool_url)}"), host) == ("image/png", png(4, 4))


def test_an_error_page_names_the_pool_with_its_look(new_pool, new_domain, cognito, pool_url):
    """The pool's error page (here: a redirect_uri the client does not have) shows the pool's name and
    the client's branding, like its sign-in pages."""
    pool_id, client_id, prefix = hosted_ui_pool(new_pool, new_domain, cognito)
    name = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Name"]
    cognito.set_ui_customization(UserPoolId=pool_id, CSS=BRAND_CSS, ImageFile=png())
    query = login_query(client_id).replace(urllib.parse.quote(CALLBACK, safe=""), "http%3A%2F%2Fevil.example%2F")
    status, _, page = fetch(f"{pool_url}/oauth2/authorize?{query}", host=f"{prefix}.localhost:{port_of(pool_url)}")
    assert status == 400, page
    assert f'<p class="brand">{name}</p>' in page and f"<title>Error · {name}</title>" in page
    assert '<img class="logo-customizable" src="/static/ui/ALL/logo?v=1"' in page
    assert "redirect_uri" in page
