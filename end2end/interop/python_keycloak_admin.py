"""python-keycloak's KeycloakAdmin against Keyward's Admin REST API, unchanged (no patching).

Usage: python_keycloak_admin.py SERVER_URL CLIENT_ID CLIENT_SECRET CERT_PEM_FILE
Prints one JSON object with what each step returned; exits non-zero on the first failure.
"""
import json
import sys

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakError

server_url, client_id, client_secret, cert_file = sys.argv[1:5]

connection = KeycloakOpenIDConnection(
    server_url=server_url,
    realm_name="master",
    user_realm_name="master",
    client_id=client_id,
    client_secret_key=client_secret,
    verify=True,
)
admin = KeycloakAdmin(connection=connection)
out = {}

admin.create_realm({"realm": "pk-realm", "displayName": "From python-keycloak"})
out["realm"] = admin.get_realm("pk-realm")
admin.change_current_realm("pk-realm")

client_uuid = admin.create_client({
    "clientId": "pk-client",
    "name": "python-keycloak",
    "publicClient": False,
    "clientAuthenticatorType": "client-secret",
    "serviceAccountsEnabled": True,
    "redirectUris": [],
})
out["client_uuid"] = client_uuid
out["client_id_lookup"] = admin.get_client_id("pk-client")
out["client"] = admin.get_client(client_uuid)

out["regenerated"] = admin.generate_client_secrets(client_uuid)
out["secret_after"] = admin.get_client_secrets(client_uuid)

with open(cert_file, encoding="ascii") as f:
    out["uploaded"] = admin.upload_certificate(client_uuid, f.read())

# generate-and-download has no helper in python-keycloak: the library's own authenticated
# connection posts Keycloak's KeyStoreConfig.
response = admin.connection.raw_post(
    f"admin/realms/pk-realm/clients/{client_uuid}/certificates/jwt.credential/generate-and-download",
    data=json.dumps({
        "format": "PKCS12",
        "keyAlias": "pk-client",
        "keyPassword": "changeit-pk",
        "storePassword": "changeit-pk",
        "keySize": 2048,
        "validity": 1,
    }),
)
out["keystore_status"] = response.status_code
out["keystore_bytes"] = len(response.content)
out["keystore_head"] = response.content[:2].hex()
with open(cert_file + ".p12", "wb") as f:
    f.write(response.content)

out["installation"] = admin.get_client_installation_provider(
    client_uuid, "keycloak-oidc-keycloak-json"
)
out["events"] = admin.connection.raw_get(
    "admin/realms/pk-realm/admin-events", operationTypes="CREATE,ACTION"
).json()

admin.delete_client(client_uuid)
try:
    admin.get_client(client_uuid)
    out["after_delete"] = "still there"
except KeycloakError as e:
    out["after_delete"] = e.response_code

print(json.dumps(out))
