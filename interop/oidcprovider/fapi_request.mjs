// Starts panva's oidc-provider on 127.0.0.1 in its FAPI 2.0 profile for the
// request-side interop tests (../oidcprovider_fapi_request_sdk_test.go):
// PAR required, PKCE, DPoP-bound tokens with nonces required, one client
// "fapi" authenticating with private_key_jwt (its public JWK comes from
// FAPI_CLIENT_JWK, made at test time), JAR when FAPI_JAR=1 (the client is
// then registered with require_signed_request_object) and JARM when
// FAPI_JARM=1. The user "alice" signs in and consents at once at
// /interaction/. Prints {"issuer": ...} on stdout once it listens; exits
// when stdin closes.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const clientJWK = JSON.parse(process.env.FAPI_CLIENT_JWK);
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'fapi',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [clientJWK] },
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['https://app.example/cb'],
      dpop_bound_access_tokens: true,
      id_token_signed_response_alg: 'ES256',
      authorization_signed_response_alg: 'PS256',
      request_object_signing_alg: 'ES256',
      require_signed_request_object: process.env.FAPI_JAR === '1',
    }],
    jwks: { keys: [{ ...ec, kid: 'ec', use: 'sig', alg: 'ES256' }, { ...rsa, kid: 'rsa', use: 'sig', alg: 'PS256' }] },
    scopes: ['openid', 'offline_access'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      fapi: { enabled: true, profile: '2.0' },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
      requestObjects: { enabled: true },
      jwtResponseModes: { enabled: process.env.FAPI_JARM === '1' },
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
    },
    enabledJWA: {
      dPoPSigningAlgValues: ['ES256', 'PS256'],
      authorizationSigningAlgValues: ['ES256', 'PS256'],
    },
  });
  server.on('request', async (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      // No login page: alice signs in and grants what was asked.
      try {
        const details = await provider.interactionDetails(req, res);
        const grant = new provider.Grant({ accountId: 'alice', clientId: details.params.client_id });
        grant.addOIDCScope(details.params.scope);
        const grantId = await grant.save();
        await provider.interactionFinished(req, res,
          { login: { accountId: 'alice' }, consent: { grantId } }, { mergeWithLastSubmission: false });
      } catch (e) {
        res.statusCode = 500;
        res.end(String(e));
      }
      return;
    }
    provider.callback()(req, res);
  });
  for (const ev of ['pushed_authorization_request.error', 'authorization.error', 'grant.error', 'server_error']) {
    provider.on(ev, (_ctx, err) => console.error(ev, err.message, err.error_description || ''));
  }
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
