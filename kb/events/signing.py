"""Standard Webhooks secrets and signatures (https://www.standardwebhooks.com/).

A secret is `whsec_<base64 of random bytes>`; the HMAC key is the decoded bytes. A signature
is `v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{raw body}")>`. Written with
hmac directly (a few lines); the tests check it against the `standardwebhooks` package.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
#: 32 random bytes: inside the 24–64 the specification asks for
SECRET_BYTES = 32


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of `whsec_<base64 of 24-64 bytes>`; ValueError says what is wrong."""
    if not secret.startswith(PREFIX):
        raise ValueError("a signing secret starts with whsec_")
    body = secret[len(PREFIX) :]
    try:
        key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("after whsec_ a signing secret is base64") from None
    if not 24 <= len(key) <= 64:
        raise ValueError(f"a signing secret holds 24 to 64 random bytes, not {len(key)}")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")
