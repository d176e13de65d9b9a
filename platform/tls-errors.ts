/**
 * Telling a certificate that does not verify from other connection failures, for a message that
 * says what to do about it (name the right CA file) instead of "connection refused"-style noise.
 * Node reports them with OpenSSL's verify codes (and its own for a name the certificate lacks).
 */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA', 'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED', 'HOSTNAME_MISMATCH', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** `<what is wrong> (<code>)` when `err` is a certificate that failed verification; else undefined. */
export function certificateProblem(err: unknown): string | undefined {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !CERTIFICATE_CODES.has(code)) return undefined;
  return `${String(message).split('\n')[0]} (${code})`;
}
