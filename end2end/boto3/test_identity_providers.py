"""A pool's upstream identity providers through boto3, as suites written for AWS use them:
CreateIdentityProvider and the rest, app clients that list them, and upstream identities linked
to the pool's own users (AdminLinkProviderForUser, AdminDisableProviderForUser)."""

import datetime
import html
import json
import re
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from conftest import client_for, running_pool, unique_name
from test_user_pools import fetch, jwt_part, pkce_pair, set_cookies

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


DECLARED_POOL = "us-east-1_LocalPool"
APP_CALLBACK = "http://localhost:3000/callback"


@pytest.fixture
def upstream_pool():
    """A second `userpool` server, whose declared pool is the upstream; yields its URL."""
    with running_pool(own_database=True) as url:
        yield url


def follow(url, cookies, form=None):
    """One step of a browser that keeps `cookies`: the status, the Location, and the page."""
    status, headers, page = fetch(url, form=form, cookies=cookies)
    cookies.update(set_cookies(headers))
    location = headers.get("Location")
    if location and location.startswith("/"):
        location = urllib.parse.urljoin(url, location)
    return status, location, page


def sign_in_through_upstream(broker_url, broker, pool_id, upstream_url, details=None):
    """A browser's sign-in at `broker_url`'s pool `pool_id` through a second userpool server at
    `upstream_url` (its declared pool is the upstream): makes the upstream's client and user, the
    provider (with `details` added) and an app client that lists it, then follows the hosted UI's
    "Continue with" button there and back. Returns what the app's callback got (its query), the
    app's tokens for a code, and who signed in; the provider and app client are deleted after."""
    upstream = client_for(upstream_url)
    at_upstream = upstream.create_user_pool_client(
        UserPoolId=DECLARED_POOL,
        ClientName="broker",
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[f"{broker_url}/oauth2/idpresponse"],
        SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]
    email = f"{unique_name('ada')}@upstream.example"
    upstream.admin_create_user(UserPoolId=DECLARED_POOL, Username=email, MessageAction="SUPPRESS")
    upstream.admin_set_user_password(
        UserPoolId=DECLARED_POOL, Username=email, Password="a password upstream", Permanent=True
    )
    upstream_sub = upstream.admin_get_user(UserPoolId=DECLARED_POOL, Username=email)["Username"]

    name = unique_name("Up").replace("-", "")[:20]
    broker.create_identity_provider(
        UserPoolId=pool_id,
        ProviderName=name,
        ProviderType="OIDC",
        ProviderDetails={
            "client_id": at_upstream["ClientId"],
            "client_secret": at_upstream["ClientSecret"],
            "authorize_scopes": "openid email",
            "oidc_issuer": f"{upstream_url}/{DECLARED_POOL}",
            **(details or {}),
        },
        AttributeMapping={"email": "email"},
    )
    app = broker.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[APP_CALLBACK],
        SupportedIdentityProviders=["COGNITO", name],
    )["UserPoolClient"]
    try:
        verifier, challenge = pkce_pair()
        oauth = {
            "response_type": "code",
            "client_id": app["ClientId"],
            "redirect_uri": APP_CALLBACK,
            "state": "app-state",
            "scope": "openid email",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        cookies = {}
        # The hosted UI offers the provider; its button is the request with identity_provider=.
        status, _, page = follow(f"{broker_url}/login?{urllib.parse.urlencode(oauth)}", cookies)
        assert status == 200 and f"Continue with {name}" in page
        status, location, _ = follow(
            f"{broker_url}/oauth2/authorize?{urllib.parse.urlencode({**oauth, 'identity_provider': name})}", cookies
        )
        assert status == 302 and location.startswith(f"{upstream_url}/oauth2/authorize?"), location
        sent = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        assert sent["code_challenge_method"] == "S256" and sent["nonce"] and sent["state"]
        assert sent["redirect_uri"] == f"{broker_url}/oauth2/idpresponse"

        upstream_cookies = {}
        status, location, _ = follow(location, upstream_cookies)
        status, _, page = follow(location, upstream_cookies)
        assert status == 200, page
        form = dict(sent)
        form["_csrf"] = html.unescape(re.search(r'name="_csrf" value="([^"]*)"', page).group(1))
        form.update(username=email, password="a password upstream")
        status, location, page = follow(f"{upstream_url}/login", upstream_cookies, form=form)
        assert status == 302 and location.startswith(f"{broker_url}/oauth2/idpresponse?"), page

        # Another browser (without this one's cookie) cannot use the answer.
        status, _, _ = fetch(location)
        assert status == 400
        status, location, page = follow(location, cookies)
        assert status == 302 and location.startswith(APP_CALLBACK), page
        answer = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        assert answer["state"] == "app-state", answer
        tokens = None
        if "code" in answer:
            status, _, body = fetch(
                f"{broker_url}/oauth2/token",
                form={
                    "grant_type": "authorization_code",
                    "client_id": app["ClientId"],
                    "code": answer["code"],
                    "redirect_uri": APP_CALLBACK,
                    "code_verifier": verifier,
                },
            )
            assert status == 200, body
            tokens = json.loads(body)
        return {
            "answer": answer,
            "tokens": tokens,
            "provider": name,
            "username": f"{name}_{upstream_sub}",
            "upstream_sub": upstream_sub,
            "email": email,
            "client_id": app["ClientId"],
        }
    finally:
        broker.delete_user_pool_client(UserPoolId=pool_id, ClientId=app["ClientId"])
        broker.delete_identity_provider(UserPoolId=pool_id, ProviderName=name)


def test_another_userpool_is_the_upstream_of_a_sign_in(pool_url, cognito, upstream_pool):
    """The pool is an OpenID relying party of a second userpool server: the browser goes there,
    signs in on its hosted UI, comes back through /oauth2/idpresponse, and the app gets tokens of
    an EXTERNAL_PROVIDER user with the upstream's address, identities and the provider's group."""
    # Cognito's userInfo answers POST too.
    signed_in = sign_in_through_upstream(
        pool_url, cognito, DECLARED_POOL, upstream_pool, details={"attributes_request_method": "POST"}
    )
    claims = jwt_part(signed_in["tokens"]["id_token"], 1)
    name = signed_in["provider"]
    assert claims["email"] == signed_in["email"]
    assert claims["cognito:username"] == signed_in["username"]
    assert claims["identities"][0]["providerName"] == name
    assert claims["identities"][0]["userId"] == signed_in["upstream_sub"]
    assert f"{DECLARED_POOL}_{name}" in claims["cognito:groups"]
    user = cognito.admin_get_user(UserPoolId=DECLARED_POOL, Username=signed_in["username"])
    assert user["UserStatus"] == "EXTERNAL_PROVIDER"
