"""A pool's upstream identity providers through boto3, as suites written for AWS use them:
CreateIdentityProvider and the rest, app clients that list them, and upstream identities linked
to the pool's own users (AdminLinkProviderForUser, AdminDisableProviderForUser)."""

import datetime

import pytest
from botocore.exceptions import ClientError

ISSUER = "https://id.example.com"
DETAILS = {
    "client_id": "pool-at-upstream",
    "client_secret": "upstream secret",
    "authorize_scopes": "openid email profile",
    "oidc_issuer": ISSUER,
}


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def new_provider(cognito, pool_id, name="Upstream", **extra):
    settings = {"ProviderType": "OIDC", "ProviderDetails": DETAILS, **extra}
    return cognito.create_identity_provider(UserPoolId=pool_id, ProviderName=name, **settings)["IdentityProvider"]


def test_a_provider_is_answered_and_described_as_cognito_completes_it(new_pool, cognito):
    """Cognito adds the request method, attributes_url_add_attributes and username ← sub."""
    pool_id = new_pool()["Id"]
    created = new_provider(
        cognito, pool_id, AttributeMapping={"email": "email"}, IdpIdentifiers=["example.com"]
    )
    assert created["UserPoolId"] == pool_id
    assert created["ProviderName"] == "Upstream"
    assert created["ProviderType"] == "OIDC"
    assert created["ProviderDetails"] == {
        **DETAILS,
        "attributes_request_method": "GET",
        "attributes_url_add_attributes": "false",
    }
    assert created["AttributeMapping"] == {"email": "email", "username": "sub"}
    assert created["IdpIdentifiers"] == ["example.com"]
    assert isinstance(created["CreationDate"], datetime.datetime)
    described = cognito.describe_identity_provider(UserPoolId=pool_id, ProviderName="Upstream")
    assert described["IdentityProvider"] == created
    by_identifier = cognito.get_identity_provider_by_identifier(UserPoolId=pool_id, IdpIdentifier="example.com")
    assert by_identifier["IdentityProvider"]["ProviderName"] == "Upstream"


def test_google_gets_googles_endpoints(new_pool, cognito):
    pool_id = new_pool()["Id"]
    google = cognito.create_identity_provider(
        UserPoolId=pool_id,
        ProviderName="Google",
        ProviderType="Google",
        ProviderDetails={"client_id": "g", "client_secret": "s", "authorize_scopes": "openid email"},
    )["IdentityProvider"]
    assert google["ProviderDetails"]["oidc_issuer"] == "https://accounts.google.com"
    assert google["ProviderDetails"]["authorize_url"] == "https://accounts.google.com/o/oauth2/v2/auth"
    assert google["ProviderDetails"]["token_url"] == "https://www.googleapis.com/oauth2/v4/token"


@pytest.mark.parametrize(
    "name,settings",
    [
        ("Upstream", {"ProviderType": "OIDC", "ProviderDetails": {**DETAILS, "oidc_issuer": "not a url"}}),
        ("Upstream", {"ProviderType": "OIDC", "ProviderDetails": {k: v for k, v in DETAILS.items() if k != "client_id"}}),
        ("Upstream", {"ProviderType": "OIDC", "ProviderDetails": {**DETAILS, "authorize_scopes": "email"}}),
        ("Upstream", {"ProviderType": "OIDC", "ProviderDetails": {**DETAILS, "attributes_request_method": "PUT"}}),
        ("Upstream", {"ProviderType": "OIDC", "ProviderDetails": DETAILS, "AttributeMapping": {"shoe_size": "x"}}),
        ("Upstream", {"ProviderType": "SAML", "ProviderDetails": {"MetadataURL": "https://idp.example.com/saml"}}),
        ("COGNITO", {"ProviderType": "OIDC", "ProviderDetails": DETAILS}),
        ("Up_stream", {"ProviderType": "OIDC", "ProviderDetails": DETAILS}),
    ],
)
def test_what_cognito_refuses_is_refused_and_nothing_is_made(new_pool, cognito, name, settings):
    pool_id = new_pool()["Id"]
    with pytest.raises(ClientError) as excinfo:
        cognito.create_identity_provider(UserPoolId=pool_id, ProviderName=name, **settings)
    assert error_code(excinfo) == "InvalidParameterException"
    assert cognito.list_identity_providers(UserPoolId=pool_id)["Providers"] == []


def test_names_and_identifiers_are_taken_once_per_pool(new_pool, cognito):
    pool_id = new_pool()["Id"]
    new_provider(cognito, pool_id, IdpIdentifiers=["example.com"])
    with pytest.raises(ClientError) as excinfo:
        new_provider(cognito, pool_id)
    assert error_code(excinfo) == "DuplicateProviderException"
    with pytest.raises(ClientError) as excinfo:
        new_provider(cognito, pool_id, name="Other", IdpIdentifiers=["example.com"])
    assert error_code(excinfo) == "DuplicateProviderException"
    # Another pool may have both.
    new_provider(cognito, new_pool()["Id"], IdpIdentifiers=["example.com"])


def test_update_replaces_what_it_gives_and_keeps_the_secret(new_pool, cognito):
    pool_id = new_pool()["Id"]
    created = new_provider(cognito, pool_id)
    updated = cognito.update_identity_provider(
        UserPoolId=pool_id,
        ProviderName="Upstream",
        ProviderDetails={"authorize_scopes": "openid email"},
        AttributeMapping={"email": "mail"},
    )["IdentityProvider"]
    assert updated["ProviderDetails"]["authorize_scopes"] == "openid email"
    assert updated["ProviderDetails"]["client_secret"] == "upstream secret"
    assert updated["AttributeMapping"] == {"email": "mail", "username": "sub"}
    assert updated["CreationDate"] == created["CreationDate"]
    with pytest.raises(ClientError) as excinfo:
        cognito.update_identity_provider(UserPoolId=pool_id, ProviderName="Nobody", AttributeMapping={})
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_listing_pages_through_every_provider(new_pool, cognito):
    pool_id = new_pool()["Id"]
    names = [f"Upstream{i:02}" for i in range(7)]
    for name in names:
        new_provider(cognito, pool_id, name=name)
    seen, token = [], None
    while True:
        page = cognito.list_identity_providers(UserPoolId=pool_id, MaxResults=3, **({"NextToken": token} if token else {}))
        assert len(page["Providers"]) <= 3
        seen += [p["ProviderName"] for p in page["Providers"]]
        assert all(set(p) == {"ProviderName", "ProviderType", "LastModifiedDate", "CreationDate"} for p in page["Providers"])
        token = page.get("NextToken")
        if not token:
            break
    assert seen == names
    with pytest.raises(ClientError) as excinfo:
        cognito.list_identity_providers(UserPoolId=pool_id, MaxResults=61)
    assert error_code(excinfo) == "InvalidParameterException"


def test_clients_list_providers_that_exist_and_keep_them(new_pool, cognito):
    """A client may list the pool's providers only; a provider a client lists is not deleted."""
    pool_id = new_pool()["Id"]
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="app", SupportedIdentityProviders=["Upstream"])
    assert error_code(excinfo) == "InvalidParameterException"
    new_provider(cognito, pool_id)
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", SupportedIdentityProviders=["COGNITO", "Upstream"]
    )["UserPoolClient"]
    assert client["SupportedIdentityProviders"] == ["COGNITO", "Upstream"]
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_identity_provider(UserPoolId=pool_id, ProviderName="Upstream")
    assert error_code(excinfo) == "UnsupportedIdentityProviderException"
    cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"], SupportedIdentityProviders=["COGNITO"])
    cognito.delete_identity_provider(UserPoolId=pool_id, ProviderName="Upstream")
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_identity_provider(UserPoolId=pool_id, ProviderName="Upstream")
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_identity_provider(UserPoolId=pool_id, ProviderName="Upstream")
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_an_upstream_identity_is_linked_to_a_user_once_and_taken_away(new_pool, cognito):
    pool_id = new_pool(UsernameAttributes=["email"])["Id"]
    new_provider(cognito, pool_id)
    cognito.admin_create_user(UserPoolId=pool_id, Username="ada@example.com", MessageAction="SUPPRESS")
    cognito.admin_create_user(UserPoolId=pool_id, Username="bob@example.com", MessageAction="SUPPRESS")
    source = {"ProviderName": "Upstream", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "u-1"}

    def link(username, source=source):
        cognito.admin_link_provider_for_user(
            UserPoolId=pool_id,
            DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": username},
            SourceUser=source,
        )

    link("ada@example.com")
    attributes = cognito.admin_get_user(UserPoolId=pool_id, Username="ada@example.com")["UserAttributes"]
    identities = next(a["Value"] for a in attributes if a["Name"] == "identities")
    assert '"userId":"u-1"' in identities and '"providerName":"Upstream"' in identities
    with pytest.raises(ClientError) as excinfo:
        link("bob@example.com")
    assert error_code(excinfo) == "AliasExistsException"
    with pytest.raises(ClientError) as excinfo:
        link("nobody@example.com", {**source, "ProviderAttributeValue": "u-2"})
    assert error_code(excinfo) == "UserNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        link("bob@example.com", {**source, "ProviderName": "Elsewhere"})
    assert error_code(excinfo) == "InvalidParameterException"

    cognito.admin_disable_provider_for_user(UserPoolId=pool_id, User=source)
    attributes = cognito.admin_get_user(UserPoolId=pool_id, Username="ada@example.com")["UserAttributes"]
    assert "identities" not in {a["Name"] for a in attributes}
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_disable_provider_for_user(UserPoolId=pool_id, User=source)
    assert error_code(excinfo) == "UserNotFoundException"
