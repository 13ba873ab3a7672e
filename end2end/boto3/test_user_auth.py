"""Choice-based sign-in (USER_AUTH) through boto3 and pycognito's SRP helper: a new user signs in
with the Session ConfirmSignUp gave, users choose between the password, SRP and a code mailed to
them (or name their preferred challenge), every Session is good for one answer by its own client
and user, and pools choose their first factors with SignInPolicy. The declared pool allows
PASSWORD and EMAIL_OTP (userpool.toml)."""

import jwt
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from conftest import PASSWORD, POOL_ID, PUBLIC_CLIENT, SECRET_CLIENT, client_for

APP_CLIENT = "1ocal4pp5c1ient0leptos0cog"


def error_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def email_in(tokens):
    claims = jwt.decode(tokens["AuthenticationResult"]["IdToken"], options={"verify_signature": False})
    return claims["email"]


def user_auth(cognito, username, **parameters):
    return cognito.initiate_auth(
        ClientId=PUBLIC_CLIENT, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": username, **parameters}
    )


def select(cognito, session, username, answer, **responses):
    return cognito.respond_to_auth_challenge(
        ClientId=PUBLIC_CLIENT,
        ChallengeName="SELECT_CHALLENGE",
        Session=session,
        ChallengeResponses={"USERNAME": username, "ANSWER": answer, **responses},
    )


def srp_start(cognito, username):
    """pycognito's SRP_A, and the helper that made it (it keeps the secret `a`)."""
    srp = AWSSRP(username=username, password=PASSWORD, pool_id=POOL_ID, client_id=PUBLIC_CLIENT, client=cognito)
    return srp, srp.get_auth_params()["SRP_A"]


def finish_srp(cognito, srp, srp_a, challenge):
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    answer = srp.process_challenge(challenge["ChallengeParameters"], {"SRP_A": srp_a, "USERNAME": srp.username})
    return cognito.respond_to_auth_challenge(
        ClientId=PUBLIC_CLIENT, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
    )


# --- a new user, signed in by the session of their confirmation ---


def signed_up(cognito, outbox, address):
    """Signs `address` up and confirms it with the mailed code: ConfirmSignUp's Session."""
    cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=address, Password=PASSWORD)
    return cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=address, ConfirmationCode=outbox(address))[
        "Session"
    ]


def session_sign_in(cognito, username, session, client_id=PUBLIC_CLIENT):
    return cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": username}, Session=session
    )


def test_a_confirmed_sign_up_signs_in_once_with_its_session(cognito, outbox, email):
    session = signed_up(cognito, outbox, email)
    tokens = session_sign_in(cognito, email, session)
    assert email_in(tokens) == email
    assert cognito.get_user(AccessToken=tokens["AuthenticationResult"]["AccessToken"])["Username"]
    with pytest.raises(ClientError) as again:
        session_sign_in(cognito, email, session)
    assert error_of(again) == ("NotAuthorizedException", "Invalid session for the user, session is expired.")


def test_a_sign_up_session_signs_in_nobody_else_and_through_no_other_client(cognito, outbox, email):
    other = "other-" + email
    signed_up(cognito, outbox, other)
    with pytest.raises(ClientError) as someone_else:
        session_sign_in(cognito, other, signed_up(cognito, outbox, email))
    assert error_of(someone_else)[0] == "NotAuthorizedException"
    fresh = "third-" + email
    with pytest.raises(ClientError) as other_client:
        session_sign_in(cognito, fresh, signed_up(cognito, outbox, fresh), client_id=APP_CLIENT)
    assert error_of(other_client)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as forged:
        session_sign_in(cognito, fresh, "a-session-nobody-ever-issued")
    assert error_of(forged)[0] == "NotAuthorizedException"


# --- choosing how to sign in ---


def test_without_a_preference_the_user_chooses_and_the_password_signs_in(cognito, confirmed_user):
    offer = user_auth(cognito, confirmed_user)
    assert offer["ChallengeName"] == "SELECT_CHALLENGE"
    assert offer["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD", "EMAIL_OTP"]
    tokens = select(cognito, offer["Session"], confirmed_user, "PASSWORD", PASSWORD=PASSWORD)
    assert email_in(tokens) == confirmed_user
    with pytest.raises(ClientError) as spent:
        select(cognito, offer["Session"], confirmed_user, "PASSWORD", PASSWORD=PASSWORD)
    assert error_of(spent) == ("NotAuthorizedException", "Invalid session for the user, session is expired.")


def test_choosing_srp_leads_to_the_password_verifier(cognito, confirmed_user):
    offer = user_auth(cognito, confirmed_user)
    srp, srp_a = srp_start(cognito, confirmed_user)
    challenge = select(cognito, offer["Session"], confirmed_user, "PASSWORD_SRP", SRP_A=srp_a)
    assert email_in(finish_srp(cognito, srp, srp_a, challenge)) == confirmed_user


def test_a_preferred_challenge_is_taken_at_once(cognito, confirmed_user):
    tokens = user_auth(cognito, confirmed_user, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert email_in(tokens) == confirmed_user
    srp, srp_a = srp_start(cognito, confirmed_user)
    challenge = user_auth(cognito, confirmed_user, PREFERRED_CHALLENGE="PASSWORD_SRP", SRP_A=srp_a)
    assert email_in(finish_srp(cognito, srp, srp_a, challenge)) == confirmed_user
    # A factor the pool does not offer: the user is asked to choose from what there is.
    offer = user_auth(cognito, confirmed_user, PREFERRED_CHALLENGE="WEB_AUTHN")
    assert offer["ChallengeName"] == "SELECT_CHALLENGE"
    with pytest.raises(ClientError) as unknown:
        user_auth(cognito, confirmed_user, PREFERRED_CHALLENGE="FINGERS_CROSSED")
    assert error_of(unknown)[0] == "InvalidParameterException"


def test_a_wrong_password_is_refused_as_the_password_flow_refuses_it(cognito, confirmed_user):
    with pytest.raises(ClientError) as preferred:
        user_auth(cognito, confirmed_user, PREFERRED_CHALLENGE="PASSWORD", PASSWORD="not the password")
    offer = user_auth(cognito, confirmed_user)
    with pytest.raises(ClientError) as selected:
        select(cognito, offer["Session"], confirmed_user, "PASSWORD", PASSWORD="not the password")
    with pytest.raises(ClientError) as plain:
        cognito.initiate_auth(
            ClientId=PUBLIC_CLIENT,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": confirmed_user, "PASSWORD": "not the password"},
        )
    assert error_of(preferred) == error_of(selected) == error_of(plain)
    assert error_of(plain) == ("NotAuthorizedException", "Incorrect username or password.")


def test_a_selection_session_answers_only_for_its_user(cognito, confirmed_user, outbox, email):
    other = "second-" + email
    signed_up(cognito, outbox, other)
    offer = user_auth(cognito, confirmed_user)
    with pytest.raises(ClientError) as excinfo:
        select(cognito, offer["Session"], other, "PASSWORD", PASSWORD=PASSWORD)
    assert error_of(excinfo)[0] == "NotAuthorizedException"


def test_a_name_without_an_account_gets_the_same_offer_and_a_wrong_password(cognito):
    offer = user_auth(cognito, "nobody-at-all@example.com")
    assert offer["ChallengeName"] == "SELECT_CHALLENGE"
    assert offer["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD", "EMAIL_OTP"]
    with pytest.raises(ClientError) as excinfo:
        select(cognito, offer["Session"], "nobody-at-all@example.com", "PASSWORD", PASSWORD=PASSWORD)
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_administrators_sign_users_in_with_user_auth_too(cognito, confirmed_user):
    tokens = cognito.admin_initiate_auth(
        UserPoolId=POOL_ID,
        ClientId=PUBLIC_CLIENT,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": confirmed_user, "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": PASSWORD},
    )
    assert email_in(tokens) == confirmed_user
    offer = cognito.admin_initiate_auth(
        UserPoolId=POOL_ID, ClientId=PUBLIC_CLIENT, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": confirmed_user}
    )
    tokens = cognito.admin_respond_to_auth_challenge(
        UserPoolId=POOL_ID,
        ClientId=PUBLIC_CLIENT,
        ChallengeName="SELECT_CHALLENGE",
        Session=offer["Session"],
        ChallengeResponses={"USERNAME": confirmed_user, "ANSWER": "PASSWORD", "PASSWORD": PASSWORD},
    )
    assert email_in(tokens) == confirmed_user


def test_a_client_without_allow_user_auth_refuses_the_flow(pool_url, confirmed_user):
    cognito = client_for(pool_url)
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(
            ClientId=SECRET_CLIENT, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": confirmed_user}
        )
    assert error_of(excinfo) == ("InvalidParameterException", "USER_AUTH flow not enabled for this client")


# --- a one-time code by email ---

SIGN_IN_CODE = r"\b(\d{8})\b"


def answer_code(cognito, session, username, code):
    return cognito.respond_to_auth_challenge(
        ClientId=PUBLIC_CLIENT,
        ChallengeName="EMAIL_OTP",
        Session=session,
        ChallengeResponses={"USERNAME": username, "EMAIL_OTP_CODE": code},
    )


def test_a_code_mailed_to_the_user_signs_them_in_once(cognito, confirmed_user, outbox):
    challenge = user_auth(cognito, confirmed_user, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == confirmed_user[0] + "***@e***"
    code = outbox(confirmed_user, SIGN_IN_CODE)
    tokens = answer_code(cognito, challenge["Session"], confirmed_user, code)
    assert email_in(tokens) == confirmed_user
    with pytest.raises(ClientError) as replayed:
        answer_code(cognito, challenge["Session"], confirmed_user, code)
    assert error_of(replayed) == ("NotAuthorizedException", "Invalid session for the user, session is expired.")


def test_a_wrong_code_may_be_corrected_within_the_session(cognito, confirmed_user, outbox):
    offer = user_auth(cognito, confirmed_user)
    challenge = select(cognito, offer["Session"], confirmed_user, "EMAIL_OTP")
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    code = outbox(confirmed_user, SIGN_IN_CODE)
    wrong = "00000000" if code != "00000000" else "11111111"
    with pytest.raises(ClientError) as mismatch:
        answer_code(cognito, challenge["Session"], confirmed_user, wrong)
    assert error_of(mismatch)[0] == "CodeMismatchException"
    assert email_in(answer_code(cognito, challenge["Session"], confirmed_user, code)) == confirmed_user


def test_wrong_codes_lock_the_account_like_wrong_passwords(cognito, confirmed_user):
    challenge = user_auth(cognito, confirmed_user, PREFERRED_CHALLENGE="EMAIL_OTP")
    errors = []
    for guess in range(5):
        with pytest.raises(ClientError) as excinfo:
            answer_code(cognito, challenge["Session"], confirmed_user, f"{guess:08d}")
        errors.append(error_of(excinfo)[0])
    assert errors[:4] == ["CodeMismatchException"] * 4
    with pytest.raises(ClientError) as locked:
        user_auth(cognito, confirmed_user, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert error_of(locked) == ("NotAuthorizedException", "Password attempts exceeded")


def test_codes_are_rationed(cognito, confirmed_user):
    for _ in range(5):
        user_auth(cognito, confirmed_user, PREFERRED_CHALLENGE="EMAIL_OTP")
    with pytest.raises(ClientError) as excinfo:
        user_auth(cognito, confirmed_user, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert error_of(excinfo)[0] == "LimitExceededException"


def test_a_name_without_an_account_gets_a_code_challenge_that_no_code_answers(cognito):
    name = "nobody-for-codes@example.com"
    challenge = user_auth(cognito, name, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "n***@e***"
    with pytest.raises(ClientError) as excinfo:
        answer_code(cognito, challenge["Session"], name, "12345678")
    assert error_of(excinfo)[0] == "CodeMismatchException"


def test_a_user_whose_address_is_not_verified_is_not_offered_a_code(cognito, confirmed_user):
    cognito.admin_update_user_attributes(
        UserPoolId=POOL_ID,
        Username=confirmed_user,
        UserAttributes=[{"Name": "email_verified", "Value": "false"}],
    )
    assert user_auth(cognito, confirmed_user)["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD"]
    # Preferring it anyway: the user chooses from what there is.
    assert user_auth(cognito, confirmed_user, PREFERRED_CHALLENGE="EMAIL_OTP")["ChallengeName"] == "SELECT_CHALLENGE"


# --- an account without a password ---


def test_a_user_signs_up_without_a_password_and_signs_in_with_codes(cognito, outbox, email):
    signed_up = cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=email)
    assert signed_up["UserConfirmed"] is False
    session = cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=email, ConfirmationCode=outbox(email))[
        "Session"
    ]
    tokens = session_sign_in(cognito, email, session)
    assert email_in(tokens) == email
    # No password to offer: the mailed code is the way in.
    assert user_auth(cognito, email)["AvailableChallenges"] == ["EMAIL_OTP"]
    with pytest.raises(ClientError) as guessed:
        cognito.initiate_auth(
            ClientId=PUBLIC_CLIENT,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )
    assert error_of(guessed) == ("NotAuthorizedException", "Incorrect username or password.")
    challenge = user_auth(cognito, email, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert email_in(answer_code(cognito, challenge["Session"], email, outbox(email, SIGN_IN_CODE))) == email
    # Setting a first password needs no previous one; then the password is offered too.
    cognito.change_password(AccessToken=tokens["AuthenticationResult"]["AccessToken"], ProposedPassword=PASSWORD)
    assert user_auth(cognito, email)["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD", "EMAIL_OTP"]
    assert email_in(user_auth(cognito, email, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)) == email


def test_a_user_with_a_password_must_give_it_to_change_it(cognito, confirmed_user):
    token = user_auth(cognito, confirmed_user, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)[
        "AuthenticationResult"
    ]["AccessToken"]
    with pytest.raises(ClientError) as excinfo:
        cognito.change_password(AccessToken=token, ProposedPassword="another long password")
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_a_pool_of_passwords_only_refuses_a_sign_up_without_one(cognito, new_pool, email):
    pool = new_pool()
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="app")["UserPoolClient"]
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client["ClientId"], Username=email)
    assert error_of(excinfo)[0] == "InvalidParameterException"


# --- a pool's first factors ---


def test_a_pool_keeps_its_sign_in_policy_and_refuses_one_without_the_password(new_pool, cognito):
    pool = new_pool()
    assert pool["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD"]}
    with pytest.raises(ClientError) as not_offered:
        new_pool(Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "SMS_OTP"]}})
    assert error_of(not_offered)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as without_password:
        new_pool(Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["EMAIL_OTP"]}})
    assert error_of(without_password)[0] == "InvalidParameterException"
    both = {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}
    cognito.update_user_pool(UserPoolId=pool["Id"], Policies={"SignInPolicy": both})
    described = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["Policies"]["SignInPolicy"] == both
