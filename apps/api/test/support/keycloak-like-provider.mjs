// A real OpenID Connect provider (oidc-provider) shaped like a Keycloak realm, for the
// AUTH_MODE=keycloak tests: issuer http://127.0.0.1:PORT/realms/REALM, JWKS and token endpoint
// at Keycloak's paths, RS256 JWT access tokens (client_credentials grant) carrying Keycloak's
// role claims (realm_access.roles, resource_access[client].roles) and preferred_username.
// With OIDC_REDIRECT_URIS (comma-separated), the audience is also a public authorization-code client
// (PKCE) with those redirect URIs, signing in through oidc-provider's development login form
// (any login whose name is one of the clients' usernames gets that client's roles).
// Run: node keycloak-like-provider.mjs (env OIDC_PORT, 0 = any; OIDC_REALM; OIDC_AUDIENCE; OIDC_REDIRECT_URIS).
// Prints "READY <port>" once listening. Stops on SIGTERM.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const realm = process.env.OIDC_REALM ?? 'vecron';
const audience = process.env.OIDC_AUDIENCE ?? 'vecron-api';
const prefix = `/realms/${realm}`;

/** Test clients: each one's token carries these roles. */
const CLIENTS = {
  'kc-admin': { secret: 'kc-admin-secret', username: 'kc-admin', realmRoles: ['Admin', 'offline_access'], clientRoles: [] },
  'kc-user': { secret: 'kc-user-secret', username: 'kc-user', realmRoles: ['offline_access'], clientRoles: ['Regular User'] },
  'kc-reader': { secret: 'kc-reader-secret', username: 'kc-reader', realmRoles: ['job:read'], clientRoles: [] },
  'kc-nobody': { secret: 'kc-nobody-secret', username: 'kc-nobody', realmRoles: [], clientRoles: [] },
  'kc-other-audience': { secret: 'kc-other-secret', username: 'kc-other', realmRoles: ['Admin'], clientRoles: [], audience: 'another-api' },
};

const redirectUris = (process.env.OIDC_REDIRECT_URIS ?? '').split(',').filter(Boolean);
/** The same roles by username, for the authorization-code sign-in (the token's accountId). */
const USERS = Object.fromEntries(Object.values(CLIENTS).map((c) => [c.username, c]));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.OIDC_PORT ?? 0), '127.0.0.1', resolve));
const port = server.address().port;

const provider = new Provider(`http://127.0.0.1:${port}${prefix}`, {
  jwks: { keys: [signingKey] },
  clients: Object.entries(CLIENTS).map(([id, c]) => ({
    client_id: id,
    client_secret: c.secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_post',
  })).concat(redirectUris.length === 0 ? [] : [{
    client_id: audience,
    grant_types: ['authorization_code'],
    redirect_uris: redirectUris,
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  }]),
  routes: { authorization: '/protocol/openid-connect/auth', jwks: '/protocol/openid-connect/certs', token: '/protocol/openid-connect/token' },
  features: {
    devInteractions: { enabled: redirectUris.length > 0 },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:vecron:api',
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, _resource, client) => ({
        scope: 'api',
        audience: CLIENTS[client.clientId]?.audience ?? audience,
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  extraTokenClaims: (_ctx, token) => {
    const c = CLIENTS[token.clientId] ?? USERS[token.accountId];
    if (!c) return undefined;
    return {
      preferred_username: c.username,
      realm_access: { roles: c.realmRoles },
      resource_access: { [audience]: { roles: c.clientRoles }, account: { roles: ['view-profile'] } },
    };
  },
});
provider.on('server_error', (_ctx, err) => process.stderr.write(`server_error ${err.stack}\n`));

const handle = provider.callback();
server.on('request', (req, res) => {
  if (req.url !== prefix && !req.url.startsWith(`${prefix}/`)) {
    res.statusCode = 404;
    res.end();
    return;
  }
  // Mounted like express's app.use(prefix, …): the provider sees paths below the issuer's.
  req.originalUrl = req.url;
  req.url = req.url.slice(prefix.length) || '/';
  handle(req, res);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
process.stdout.write(`READY ${port}\n`);
