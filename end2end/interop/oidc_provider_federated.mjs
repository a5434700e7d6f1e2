// Federated client authentication with libraries Keyward did not write: node-oidc-provider
// (npm `oidc-provider`) is another organisation's OIDC IdP; its client `ci-runner` gets a JWT
// access token for Keyward's realm (resource indicator, RFC 8707) with openid-client, and then
// presents that token to Keyward's token endpoint as its client assertion, again with
// openid-client (a client authentication function, as an application would write one).
//
// Protocol (the Rust test drives it over stdin/stdout, loopback only; oidc-provider's own
// warnings also go to stdout, so the protocol's lines are the ones that start with `{`):
//   1. prints {"issuer": "<the IdP's issuer>"} and waits;
//   2. reads one JSON line {"keyward": "<realm issuer>", "clientId": "<id or empty>"};
//   3. prints {"upstream": <claims of the IdP's token>, "access_token": "<Keyward's token>"}
//      and exits; any error exits non-zero with the error on stderr.
import Provider from 'oidc-provider';
import * as client from 'openid-client';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'idp-1', alg: 'RS256', use: 'sig' };
const secret = 'ci-runner-secret-at-the-idp';
let keyward = '';

// Bind first so the issuer carries the real port.
const http = createServer();
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${http.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'ci-runner',
    client_secret: secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  ttl: { ClientCredentials: 300 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => keyward,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        if (resource !== keyward) throw new Error(`unexpected resource ${resource}`);
        return {
          scope: 'keyward',
          audience: keyward,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});
http.on('request', provider.callback());

console.log(JSON.stringify({ issuer }));

const line = await new Promise((resolve) => {
  const rl = createInterface({ input: process.stdin });
  rl.once('line', (l) => { rl.close(); resolve(l); });
});
const asked = JSON.parse(line);
keyward = asked.keyward;

const insecure = { execute: [client.allowInsecureRequests] };
// 1. The IdP issues its client a token for Keyward's realm.
const idp = await client.discovery(new URL(issuer), 'ci-runner', undefined, client.ClientSecretBasic(secret), insecure);
const upstream = await client.clientCredentialsGrant(idp, { scope: 'keyward', resource: keyward });
const [, payload] = upstream.access_token.split('.');
const upstreamClaims = JSON.parse(Buffer.from(payload, 'base64url').toString());

// 2. That token is the client assertion at Keyward (no secret, no key of Keyward's).
const federated = (as, metadata, body) => {
  body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  body.set('client_assertion', upstream.access_token);
  if (asked.clientId) body.set('client_id', asked.clientId);
};
const kw = await client.discovery(new URL(keyward), asked.clientId || 'unused', undefined, federated, insecure);
const tokens = await client.clientCredentialsGrant(kw);
console.log(JSON.stringify({ upstream: upstreamClaims, access_token: tokens.access_token }));
http.close();
process.exit(0);
