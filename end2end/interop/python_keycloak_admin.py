"""python-keycloak (PyPI) against Keyward's Admin REST API and token endpoint, unchanged.

Usage: python_keycloak_admin.py SERVER_URL CLIENT_ID CLIENT_SECRET CERT_PEM_FILE

CLIENT_ID / CLIENT_SECRET: a master-realm client with the admin API role (Keyward's bootstrap
admin client). CERT_PEM_FILE: an X.509 certificate to upload (Certificate PEM).

No patching: the library's own methods (KeycloakAdmin, KeycloakOpenIDConnection,
KeycloakOpenID) wherever it has one, and its authenticated connection (admin.connection.raw_get /
raw_post / raw_delete) for what it has no method for. Runs the automation flow of the TypeScript
suite (keycloak_admin_client.mjs) step by step, each step asserted, and prints one JSON object
with what the Rust test (server/tests/interop_python_keycloak.rs) checks; exits non-zero with the
failing step, the HTTP status and body on the first failure. Every request the library sends is
written to stderr (urllib3's own debug log, read only), with each step's name.
"""

import base64
import hashlib
import json
import logging
import sys
import time
import uuid
from importlib import metadata

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs12
from keycloak import KeycloakAdmin, KeycloakOpenID, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakError

if len(sys.argv) != 5:
    sys.stderr.write(__doc__)
    sys.exit(2)
server_url, admin_id, admin_secret, cert_file = sys.argv[1:5]
BASE = server_url.rstrip("/")

REALM = "pk-realm"
CLIENT = "pk-client"
ATTR = "jwt.credential"
STORE_PASSWORD = "changeit-pk"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

with open(cert_file, encoding="ascii") as f:
    CERT_PEM = f.read()
CERT_B64 = "".join(line.strip() for line in CERT_PEM.splitlines() if not line.startswith("-----"))

# What went over the wire (urllib3 logs each request with its status), for the failure report.
logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(message)s")
logging.getLogger("urllib3.connectionpool").setLevel(logging.DEBUG)

out = {"library": "python-keycloak", "version": metadata.version("python-keycloak"), "steps": []}
current = ""


class StepFailure(Exception):
    """A failed check of a step."""


def check(cond, message):
    if not cond:
        raise StepFailure(message)


def body_of(raw):
    """A response body as JSON when it is JSON, else as text."""
    if raw is None:
        return None
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode("utf-8", "replace")
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def describe(e):
    if isinstance(e, StepFailure):
        return str(e)
    if isinstance(e, KeycloakError):
        body = body_of(e.response_body)
        text = body if isinstance(body, str) else json.dumps(body)
        return f"HTTP {e.response_code} ({type(e).__name__}): {(text or '')[:500]}"
    return f"{type(e).__name__}: {e}"


def step(name):
    """Runs the decorated function at once as the step `name`; its result replaces it."""

    def run(fn):
        global current
        current = name
        sys.stderr.write(f"--- {name}\n")
        value = fn()
        out["steps"].append(name)
        return value

    return run


def http_error(fn):
    """Runs a library call that must fail with an HTTP error; returns (status, body, error)."""
    try:
        r = fn()
    except KeycloakError as e:
        check(e.response_code is not None, f"no HTTP status: {e!r}")
        return e.response_code, body_of(e.response_body), e
    raise StepFailure(f"expected an HTTP error, got success: {r!r}")


def expect(response, status):
    """A raw response that must have `status`; its body (JSON when it is)."""
    body = body_of(response.content) if response.content else None
    check(
        response.status_code == status,
        f"HTTP {response.status_code} (expected {status}) {response.request.method} "
        f"{response.url}: {response.content[:500].decode('utf-8', 'replace')}",
    )
    return body


def token_status(fn):
    """The token endpoint's status for a KeycloakOpenID.token call (200 or the error's)."""
    try:
        t = fn()
    except KeycloakError as e:
        return e.response_code, body_of(e.response_body)
    return 200, t


def secret_token(secret):
    """client_credentials at the realm's token endpoint, with the secret (client_secret_post)."""
    oidc = KeycloakOpenID(
        server_url=BASE, realm_name=REALM, client_id=CLIENT, client_secret_key=secret
    )
    return token_status(lambda: oidc.token(grant_type="client_credentials"))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def assertion(key, with_kid):
    """A private_key_jwt client assertion (RFC 7523), RS256 as Keycloak's adapter signs it: kid
    = base64url SHA-256 of the public key's SubjectPublicKeyInfo."""
    header = {"alg": "RS256", "typ": "JWT"}
    if with_kid:
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        header["kid"] = b64url(hashlib.sha256(spki).digest())
    now = int(time.time())
    claims = {
        "iss": CLIENT,
        "sub": CLIENT,
        "aud": f"{BASE}/realms/{REALM}",
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
    }
    signing_input = (
        b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    )
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(signature)


def jwt_token(jwt):
    """client_credentials at the realm's token endpoint with a client assertion."""
    oidc = KeycloakOpenID(server_url=BASE, realm_name=REALM, client_id=CLIENT)
    return token_status(
        lambda: oidc.token(
            grant_type="client_credentials",
            client_assertion_type=ASSERTION_TYPE,
            client_assertion=jwt,
        )
    )


def main():
    connection = KeycloakOpenIDConnection(
        server_url=BASE,
        realm_name="master",
        user_realm_name="master",
        client_id=admin_id,
        client_secret_key=admin_secret,
        verify=True,
    )
    admin = KeycloakAdmin(connection=connection)
    raw = admin.connection

    # Errors first: wrong credentials at auth answer 401.
    @step("auth with a wrong secret → 401")
    def _():
        bad = KeycloakOpenIDConnection(
            server_url=BASE,
            realm_name="master",
            user_realm_name="master",
            client_id=admin_id,
            client_secret_key="wrong-secret",
        )
        status, body, e = http_error(bad.get_token)
        check(isinstance(e, KeycloakAuthenticationError), f"{type(e).__name__}: {describe(e)}")
        check(status == 401, f"status {status}: {body}")
        check(isinstance(body, dict) and body.get("error") == "invalid_client", f"body {body}")
        out["wrong_credentials"] = status
        out["wrong_credentials_error"] = type(e).__name__

    @step("auth (client_credentials, master)")
    def _():
        connection.get_token()
        token = (connection.token or {}).get("access_token", "")
        check(isinstance(token, str) and token.count(".") == 2, f"token {connection.token}")
        out["authenticated"] = True

    @step("get_realms")
    def _():
        realms = admin.get_realms()
        check(any(r.get("realm") == "master" for r in realms), f"realms {realms}")
        out["realms_listed"] = [r.get("realm") for r in realms]

    realm_rep = {
        "realm": REALM,
        "displayName": "From python-keycloak",
        "enabled": True,
        "notAKeycloakField": 42,
    }

    @step("create_realm (with an unknown field) → 201; get_realm")
    def _():
        admin.create_realm(realm_rep)
        got = admin.get_realm(REALM)
        check(got.get("realm") == REALM, f"get_realm {got}")
        check("notAKeycloakField" not in got, f"the unknown field was kept: {got}")
        out["realm"] = {k: got.get(k) for k in ("realm", "displayName", "enabled")}

    @step("create_realm the same realm again → 409")
    def _():
        status, body, _ = http_error(lambda: admin.create_realm(realm_rep))
        check(status == 409 and isinstance(body, dict), f"status {status}: {body}")
        out["realm_duplicate"] = status
        out["realm_duplicate_body"] = body
        # Keycloak's exact body (ErrorResponse.exists: errorMessage alone). python-keycloak's
        # create_realm(skip_exists=True) compares the whole body with the few it knows ("Realm
        # test already exists", "Conflict detected…"), so against Keycloak 26 as against
        # Keyward it passes only for a realm named "test"; not used here.
        check(body == {"errorMessage": f"Realm {REALM} already exists"}, f"body {body}")

    admin.change_current_realm(REALM)
    client_rep = {
        "clientId": CLIENT,
        "name": "python-keycloak",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "serviceAccountsEnabled": True,
        "standardFlowEnabled": False,
        "redirectUris": [],
        "alsoNotAKeycloakField": {"nested": True},
    }

    @step("create_client (with an unknown field) → 201")
    def _():
        created = admin.create_client(client_rep)
        check(isinstance(created, str) and created, f"create_client returned {created!r}")
        return created

    client_uuid = _
    out["client_uuid"] = client_uuid

    @step("create_client the same clientId again → 409 (skip_exists=True: the existing id)")
    def _():
        status, body, e = http_error(lambda: admin.create_client(client_rep))
        check(status == 409, f"status {status}: {body}")
        check(isinstance(body, dict), f"not a JSON error: {body}")
        out["duplicate"] = status
        out["duplicate_message"] = body.get("errorMessage")
        out["skip_exists_id"] = admin.create_client(client_rep, skip_exists=True)

    @step("get_client_id (search by clientId)")
    def _():
        found = admin.get_client_id(CLIENT)
        check(found == client_uuid, f"get_client_id {found!r}, created {client_uuid!r}")
        out["client_id_lookup"] = found
        listed = admin.get_clients()
        check(any(c.get("id") == client_uuid for c in listed), f"get_clients {listed}")

    @step("get_client")
    def _():
        rep = admin.get_client(client_uuid)
        check(rep.get("clientId") == CLIENT and rep.get("id") == client_uuid, f"get_client {rep}")
        check("alsoNotAKeycloakField" not in rep, "the unknown field was kept")
        out["client"] = {
            k: rep.get(k) for k in ("clientId", "clientAuthenticatorType", "publicClient")
        }

    @step("generate_client_secrets; the secret at the token endpoint (KeycloakOpenID.token)")
    def _():
        cred = admin.generate_client_secrets(client_uuid)
        value = cred.get("value")
        check(cred.get("type") == "secret" and isinstance(value, str), f"credential {cred}")
        check(len(value) >= 32, f"a short secret: {len(value)} characters")
        status, t = secret_token(value)
        check(status == 200 and isinstance(t.get("access_token"), str), f"token {status}: {t}")
        out["regenerated_len"] = len(value)
        out["token_status"] = status
        out["token_type"] = t.get("token_type")
        # The library verifies the token with the realm's JWKS (KeycloakOpenID.certs).
        oidc = KeycloakOpenID(server_url=BASE, realm_name=REALM, client_id=CLIENT)
        claims = oidc.decode_token(t["access_token"], validate=True)
        check(claims.get("iss") == f"{BASE}/realms/{REALM}", f"claims {claims}")
        check(claims.get("azp", claims.get("client_id")) == CLIENT, f"claims {claims}")
        out["token_verified"] = True
        out["token_issuer"] = claims["iss"]
        # KeycloakOpenID.public_key reads Keycloak's realm info (GET /realms/{realm}): the
        # realm's signing key as base64 SubjectPublicKeyInfo, the one that signed the token.
        from cryptography.hazmat.primitives.serialization import load_der_public_key
        import base64
        realm_key = load_der_public_key(base64.b64decode(oidc.public_key()))
        certs = oidc.certs()["keys"]
        kid = json.loads(base64.urlsafe_b64decode(t["access_token"].split(".")[0] + "=="))["kid"]
        jwk = next(k for k in certs if k["kid"] == kid)
        if jwk["kty"] == "EC":
            numbers = realm_key.public_numbers()
            as_b64 = lambda n: base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()
            check((as_b64(numbers.x), as_b64(numbers.y)) == (jwk["x"], jwk["y"]), f"public_key is not {jwk}")
        else:
            n = realm_key.public_numbers().n
            as_b64 = base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()
            check(as_b64 == jwk["n"], f"public_key is not {jwk}")
        out["realm_public_key"] = True
        return value

    first_secret = _

    @step("get_client_secrets")
    def _():
        cred = admin.get_client_secrets(client_uuid)
        check(cred.get("type") == "secret", f"get_client_secrets {cred}")
        out["secret_type"] = cred["type"]
        out["secret_value_shown"] = "value" in cred
        if "value" in cred:
            check(cred["value"] == first_secret, "get_client_secrets shows another secret")

    rotated_path = f"admin/realms/{REALM}/clients/{client_uuid}/client-secret/rotated"

    @step("rotated secret read (raw_get client-secret/rotated) and invalidated (raw_delete)")
    def _():
        # A second regeneration: the first secret becomes the rotated one (Keyward keeps it for
        # the realm's overlap; Keycloak only with a secret-rotation client policy).
        current_secret = admin.generate_client_secrets(client_uuid)["value"]
        check(current_secret != first_secret, "the same secret twice")
        status, t = secret_token(current_secret)
        check(status == 200, f"token with the new secret: {status} {t}")
        out["previous_secret_after_regenerate"] = secret_token(first_secret)[0]
        # python-keycloak 7 has no method for the rotated secret: its connection, its token.
        rotated = expect(raw.raw_get(rotated_path), 200)
        check(isinstance(rotated, dict) and rotated.get("type") == "secret", f"rotated {rotated}")
        if "value" in rotated:
            check(rotated["value"] == first_secret, "the rotated secret is not the previous one")
        out["rotated_before"] = 200
        expect(raw.raw_delete(rotated_path), 204)
        out["invalidated"] = True
        after = raw.raw_get(rotated_path)
        out["rotated_after"] = after.status_code
        check(after.status_code == 404, f"GET rotated after invalidating: {after.status_code}")
        check(isinstance(body_of(after.content), dict), f"not JSON: {after.content[:200]}")
        status, body = secret_token(first_secret)
        check(status == 401, f"token with the invalidated rotated secret: {status} {body}")
        out["previous_secret_after_invalidate"] = status
        status, body = secret_token(current_secret)
        check(status == 200, f"token with the current secret after invalidating: {status} {body}")
        return current_secret

    secret = _

    @step("get_client_installation_provider keycloak-oidc-keycloak-json")
    def _():
        inst = admin.get_client_installation_provider(client_uuid, "keycloak-oidc-keycloak-json")
        check(inst.get("resource") == CLIENT and inst.get("realm") == REALM, f"installation {inst}")
        check(isinstance(inst.get("auth-server-url"), str), f"no auth-server-url: {inst}")
        # credentials.secret may be the real secret: left out of the output.
        out["installation"] = {k: v for k, v in inst.items() if k != "credentials"}
        out["installation_has_credentials"] = "credentials" in inst

    @step("update_client → client-jwt (the representation read back, changed, sent)")
    def _():
        fresh = admin.get_client(client_uuid)
        fresh["clientAuthenticatorType"] = "client-jwt"
        fresh["attributes"] = {
            **(fresh.get("attributes") or {}),
            "token.endpoint.auth.signing.alg": "RS256",
        }
        admin.update_client(client_uuid, fresh)
        after = admin.get_client(client_uuid)
        check(after.get("clientAuthenticatorType") == "client-jwt", f"after update: {after}")
        out["after_update"] = {
            "clientAuthenticatorType": after.get("clientAuthenticatorType"),
            "alg": (after.get("attributes") or {}).get("token.endpoint.auth.signing.alg"),
        }
        # Keycloak: a client-jwt client is not authenticated by its secret any more.
        out["secret_after_client_jwt"] = secret_token(secret)[0]

    certs_path = f"admin/realms/{REALM}/clients/{client_uuid}/certificates/{ATTR}"

    @step("generate a key (raw_post certificates/jwt.credential/generate)")
    def _():
        # python-keycloak 7 has no method for generate.
        c = expect(raw.raw_post(f"{certs_path}/generate", data=None), 200)
        check(isinstance(c, dict) and isinstance(c.get("certificate"), str), f"generate {c}")
        check(len(c["certificate"]) > 100, f"generate {c}")
        out["generated_certificate_len"] = len(c["certificate"])
        out["generated_private_key"] = "privateKey" in c
        info = admin.get_client_certificate_key_info(client_uuid, ATTR)
        check(info.get("certificate") == c["certificate"], f"key info after generate: {info}")

    @step("upload_certificate (Certificate PEM)")
    def _():
        c = admin.upload_certificate(client_uuid, CERT_PEM)
        check(c.get("certificate") == CERT_B64, f"upload_certificate returned another: {c}")
        out["uploaded_certificate"] = c["certificate"]

    @step("upload_certificate the same certificate again → 200, one key registered")
    def _():
        c = admin.upload_certificate(client_uuid, CERT_PEM)
        check(c.get("certificate") == CERT_B64, f"the second upload returned another: {c}")
        out["uploaded_twice"] = True
        # Keyward's key list (no Keycloak counterpart: Keycloak keeps one certificate).
        keys = expect(raw.raw_get(f"admin/realms/{REALM}/clients/{client_uuid}/keys"), 200)
        with_cert = [k for k in keys if k.get("certificate") == CERT_B64]
        active = [k for k in keys if k.get("active")]
        check(len(with_cert) == 1, f"{len(with_cert)} keys with the uploaded certificate: {keys}")
        check(len(active) == 1 and active[0].get("certificate") == CERT_B64, f"active: {active}")
        out["uploaded_keys"] = len(with_cert)
        out["active_keys"] = len(active)

    @step("get_client_certificate_key_info")
    def _():
        info = admin.get_client_certificate_key_info(client_uuid, ATTR)
        check(info.get("certificate") == CERT_B64, f"key info after the upload: {info}")
        out["key_info_is_uploaded"] = True

    @step("generate-and-download a PKCS12 (raw_post); its key signs a private_key_jwt → token")
    def _():
        # python-keycloak 7 has no method for generate-and-download: Keycloak's KeyStoreConfig.
        response = raw.raw_post(
            f"{certs_path}/generate-and-download",
            data=json.dumps(
                {
                    "format": "PKCS12",
                    "keyAlias": CLIENT,
                    "keyPassword": STORE_PASSWORD,
                    "storePassword": STORE_PASSWORD,
                    "keySize": 2048,
                    "validity": 1,
                }
            ),
        )
        p12 = response.content
        check(response.status_code == 200, f"HTTP {response.status_code}: {p12[:500]!r}")
        check(p12[:1] == b"\x30" and len(p12) > 1000, f"not a PKCS12: {p12[:8].hex()} ({len(p12)})")
        out["keystore_status"] = response.status_code
        out["keystore_head"] = p12[:2].hex()
        out["keystore_b64"] = base64.b64encode(p12).decode("ascii")
        key, cert, _ = pkcs12.load_key_and_certificates(p12, STORE_PASSWORD.encode())
        check(key is not None and cert is not None, "no key or no certificate in the keystore")
        in_store = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        info = admin.get_client_certificate_key_info(client_uuid, ATTR)
        check(info.get("certificate") == in_store, f"key info is not the keystore's: {info}")
        out["keystore_certificate"] = in_store
        jwt = assertion(key, with_kid=True)
        status, t = jwt_token(jwt)
        check(status == 200 and isinstance(t.get("access_token"), str), f"token {status}: {t}")
        out["keystore_token_status"] = status
        out["keystore_token_type"] = t.get("token_type")
        out["keystore_token_without_kid"] = jwt_token(assertion(key, with_kid=False))[0]
        # The same assertion again (same jti): a replay, refused by Keycloak.
        out["replayed_assertion"] = jwt_token(jwt)[0]
        check(out["replayed_assertion"] != 200, "a replayed assertion was accepted")

    @step("get_admin_events (operationTypes)")
    def _():
        events = admin.get_admin_events({"operationTypes": "CREATE", "max": 100})
        check(isinstance(events, list) and events, f"events {events}")
        ops = sorted({e.get("operationType") for e in events})
        check(ops == ["CREATE"], f"operationTypes=CREATE gave {ops}")
        created = [e for e in events if e.get("resourcePath") == f"clients/{client_uuid}"]
        check(created, f"no client creation: {[e.get('resourcePath') for e in events]}")
        out["events"] = len(events)
        out["client_created_event"] = True
        out["event_fields"] = sorted(events[0].keys())
        # A list: repeated parameters (operationTypes=CREATE&operationTypes=UPDATE).
        several = admin.get_admin_events({"operationTypes": ["CREATE", "UPDATE"], "max": 100})
        got = sorted({e.get("operationType") for e in several})
        check(got == ["CREATE", "UPDATE"], f"operationTypes=[CREATE, UPDATE] gave {got}")
        out["event_operations_several"] = got
        status, body, _ = http_error(lambda: admin.get_admin_events({"operationTypes": "EXPLODE"}))
        out["events_bad_type"] = status

    # Careless-script inputs and Keycloak's not-found answers.
    @step("get_client of an unknown id → 404 JSON")
    def _():
        status, body, e = http_error(lambda: admin.get_client("no-such-client-id"))
        check(status == 404 and isinstance(body, dict), f"status {status}: {body}")
        out["unknown_client"] = status
        out["unknown_client_body"] = body

    @step("a client id from another realm (master's admin client) → 404")
    def _():
        admin.change_current_realm("master")
        master_uuid = admin.get_client_id(admin_id)
        # and the other way: this realm's client is not in master
        status_other, body_other, _ = http_error(lambda: admin.get_client(client_uuid))
        admin.change_current_realm(REALM)
        check(isinstance(master_uuid, str) and master_uuid, f"master's {admin_id}: {master_uuid}")
        status, body, _ = http_error(lambda: admin.get_client(master_uuid))
        check(status == 404 and isinstance(body, dict), f"status {status}: {body}")
        check(status_other == 404, f"{REALM}'s client in master: {status_other} {body_other}")
        out["other_realm_client"] = status

    @step("an unknown realm → 404 JSON")
    def _():
        status, body, _ = http_error(lambda: admin.get_realm("no-such-realm"))
        check(status == 404 and isinstance(body, dict), f"status {status}: {body}")
        admin.change_current_realm("no-such-realm")
        try:
            status_clients, body_clients, _ = http_error(admin.get_clients)
        finally:
            admin.change_current_realm(REALM)
        check(
            status_clients == 404 and isinstance(body_clients, dict),
            f"get_clients in an unknown realm: {status_clients} {body_clients}",
        )
        out["unknown_realm"] = status
        out["unknown_realm_body"] = body

    @step("a body that is not JSON (raw_post) → 400 JSON, nothing created")
    def _():
        before = len(admin.get_clients())
        body = expect(raw.raw_post(f"admin/realms/{REALM}/clients", data="not json"), 400)
        check(isinstance(body, dict), f"not a JSON error: {body}")
        after = len(admin.get_clients())
        check(after == before, f"{before} clients before, {after} after")
        realms_before = len(admin.get_realms())
        realm_body = expect(raw.raw_post("admin/realms", data="not json"), 400)
        check(isinstance(realm_body, dict), f"not a JSON error: {realm_body}")
        check(len(admin.get_realms()) == realms_before, "a realm was created")
        out["not_json"] = 400
        out["not_json_body"] = body

    @step("a trailing slash on a path (raw_get …/clients/) → 200 list")
    def _():
        listed = expect(raw.raw_get(f"admin/realms/{REALM}/clients/"), 200)
        check(isinstance(listed, list), f"not a list: {listed}")
        check(any(c.get("id") == client_uuid for c in listed), f"lacks the client: {listed}")
        out["trailing_slash"] = 200

    @step("delete_client → get_client 404")
    def _():
        admin.delete_client(client_uuid)
        status, body, _ = http_error(lambda: admin.get_client(client_uuid))
        check(status == 404, f"after delete: {status} {body}")
        out["after_delete"] = status
        out["secret_after_delete"] = secret_token(secret)[0]

    @step("delete_realm → get_realm 404")
    def _():
        admin.delete_realm(REALM)
        status, body, _ = http_error(lambda: admin.get_realm(REALM))
        check(status == 404, f"after realm delete: {status} {body}")
        out["realm_after_delete"] = status


try:
    main()
except Exception as e:  # noqa: BLE001 - any failure is reported with its step
    message = describe(e)
    sys.stderr.write(f'FAILED at step "{current}": {message}\n')
    print(json.dumps({**out, "failed_step": current, "error": message}))
    sys.exit(1)
print(json.dumps(out))
