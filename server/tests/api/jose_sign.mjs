// Signs customers' identity tokens with `jose` as a Node.js interface app does, and prints them
// as one JSON object: a good token per algorithm and, for EdDSA, the tokens the server must
// refuse. Usage: node jose_sign.mjs <path of jose's dist/webapi/index.js> <issuer>
import { pathToFileURL } from "node:url";

const [modulePath, issuer] = process.argv.slice(2);
const jose = await import(pathToFileURL(modulePath).href);
const now = Math.floor(Date.now() / 1000);

function token(claims = {}) {
  const { sub = "C-1001", aud = "virtio-nl", iss = issuer, iat = now, exp = now + 600 } = claims;
  return new jose.SignJWT({ email: "klant@example.nl" })
    .setSubject(sub)
    .setAudience(aud)
    .setIssuer(iss)
    .setIssuedAt(iat)
    .setExpirationTime(exp);
}

const ed = await jose.generateKeyPair("EdDSA", { extractable: true });
const es = await jose.generateKeyPair("ES256", { extractable: true });
const edPublic = await jose.exportSPKI(ed.publicKey);
const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
const sign = (claims, alg, key) => token(claims).setProtectedHeader({ alg, typ: "JWT" }).sign(key);

const result = {
  eddsa: {
    public_key: edPublic,
    valid: await sign({}, "EdDSA", ed.privateKey),
    // Several sites, one of them the request's.
    valid_for_two_sites: await sign({ aud: ["interface", "virtio-nl"] }, "EdDSA", ed.privateKey),
    refused: {
      wrong_aud: await sign({ aud: "interface" }, "EdDSA", ed.privateKey),
      expired: await sign({ iat: now - 1200, exp: now - 600 }, "EdDSA", ed.privateKey),
      wrong_iss: await sign({ iss: "https://elsewhere.example" }, "EdDSA", ed.privateKey),
      too_long_lived: await sign({ exp: now + 2 * 3600 }, "EdDSA", ed.privateKey),
      alg_none: new jose.UnsecuredJWT({ email: "klant@example.nl" })
        .setSubject("C-1001")
        .setAudience("virtio-nl")
        .setIssuer(issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .encode(),
      // HS256 keyed with the public key, which anyone can read.
      swapped_alg: await sign({}, "HS256", new TextEncoder().encode(edPublic)),
      other_key: await sign({}, "EdDSA", (await jose.generateKeyPair("EdDSA")).privateKey),
    },
  },
  es256: {
    public_key: await jose.exportSPKI(es.publicKey),
    valid: await sign({}, "ES256", es.privateKey),
  },
  hs256: {
    secret,
    valid: await sign({}, "HS256", new TextEncoder().encode(secret)),
  },
};
console.log(JSON.stringify(result));
