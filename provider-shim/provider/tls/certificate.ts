/**
 * A throwaway self-signed certificate for go-plugin's AutoMTLS, made fresh at every start:
 * an ECDSA P-256 key that never leaves memory and an X.509 v3 certificate for "localhost"
 * (the name the host verifies), usable for both server and client auth, valid from a
 * minute ago for a week. Node can make keys and signatures but not certificates, so the
 * DER is written here; the shape follows go-plugin's own (mtls.go): CA, key usages
 * digitalSignature/keyEncipherment/keyAgreement/certSign, EKU serverAuth + clientAuth,
 * SAN DNS:localhost.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

export const CERT_HOST = "localhost";
const VALID_BEFORE_MS = 60_000;
const VALID_FOR_MS = 7 * 24 * 3600_000;

export interface PluginCertificate {
  /** DER of the certificate (the handshake line carries it, base64 without padding). */
  readonly der: Buffer;
  readonly certPem: string;
  readonly keyPem: string;
  readonly privateKey: KeyObject;
}

// --- a minimal DER writer -------------------------------------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else if (n < 0x100) length = Buffer.from([0x81, n]);
  else if (n < 0x10000) length = Buffer.from([0x82, n >> 8, n & 0xff]);
  else throw new Error("DER element too long");
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, item: Buffer): Buffer => tlv(0xa0 + n, item);
const bool = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
const octets = (content: Buffer): Buffer => tlv(0x04, content);
const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, "utf8"));
const bits = (content: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), content]));

function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  if ((b[0]! & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let v = part >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-06-24T01:02:03.456Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "") + "Z"; // 20260624010203Z
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), "ascii")) : tlv(0x18, Buffer.from(digits, "ascii"));
}

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  organization: "2.5.4.10",
  commonName: "2.5.4.3",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  basicConstraints: "2.5.29.19",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

// --- the certificate -----------------------------------------------------------------

export function createPluginCertificate(now = new Date()): PluginCertificate {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const name = seq(set(seq(oid(OID.organization), utf8("jobgate"))), set(seq(oid(OID.commonName), utf8(CERT_HOST))));
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and non-zero
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  // digitalSignature(0) keyEncipherment(2) keyAgreement(4) keyCertSign(5): 1010 1100, 2 unused bits
  const keyUsage = bits(Buffer.from([0xac]), 2);
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    algorithm,
    name,
    seq(time(new Date(now.getTime() - VALID_BEFORE_MS)), time(new Date(now.getTime() + VALID_FOR_MS))),
    name,
    spki,
    explicit(
      3,
      seq(
        extension(OID.keyUsage, true, keyUsage),
        extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth), oid(OID.clientAuth))),
        extension(OID.basicConstraints, true, seq(bool(true))),
        extension(OID.subjectAltName, false, seq(tlv(0x82, Buffer.from(CERT_HOST, "ascii")))),
      ),
    ),
  );
  const signature = sign("sha256", tbs, privateKey); // DER ECDSA-Sig-Value
  const der = seq(tbs, algorithm, bits(signature));
  return { der, certPem: toPem("CERTIFICATE", der), keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), privateKey };
}

export function toPem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
