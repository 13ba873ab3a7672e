"""The user operations the common clients call beyond sign-in, driven by boto3 (and pycognito and
the AWS CLI) as an app written against Amazon Cognito drives them: addresses an administrator has
not verified, confirming twice, codes over their limit, deleting attributes, listing only some
attributes, the device operations of a pool that does not remember devices, refresh-token
rotation, an administrator's password reset, changing and proving an email address or phone
number, and made-up answers about unknown names that look like real ones."""

import re

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from conftest import PASSWORD, PUBLIC_CLIENT, aws_cli
from test_json_api import password_auth
from test_user_pools import (
    PLAIN_PASSWORD,
    create_user,
    error_code,
    password_pool,
    sign_in,
    unique_email,
    unique_phone,
    unique_username,
)


def attributes_of(user):
    return {a["Name"]: a["Value"] for a in user.get("UserAttributes", user.get("Attributes", []))}


def refused(call, **arguments):
    with pytest.raises(ClientError) as excinfo:
        call(**arguments)
    return error_code(excinfo), excinfo.value.response["Error"]["Message"]


def test_an_address_an_administrator_gives_is_unverified_until_they_say_otherwise(new_pool, cognito, outbox):
    pool_id, client_id = password_pool(new_pool, cognito)
    unverified, verified = unique_username("plain"), unique_username("vouched")
    create_user(cognito, pool_id, unverified, attributes={"email": unique_email()})
    create_user(cognito, pool_id, verified, attributes={"email": unique_email(), "email_verified": "true"})
    get = lambda name: attributes_of(cognito.admin_get_user(UserPoolId=pool_id, Username=name))  # noqa: E731
    assert get(unverified)["email_verified"] == "false"
    assert get(verified)["email_verified"] == "true"
    # An unverified address is no way to recover the account (a LEGACY client is told so).
    assert refused(cognito.forgot_password, ClientId=client_id, Username=unverified)[0] == "InvalidParameterException"
    assert cognito.forgot_password(ClientId=client_id, Username=verified)["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    # The administrator vouches for it later; the user cannot vouch for themselves.
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id, Username=unverified, UserAttributes=[{"Name": "email_verified", "Value": "true"}]
    )
    assert get(unverified)["email_verified"] == "true"
    token = sign_in(cognito, client_id, verified)["AccessToken"]
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id, Username=verified, UserAttributes=[{"Name": "email_verified", "Value": "false"}]
    )
    cognito.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "email_verified", "Value": "true"}])
    assert get(verified)["email_verified"] == "false"
    code, _ = refused(
        cognito.admin_update_user_attributes,
        UserPoolId=pool_id,
        Username=verified,
        UserAttributes=[{"Name": "email_verified", "Value": "yes"}],
    )
    assert code == "InvalidParameterException"


def test_confirming_a_confirmed_user_is_refused_as_cognito_refuses_it(new_pool, cognito, confirmed_user):
    pool_id, client_id = password_pool(new_pool, cognito)
    username = unique_username("done")
    create_user(cognito, pool_id, username)
    code, message = refused(cognito.confirm_sign_up, ClientId=client_id, Username=username, ConfirmationCode="123456")
    assert (code, message) == ("NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
    # A client that prevents user-existence errors learns nothing: a wrong code, as for anyone.
    code, _ = refused(cognito.confirm_sign_up, ClientId=PUBLIC_CLIENT, Username=confirmed_user, ConfirmationCode="123456")
    assert code == "CodeMismatchException"
    # Nor does resending: a LEGACY client hears that the user is confirmed already.
    assert refused(cognito.resend_confirmation_code, ClientId=client_id, Username=username) == (
        "InvalidParameterException",
        "User is already confirmed.",
    )


def test_codes_over_their_limit_are_refused_not_pretended(cognito, outbox, email):
    cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=email, Password=PASSWORD)
    # Five codes an hour: the sign-up's and four more.
    for _ in range(4):
        cognito.resend_confirmation_code(ClientId=PUBLIC_CLIENT, Username=email)
    assert refused(cognito.resend_confirmation_code, ClientId=PUBLIC_CLIENT, Username=email)[0] == "LimitExceededException"
    # The last code mailed still confirms.
    cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=email, ConfirmationCode=outbox(email))
    # A name without an account is rationed alike, so the limit tells nothing about it.
    nobody = unique_email()
    for _ in range(5):
        cognito.forgot_password(ClientId=PUBLIC_CLIENT, Username=nobody)
    assert refused(cognito.forgot_password, ClientId=PUBLIC_CLIENT, Username=nobody)[0] == "LimitExceededException"
    for _ in range(5):
        cognito.resend_confirmation_code(ClientId=PUBLIC_CLIENT, Username=email + ".nobody")
    code, _ = refused(cognito.resend_confirmation_code, ClientId=PUBLIC_CLIENT, Username=email + ".nobody")
    assert code == "LimitExceededException"


def test_users_and_administrators_delete_attributes(new_pool, cognito):
    pool_id, client_id = password_pool(
        new_pool,
        cognito,
        Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}],
    )
    username = unique_username("attrs")
    create_user(
        cognito, pool_id, username, attributes={"given_name": "Ada", "nickname": "ada", "custom:team": "blue"}
    )
    token = sign_in(cognito, client_id, username)["AccessToken"]
    cognito.delete_user_attributes(AccessToken=token, UserAttributeNames=["nickname"])
    assert "nickname" not in attributes_of(cognito.get_user(AccessToken=token))
    cognito.admin_delete_user_attributes(UserPoolId=pool_id, Username=username, UserAttributeNames=["custom:team"])
    left = attributes_of(cognito.admin_get_user(UserPoolId=pool_id, Username=username))
    assert "custom:team" not in left and left["given_name"] == "Ada"
    for names, expected in [(["sub"], "InvalidParameterException"), (["custom:nothing"], "InvalidParameterException")]:
        code, _ = refused(cognito.delete_user_attributes, AccessToken=token, UserAttributeNames=names)
        assert code == expected, names
    assert refused(
        cognito.admin_delete_user_attributes, UserPoolId=pool_id, Username="nobody-here", UserAttributeNames=["nickname"]
    )[0] == "UserNotFoundException"
    # A refused deletion deletes nothing.
    refused(cognito.delete_user_attributes, AccessToken=token, UserAttributeNames=["given_name", "sub"])
    assert attributes_of(cognito.get_user(AccessToken=token))["given_name"] == "Ada"


def test_list_users_returns_only_the_attributes_asked_for(new_pool, cognito):
    pool_id, _ = password_pool(new_pool, cognito)
    create_user(cognito, pool_id, unique_username("few"), attributes={"email": unique_email(), "given_name": "Lin"})
    users = cognito.list_users(UserPoolId=pool_id, AttributesToGet=["email", "given_name"])["Users"]
    assert [sorted(attributes_of(u)) for u in users] == [["email", "given_name"]]
    assert cognito.list_users(UserPoolId=pool_id, AttributesToGet=[])["Users"][0]["Attributes"] == []
    assert "sub" in attributes_of(cognito.list_users(UserPoolId=pool_id)["Users"][0])
    code, _ = refused(cognito.list_users, UserPoolId=pool_id, AttributesToGet=["favourite_colour"])
    assert code == "InvalidParameterException"


def test_device_operations_answer_as_for_a_pool_that_remembers_no_devices(new_pool, cognito):
    pool_id, client_id = password_pool(new_pool, cognito)
    username = unique_username("device")
    create_user(cognito, pool_id, username)
    result = sign_in(cognito, client_id, username)
    assert "NewDeviceMetadata" not in result
    token = result["AccessToken"]
    key = "us-east-1_0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert cognito.list_devices(AccessToken=token)["Devices"] == []
    assert cognito.admin_list_devices(UserPoolId=pool_id, Username=username)["Devices"] == []
    assert refused(cognito.get_device, AccessToken=token, DeviceKey=key) == (
        "ResourceNotFoundException",
        "Device does not exist.",
    )
    for call, arguments in [
        (cognito.forget_device, {"AccessToken": token, "DeviceKey": key}),
        (cognito.update_device_status, {"AccessToken": token, "DeviceKey": key, "DeviceRememberedStatus": "remembered"}),
        (cognito.admin_get_device, {"UserPoolId": pool_id, "Username": username, "DeviceKey": key}),
        (cognito.admin_forget_device, {"UserPoolId": pool_id, "Username": username, "DeviceKey": key}),
        (
            cognito.admin_update_device_status,
            {"UserPoolId": pool_id, "Username": username, "DeviceKey": key, "DeviceRememberedStatus": "not_remembered"},
        ),
    ]:
        assert refused(call, **arguments)[0] == "ResourceNotFoundException", call
    # No key was handed out, so none can be confirmed.
    code, message = refused(
        cognito.confirm_device,
        AccessToken=token,
        DeviceKey=key,
        DeviceSecretVerifierConfig={"PasswordVerifier": "dmVyaWZpZXI=", "Salt": "c2FsdA=="},
    )
    assert (code, message) == ("InvalidParameterException", "Invalid device key given.")
    # Bad requests are told so first: a bad token, an unknown user, a malformed key.
    assert refused(cognito.list_devices, AccessToken="not-a-token")[0] == "NotAuthorizedException"
    assert refused(cognito.admin_list_devices, UserPoolId=pool_id, Username="nobody-here")[0] == "UserNotFoundException"
    assert refused(cognito.get_device, AccessToken=token, DeviceKey="no-underscore")[0] == "InvalidParameterException"


def test_a_rotating_client_refreshes_through_get_tokens_from_refresh_token_only(new_pool, cognito):
    pool_id, _ = password_pool(new_pool, cognito)
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="rotating",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
    )["UserPoolClient"]["ClientId"]
    username = unique_username("rotating")
    create_user(cognito, pool_id, username)
    first = sign_in(cognito, client_id, username)["RefreshToken"]
    code, message = refused(
        cognito.initiate_auth,
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first},
    )
    assert code == "InvalidParameterException" and "GetTokensFromRefreshToken" in message
    successor = cognito.get_tokens_from_refresh_token(ClientId=client_id, RefreshToken=first)["AuthenticationResult"][
        "RefreshToken"
    ]
    assert successor != first
    # The rotated-out token again (no grace period here): reused, and the sign-in ends with it.
    code, _ = refused(cognito.get_tokens_from_refresh_token, ClientId=client_id, RefreshToken=first)
    assert code == "RefreshTokenReuseException"
    code, _ = refused(cognito.get_tokens_from_refresh_token, ClientId=client_id, RefreshToken=successor)
    assert code == "NotAuthorizedException"


def test_the_aws_cli_lists_a_users_devices(pool_url, new_pool, cognito):
    pool_id, _ = password_pool(new_pool, cognito)
    username = unique_username("cli")
    create_user(cognito, pool_id, username, password=PLAIN_PASSWORD)
    listed = aws_cli(pool_url, "admin-list-devices", "--user-pool-id", pool_id, "--username", username)
    assert listed.returncode == 0, listed.stderr
    assert '"Devices": []' in listed.stdout


def test_an_administrator_resets_a_password_and_the_user_sets_a_new_one_with_the_mailed_code(new_pool, cognito, outbox):
    pool_id, _ = password_pool(new_pool, cognito)
    flows = ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="reset", ExplicitAuthFlows=flows)[
        "UserPoolClient"
    ]["ClientId"]
    username, email = unique_username("reset"), unique_email()
    create_user(cognito, pool_id, username, attributes={"email": email, "email_verified": "true"})
    sign_in(cognito, client_id, username)

    cognito.admin_reset_user_password(UserPoolId=pool_id, Username=username)
    assert cognito.admin_get_user(UserPoolId=pool_id, Username=username)["UserStatus"] == "RESET_REQUIRED"
    listed = cognito.list_users(UserPoolId=pool_id, Filter='cognito:user_status = "RESET_REQUIRED"')["Users"]
    assert [u["Username"] for u in listed] == [username]
    # The old password no longer signs in, by either flow; a wrong one is still just wrong.
    code, message = refused(sign_in, cognito=cognito, client_id=client_id, username=username)
    assert (code, message) == ("PasswordResetRequiredException", "Password reset required for the user")
    srp = AWSSRP(username=username, password=PLAIN_PASSWORD, pool_id=pool_id, client_id=client_id, client=cognito)
    assert refused(srp.authenticate_user)[0] == "PasswordResetRequiredException"
    assert refused(sign_in, cognito=cognito, client_id=client_id, username=username, password="wrong one!")[0] == (
        "NotAuthorizedException"
    )
    # The mailed code sets a new password, and the account is CONFIRMED again.
    cognito.confirm_forgot_password(
        ClientId=client_id, Username=username, ConfirmationCode=outbox(email), Password="a fresh lantern"
    )
    assert cognito.admin_get_user(UserPoolId=pool_id, Username=username)["UserStatus"] == "CONFIRMED"
    assert sign_in(cognito, client_id, username, "a fresh lantern")["AccessToken"]

    # Nobody to send a code to: refused, and nothing changes.
    bare = unique_username("bare")
    create_user(cognito, pool_id, bare, attributes={"email": unique_email()})
    assert refused(cognito.admin_reset_user_password, UserPoolId=pool_id, Username=bare)[0] == "InvalidParameterException"
    assert cognito.admin_get_user(UserPoolId=pool_id, Username=bare)["UserStatus"] == "CONFIRMED"
    assert refused(cognito.admin_reset_user_password, UserPoolId=pool_id, Username="nobody-here")[0] == (
        "UserNotFoundException"
    )


def test_a_user_changes_their_email_once_a_code_proves_the_new_one(cognito, outbox, confirmed_user):
    token = password_auth(cognito, confirmed_user)["AuthenticationResult"]["AccessToken"]
    new = unique_email()
    reply = cognito.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "email", "Value": new}])
    [delivery] = reply["CodeDeliveryDetailsList"]
    assert (delivery["Destination"], delivery["AttributeName"]) == (new[0] + "***@e***", "email")
    # Until the code proves the new address, the old one is the user's, and their sign-in name.
    attributes = attributes_of(cognito.get_user(AccessToken=token))
    assert (attributes["email"], attributes["email_verified"]) == (confirmed_user, "true")
    assert refused(password_auth, cognito=cognito, email=new)[0] == "NotAuthorizedException"
    assert refused(cognito.verify_user_attribute, AccessToken=token, AttributeName="email", Code="000000")[0] in (
        "CodeMismatchException",
    )
    # Asking again sends a new code to the new address; the last one proves it.
    again = cognito.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    assert again["CodeDeliveryDetails"]["Destination"] == delivery["Destination"]
    cognito.verify_user_attribute(AccessToken=token, AttributeName="email", Code=outbox(new))
    attributes = attributes_of(cognito.get_user(AccessToken=token))
    assert (attributes["email"], attributes["email_verified"]) == (new, "true")
    assert password_auth(cognito, new)["AuthenticationResult"]["IdToken"]
    assert refused(password_auth, cognito=cognito, email=confirmed_user)[0] == "NotAuthorizedException"
    # The code is spent; nor can anyone take an address another user signs in with.
    assert refused(cognito.verify_user_attribute, AccessToken=token, AttributeName="email", Code=outbox(new))[0] == (
        "ExpiredCodeException"
    )
    other = unique_email()
    cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=other, Password=PASSWORD)
    cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=other, ConfirmationCode=outbox(other))
    code, _ = refused(cognito.update_user_attributes, AccessToken=token, UserAttributes=[{"Name": "email", "Value": other}])
    assert code == "AliasExistsException"
    code, _ = refused(cognito.get_user_attribute_verification_code, AccessToken=token, AttributeName="nickname")
    assert code == "InvalidParameterException"


def test_a_changed_phone_number_is_unverified_until_its_code_proves_it(new_pool, cognito, outbox):
    pool_id, client_id = password_pool(new_pool, cognito)
    username, phone = unique_username("phone"), unique_phone()
    create_user(cognito, pool_id, username, attributes={"phone_number": phone, "phone_number_verified": "true"})
    token = sign_in(cognito, client_id, username)["AccessToken"]
    new = unique_phone()
    cognito.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "phone_number", "Value": new}])
    attributes = attributes_of(cognito.get_user(AccessToken=token))
    assert (attributes["phone_number"], attributes["phone_number_verified"]) == (new, "false")
    sent = cognito.get_user_attribute_verification_code(AccessToken=token, AttributeName="phone_number")
    assert sent["CodeDeliveryDetails"] == {
        "Destination": "+*******" + new[-4:],
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }
    cognito.verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code=outbox(new))
    assert attributes_of(cognito.get_user(AccessToken=token))["phone_number_verified"] == "true"


def test_an_administrator_changes_an_address_at_once(new_pool, cognito):
    pool_id, client_id = password_pool(new_pool, cognito)
    username, old, new = unique_username("moved"), unique_email(), unique_email()
    create_user(cognito, pool_id, username, attributes={"email": old, "email_verified": "true"})
    cognito.admin_update_user_attributes(UserPoolId=pool_id, Username=username, UserAttributes=[{"Name": "email", "Value": new}])
    attributes = attributes_of(cognito.admin_get_user(UserPoolId=pool_id, Username=username))
    assert (attributes["email"], attributes["email_verified"]) == (new, "false")
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": "email", "Value": old}, {"Name": "email_verified", "Value": "true"}],
    )
    attributes = attributes_of(cognito.admin_get_user(UserPoolId=pool_id, Username=username))
    assert (attributes["email"], attributes["email_verified"]) == (old, "true")


def test_a_name_without_an_account_gets_a_destination_like_a_real_one(new_pool, cognito):
    """In a pool of plain usernames a made-up answer for an unknown name must look like a real user's
    masked address (and stay the same), or it would tell who has an account."""
    pool_id, _ = password_pool(new_pool, cognito)
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="quiet",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]["ClientId"]
    real = unique_username("real")
    create_user(cognito, pool_id, real, attributes={"email": unique_email(), "email_verified": "true"})
    nobody = unique_username("nobody")
    for call in (cognito.forgot_password, cognito.resend_confirmation_code):
        answers = [call(ClientId=client_id, Username=name)["CodeDeliveryDetails"] for name in (real, nobody, nobody)]
        for answer in answers:
            assert answer["DeliveryMedium"] == "EMAIL" and answer["AttributeName"] == "email"
            assert re.fullmatch(r"[^@]\*\*\*@[a-z0-9]\*\*\*", answer["Destination"]), answer
        assert answers[1] == answers[2]
