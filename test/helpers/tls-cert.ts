/**
 * A self-signed certificate for 127.0.0.1, made by the real `openssl` (a test that needs TLS
 * fails when openssl is missing; `.ci/run` installs it).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

/** Writes `tls.crt` and `tls.key` into `dir` (CN and subjectAltName IP 127.0.0.1, one day). */
export async function selfSignedCert(dir: string, { keyType = 'rsa' }: { keyType?: 'rsa' | 'ec' } = {}): Promise<TestCertificate> {
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  const key = keyType === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'] : ['-newkey', 'rsa:2048'];
  await promisify(execFile)('openssl', ['req', '-x509', ...key, '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  return { certFile, keyFile, cert: await readFile(certFile), key: await readFile(keyFile) };
}
