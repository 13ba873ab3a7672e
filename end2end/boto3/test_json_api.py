"""The pool's JSON API driven by boto3, AWS's own SDK for Python, exactly as an
app written against Amazon Cognito would drive it: only the endpoint differs."""

import base64
import hashlib
import hmac
import json

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from conftest import PASSWORD, POOL_ID, PUBLIC_CLIENT, SECRET, SECRET_CLIENT


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def claims(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def password_auth(cognito, email, password=PASSWORD):
    return cognito.initiate_auth(
        ClientId=PUBLIC_CLIENT,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )


def secret_hash(username, client_id=SECRET_CLIENT, secret=SECRET):
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


# --- sign-up and confirmation ---


def test_sign_up_confirm_and_sign_in(cognito, outbox, email):
    reply = cognito.sign_up(
        ClientId=PUBLIC_CLIENT,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": "Ada"}],
    )
    assert reply["UserConfirmed"] is False
    assert reply["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert reply["CodeDeliveryDetails"]["AttributeName"] == "email"
    sub = reply["UserSub"]

    with pytest.raises(ClientError) as excinfo:
        password_auth(cognito, email)
    assert error_code(excinfo) == "UserNotConfirmedException"

    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=email, ConfirmationCode="000000")
    assert error_code(excinfo) == "CodeMismatchException"

    cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=email, ConfirmationCode=outbox(email))

    result = password_auth(cognito, email)["AuthenticationResult"]
    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == 3600
    id_claims = claims(result["IdToken"])
    assert id_claims["sub"] == sub
    assert id_claims["email"] == email
    assert id_claims["email_verified"] is True
    assert id_claims["token_use"] == "id"
    assert id_claims["aud"] == PUBLIC_CLIENT
    access = claims(result["AccessToken"])
    assert access["token_use"] == "access"
    assert access["scope"] == "aws.cognito.signin.user.admin"
    assert access["client_id"] == PUBLIC_CLIENT
    assert "aud" not in access

    user = cognito.get_user(AccessToken=result["AccessToken"])
    assert user["Username"] == sub
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes == {"sub": sub, "email": email, "email_verified": "true", "name": "Ada"}


def test_sign_up_errors(cognito, confirmed_user):
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=confirmed_user, Password=PASSWORD)
    assert error_code(excinfo) == "UsernameExistsException"

    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=PUBLIC_CLIENT, Username="new@example.com", Password="short")
    assert error_code(excinfo) == "InvalidPasswordException"
    assert "Password not long enough" in excinfo.value.response["Error"]["Message"]

    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=PUBLIC_CLIENT, Username="not-an-email", Password=PASSWORD)
    assert error_code(excinfo) == "InvalidParameterException"

    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId="nosuchclient", Username="x@example.com", Password=PASSWORD)
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_common_passwords_are_refused(cognito, confirmed_user):
    email = "new-" + confirmed_user

    def refused(call, **fields):
        with pytest.raises(ClientError) as excinfo:
            call(**fields)
        assert error_code(excinfo) == "InvalidPasswordException"
        assert "Password is too common" in excinfo.value.response["Error"]["Message"]

    refused(cognito.sign_up, ClientId=PUBLIC_CLIENT, Username=email, Password="password123")
    # Nothing was created.
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=POOL_ID, Username=email)
    assert error_code(excinfo) == "UserNotFoundException"
    # Whatever sets a password, and whatever the case.
    token = password_auth(cognito, confirmed_user)["AuthenticationResult"]["AccessToken"]
    refused(cognito.change_password, PreviousPassword=PASSWORD, ProposedPassword="QwertyUiop", AccessToken=token)
    refused(cognito.admin_set_user_password, UserPoolId=POOL_ID, Username=confirmed_user, Password="qwertyuiop")
    refused(cognito.admin_create_user, UserPoolId=POOL_ID, Username=email, TemporaryPassword="iloveyou1")
    password_auth(cognito, confirmed_user)


def test_resend_confirmation_code(cognito, outbox, email):
    cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=email, Password=PASSWORD)
    first = outbox(email)
    reply = cognito.resend_confirmation_code(ClientId=PUBLIC_CLIENT, Username=email)
    assert reply["CodeDeliveryDetails"]["Destination"].startswith("u***@")
    second = outbox(email)
    # The newest code is the one that works (the old one is replaced).
    if first != second:
        with pytest.raises(ClientError) as excinfo:
            cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=email, ConfirmationCode=first)
        assert error_code(excinfo) == "CodeMismatchException"
    cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=email, ConfirmationCode=second)
    # Unknown addresses get the same answer.
    reply = cognito.resend_confirmation_code(ClientId=PUBLIC_CLIENT, Username="nobody@example.com")
    assert reply["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"


# --- authentication ---


def test_unknown_users_look_like_wrong_passwords(cognito, confirmed_user):
    messages = set()
    for username in [confirmed_user, "nobody@example.com"]:
        with pytest.raises(ClientError) as excinfo:
            password_auth(cognito, username, "wrong password!")
        assert error_code(excinfo) == "NotAuthorizedException"
        messages.add(excinfo.value.response["Error"]["Message"])
    assert messages == {"Incorrect username or password."}


def test_refresh_token_auth_and_revoke(cognito, confirmed_user):
    first = password_auth(cognito, confirmed_user)["AuthenticationResult"]
    refreshed = cognito.initiate_auth(
        ClientId=PUBLIC_CLIENT,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )["AuthenticationResult"]
    assert "RefreshToken" not in refreshed
    assert claims(refreshed["IdToken"])["auth_time"] == claims(first["IdToken"])["auth_time"]
    assert claims(refreshed["AccessToken"])["origin_jti"] == claims(first["AccessToken"])["origin_jti"]

    cognito.revoke_token(Token=first["RefreshToken"], ClientId=PUBLIC_CLIENT)
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(
            ClientId=PUBLIC_CLIENT,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
        )
    assert error_code(excinfo) == "NotAuthorizedException"
    # Revoking the sign-in also ends its access tokens.
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user(AccessToken=refreshed["AccessToken"])
    assert error_code(excinfo) == "NotAuthorizedException"


def test_get_tokens_from_refresh_token(cognito, confirmed_user):
    """Amplify's refresh: new tokens of the same sign-in, and a new refresh token where the client rotates them."""
    first = password_auth(cognito, confirmed_user)["AuthenticationResult"]
    refreshed = cognito.get_tokens_from_refresh_token(RefreshToken=first["RefreshToken"], ClientId=PUBLIC_CLIENT)[
        "AuthenticationResult"
    ]
    assert "RefreshToken" not in refreshed
    assert claims(refreshed["AccessToken"])["origin_jti"] == claims(first["AccessToken"])["origin_jti"]
    assert claims(refreshed["IdToken"])["email"] == confirmed_user
    with pytest.raises(ClientError) as excinfo:
        cognito.get_tokens_from_refresh_token(RefreshToken="not-a-refresh-token", ClientId=PUBLIC_CLIENT)
    assert error_code(excinfo) == "NotAuthorizedException"

    # The app's client rotates its refresh tokens (it signs in with SRP here, as Amplify would).
    app_client = "1ocal4pp5c1ient0leptos0cog"
    srp = AWSSRP(username=confirmed_user, password=PASSWORD, pool_id=POOL_ID, client_id=app_client, client=cognito)
    rotating = srp.authenticate_user()["AuthenticationResult"]
    rotated = cognito.get_tokens_from_refresh_token(RefreshToken=rotating["RefreshToken"], ClientId=app_client)[
        "AuthenticationResult"
    ]
    assert rotated["RefreshToken"] != rotating["RefreshToken"]


def test_a_user_deletes_their_own_account(cognito, confirmed_user):
    tokens = password_auth(cognito, confirmed_user)["AuthenticationResult"]
    cognito.delete_user(AccessToken=tokens["AccessToken"])
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=POOL_ID, Username=confirmed_user)
    assert error_code(excinfo) == "UserNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user(AccessToken=tokens["AccessToken"])
    assert error_code(excinfo) == "NotAuthorizedException"


def test_every_answer_carries_an_aws_request_id(cognito, confirmed_user):
    reply = password_auth(cognito, confirmed_user)
    assert reply["ResponseMetadata"]["RequestId"]
    with pytest.raises(ClientError) as excinfo:
        password_auth(cognito, confirmed_user, "wrong password!")
    assert excinfo.value.response["ResponseMetadata"]["RequestId"]


def test_flows_a_client_has_not_enabled_are_refused(cognito, confirmed_user):
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(
            ClientId="1ocal4pp5c1ient0leptos0cog",
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": confirmed_user, "PASSWORD": PASSWORD},
        )
    assert error_code(excinfo) == "InvalidParameterException"
    assert "not enabled" in excinfo.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(
            ClientId=PUBLIC_CLIENT,
            AuthFlow="CUSTOM_AUTH",
            AuthParameters={"USERNAME": confirmed_user},
        )
    assert error_code(excinfo) == "InvalidParameterException"


def test_admin_password_flow_under_both_names(cognito, confirmed_user):
    for flow in ["ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"]:
        reply = cognito.admin_initiate_auth(
            UserPoolId=POOL_ID,
            ClientId=PUBLIC_CLIENT,
            AuthFlow=flow,
            AuthParameters={"USERNAME": confirmed_user, "PASSWORD": PASSWORD},
        )
        assert claims(reply["AuthenticationResult"]["IdToken"])["email"] == confirmed_user


def test_secret_clients_need_the_secret_hash(cognito, confirmed_user):
    parameters = {"USERNAME": confirmed_user, "PASSWORD": PASSWORD}
    for bad in [{}, {"SECRET_HASH": secret_hash(confirmed_user, secret="wrong secret")}]:
        with pytest.raises(ClientError) as excinfo:
            cognito.initiate_auth(
                ClientId=SECRET_CLIENT,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={**parameters, **bad},
            )
        assert error_code(excinfo) == "NotAuthorizedException"
    reply = cognito.initiate_auth(
        ClientId=SECRET_CLIENT,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={**parameters, "SECRET_HASH": secret_hash(confirmed_user)},
    )
    result = reply["AuthenticationResult"]
    sub = claims(result["IdToken"])["sub"]
    refreshed = cognito.initiate_auth(
        ClientId=SECRET_CLIENT,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"], "SECRET_HASH": secret_hash(sub)},
    )
    assert "AccessToken" in refreshed["AuthenticationResult"]


# --- passwords ---


def test_forgot_password(cognito, outbox, confirmed_user):
    reply = cognito.forgot_password(ClientId=PUBLIC_CLIENT, Username=confirmed_user)
    assert reply["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(
            ClientId=PUBLIC_CLIENT, Username=confirmed_user, ConfirmationCode="000000", Password="another password"
        )
    assert error_code(excinfo) == "CodeMismatchException"
    cognito.confirm_forgot_password(
        ClientId=PUBLIC_CLIENT,
        Username=confirmed_user,
        ConfirmationCode=outbox(confirmed_user),
        Password="another password",
    )
    password_auth(cognito, confirmed_user, "another password")
    # Unknown users: the same answer, nothing sent.
    cognito.forgot_password(ClientId=PUBLIC_CLIENT, Username="nobody@example.com")


def test_change_password(cognito, confirmed_user):
    token = password_auth(cognito, confirmed_user)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as excinfo:
        cognito.change_password(
            PreviousPassword="not my password", ProposedPassword="a new password", AccessToken=token
        )
    assert error_code(excinfo) == "NotAuthorizedException"
    cognito.change_password(PreviousPassword=PASSWORD, ProposedPassword="a new password", AccessToken=token)
    password_auth(cognito, confirmed_user, "a new password")


def test_update_user_attributes(cognito, confirmed_user):
    token = password_auth(cognito, confirmed_user)["AuthenticationResult"]["AccessToken"]
    cognito.update_user_attributes(
        AccessToken=token,
        UserAttributes=[{"Name": "given_name", "Value": "Grace"}, {"Name": "custom:team", "Value": "blue"}],
    )
    attributes = {a["Name"]: a["Value"] for a in cognito.get_user(AccessToken=token)["UserAttributes"]}
    assert attributes["given_name"] == "Grace"
    assert attributes["custom:team"] == "blue"
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "sub", "Value": "x"}])
    assert error_code(excinfo) == "InvalidParameterException"


def test_global_sign_out_ends_every_session(cognito, confirmed_user):
    one = password_auth(cognito, confirmed_user)["AuthenticationResult"]
    two = password_auth(cognito, confirmed_user)["AuthenticationResult"]
    cognito.global_sign_out(AccessToken=one["AccessToken"])
    for result in [one, two]:
        with pytest.raises(ClientError) as excinfo:
            cognito.get_user(AccessToken=result["AccessToken"])
        assert error_code(excinfo) == "NotAuthorizedException"
        with pytest.raises(ClientError):
            cognito.initiate_auth(
                ClientId=PUBLIC_CLIENT,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
            )


def test_forged_access_tokens_are_refused(cognito, confirmed_user):
    token = password_auth(cognito, confirmed_user)["AuthenticationResult"]["AccessToken"]
    header, payload, signature = token.split(".")
    forged = claims(token) | {"sub": "someone-else"}
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    for bad in [f"{header}.{forged_payload}.{signature}", "not a token"]:
        with pytest.raises(ClientError) as excinfo:
            cognito.get_user(AccessToken=bad)
        assert error_code(excinfo) == "NotAuthorizedException"


# --- administration ---


def test_admin_creates_a_user_who_must_choose_a_password(cognito, outbox, email):
    created = cognito.admin_create_user(
        UserPoolId=POOL_ID,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": "Temp"}],
    )["User"]
    assert created["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert created["Enabled"] is True
    assert {"Name": "name", "Value": "Temp"} in created["Attributes"]
    temporary = outbox(email, r"temporary password is (\S+)\.$")

    challenge = password_auth(cognito, email, temporary)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert "AuthenticationResult" not in challenge
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(
            ClientId=PUBLIC_CLIENT,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session="forged-session-of-more-than-20-characters",
            ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "my own password"},
        )
    assert error_code(excinfo) == "NotAuthorizedException"
    answered = cognito.respond_to_auth_challenge(
        ClientId=PUBLIC_CLIENT,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "my own password"},
    )
    assert claims(answered["AuthenticationResult"]["IdToken"])["email"] == email
    assert cognito.admin_get_user(UserPoolId=POOL_ID, Username=email)["UserStatus"] == "CONFIRMED"
    # The session is spent.
    with pytest.raises(ClientError):
        cognito.respond_to_auth_challenge(
            ClientId=PUBLIC_CLIENT,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "yet another one"},
        )

    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(UserPoolId=POOL_ID, Username=email, MessageAction="SUPPRESS")
    assert error_code(excinfo) == "UsernameExistsException"


def test_admin_user_lifecycle(cognito, confirmed_user):
    user = cognito.admin_get_user(UserPoolId=POOL_ID, Username=confirmed_user)
    assert user["UserStatus"] == "CONFIRMED"
    assert user["Enabled"] is True
    assert user["UserCreateDate"].year >= 2025
    sub = user["Username"]
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email"] == confirmed_user
    assert attributes["sub"] == sub
    # Either name works.
    assert cognito.admin_get_user(UserPoolId=POOL_ID, Username=sub)["Username"] == sub

    token = password_auth(cognito, confirmed_user)["AuthenticationResult"]["AccessToken"]
    cognito.admin_disable_user(UserPoolId=POOL_ID, Username=confirmed_user)
    assert cognito.admin_get_user(UserPoolId=POOL_ID, Username=sub)["Enabled"] is False
    with pytest.raises(ClientError) as excinfo:
        password_auth(cognito, confirmed_user)
    assert excinfo.value.response["Error"]["Message"] == "User is disabled."
    with pytest.raises(ClientError):
        cognito.get_user(AccessToken=token)
    cognito.admin_enable_user(UserPoolId=POOL_ID, Username=confirmed_user)
    password_auth(cognito, confirmed_user)

    cognito.admin_set_user_password(
        UserPoolId=POOL_ID, Username=confirmed_user, Password="set by an admin", Permanent=True
    )
    password_auth(cognito, confirmed_user, "set by an admin")
    cognito.admin_set_user_password(UserPoolId=POOL_ID, Username=confirmed_user, Password="temporary one", Permanent=False)
    assert password_auth(cognito, confirmed_user, "temporary one")["ChallengeName"] == "NEW_PASSWORD_REQUIRED"

    cognito.admin_update_user_attributes(
        UserPoolId=POOL_ID, Username=sub, UserAttributes=[{"Name": "family_name", "Value": "Hopper"}]
    )
    attributes = cognito.admin_get_user(UserPoolId=POOL_ID, Username=sub)["UserAttributes"]
    assert {"Name": "family_name", "Value": "Hopper"} in attributes

    cognito.admin_user_global_sign_out(UserPoolId=POOL_ID, Username=sub)
    cognito.admin_delete_user(UserPoolId=POOL_ID, Username=sub)
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=POOL_ID, Username=sub)
    assert error_code(excinfo) == "UserNotFoundException"


def test_admin_confirm_sign_up(cognito, email):
    cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=email, Password=PASSWORD)
    assert cognito.admin_get_user(UserPoolId=POOL_ID, Username=email)["UserStatus"] == "UNCONFIRMED"
    cognito.admin_confirm_sign_up(UserPoolId=POOL_ID, Username=email)
    password_auth(cognito, email)
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_confirm_sign_up(UserPoolId=POOL_ID, Username=email)
    assert error_code(excinfo) == "NotAuthorizedException"


def test_groups(cognito, confirmed_user):
    group = cognito.create_group(
        UserPoolId=POOL_ID, GroupName="Admin", Description="Administrators", Precedence=1
    )["Group"]
    assert group["GroupName"] == "Admin"
    assert group["UserPoolId"] == POOL_ID
    assert group["Precedence"] == 1
    with pytest.raises(ClientError) as excinfo:
        cognito.create_group(UserPoolId=POOL_ID, GroupName="Admin")
    assert error_code(excinfo) == "GroupExistsException"
    cognito.create_group(UserPoolId=POOL_ID, GroupName="Readers", Precedence=5)
    names = [g["GroupName"] for g in cognito.list_groups(UserPoolId=POOL_ID)["Groups"]]
    assert {"Admin", "Readers"} <= set(names)

    cognito.admin_add_user_to_group(UserPoolId=POOL_ID, Username=confirmed_user, GroupName="Readers")
    cognito.admin_add_user_to_group(UserPoolId=POOL_ID, Username=confirmed_user, GroupName="Admin")
    listed = cognito.admin_list_groups_for_user(UserPoolId=POOL_ID, Username=confirmed_user)["Groups"]
    assert [g["GroupName"] for g in listed] == ["Admin", "Readers"]
    in_group = cognito.list_users_in_group(UserPoolId=POOL_ID, GroupName="Admin")["Users"]
    assert [u["Attributes"] for u in in_group if {"Name": "email", "Value": confirmed_user} in u["Attributes"]]

    tokens = password_auth(cognito, confirmed_user)["AuthenticationResult"]
    assert claims(tokens["IdToken"])["cognito:groups"] == ["Admin", "Readers"]
    assert claims(tokens["AccessToken"])["cognito:groups"] == ["Admin", "Readers"]

    cognito.admin_remove_user_from_group(UserPoolId=POOL_ID, Username=confirmed_user, GroupName="Admin")
    tokens = password_auth(cognito, confirmed_user)["AuthenticationResult"]
    assert claims(tokens["IdToken"])["cognito:groups"] == ["Readers"]

    with pytest.raises(ClientError) as excinfo:
        cognito.admin_add_user_to_group(UserPoolId=POOL_ID, Username=confirmed_user, GroupName="Nope")
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_add_user_to_group(UserPoolId=POOL_ID, Username="nobody@example.com", GroupName="Admin")
    assert error_code(excinfo) == "UserNotFoundException"

    cognito.delete_group(UserPoolId=POOL_ID, GroupName="Readers")
    tokens = password_auth(cognito, confirmed_user)["AuthenticationResult"]
    assert "cognito:groups" not in claims(tokens["IdToken"])
    cognito.delete_group(UserPoolId=POOL_ID, GroupName="Admin")


def test_groups_keep_their_roles_and_id_tokens_name_them(cognito, confirmed_user):
    reader = "arn:aws:iam::123456789012:role/reader"
    writer = "arn:aws:iam::123456789012:role/writer"
    suffix = confirmed_user.split("@")[0]
    readers, writers = f"readers-{suffix}", f"writers-{suffix}"
    group = cognito.create_group(UserPoolId=POOL_ID, GroupName=readers, RoleArn=reader, Precedence=5)["Group"]
    assert (group["RoleArn"], group["Precedence"]) == (reader, 5)
    with pytest.raises(ClientError) as excinfo:
        cognito.create_group(UserPoolId=POOL_ID, GroupName=writers, RoleArn="not-an-arn-but-long-enough")
    assert error_code(excinfo) == "InvalidParameterException"
    cognito.create_group(UserPoolId=POOL_ID, GroupName=writers, RoleArn=writer, Precedence=9)

    # UpdateGroup changes what it is given and keeps the rest.
    updated = cognito.update_group(UserPoolId=POOL_ID, GroupName=writers, Precedence=1)["Group"]
    assert (updated["RoleArn"], updated["Precedence"]) == (writer, 1)
    updated = cognito.update_group(UserPoolId=POOL_ID, GroupName=writers, Description="They write")["Group"]
    assert (updated["Description"], updated["RoleArn"], updated["Precedence"]) == ("They write", writer, 1)
    assert cognito.get_group(UserPoolId=POOL_ID, GroupName=writers)["Group"]["Description"] == "They write"
    with pytest.raises(ClientError) as excinfo:
        cognito.update_group(UserPoolId=POOL_ID, GroupName=f"missing-{suffix}", Precedence=1)
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.update_group(UserPoolId=POOL_ID, GroupName=writers, RoleArn="arn:aws:iam::x:role/no-account")
    assert error_code(excinfo) == "InvalidParameterException"

    # A member's ID token names the roles of their groups, and the best-placed one.
    for name in (readers, writers):
        cognito.admin_add_user_to_group(UserPoolId=POOL_ID, Username=confirmed_user, GroupName=name)
    tokens = password_auth(cognito, confirmed_user)["AuthenticationResult"]
    id_token = claims(tokens["IdToken"])
    assert id_token["cognito:groups"] == [writers, readers]
    assert id_token["cognito:roles"] == [writer, reader]
    assert id_token["cognito:preferred_role"] == writer
    assert "cognito:roles" not in claims(tokens["AccessToken"])

    # Equal precedence, different roles: neither is preferred.
    cognito.update_group(UserPoolId=POOL_ID, GroupName=readers, Precedence=1)
    tokens = password_auth(cognito, confirmed_user)["AuthenticationResult"]
    assert "cognito:preferred_role" not in claims(tokens["IdToken"])
    for name in (readers, writers):
        cognito.delete_group(UserPoolId=POOL_ID, GroupName=name)


def test_list_users_filters_and_pages(cognito, outbox):
    prefix = f"lister{id(outbox)}"
    emails = [f"{prefix}-{i}@example.com" for i in range(5)]
    for email in emails:
        cognito.admin_create_user(UserPoolId=POOL_ID, Username=email, MessageAction="SUPPRESS")

    found = cognito.list_users(UserPoolId=POOL_ID, Filter=f'email ^= "{prefix}"')["Users"]
    assert sorted(a["Value"] for u in found for a in u["Attributes"] if a["Name"] == "email") == emails
    assert all(u["UserStatus"] == "FORCE_CHANGE_PASSWORD" for u in found)

    exact = cognito.list_users(UserPoolId=POOL_ID, Filter=f'email = "{emails[2]}"')["Users"]
    assert len(exact) == 1

    seen, token = [], None
    while True:
        page = cognito.list_users(
            UserPoolId=POOL_ID, Filter=f'email ^= "{prefix}"', Limit=2, **({"PaginationToken": token} if token else {})
        )
        assert len(page["Users"]) <= 2
        seen += [u["Username"] for u in page["Users"]]
        token = page.get("PaginationToken")
        if not token:
            break
    assert len(seen) == 5 and len(set(seen)) == 5

    # The paginator that boto3 ships works too.
    paginated = [
        u
        for page in cognito.get_paginator("list_users").paginate(
            UserPoolId=POOL_ID, Filter=f'email ^= "{prefix}"', PaginationConfig={"PageSize": 2}
        )
        for u in page["Users"]
    ]
    assert len(paginated) == 5

    with pytest.raises(ClientError) as excinfo:
        cognito.list_users(UserPoolId=POOL_ID, Filter='password = "x"')
    assert error_code(excinfo) == "InvalidParameterException"


def test_admin_calls_need_the_right_pool_and_a_signature(cognito, pool_url):
    with pytest.raises(ClientError) as excinfo:
        cognito.list_users(UserPoolId="us-east-1_Other")
    assert error_code(excinfo) == "ResourceNotFoundException"

    import urllib.request

    request = urllib.request.Request(
        pool_url + "/",
        data=json.dumps({"UserPoolId": POOL_ID}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUsers",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request)
    body = json.load(excinfo.value)
    assert body["__type"] == "MissingAuthenticationTokenException"


def test_malformed_requests_get_cognito_errors(pool_url):
    import urllib.request

    def call(target, body):
        request = urllib.request.Request(
            pool_url + "/",
            data=body,
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target},
        )
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(request)
        assert excinfo.value.code == 400
        return json.load(excinfo.value)["__type"]

    assert call("AWSCognitoIdentityProviderService.SignUp", b"{not json") == "SerializationException"
    assert call("AWSCognitoIdentityProviderService.SignUp", b"{}") == "InvalidParameterException"
    assert call("AWSCognitoIdentityProviderService.SignUp", b'{"ClientId": 5}') == "InvalidParameterException"
    assert call("SomethingElse.SignUp", b"{}") == "UnknownOperationException"
    # An operation of Cognito's that the pool does not answer, unsigned and with any body.
    assert call("AWSCognitoIdentityProviderService.StartUserImportJob", b"{not json") == "UnknownOperationException"


def test_operations_the_pool_does_not_answer_are_unknown_to_a_signed_sdk(cognito):
    for call in (
        lambda: cognito.start_user_import_job(UserPoolId=POOL_ID, JobId="import-1"),
        lambda: cognito.get_csv_header(UserPoolId=POOL_ID),
        lambda: cognito.describe_risk_configuration(UserPoolId=POOL_ID),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "UnknownOperationException"


def test_wrong_codes_hit_the_attempt_limit(cognito, outbox, email):
    cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=email, Password=PASSWORD)
    code = outbox(email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ClientError) as excinfo:
            cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=email, ConfirmationCode=wrong)
        assert error_code(excinfo) == "CodeMismatchException"
    # Even the right code is refused now: a new one must be requested.
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=email, ConfirmationCode=code)
    assert error_code(excinfo) == "LimitExceededException"
    cognito.resend_confirmation_code(ClientId=PUBLIC_CLIENT, Username=email)
    cognito.confirm_sign_up(ClientId=PUBLIC_CLIENT, Username=email, ConfirmationCode=outbox(email))


def test_password_attempts_lock_the_account_for_a_while(cognito, confirmed_user):
    for _ in range(5):
        with pytest.raises(ClientError) as excinfo:
            password_auth(cognito, confirmed_user, "not the password")
    with pytest.raises(ClientError) as excinfo:
        password_auth(cognito, confirmed_user)
    assert error_code(excinfo) == "NotAuthorizedException"
    assert excinfo.value.response["Error"]["Message"] == "Password attempts exceeded"


def test_nul_characters_are_refused_and_create_nothing(cognito, confirmed_user):
    """PostgreSQL cannot store U+0000: every operation refuses it before writing anything."""
    nul = "a\x00b"
    email = "nul-" + confirmed_user
    calls = [
        lambda: cognito.sign_up(
            ClientId=PUBLIC_CLIENT, Username=email, Password=PASSWORD,
            UserAttributes=[{"Name": "name", "Value": nul}],
        ),
        lambda: cognito.forgot_password(ClientId=PUBLIC_CLIENT, Username=confirmed_user + "\x00"),
        lambda: password_auth(cognito, confirmed_user, PASSWORD + "\x00"),
        lambda: cognito.admin_get_user(UserPoolId=POOL_ID, Username=confirmed_user + "\x00"),
        lambda: cognito.create_group(UserPoolId=POOL_ID, GroupName=nul),
        lambda: cognito.list_users(UserPoolId=POOL_ID, Filter=f'email = "{nul}"'),
        lambda: cognito.admin_update_user_attributes(
            UserPoolId=POOL_ID, Username=confirmed_user, UserAttributes=[{"Name": "name", "Value": nul}],
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=POOL_ID, Username=email)
    assert error_code(excinfo) == "UserNotFoundException"
    attributes = cognito.admin_get_user(UserPoolId=POOL_ID, Username=confirmed_user)["UserAttributes"]
    assert all(a["Name"] != "name" for a in attributes)
    groups = cognito.list_groups(UserPoolId=POOL_ID)["Groups"]
    assert all(g["GroupName"] != nul for g in groups)
