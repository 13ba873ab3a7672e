"""Triggers without Lambda: pools made with CreateUserPool name Lambda ARNs in their
LambdaConfig, as infrastructure code does, and the server's [triggers.lambda_urls] sends each
ARN's events to a small webhook receiver started here (or through a local command). Every event
is checked against Cognito's documented shape and signature, and the answers change what
happens: sign-ups confirmed or refused, sign-ins stopped, claims and scopes added to tokens, a
user of an old system migrated on first sign-in, a message written by the trigger."""

import base64
import contextlib
import hashlib
import hmac
import http.server
import json
import re
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import (
    POOL_ID, client_for, delete_quietly, free_port, pool_env, running_pool, serve, start_server, unique_name,
    write_config,
)
from test_identity_providers import sign_in_through_upstream

SECRET = "a-trigger-secret-of-the-tests"
# Cognito's default password policy, which pools made with CreateUserPool have.
PASSWORD = "Correct-Horse-9-battery"
REGION_ACCOUNT = "arn:aws:lambda:us-east-1:123456789012:function"
# Each of the receiver's paths, and the ARN that [triggers.lambda_urls] sends to it.
HOOKS = ["pre-sign-up", "post-confirmation", "pre-auth", "post-auth", "tokens", "message", "migrate",
         "define", "create", "verify"]
COMMAND_HOOK = f"{REGION_ACCOUNT}:command-hook"
UNMAPPED = f"{REGION_ACCOUNT}:not-configured"

# A trigger run as a command: it auto-confirms, as a Lambda function returning the event would.
COMMAND_SCRIPT = """
import json, sys
event = json.load(sys.stdin)
if event["request"]["userAttributes"].get("email", "").endswith("@refused.example"):
    print("Refused by the command", file=sys.stderr)
    sys.exit(1)
event["response"]["autoConfirmUser"] = True
json.dump(event, sys.stdout)
"""


def arn(hook):
    return f"{REGION_ACCOUNT}:{hook}"


class Receiver:
    """Records each event with whether its signature verifies, and answers as the test says
    (by default, with the event unchanged, as a Lambda function that does nothing)."""

    def __init__(self):
        self.events = []
        self.answers = {}
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event = json.loads(body)
                hook = self.path.strip("/")
                # As received: the answer below may change its own copy.
                receiver.events.append((hook, json.loads(body), receiver.verifies(event["userPoolId"], self.headers, body)))
                answer = receiver.answers.get(hook, lambda event: (200, event))
                status, reply = answer(event)
                data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def verifies(pool_id, headers, body):
        """The receiver's check, as the README shows it."""
        key = hmac.new(SECRET.encode(), pool_id.encode(), hashlib.sha256).hexdigest()
        fields = dict(part.split("=", 1) for part in headers["X-Userpool-Signature"].split(","))
        expected = hmac.new(key.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - int(fields["t"])) < 300

    def of(self, hook):
        return [event for name, event, _ in self.events if name == hook]


@pytest.fixture(scope="module")
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


@contextlib.contextmanager
def triggers_pool(directory, receiver, own_database=False):
    """A `userpool serve` whose [triggers.lambda_urls] sends each of HOOKS's ARNs to `receiver`
    (and COMMAND_HOOK's to a command); yields its URL. `own_database`: in SQLite of its own even
    where the run's pools share PostgreSQL, for a test that changes the declared pool."""
    script = directory / "hook.py"
    script.write_text(COMMAND_SCRIPT)
    port = free_port()
    config_path = write_config(directory, port)
    urls = "\n".join(f'"{arn(hook)}" = "http://127.0.0.1:{receiver.port}/{hook}"' for hook in HOOKS)
    config_path.write_text(
        config_path.read_text()
        + f'\n[triggers.lambda_urls]\n{urls}\n"{COMMAND_HOOK}" = ["{sys.executable}", "{script}"]\n'
    )
    env = pool_env(sqlite=own_database)
    env["USERPOOL_TRIGGER_SECRET"] = SECRET
    process = serve(config_path, port, directory / "userpool.log", env=env)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def pool_url(tmp_path_factory, receiver):
    with triggers_pool(tmp_path_factory.mktemp("triggers"), receiver) as url:
        yield url


@pytest.fixture(autouse=True)
def fresh_answers(receiver):
    receiver.answers.clear()
    receiver.events.clear()


@pytest.fixture
def cognito(pool_url):
    return client_for(pool_url)


@pytest.fixture
def app_pool(cognito):
    """`app_pool(**LambdaConfig)`: a pool with plain usernames and those triggers, and a client
    that signs in with passwords (and hides who has an account); deleted after the test."""
    made = []

    def create(token_version=None, **lambda_config):
        config = dict(lambda_config)
        if token_version:
            config["PreTokenGenerationConfig"] = {"LambdaVersion": token_version, "LambdaArn": config.pop("PreTokenGeneration")}
        pool = cognito.create_user_pool(
            PoolName=unique_name("triggers"), AutoVerifiedAttributes=["email"], LambdaConfig=config
        )["UserPool"]
        made.append(pool["Id"])
        client = cognito.create_user_pool_client(
            UserPoolId=pool["Id"],
            ClientName="app",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH",
                               "ALLOW_REFRESH_TOKEN_AUTH"],
            PreventUserExistenceErrors="ENABLED",
        )["UserPoolClient"]
        return pool["Id"], client["ClientId"]

    yield create
    for pool_id in made:
        delete_quietly(cognito, pool_id)


def code_for(pool_url, address):
    query = urllib.parse.urlencode({"to": address})
    with urllib.request.urlopen(f"{pool_url}/_dev/outbox.json?{query}") as reply:
        mail = json.load(reply)
    return mail


def claims(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def error_of(call):
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def assert_common_shape(event, source, pool_id, client_id, user_name=None):
    """Cognito's common parameters, exactly."""
    assert set(event) == {"version", "triggerSource", "region", "userPoolId", "userName", "callerContext", "request", "response"}
    assert event["triggerSource"] == source
    assert event["region"] == "us-east-1"
    assert event["userPoolId"] == pool_id
    assert event["callerContext"] == {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id}
    if user_name is not None:
        assert event["userName"] == user_name


def sign_in(cognito, client_id, username, password=PASSWORD):
    return cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": username, "PASSWORD": password}
    )


def test_pre_sign_up_confirms_verifies_or_refuses_and_a_refusal_stores_nothing(cognito, receiver, app_pool):
    pool_id, client_id = app_pool(PreSignUp=arn("pre-sign-up"))

    def decide(event):
        address = event["request"]["userAttributes"]["email"]
        if address.endswith("@blocked.example"):
            return 400, {"errorType": "Error", "errorMessage": "Sign-ups from blocked.example are closed"}
        event["response"].update(autoConfirmUser=True, autoVerifyEmail=True)
        return 200, event

    receiver.answers["pre-sign-up"] = decide
    reply = cognito.sign_up(
        ClientId=client_id, Username="ada", Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "ada@trusted.example"}],
        ValidationData=[{"Name": "invite", "Value": "XK-42"}], ClientMetadata={"campaign": "spring"},
    )
    assert reply["UserConfirmed"] is True and "CodeDeliveryDetails" not in reply
    [event] = receiver.of("pre-sign-up")
    assert_common_shape(event, "PreSignUp_SignUp", pool_id, client_id, "ada")
    assert event["version"] == "1"
    assert event["request"] == {
        "userAttributes": {"email": "ada@trusted.example"},
        "validationData": {"invite": "XK-42"},
        "clientMetadata": {"campaign": "spring"},
    }
    assert event["response"] == {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}
    assert all(verified for _, _, verified in receiver.events)
    user = cognito.admin_get_user(UserPoolId=pool_id, Username="ada")
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]
    # Confirmed without a code, and signed in at once.
    assert "IdToken" in sign_in(cognito, client_id, "ada")["AuthenticationResult"]

    code, message = error_of(lambda: cognito.sign_up(
        ClientId=client_id, Username="mallory", Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "mallory@blocked.example"}],
    ))
    assert (code, message) == ("UserLambdaValidationException", "PreSignUp failed with error Sign-ups from blocked.example are closed.")
    assert error_of(lambda: cognito.admin_get_user(UserPoolId=pool_id, Username="mallory"))[0] == "UserNotFoundException"
    assert code_for(cognito.meta.endpoint_url, "mallory@blocked.example") == []


def test_an_upstream_users_first_sign_in_runs_pre_sign_up_external_provider(receiver, tmp_path):
    """A person signing in through another provider for the first time is a sign-up: PreSignUp
    (PreSignUp_ExternalProvider) sees the new user and may verify their address or refuse them,
    and a refusal reaches the app's callback as Cognito's error, with no user made. The broker's
    declared pool gets the trigger, so it runs in a database of its own."""
    def verify(event):
        event["response"]["autoVerifyEmail"] = True
        return 200, event

    receiver.answers["pre-sign-up"] = verify
    with triggers_pool(tmp_path, receiver, own_database=True) as broker_url, \
            running_pool(own_database=True) as upstream_url:
        broker = client_for(broker_url)
        broker.update_user_pool(UserPoolId=POOL_ID, LambdaConfig={"PreSignUp": arn("pre-sign-up")})
        signed_in = sign_in_through_upstream(broker_url, broker, POOL_ID, upstream_url)
        [event] = receiver.of("pre-sign-up")
        assert_common_shape(
            event, "PreSignUp_ExternalProvider", POOL_ID, signed_in["client_id"], signed_in["username"]
        )
        assert event["request"]["userAttributes"]["email"] == signed_in["email"]
        assert claims(signed_in["tokens"]["id_token"])["email_verified"] is True

        receiver.answers["pre-sign-up"] = lambda event: (
            400, {"errorType": "Error", "errorMessage": "Not from this provider"}
        )
        refused = sign_in_through_upstream(broker_url, broker, POOL_ID, upstream_url)
        assert refused["answer"]["error"] == "invalid_request"
        assert refused["answer"]["error_description"] == "PreSignUp failed with error Not from this provider."
        assert error_of(
            lambda: broker.admin_get_user(UserPoolId=POOL_ID, Username=refused["username"])
        )[0] == "UserNotFoundException"


def test_post_confirmation_hears_of_a_confirmed_sign_up_and_a_reset_password(cognito, receiver, app_pool, pool_url):
    pool_id, client_id = app_pool(PostConfirmation=arn("post-confirmation"))
    address = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    cognito.sign_up(ClientId=client_id, Username="grace", Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": address}])
    code = re.search(r"\b(\d{6})\b", code_for(pool_url, address)[0]["body"]).group(1)
    cognito.confirm_sign_up(ClientId=client_id, Username="grace", ConfirmationCode=code, ClientMetadata={"from": "test"})
    [event] = receiver.of("post-confirmation")
    assert_common_shape(event, "PostConfirmation_ConfirmSignUp", pool_id, client_id, "grace")
    attributes = event["request"]["userAttributes"]
    assert attributes["email"] == address and attributes["cognito:user_status"] == "CONFIRMED"
    assert attributes["sub"] == cognito.admin_get_user(UserPoolId=pool_id, Username="grace")["UserAttributes"][0]["Value"]
    assert event["request"]["clientMetadata"] == {"from": "test"}

    cognito.forgot_password(ClientId=client_id, Username="grace")
    reset = re.search(r"\b(\d{6})\b", code_for(pool_url, address)[0]["body"]).group(1)
    cognito.confirm_forgot_password(ClientId=client_id, Username="grace", ConfirmationCode=reset, Password="A-new-passphrase-123")
    assert receiver.of("post-confirmation")[-1]["triggerSource"] == "PostConfirmation_ConfirmForgotPassword"


def test_pre_authentication_can_stop_a_sign_in_and_post_authentication_hears_of_one(cognito, receiver, app_pool):
    pool_id, client_id = app_pool(PreAuthentication=arn("pre-auth"), PostAuthentication=arn("post-auth"))
    for name in ("alan", "blocked"):
        cognito.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True)
    receiver.answers["pre-auth"] = lambda event: (
        (403, {"errorMessage": "This account is closed for maintenance"}) if event["userName"] == "blocked" else (200, event)
    )
    tokens = sign_in(cognito, client_id, "alan")["AuthenticationResult"]
    assert "AccessToken" in tokens
    [pre] = receiver.of("pre-auth")
    assert_common_shape(pre, "PreAuthentication_Authentication", pool_id, client_id, "alan")
    assert pre["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    [post] = receiver.of("post-auth")
    assert_common_shape(post, "PostAuthentication_Authentication", pool_id, client_id, "alan")
    assert post["request"]["newDeviceUsed"] is False

    code, message = error_of(lambda: sign_in(cognito, client_id, "blocked"))
    assert code == "UserLambdaValidationException"
    assert message == "PreAuthentication failed with error This account is closed for maintenance."
    # A name without an account is asked about too, as Cognito does when it hides who has one.
    assert error_of(lambda: sign_in(cognito, client_id, "nobody"))[0] == "NotAuthorizedException"
    assert receiver.of("pre-auth")[-1]["request"]["userNotFound"] is True

    receiver.answers["post-auth"] = lambda event: (500, b"post-authentication is down")
    code, message = error_of(lambda: sign_in(cognito, client_id, "alan"))
    assert (code, message) == ("UserLambdaValidationException", "PostAuthentication failed with error post-authentication is down.")


def test_pre_token_generation_v2_adds_claims_and_scopes_to_both_tokens(cognito, receiver, app_pool):
    pool_id, client_id = app_pool(PreTokenGeneration=arn("tokens"), token_version="V2_0")
    described = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["LambdaConfig"]
    assert described["PreTokenGeneration"] == arn("tokens")
    assert described["PreTokenGenerationConfig"] == {"LambdaVersion": "V2_0", "LambdaArn": arn("tokens")}
    cognito.admin_create_user(UserPoolId=pool_id, Username="linus", MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": "linus@example.com"}])
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="linus", Password=PASSWORD, Permanent=True)
    cognito.create_group(UserPoolId=pool_id, GroupName="Readers")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="linus", GroupName="Readers")

    def customize(event):
        event["response"]["claimsAndScopeOverrideDetails"] = {
            "idTokenGeneration": {"claimsToAddOrOverride": {"tier": "gold"}, "claimsToSuppress": ["email"]},
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"tenant": {"id": 7, "name": "Acme"}, "sub": "forged"},
                "scopesToAdd": ["orders/read"],
                "scopesToSuppress": ["aws.cognito.signin.user.admin"],
            },
            "groupOverrideDetails": {"groupsToOverride": ["Admin"]},
        }
        return 200, event

    receiver.answers["tokens"] = customize
    tokens = sign_in(cognito, client_id, "linus")["AuthenticationResult"]
    [event] = receiver.of("tokens")
    assert_common_shape(event, "TokenGeneration_Authentication", pool_id, client_id, "linus")
    assert event["version"] == "2"
    assert event["request"]["groupConfiguration"] == {"groupsToOverride": ["Readers"], "iamRolesToOverride": [], "preferredRole": None}
    assert event["request"]["scopes"] == ["aws.cognito.signin.user.admin"]
    assert event["request"]["userAttributes"]["email"] == "linus@example.com"
    access, identity = claims(tokens["AccessToken"]), claims(tokens["IdToken"])
    assert access["tenant"] == {"id": 7, "name": "Acme"}
    assert access["scope"] == "orders/read"
    assert access["sub"] == identity["sub"] != "forged"
    assert access["cognito:groups"] == identity["cognito:groups"] == ["Admin"]
    assert identity["tier"] == "gold" and "email" not in identity
    # A refresh asks again, with its own source.
    refreshed = cognito.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})["AuthenticationResult"]
    assert receiver.of("tokens")[-1]["triggerSource"] == "TokenGeneration_RefreshTokens"
    assert claims(refreshed["AccessToken"])["tenant"]["name"] == "Acme"


def test_pre_token_generation_v1_changes_the_id_token_only(cognito, receiver, app_pool):
    pool_id, client_id = app_pool(PreTokenGeneration=arn("tokens"))
    cognito.admin_create_user(UserPoolId=pool_id, Username="edsger", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="edsger", Password=PASSWORD, Permanent=True)

    def customize(event):
        event["response"]["claimsOverrideDetails"] = {"claimsToAddOrOverride": {"department": "Research"}}
        return 200, event

    receiver.answers["tokens"] = customize
    tokens = sign_in(cognito, client_id, "edsger")["AuthenticationResult"]
    assert receiver.of("tokens")[0]["version"] == "1" and "scopes" not in receiver.of("tokens")[0]["request"]
    assert claims(tokens["IdToken"])["department"] == "Research"
    assert "department" not in claims(tokens["AccessToken"])

    receiver.answers["tokens"] = lambda event: (200, {"response": {"claimsOverrideDetails": {"claimsToAddOrOverride": {"n": 1}}}})
    assert error_of(lambda: sign_in(cognito, client_id, "edsger")) == ("InvalidLambdaResponseException", "Unrecognizable lambda output")


def test_a_user_of_the_old_system_is_migrated_on_first_sign_in(cognito, receiver, app_pool):
    pool_id, client_id = app_pool(UserMigration=arn("migrate"))
    old_system = {"barbara": ("The-old-password-1", "barbara@old.example")}

    def migrate(event):
        known = old_system.get(event["userName"])
        if event["triggerSource"] == "UserMigration_Authentication" and (not known or known[0] != event["request"]["password"]):
            return 400, {"errorMessage": "Bad password"}
        if not known:
            return 400, {"errorMessage": "Unknown user"}
        event["response"]["userAttributes"] = {"email": known[1], "email_verified": "true", "name": "Barbara"}
        event["response"]["finalUserStatus"] = "CONFIRMED"
        event["response"]["messageAction"] = "SUPPRESS"
        return 200, event

    receiver.answers["migrate"] = migrate
    assert error_of(lambda: sign_in(cognito, client_id, "barbara", "a wrong guess"))[0] == "NotAuthorizedException"
    assert error_of(lambda: cognito.admin_get_user(UserPoolId=pool_id, Username="barbara"))[0] == "UserNotFoundException"

    tokens = sign_in(cognito, client_id, "barbara", "The-old-password-1")["AuthenticationResult"]
    event = receiver.of("migrate")[-1]
    assert_common_shape(event, "UserMigration_Authentication", pool_id, client_id, "barbara")
    assert event["request"]["password"] == "The-old-password-1"
    assert claims(tokens["AccessToken"])["username"] == "barbara"
    user = cognito.admin_get_user(UserPoolId=pool_id, Username="barbara")
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "name", "Value": "Barbara"} in user["UserAttributes"]
    # From now on the pool knows her: the old system is not asked again.
    asked = len(receiver.of("migrate"))
    sign_in(cognito, client_id, "barbara", "The-old-password-1")
    assert len(receiver.of("migrate")) == asked


def test_custom_message_writes_the_sign_up_mail_around_the_code(cognito, receiver, app_pool, pool_url):
    pool_id, client_id = app_pool(CustomMessage=arn("message"))

    def write(event):
        if event["triggerSource"] == "CustomMessage_SignUp":
            name = event["request"]["userAttributes"]["name"]
            event["response"]["emailSubject"] = "Welcome aboard"
            event["response"]["emailMessage"] = f"Hello {name}, your code is {event['request']['codeParameter']}."
        return 200, event

    receiver.answers["message"] = write
    address = f"mary-{uuid.uuid4().hex[:8]}@example.com"
    cognito.sign_up(ClientId=client_id, Username="mary", Password=PASSWORD, UserAttributes=[
        {"Name": "email", "Value": address}, {"Name": "name", "Value": "Mary"}])
    [event] = receiver.of("message")
    assert_common_shape(event, "CustomMessage_SignUp", pool_id, client_id, "mary")
    assert event["request"]["codeParameter"] == "{####}"
    [mail] = code_for(pool_url, address)
    assert mail["subject"] == "Welcome aboard"
    code = re.fullmatch(r"Hello Mary, your code is (\d{6})\.", mail["body"]).group(1)
    assert code not in json.dumps(event), "the trigger never sees the code"
    cognito.confirm_sign_up(ClientId=client_id, Username="mary", ConfirmationCode=code)

    # A message without the code's place is refused, and nothing is sent.
    receiver.answers["message"] = lambda event: (200, {"response": {"emailMessage": "No code here"}})
    other = f"nocode-{uuid.uuid4().hex[:8]}@example.com"
    code, _ = error_of(lambda: cognito.sign_up(ClientId=client_id, Username="nocode", Password=PASSWORD,
                                               UserAttributes=[{"Name": "email", "Value": other}]))
    assert code == "InvalidLambdaResponseException"
    assert code_for(pool_url, other) == []
    assert error_of(lambda: cognito.admin_get_user(UserPoolId=pool_id, Username="nocode"))[0] == "UserNotFoundException"


def test_failures_answer_as_cognitos_and_change_nothing(cognito, receiver, app_pool):
    pool_id, client_id = app_pool(PreSignUp=arn("pre-sign-up"))

    def slow(event):
        time.sleep(6)
        return 200, event

    receiver.answers["pre-sign-up"] = slow
    started = time.monotonic()
    code, message = error_of(lambda: cognito.sign_up(ClientId=client_id, Username="slow", Password=PASSWORD))
    assert (code, message) == ("UserLambdaValidationException", "PreSignUp failed with error Task timed out after 5.00 seconds.")
    assert time.monotonic() - started < 5.9
    receiver.answers["pre-sign-up"] = lambda event: (200, b"<html>not json</html>")
    assert error_of(lambda: cognito.sign_up(ClientId=client_id, Username="garbled", Password=PASSWORD))[0] == "InvalidLambdaResponseException"
    for name in ("slow", "garbled"):
        assert error_of(lambda: cognito.admin_get_user(UserPoolId=pool_id, Username=name))[0] == "UserNotFoundException"

    unmapped_pool, unmapped_client = app_pool(PreSignUp=UNMAPPED)
    code, message = error_of(lambda: cognito.sign_up(ClientId=unmapped_client, Username="x", Password=PASSWORD))
    assert code == "UnexpectedLambdaException" and message.startswith("PreSignUp invocation failed")


def test_a_command_is_a_trigger_too_and_update_user_pool_sets_triggers(cognito, app_pool):
    pool_id, client_id = app_pool()
    cognito.update_user_pool(UserPoolId=pool_id, AutoVerifiedAttributes=["email"], LambdaConfig={"PreSignUp": COMMAND_HOOK})
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["LambdaConfig"] == {"PreSignUp": COMMAND_HOOK}
    reply = cognito.sign_up(ClientId=client_id, Username="cmd", Password=PASSWORD,
                            UserAttributes=[{"Name": "email", "Value": "cmd@example.com"}])
    assert reply["UserConfirmed"] is True
    code, message = error_of(lambda: cognito.sign_up(ClientId=client_id, Username="no", Password=PASSWORD,
                                                     UserAttributes=[{"Name": "email", "Value": "no@refused.example"}]))
    assert (code, message) == ("UserLambdaValidationException", "PreSignUp failed with error Refused by the command.")


def test_lambda_config_takes_lambda_arns_only(cognito):
    code, message = error_of(lambda: cognito.create_user_pool(
        PoolName=unique_name(), LambdaConfig={"PreSignUp": "https://hooks.example.com/pre-sign-up"}))
    assert code == "InvalidParameterException" and "lambdaConfig.PreSignUp" in message
    code, _ = error_of(lambda: cognito.create_user_pool(PoolName=unique_name(), LambdaConfig={
        "PreTokenGenerationConfig": {"LambdaVersion": "V9_0", "LambdaArn": arn("tokens")}}))
    assert code == "InvalidParameterException"


def test_custom_auth_signs_in_with_a_challenge_the_triggers_make_and_judge(cognito, receiver, app_pool):
    pool_id, client_id = app_pool(
        DefineAuthChallenge=arn("define"), CreateAuthChallenge=arn("create"),
        VerifyAuthChallengeResponse=arn("verify"),
    )
    cognito.admin_create_user(UserPoolId=pool_id, Username="hedy", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="hedy", Password=PASSWORD, Permanent=True)

    def define(event):
        session = event["request"]["session"]
        failures = [result for result in session if not result["challengeResult"]]
        if session and session[-1]["challengeResult"]:
            event["response"].update(issueTokens=True, failAuthentication=False)
        elif len(failures) >= 2:
            event["response"].update(issueTokens=False, failAuthentication=True)
        else:
            event["response"].update(challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False)
        return 200, event

    def create(event):
        event["response"]["publicChallengeParameters"] = {"question": "What is 6 x 7?"}
        event["response"]["privateChallengeParameters"] = {"answer": "42"}
        event["response"]["challengeMetadata"] = f"QUESTION-{len(event['request']['session'])}"
        return 200, event

    def verify(event):
        event["response"]["answerCorrect"] = event["request"]["challengeAnswer"] == event["request"]["privateChallengeParameters"]["answer"]
        return 200, event

    receiver.answers.update(define=define, create=create, verify=verify)
    started = cognito.initiate_auth(ClientId=client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "hedy"},
                                    ClientMetadata={"device": "kiosk"})
    assert started["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert started["ChallengeParameters"] == {"question": "What is 6 x 7?", "USERNAME": "hedy"}
    [first] = receiver.of("define")
    assert_common_shape(first, "DefineAuthChallenge_Authentication", pool_id, client_id, "hedy")
    assert first["request"]["session"] == [] and first["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    assert first["request"]["clientMetadata"] == {"device": "kiosk"}
    assert receiver.of("create")[0]["request"]["challengeName"] == "CUSTOM_CHALLENGE"

    def respond(session, answer):
        return cognito.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="CUSTOM_CHALLENGE", Session=session,
            ChallengeResponses={"USERNAME": "hedy", "ANSWER": answer},
        )

    again = respond(started["Session"], "41")
    assert again["ChallengeName"] == "CUSTOM_CHALLENGE"
    [verified] = receiver.of("verify")
    assert_common_shape(verified, "VerifyAuthChallengeResponse_Authentication", pool_id, client_id, "hedy")
    assert verified["request"]["privateChallengeParameters"] == {"answer": "42"}
    assert verified["request"]["challengeAnswer"] == "41"
    assert receiver.of("define")[-1]["request"]["session"] == [
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": False, "challengeMetadata": "QUESTION-0"}
    ]
    # A session is used once.
    assert error_of(lambda: respond(started["Session"], "42"))[0] == "NotAuthorizedException"
    tokens = respond(again["Session"], "42")["AuthenticationResult"]
    assert claims(tokens["AccessToken"])["username"] == "hedy"

    # Two wrong answers fail the sign-in, as DefineAuthChallenge says.
    started = cognito.initiate_auth(ClientId=client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "hedy"})
    again = respond(started["Session"], "1")
    code, message = error_of(lambda: respond(again["Session"], "2"))
    assert (code, message) == ("NotAuthorizedException", "Incorrect username or password.")


def test_custom_auth_needs_its_trigger(cognito, app_pool):
    _, client_id = app_pool()
    code, message = error_of(lambda: cognito.initiate_auth(
        ClientId=client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "anyone"}))
    assert (code, message) == ("InvalidParameterException", "Custom auth lambda trigger is not configured for the user pool.")


# The app's own client: AdminInitiateAuth signs scripts in for its bearer API.
APP_CLIENT = "1ocal4pp5c1ient0leptos0cog"


def test_the_apps_bearer_api_sees_what_a_declared_v2_trigger_added(tmp_path, receiver):
    """The app with its embedded pool, whose userpool.toml declares the trigger ([triggers])."""
    app_port, pool_port = free_port(), free_port()
    declared = (f'\n[triggers]\npre_token_generation = "http://127.0.0.1:{receiver.port}/tokens"\n'
                'pre_token_generation_version = "V2_0"\n')
    # Its declared pool has a trigger the run's other servers lack: in a database of its own.
    process = start_server(
        tmp_path, app_port, pool_port, declared, {"USERPOOL_TRIGGER_SECRET": SECRET}, own_database=True
    )
    try:
        pool = client_for(f"http://127.0.0.1:{pool_port}")
        lambda_config = pool.describe_user_pool(UserPoolId=POOL_ID)["UserPool"]["LambdaConfig"]
        declared_arn = "arn:aws:lambda:us-east-1:000000000000:function:userpool-PreTokenGeneration"
        assert lambda_config["PreTokenGenerationConfig"] == {"LambdaVersion": "V2_0", "LambdaArn": declared_arn}
        address = f"api-{uuid.uuid4().hex[:8]}@example.com"
        pool.admin_create_user(UserPoolId=POOL_ID, Username=address, MessageAction="SUPPRESS")
        pool.admin_set_user_password(UserPoolId=POOL_ID, Username=address, Password=PASSWORD, Permanent=True)

        def customize(event):
            event["response"]["claimsAndScopeOverrideDetails"] = {
                "accessTokenGeneration": {"scopesToAdd": ["orders/read"], "claimsToAddOrOverride": {"plan": "pro"}},
                # Not Admin: the app reads an Admin's groups again from the pool (app/src/standing.rs).
                "groupOverrideDetails": {"groupsToOverride": ["Editors"]},
            }
            return 200, event

        receiver.answers["tokens"] = customize
        tokens = pool.admin_initiate_auth(
            UserPoolId=POOL_ID, ClientId=APP_CLIENT, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": address, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        [event] = receiver.of("tokens")
        assert event["userPoolId"] == POOL_ID and event["callerContext"]["clientId"] == APP_CLIENT
        assert claims(tokens["AccessToken"])["plan"] == "pro"
        request = urllib.request.Request(f"http://127.0.0.1:{app_port}/api/me",
                                         headers={"Authorization": f"Bearer {tokens['AccessToken']}"})
        with urllib.request.urlopen(request) as reply:
            me = json.load(reply)
        assert me["groups"] == ["Editors"]
        assert me["scope"].split() == ["aws.cognito.signin.user.admin", "orders/read"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_pre_token_generation_v3_changes_the_access_tokens_of_machine_clients(cognito, receiver, app_pool, pool_url):
    from test_user_pools import READ_SCOPE, client_credentials, jwt_part, machine_client, new_resource_server, port_of

    pool_id, _ = app_pool(PreTokenGeneration=arn("tokens"), token_version="V3_0")
    new_resource_server(cognito, pool_id)
    client_id, secret = machine_client(cognito, pool_id)
    prefix = f"m{uuid.uuid4().hex[:12]}"
    cognito.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)

    def customize(event):
        event["response"]["claimsAndScopeOverrideDetails"] = {
            "accessTokenGeneration": {"claimsToAddOrOverride": {"tenant": "acme"}, "claimsToSuppress": ["client_id"]},
        }
        return 200, event

    receiver.answers["tokens"] = customize
    status, body = client_credentials(pool_url, f"{prefix}.localhost:{port_of(pool_url)}", client_id, secret, READ_SCOPE)
    assert status == 200, body
    [event] = receiver.of("tokens")
    assert_common_shape(event, "TokenGeneration_ClientCredentials", pool_id, client_id)
    assert event["version"] == "3" and event["userName"] is None
    assert event["request"]["scopes"] == [READ_SCOPE]
    access = jwt_part(body["access_token"], 1)
    assert access["tenant"] == "acme"
    assert access["client_id"] == client_id, "a claim tokens rest on stays"
