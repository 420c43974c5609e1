/** Caller tokens verified against a JWKS URL (RS256), issuer and audience from the config. */
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { createCallerAuthenticator } from "../../src/auth/caller";
import { startSimulator } from "../../src/simulator-kit";
import { DisposableStack } from "../helpers/stack";

const stack = new DisposableStack();
afterAll(() => stack.dispose());

describe("caller authentication with a JWKS URL", () => {
  it("accepts a token signed by a key of the set, and maps its connections claim to a scope", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    const idp = stack.use(
      await startSimulator({ name: "idp", routes: [{ name: "jwks", method: "GET", path: "/jwks.json", handle: () => ({ status: 200, body: { keys: [jwk] } }) }] }),
    );
    const authenticate = createCallerAuthenticator({ issuer: "https://idp.test/", audience: "gw", jwksUrl: `${idp.url}/jwks.json` });
    const sign = (claims: Record<string, unknown>, audience = "gw") =>
      new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "k1" }).setIssuer("https://idp.test/").setAudience(audience).setSubject("alice").setExpirationTime("5m").sign(privateKey);

    const scope = await authenticate(`Bearer ${await sign({ connections: ["keeper-msp"], tenant: "acme" })}`);
    expect(scope.subject).toBe("alice");
    expect(scope.tenant).toBe("acme");
    expect(scope.connections).toEqual(new Set(["keeper-msp"]));
    const other = await authenticate(`Bearer ${await sign({ connections: ["keeper-msp"], tenant: "globex" })}`);
    expect(other.key).not.toBe(scope.key);

    await expect(authenticate(`Bearer ${await sign({ connections: "*" }, "another-audience")}`)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
    await expect(authenticate(`Bearer ${await sign({ connections: 42 })}`)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
    await expect(authenticate(undefined)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
    expect(idp.calls.count("jwks")).toBeGreaterThanOrEqual(1);
  });
});
