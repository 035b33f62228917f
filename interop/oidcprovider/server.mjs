// Starts panva's oidc-provider on 127.0.0.1 for the interop tests
// (../oidcprovider_server_test.go). Nothing secret is committed: the client
// secret comes from the environment and the signing keys and DPoP nonce
// secret are generated at start. Prints one JSON line {"issuer": ...} on
// stdout once it listens; exits when stdin closes (the Go test ended).
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const secret = process.env.OIDC_CONF_SECRET;
if (!secret) {
  console.error('OIDC_CONF_SECRET is not set');
  process.exit(2);
}
const redirect = 'http://127.0.0.1/cb';
const resource = 'urn:oauth2flows:api';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        // A confidential client.
        client_id: 'conf',
        client_secret: secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials', 'authorization_code', 'refresh_token',
          'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        redirect_uris: [redirect],
      },
      {
        // A public client.
        client_id: 'public',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        redirect_uris: [redirect],
      },
    ],
    jwks: { keys: [{ ...ec, kid: 'ec', use: 'sig', alg: 'ES256' }, { ...rsa, kid: 'rsa', use: 'sig', alg: 'RS256' }] },
    scopes: ['openid', 'offline_access', 'read', 'write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      dPoP: {
        enabled: true,
        nonceSecret: randomBytes(32),
        // OIDC_DPOP_REQUIRE_NONCE=1: every proof needs a server nonce (RFC 9449 §8).
        requireNonce: () => process.env.OIDC_DPOP_REQUIRE_NONCE === '1',
      },
      resourceIndicators: {
        enabled: true,
        // Every token is for the one API, as an RFC 9068 JWT.
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== resource) {
            throw new Provider.errors.InvalidTarget();
          }
          return { scope: 'read write', audience: resource, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
        },
      },
    },
    enabledJWA: {
      // The default is ES256, Ed25519 and EdDSA only.
      dPoPSigningAlgValues: ['ES256', 'PS256', 'RS256'],
    },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer, resource })}\n`);
});

// The Go test holds our stdin; when it ends, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
