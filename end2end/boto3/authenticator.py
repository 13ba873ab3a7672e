"""A software passkey authenticator for the tests, answering as a browser with a platform
authenticator does: WebAuthn Level 3's JSON (`RegistrationResponseJSON`,
`AuthenticationResponseJSON`), the user present and verified, "none" attestation, an ES256 key,
and a sign counter that grows. Built on Yubico's `fido2` (CBOR, COSE) and `cryptography`."""

import base64
import hashlib
import json
import os
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2 import cbor
from fido2.cose import ES256

USER_PRESENT, USER_VERIFIED, ATTESTED = 0x01, 0x04, 0x40


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Authenticator:
    """Holds one passkey, made by `register` for the relying party the options name."""

    def __init__(self, origin):
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.rp_id = None
        self.user_handle = None
        self.counter = 0

    def _credential(self, response):
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": response,
        }

    def _client_data(self, kind, challenge, origin):
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin}).encode()

    def register(self, options, origin=None, rp_id=None):
        """`navigator.credentials.create` for PublicKeyCredentialCreationOptionsJSON `options`."""
        self.rp_id = rp_id or options["rp"]["id"]
        self.user_handle = options["user"]["id"]
        public_key = cbor.encode(ES256.from_cryptography_key(self.key.public_key()))
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([USER_PRESENT | USER_VERIFIED | ATTESTED])
            + struct.pack(">I", self.counter)
            + bytes(16)
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + public_key
        )
        attestation = cbor.encode({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return self._credential({
            "clientDataJSON": b64url(self._client_data("webauthn.create", options["challenge"], origin)),
            "attestationObject": b64url(attestation),
            "transports": ["internal"],
        })

    def sign_in(self, options, origin=None, counter=None):
        """`navigator.credentials.get` for PublicKeyCredentialRequestOptionsJSON `options`."""
        self.counter = self.counter + 1 if counter is None else counter
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([USER_PRESENT | USER_VERIFIED])
            + struct.pack(">I", self.counter)
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return self._credential({
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
            "userHandle": self.user_handle,
        })
