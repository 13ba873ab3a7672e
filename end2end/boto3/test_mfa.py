"""Multi-factor sign-in through boto3, pycognito and pyotp (an independent RFC 6238
implementation standing in for an authenticator app): a user sets up an app with
AssociateSoftwareToken and VerifySoftwareToken, turns it and email codes on with
SetUserMFAPreference, and is then asked for a code after the password (USER_PASSWORD_AUTH,
SRP, ADMIN_USER_PASSWORD_AUTH); several factors make SELECT_MFA_TYPE; a pool with MFA ON makes
a user without one set it up in the sign-in (MFA_SETUP). Codes are good once, wrong ones count
toward the lockout, and the pool's settings are SetUserPoolMfaConfig's. The declared pool has
MFA OPTIONAL with both factors (userpool.toml)."""

import time

import jwt
import pyotp
import pytest
from botocore.exceptions import ClientError
from pycognito import Cognito
from pycognito.exceptions import SoftwareTokenMFAChallengeException

from conftest import PASSWORD, POOL_ID, PUBLIC_CLIENT

# New pools have Cognito's default password policy.
STRONG_PASSWORD = "Correct-Horse-Battery-9"
SESSION_EXPIRED = ("NotAuthorizedException", "Invalid session for the user, session is expired.")


def error_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def email_in(result):
    claims = jwt.decode(result["AuthenticationResult"]["IdToken"], options={"verify_signature": False})
    return claims["email"]


def password_sign_in(cognito, username, client_id=PUBLIC_CLIENT):
    password = PASSWORD if client_id == PUBLIC_CLIENT else STRONG_PASSWORD
    return cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )


def respond(cognito, name, session, username, client_id=PUBLIC_CLIENT, **responses):
    return cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName=name,
        Session=session,
        ChallengeResponses={"USERNAME": username, **responses},
    )


def next_code(totp):
    """The app's code of the next 30-second step: a code of the step the set-up used is spent."""
    return totp.at(time.time() + 30)


def with_app(cognito, username):
    """Signs `username` in, sets up an authenticator app and turns it on as preferred; returns
    the app (pyotp) and the access token."""
    access = password_sign_in(cognito, username)["AuthenticationResult"]["AccessToken"]
    secret = cognito.associate_software_token(AccessToken=access)["SecretCode"]
    totp = pyotp.TOTP(secret)
    verified = cognito.verify_software_token(AccessToken=access, UserCode=totp.now(), FriendlyDeviceName="phone")
    assert verified["Status"] == "SUCCESS"
    cognito.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    return totp, access


def test_an_app_set_up_and_turned_on_is_asked_for_after_the_password(cognito, confirmed_user):
    access = password_sign_in(cognito, confirmed_user)["AuthenticationResult"]["AccessToken"]
    secret = cognito.associate_software_token(AccessToken=access)["SecretCode"]
    assert len(secret) == 32
    totp = pyotp.TOTP(secret)
    with pytest.raises(ClientError) as wrong:
        cognito.verify_software_token(AccessToken=access, UserCode=f"{(int(totp.now()) + 1) % 10**6:06d}")
    assert error_of(wrong)[0] == "EnableSoftwareTokenMFAException"
    with pytest.raises(ClientError) as not_proven:
        cognito.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True})
    assert error_of(not_proven) == ("InvalidParameterException", "User has not verified software token mfa")
    assert cognito.verify_software_token(AccessToken=access, UserCode=totp.now())["Status"] == "SUCCESS"
    # Not on before SetUserMFAPreference: verifying only proves the app.
    assert "UserMFASettingList" not in cognito.get_user(AccessToken=access)
    assert "AuthenticationResult" in password_sign_in(cognito, confirmed_user)

    cognito.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    user = cognito.get_user(AccessToken=access)
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    admin_view = cognito.admin_get_user(UserPoolId=POOL_ID, Username=confirmed_user)
    assert admin_view["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]

    challenge = password_sign_in(cognito, confirmed_user)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert "AuthenticationResult" not in challenge
    code = next_code(totp)
    tokens = respond(cognito, "SOFTWARE_TOKEN_MFA", challenge["Session"], confirmed_user, SOFTWARE_TOKEN_MFA_CODE=code)
    assert email_in(tokens) == confirmed_user
    # The session is spent, and the code too.
    with pytest.raises(ClientError) as spent:
        respond(cognito, "SOFTWARE_TOKEN_MFA", challenge["Session"], confirmed_user, SOFTWARE_TOKEN_MFA_CODE=code)
    assert error_of(spent) == SESSION_EXPIRED
    replay = password_sign_in(cognito, confirmed_user)
    with pytest.raises(ClientError) as replayed:
        respond(cognito, "SOFTWARE_TOKEN_MFA", replay["Session"], confirmed_user, SOFTWARE_TOKEN_MFA_CODE=code)
    assert error_of(replayed)[0] == "CodeMismatchException"


def test_a_wrong_code_may_be_retried_and_wrong_codes_lock_the_account(cognito, confirmed_user):
    totp, _ = with_app(cognito, confirmed_user)
    challenge = password_sign_in(cognito, confirmed_user)
    right = next_code(totp)
    wrong = f"{(int(right) + 500_000) % 10**6:06d}"
    with pytest.raises(ClientError) as mismatch:
        respond(cognito, "SOFTWARE_TOKEN_MFA", challenge["Session"], confirmed_user, SOFTWARE_TOKEN_MFA_CODE=wrong)
    assert error_of(mismatch)[0] == "CodeMismatchException"
    tokens = respond(cognito, "SOFTWARE_TOKEN_MFA", challenge["Session"], confirmed_user, SOFTWARE_TOKEN_MFA_CODE=right)
    assert email_in(tokens) == confirmed_user

    errors = []
    for _ in range(5):
        challenge = password_sign_in(cognito, confirmed_user)
        with pytest.raises(ClientError) as excinfo:
            respond(cognito, "SOFTWARE_TOKEN_MFA", challenge["Session"], confirmed_user,
                    SOFTWARE_TOKEN_MFA_CODE=wrong)
        errors.append(error_of(excinfo)[0])
    assert errors[:4] == ["CodeMismatchException"] * 4
    with pytest.raises(ClientError) as locked:
        password_sign_in(cognito, confirmed_user)
    assert error_of(locked) == ("NotAuthorizedException", "Password attempts exceeded")


def test_email_codes_as_the_second_factor(cognito, outbox, confirmed_user):
    access = password_sign_in(cognito, confirmed_user)["AuthenticationResult"]["AccessToken"]
    cognito.set_user_mfa_preference(AccessToken=access, EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert cognito.get_user(AccessToken=access)["UserMFASettingList"] == ["EMAIL_OTP"]
    challenge = password_sign_in(cognito, confirmed_user)
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"].endswith("***")
    code = outbox(confirmed_user)
    tokens = respond(cognito, "EMAIL_OTP", challenge["Session"], confirmed_user, EMAIL_OTP_CODE=code)
    assert email_in(tokens) == confirmed_user
    # Turned off, the password alone signs in again.
    cognito.set_user_mfa_preference(AccessToken=access, EmailMfaSettings={"Enabled": False})
    assert "AuthenticationResult" in password_sign_in(cognito, confirmed_user)


def test_two_factors_without_a_preference_make_the_user_choose(cognito, outbox, confirmed_user):
    totp, access = with_app(cognito, confirmed_user)
    cognito.set_user_mfa_preference(
        AccessToken=access,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
        EmailMfaSettings={"Enabled": True},
    )
    assert cognito.get_user(AccessToken=access)["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    assert "PreferredMfaSetting" not in cognito.get_user(AccessToken=access)
    with pytest.raises(ClientError) as two:
        cognito.set_user_mfa_preference(
            AccessToken=access,
            SoftwareTokenMfaSettings={"PreferredMfa": True},
            EmailMfaSettings={"PreferredMfa": True},
        )
    assert error_of(two)[0] == "InvalidParameterException"

    offer = password_sign_in(cognito, confirmed_user)
    assert offer["ChallengeName"] == "SELECT_MFA_TYPE"
    assert offer["ChallengeParameters"]["MFAS_CAN_CHOOSE"] == '["SOFTWARE_TOKEN_MFA","EMAIL_OTP"]'
    with pytest.raises(ClientError) as sms:
        respond(cognito, "SELECT_MFA_TYPE", offer["Session"], confirmed_user, ANSWER="SMS_MFA")
    assert error_of(sms)[0] == "InvalidParameterException"
    challenge = respond(cognito, "SELECT_MFA_TYPE", offer["Session"], confirmed_user, ANSWER="SOFTWARE_TOKEN_MFA")
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    tokens = respond(cognito, "SOFTWARE_TOKEN_MFA", challenge["Session"], confirmed_user,
                     SOFTWARE_TOKEN_MFA_CODE=next_code(totp))
    assert email_in(tokens) == confirmed_user

    offer = password_sign_in(cognito, confirmed_user)
    challenge = respond(cognito, "SELECT_MFA_TYPE", offer["Session"], confirmed_user, ANSWER="EMAIL_OTP")
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    tokens = respond(cognito, "EMAIL_OTP", challenge["Session"], confirmed_user, EMAIL_OTP_CODE=outbox(confirmed_user))
    assert email_in(tokens) == confirmed_user


def test_srp_sign_ins_take_the_second_factor_as_pycognito_answers_it(cognito, pool_url, confirmed_user):
    totp, _ = with_app(cognito, confirmed_user)
    user = Cognito(
        POOL_ID,
        PUBLIC_CLIENT,
        username=confirmed_user,
        boto3_client_kwargs={
            "endpoint_url": pool_url,
            "region_name": "us-east-1",
            "aws_access_key_id": "unused",
            "aws_secret_access_key": "unused",
        },
    )
    with pytest.raises(SoftwareTokenMFAChallengeException) as challenged:
        user.authenticate(PASSWORD)
    # pycognito answers with the Session it kept, and verifies the tokens against the pool's JWKS.
    user.respond_to_software_token_mfa_challenge(next_code(totp), challenged.value.get_tokens())
    user.verify_tokens()
    assert user.id_claims["email"] == confirmed_user


def test_an_administrator_signs_in_with_the_code_and_resets_the_factors(cognito, confirmed_user):
    totp, _ = with_app(cognito, confirmed_user)
    challenge = cognito.admin_initiate_auth(
        UserPoolId=POOL_ID,
        ClientId=PUBLIC_CLIENT,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": confirmed_user, "PASSWORD": PASSWORD},
    )
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    tokens = cognito.admin_respond_to_auth_challenge(
        UserPoolId=POOL_ID,
        ClientId=PUBLIC_CLIENT,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": confirmed_user, "SOFTWARE_TOKEN_MFA_CODE": next_code(totp)},
    )
    assert email_in(tokens) == confirmed_user
    cognito.admin_set_user_mfa_preference(
        UserPoolId=POOL_ID, Username=confirmed_user, SoftwareTokenMfaSettings={"Enabled": False}
    )
    assert "UserMFASettingList" not in cognito.admin_get_user(UserPoolId=POOL_ID, Username=confirmed_user)
    assert "AuthenticationResult" in password_sign_in(cognito, confirmed_user)


def test_pool_mfa_settings_round_trip_and_are_checked(cognito, new_pool):
    pool_id = new_pool()["Id"]
    assert cognito.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "OFF"
    with pytest.raises(ClientError) as nothing_on:
        cognito.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="ON")
    assert error_of(nothing_on)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as no_placeholder:
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool_id, EmailMfaConfiguration={"Message": "no code in here", "Subject": "Hi"}
        )
    assert error_of(no_placeholder)[0] == "InvalidParameterException"
    settings = cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration={"Message": "Your code: {####}", "Subject": "Sign-in code"},
    )
    assert settings["MfaConfiguration"] == "OPTIONAL"
    described = cognito.get_user_pool_mfa_config(UserPoolId=pool_id)
    assert described["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    assert described["EmailMfaConfiguration"] == {"Message": "Your code: {####}", "Subject": "Sign-in code"}
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert "SoftwareTokenMfaConfiguration" not in pool
    # The pool's passkey settings are SetUserPoolMfaConfig's too.
    with pytest.raises(ClientError) as address:
        cognito.set_user_pool_mfa_config(UserPoolId=pool_id, WebAuthnConfiguration={"RelyingPartyId": "127.0.0.1"})
    assert error_of(address)[0] == "InvalidParameterException"
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id, WebAuthnConfiguration={"RelyingPartyId": "auth.example.com", "UserVerification": "required"}
    )
    assert cognito.get_user_pool_mfa_config(UserPoolId=pool_id)["WebAuthnConfiguration"] == {
        "RelyingPartyId": "auth.example.com",
        "UserVerification": "required",
    }
    # UpdateUserPool leaves SetUserPoolMfaConfig's settings be.
    cognito.update_user_pool(UserPoolId=pool_id, MfaConfiguration="OPTIONAL")
    assert cognito.get_user_pool_mfa_config(UserPoolId=pool_id)["SoftwareTokenMfaConfiguration"] == {"Enabled": True}


def required_mfa_pool(cognito, new_pool, **mfa):
    """A pool where MFA is ON, with a public client and a confirmed user; returns (client id, name)."""
    pool_id = new_pool(UsernameConfiguration={"CaseSensitive": False})["Id"]
    cognito.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="ON", **mfa)
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="mallory",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "mallory@example.com"}, {"Name": "email_verified", "Value": "true"}],
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="mallory", Password=STRONG_PASSWORD, Permanent=True)
    return client_id, "mallory"


def test_a_pool_that_requires_mfa_has_a_user_set_up_an_app_in_the_sign_in(cognito, new_pool):
    client_id, name = required_mfa_pool(cognito, new_pool, SoftwareTokenMfaConfiguration={"Enabled": True})
    setup = password_sign_in(cognito, name, client_id)
    assert setup["ChallengeName"] == "MFA_SETUP"
    assert setup["ChallengeParameters"]["MFAS_CAN_SETUP"] == '["SOFTWARE_TOKEN_MFA"]'
    associated = cognito.associate_software_token(Session=setup["Session"])
    totp = pyotp.TOTP(associated["SecretCode"])
    with pytest.raises(ClientError) as old_session:
        cognito.associate_software_token(Session=setup["Session"])
    assert error_of(old_session) == SESSION_EXPIRED
    with pytest.raises(ClientError) as wrong:
        cognito.verify_software_token(Session=associated["Session"], UserCode=f"{(int(totp.now()) + 1) % 10**6:06d}")
    assert error_of(wrong)[0] == "EnableSoftwareTokenMFAException"
    verified = cognito.verify_software_token(Session=associated["Session"], UserCode=totp.now(),
                                             FriendlyDeviceName="laptop")
    assert verified["Status"] == "SUCCESS"
    tokens = respond(cognito, "MFA_SETUP", verified["Session"], name, client_id)
    access = tokens["AuthenticationResult"]["AccessToken"]
    assert cognito.get_user(AccessToken=access)["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    challenge = password_sign_in(cognito, name, client_id)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert challenge["ChallengeParameters"]["FRIENDLY_DEVICE_NAME"] == "laptop"
    tokens = respond(cognito, "SOFTWARE_TOKEN_MFA", challenge["Session"], name, client_id,
                     SOFTWARE_TOKEN_MFA_CODE=next_code(totp))
    assert email_in(tokens) == "mallory@example.com"


def test_a_pool_that_requires_mfa_can_have_email_codes_set_up(cognito, outbox, new_pool):
    client_id, name = required_mfa_pool(cognito, new_pool, EmailMfaConfiguration={})
    setup = password_sign_in(cognito, name, client_id)
    assert setup["ChallengeParameters"]["MFAS_CAN_SETUP"] == '["EMAIL_OTP"]'
    with pytest.raises(ClientError) as elsewhere:
        respond(cognito, "MFA_SETUP", setup["Session"], name, client_id, EMAIL="eve@example.com")
    assert error_of(elsewhere)[0] == "InvalidParameterException"
    challenge = respond(cognito, "MFA_SETUP", setup["Session"], name, client_id, EMAIL="mallory@example.com")
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    tokens = respond(cognito, "EMAIL_OTP", challenge["Session"], name, client_id,
                     EMAIL_OTP_CODE=outbox("mallory@example.com"))
    access = tokens["AuthenticationResult"]["AccessToken"]
    assert cognito.get_user(AccessToken=access)["UserMFASettingList"] == ["EMAIL_OTP"]
    again = password_sign_in(cognito, name, client_id)
    assert again["ChallengeName"] == "EMAIL_OTP"


def test_a_pool_without_mfa_lets_nobody_turn_it_on(cognito, new_pool):
    pool_id = new_pool()["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool_id, Username="trent", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="trent", Password=STRONG_PASSWORD, Permanent=True)
    access = password_sign_in(cognito, "trent", client_id)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as no_totp:
        cognito.associate_software_token(AccessToken=access)
    assert error_of(no_totp)[0] == "SoftwareTokenMFANotFoundException"
    with pytest.raises(ClientError) as off:
        cognito.set_user_mfa_preference(AccessToken=access, EmailMfaSettings={"Enabled": True})
    assert error_of(off)[0] == "InvalidParameterException"


def test_text_message_codes_go_to_the_outbox(cognito, outbox, new_pool):
    pool_id = new_pool()["Id"]
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SmsMfaConfiguration={"SmsAuthenticationMessage": "Your code is {####}"},
    )
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    phone = "+15555550123"
    for name, attributes in [
        ("peggy", [{"Name": "phone_number", "Value": phone}, {"Name": "phone_number_verified", "Value": "true"}]),
        ("victor", [{"Name": "phone_number", "Value": "+15555550199"}]),
    ]:
        cognito.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS", UserAttributes=attributes)
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=STRONG_PASSWORD, Permanent=True)
    unverified = password_sign_in(cognito, "victor", client_id)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as no_number:
        cognito.set_user_mfa_preference(AccessToken=unverified, SMSMfaSettings={"Enabled": True})
    assert error_of(no_number) == (
        "InvalidParameterException",
        "User does not have delivery config set to turn on SMS_MFA",
    )

    access = password_sign_in(cognito, "peggy", client_id)["AuthenticationResult"]["AccessToken"]
    cognito.set_user_mfa_preference(AccessToken=access, SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert cognito.get_user(AccessToken=access)["PreferredMfaSetting"] == "SMS_MFA"
    challenge = password_sign_in(cognito, "peggy", client_id)
    assert challenge["ChallengeName"] == "SMS_MFA"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "+*******0123"
    code = outbox(phone, r"Your code is (\d{6})")
    tokens = respond(cognito, "SMS_MFA", challenge["Session"], "peggy", client_id, SMS_MFA_CODE=code)
    assert tokens["AuthenticationResult"]["AccessToken"]
