"""Client credentials with Authlib (PyPI), a library Keyward did not write.

Usage: python authlib_client.py <token_endpoint> <method> <client_id> <secret | pkcs8-pem-file> [alg]
method: client_secret_basic | private_key_jwt (assertion aud = the token endpoint, Authlib's default)
Prints the token response as JSON; exits non-zero on any error.
"""
import json
import sys

from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT

token_endpoint, method, client_id, credential = sys.argv[1:5]
alg = sys.argv[5] if len(sys.argv) > 5 else "RS256"

if method == "client_secret_basic":
    session = OAuth2Session(client_id, credential, token_endpoint_auth_method="client_secret_basic")
elif method == "private_key_jwt":
    with open(credential, encoding="utf-8") as f:
        key = f.read()
    session = OAuth2Session(client_id, key, token_endpoint_auth_method="private_key_jwt")
    session.register_client_auth_method(PrivateKeyJWT(token_endpoint, alg=alg))
else:
    raise SystemExit(f"unknown method {method}")

token = session.fetch_token(token_endpoint, grant_type="client_credentials")
print(json.dumps({"access_token": token["access_token"], "token_type": token["token_type"]}))
