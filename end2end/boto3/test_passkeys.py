"""Passkeys through boto3, with a software authenticator (authenticator.py): a signed-in user
registers one (StartWebAuthnRegistration, then CompleteWebAuthnRegistration), lists it, signs
in with it through USER_AUTH's WEB_AUTHN challenge, and deletes it. A passkey made for another
origin or relying party, a replayed or cloned one, and one registered twice are refused. The
test pool's relying party is "localhost" and its pages' origin http://localhost:5173
(conftest.py)."""

import json

import pytest
from botocore.exceptions import ClientError

from authenticator import Authenticator
from conftest import PASSKEY_ORIGIN, PASSWORD, PUBLIC_CLIENT


# What a new pool's default password policy accepts.
STRONG = "Correct-Horse-Battery-9"


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def access_token(cognito, username):
    tokens = cognito.initiate_auth(
        ClientId=PUBLIC_CLIENT,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    return tokens["AuthenticationResult"]["AccessToken"]


def register(cognito, token, authenticator, **where):
    options = cognito.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    credential = authenticator.register(options, **where)
    cognito.complete_web_authn_registration(AccessToken=token, Credential=credential)
    return options


def passkey_challenge(cognito, username):
    return cognito.initiate_auth(
        ClientId=PUBLIC_CLIENT,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": username, "PREFERRED_CHALLENGE": "WEB_AUTHN"},
    )


def answer(cognito, challenge, username, credential):
    return cognito.respond_to_auth_challenge(
        ClientId=PUBLIC_CLIENT,
        ChallengeName="WEB_AUTHN",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, "CREDENTIAL": json.dumps(credential)},
    )


@pytest.fixture
def passkey_user(cognito, confirmed_user):
    """A user with a passkey on a software authenticator: (username, authenticator)."""
    authenticator = Authenticator(PASSKEY_ORIGIN)
    register(cognito, access_token(cognito, confirmed_user), authenticator)
    return confirmed_user, authenticator


def test_a_user_registers_a_passkey_and_sees_it_listed(cognito, confirmed_user):
    token = access_token(cognito, confirmed_user)
    authenticator = Authenticator(PASSKEY_ORIGIN)
    options = register(cognito, token, authenticator)
    assert options["rp"]["id"] == "localhost"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    # Discoverable, as passkeys are: sign-in pages can offer it in their autofill.
    assert options["authenticatorSelection"]["residentKey"] == "required"
    listed = cognito.list_web_authn_credentials(AccessToken=token)["Credentials"]
    assert len(listed) == 1
    assert listed[0]["RelyingPartyId"] == "localhost"
    assert listed[0]["AuthenticatorAttachment"] == "platform"
    assert listed[0]["AuthenticatorTransports"] == ["internal"]
    assert listed[0]["FriendlyCredentialName"].startswith("Passkey on this device, added 20")
    assert listed[0]["CredentialId"]
    assert listed[0]["CreatedAt"]
    # The next registration excludes it, so the authenticator cannot register it twice.
    options = cognito.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert [c["id"] for c in options["excludeCredentials"]] == [listed[0]["CredentialId"]]


def test_a_user_signs_in_with_their_passkey(cognito, passkey_user):
    username, authenticator = passkey_user
    offer = cognito.initiate_auth(
        ClientId=PUBLIC_CLIENT, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": username}
    )
    assert "WEB_AUTHN" in offer["AvailableChallenges"]
    challenge = passkey_challenge(cognito, username)
    assert challenge["ChallengeName"] == "WEB_AUTHN"
    options = json.loads(challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    assert options["rpId"] == "localhost"
    tokens = answer(cognito, challenge, username, authenticator.sign_in(options))
    assert cognito.get_user(AccessToken=tokens["AuthenticationResult"]["AccessToken"])["Username"]


def test_an_assertion_is_good_once_and_a_cloned_counter_is_refused(cognito, passkey_user):
    username, authenticator = passkey_user
    first = passkey_challenge(cognito, username)
    options = json.loads(first["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    credential = authenticator.sign_in(options)
    answer(cognito, first, username, credential)
    with pytest.raises(ClientError) as replayed:
        answer(cognito, first, username, credential)
    assert error_code(replayed) == "NotAuthorizedException"
    # A new challenge answered with a counter that did not grow: a cloned authenticator.
    second = passkey_challenge(cognito, username)
    options = json.loads(second["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    with pytest.raises(ClientError) as cloned:
        answer(cognito, second, username, authenticator.sign_in(options, counter=authenticator.counter))
    assert error_code(cloned) == "NotAuthorizedException"


def test_a_passkey_of_another_origin_or_relying_party_is_refused(cognito, confirmed_user):
    token = access_token(cognito, confirmed_user)
    with pytest.raises(ClientError) as origin:
        register(cognito, token, Authenticator("https://evil.example"))
    assert error_code(origin) == "WebAuthnOriginNotAllowedException"
    with pytest.raises(ClientError) as relying_party:
        register(cognito, token, Authenticator(PASSKEY_ORIGIN), rp_id="evil.example")
    assert error_code(relying_party) == "WebAuthnRelyingPartyMismatchException"
    assert cognito.list_web_authn_credentials(AccessToken=token)["Credentials"] == []
    with pytest.raises(ClientError) as no_challenge:
        cognito.complete_web_authn_registration(
            AccessToken=token, Credential=Authenticator(PASSKEY_ORIGIN).register({"rp": {"id": "localhost"}, "user": {"id": "AA"}, "challenge": "AA"})
        )
    assert error_code(no_challenge) == "WebAuthnChallengeNotFoundException"


def test_another_user_cannot_register_the_same_passkey(cognito, passkey_user, outbox, email):
    _, authenticator = passkey_user
    other = "other-" + email
    cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=other, Password=PASSWORD)
    cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=other, ConfirmationCode=outbox(other))
    token = access_token(cognito, other)
    options = cognito.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    # The authenticator answers with the credential it already holds.
    credential = authenticator.register(options)
    with pytest.raises(ClientError) as excinfo:
        cognito.complete_web_authn_registration(AccessToken=token, Credential=credential)
    assert error_code(excinfo) == "WebAuthnCredentialNotSupportedException"


def test_a_deleted_passkey_no_longer_signs_in(cognito, passkey_user):
    username, authenticator = passkey_user
    token = access_token(cognito, username)
    challenge = passkey_challenge(cognito, username)
    credential_id = cognito.list_web_authn_credentials(AccessToken=token)["Credentials"][0]["CredentialId"]
    cognito.delete_web_authn_credential(AccessToken=token, CredentialId=credential_id)
    with pytest.raises(ClientError) as gone:
        cognito.delete_web_authn_credential(AccessToken=token, CredentialId=credential_id)
    assert error_code(gone) == "ResourceNotFoundException"
    options = json.loads(challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    with pytest.raises(ClientError) as refused:
        answer(cognito, challenge, username, authenticator.sign_in(options))
    assert error_code(refused) == "NotAuthorizedException"
    offer = passkey_challenge(cognito, username)
    assert offer["ChallengeName"] == "SELECT_CHALLENGE"
    assert "WEB_AUTHN" not in offer["AvailableChallenges"]


def test_a_pool_that_does_not_allow_passkeys_refuses_to_register_one(cognito, new_pool):
    pool = new_pool()
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="scripts", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    cognito.admin_create_user(UserPoolId=pool["Id"], Username="pat", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool["Id"], Username="pat", Password=STRONG, Permanent=True)
    token = cognito.admin_initiate_auth(
        UserPoolId=pool["Id"],
        ClientId=client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "pat", "PASSWORD": STRONG},
    )["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as excinfo:
        cognito.start_web_authn_registration(AccessToken=token)
    assert error_code(excinfo) == "WebAuthnNotEnabledException"
