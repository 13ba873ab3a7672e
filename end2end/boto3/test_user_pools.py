"""Managing user pools as Amazon Cognito does (CreateUserPool, DescribeUserPool,
UpdateUserPool, DeleteUserPool, ListUserPools), driven by boto3 and the AWS CLI
exactly as a test suite written against AWS would drive them: each new pool has
its own settings, password policy, users, groups, issuer and signing keys, it
survives a restart, and the pool configured in userpool.toml is listed beside it."""

import contextlib
import datetime
import json
import os
import re
import signal
import tempfile
import urllib.error
import urllib.request
import uuid

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import POOL_ID, admin_credential, aws_cli, client_for, free_port, pool_env, serve, write_config

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


def unique_name(prefix="pool"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


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


def delete_quietly(client, pool_id):
    """Deletes `pool_id` whatever its deletion protection; a pool already gone is fine."""
    try:
        client.delete_user_pool(UserPoolId=pool_id)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "ResourceNotFoundException":
            return
        if code != "InvalidParameterException":
            raise
        client.update_user_pool(UserPoolId=pool_id, DeletionProtection="INACTIVE")
        client.delete_user_pool(UserPoolId=pool_id)


@pytest.fixture
def new_pool(cognito):
    """Creates pools with CreateUserPool (a unique PoolName unless given) and deletes them
    after the test, as suites written for AWS do: `new_pool(**settings)` returns the UserPool."""
    created = []

    def create(**settings):
        settings.setdefault("PoolName", unique_name())
        pool = cognito.create_user_pool(**settings)["UserPool"]
        created.append(pool["Id"])
        return pool

    yield create
    for pool_id in created:
        delete_quietly(cognito, pool_id)


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
