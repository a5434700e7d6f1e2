// Client credentials with openid-client (npm), a library Keyward did not write, against
// Keyward's discovery document. Usage:
//   node openid_client.mjs <issuer> <method> <client_id> <secret | pkcs8-pem-file> [alg]
// method: client_secret_basic | client_secret_post | client_secret_jwt | private_key_jwt
// Prints the token response as JSON; exits non-zero on any error.
import * as client from 'openid-client';
import { readFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';

const [issuer, method, clientId, credential, alg = 'RS256'] = process.argv.slice(2);

async function auth() {
  switch (method) {
    case 'client_secret_basic': return client.ClientSecretBasic(credential);
    case 'client_secret_post': return client.ClientSecretPost(credential);
    case 'client_secret_jwt': return client.ClientSecretJwt(credential);
    case 'private_key_jwt': {
      const pem = readFileSync(credential, 'utf8');
      const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
      const params = alg.startsWith('ES')
        ? { name: 'ECDSA', namedCurve: alg === 'ES384' ? 'P-384' : 'P-256' }
        : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      const key = await webcrypto.subtle.importKey('pkcs8', der, params, false, ['sign']);
      return client.PrivateKeyJwt(key);
    }
    default: throw new Error(`unknown method ${method}`);
  }
}

const config = await client.discovery(new URL(issuer), clientId, undefined, await auth(), {
  execute: [client.allowInsecureRequests],
});
const tokens = await client.clientCredentialsGrant(config, { scope: 'openid' });
console.log(JSON.stringify({ access_token: tokens.access_token, token_type: tokens.token_type, expires_in: tokens.expires_in }));
