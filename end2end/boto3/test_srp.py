"""SRP sign-in (USER_SRP_AUTH) with pycognito, the Python client that signs in the way Amplify
and the mobile SDKs do: the pool answers the PASSWORD_VERIFIER challenge, checks the client's
proof, and refuses a wrong password exactly as the password flow does."""

import pytest
from botocore.exceptions import ClientError
from pycognito import Cognito
from pycognito.aws_srp import AWSSRP

from conftest import PASSWORD, POOL_ID, PUBLIC_CLIENT, client_for


def user_of(pool_url, username):
    """A pycognito user of the declared pool's scripts client, pointed at the local pool
    (which pycognito also takes as the tokens' issuer and the JWKS's home)."""
    return Cognito(
        POOL_ID,
        PUBLIC_CLIENT,
        username=username,
        boto3_client_kwargs={
            "endpoint_url": pool_url,
            "region_name": "us-east-1",
            "aws_access_key_id": "unused",
            "aws_secret_access_key": "unused",
        },
    )


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_a_user_who_signed_up_signs_in_with_srp(pool_url, confirmed_user):
    user = user_of(pool_url, confirmed_user)
    user.authenticate(PASSWORD)
    # pycognito verified both tokens (signature, issuer, audience) against the pool's JWKS.
    user.verify_tokens()
    before = user.access_token
    user.renew_access_token()
    assert user.access_token != before
    assert user.check_token() is False  # fresh: no renewal needed
    assert user.get_user().username == user.username


def test_a_wrong_password_is_refused_as_the_password_flow_refuses_it(pool_url, confirmed_user):
    with pytest.raises(ClientError) as srp:
        user_of(pool_url, confirmed_user).authenticate("not the password")
    with pytest.raises(ClientError) as plain:
        client_for(pool_url).initiate_auth(
            ClientId=PUBLIC_CLIENT,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": confirmed_user, "PASSWORD": "not the password"},
        )
    assert srp.value.response["Error"] == plain.value.response["Error"]
    assert error_code(srp) == "NotAuthorizedException"


def test_wrong_srp_proofs_lock_the_account_like_wrong_passwords(pool_url, confirmed_user):
    user = user_of(pool_url, confirmed_user)
    for _ in range(5):
        with pytest.raises(ClientError):
            user.authenticate("not the password")
    with pytest.raises(ClientError) as excinfo:
        user.authenticate(PASSWORD)
    assert excinfo.value.response["Error"]["Message"] == "Password attempts exceeded"


def test_an_unknown_name_gets_a_challenge_that_no_proof_answers(pool_url):
    """PreventUserExistenceErrors ENABLED (the declared clients'): the same challenge shape, then a wrong password."""
    cognito = client_for(pool_url)
    srp = AWSSRP(username="nobody@example.com", password=PASSWORD, pool_id=POOL_ID, client_id=PUBLIC_CLIENT, client=cognito)
    challenge = cognito.initiate_auth(ClientId=PUBLIC_CLIENT, AuthFlow="USER_SRP_AUTH", AuthParameters=srp.get_auth_params())
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    assert {"SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP", "USERNAME"} <= challenge["ChallengeParameters"].keys()
    with pytest.raises(ClientError) as excinfo:
        user_of(pool_url, "nobody@example.com").authenticate(PASSWORD)
    assert error_code(excinfo) == "NotAuthorizedException"


def test_a_proof_is_good_for_one_answer(pool_url, confirmed_user):
    """A recorded RespondToAuthChallenge replayed (same SECRET_BLOCK and signature) gets no tokens."""
    cognito = client_for(pool_url)
    srp = AWSSRP(username=confirmed_user, password=PASSWORD, pool_id=POOL_ID, client_id=PUBLIC_CLIENT, client=cognito)
    auth_params = srp.get_auth_params()
    challenge = cognito.initiate_auth(ClientId=PUBLIC_CLIENT, AuthFlow="USER_SRP_AUTH", AuthParameters=auth_params)
    answer = srp.process_challenge(challenge["ChallengeParameters"], auth_params)
    tokens = cognito.respond_to_auth_challenge(
        ClientId=PUBLIC_CLIENT, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
    )
    assert tokens["AuthenticationResult"]["IdToken"]
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(
            ClientId=PUBLIC_CLIENT, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
        )
    assert error_code(excinfo) == "NotAuthorizedException"


def test_a_malformed_srp_a_is_refused(pool_url, confirmed_user):
    cognito = client_for(pool_url)
    for bad in ("0", "not hex"):
        with pytest.raises(ClientError) as excinfo:
            cognito.initiate_auth(
                ClientId=PUBLIC_CLIENT,
                AuthFlow="USER_SRP_AUTH",
                AuthParameters={"USERNAME": confirmed_user, "SRP_A": bad},
            )
        assert error_code(excinfo) == "InvalidParameterException"
