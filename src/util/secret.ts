/**
 * Resolves a `secretRef` (`{env: NAME}` or `{file: PATH}`) on the site that needs the secret.
 *
 * Contract: the value never appears in an error; errors name only the variable or file. File
 * secrets are trimmed of one trailing newline (the way `echo` writes them) and capped at 64 KiB.
 */
import { readFileSync, statSync } from 'node:fs';
import { FerryError } from '../errors/index.js';

export type SecretRefLike = { env?: string; file?: string };

const MAX_SECRET_FILE_BYTES = 64 * 1024;

export function resolveSecret(ref: SecretRefLike, env: NodeJS.ProcessEnv = process.env): string {
  if (ref.env) {
    const value = env[ref.env];
    if (value === undefined || value === '') {
      throw new FerryError('SECRET_UNRESOLVED', `secret environment variable ${ref.env} is not set`, { data: { env: ref.env } });
    }
    return value;
  }
  if (ref.file) {
    let size: number;
    try {
      size = statSync(ref.file).size;
    } catch {
      throw new FerryError('SECRET_UNRESOLVED', `secret file ${ref.file} cannot be read`, { data: { file: ref.file } });
    }
    if (size > MAX_SECRET_FILE_BYTES) {
      throw new FerryError('SECRET_UNRESOLVED', `secret file ${ref.file} is larger than ${MAX_SECRET_FILE_BYTES} bytes`, { data: { file: ref.file } });
    }
    return readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '');
  }
  throw new FerryError('SECRET_UNRESOLVED', 'secretRef needs either env or file');
}

/**
 * Credentials held by one secret: `user:password` is a user and password (HTTP Basic), anything
 * else a bare token (Bearer, or the password of Basic where a server wants that).
 */
export type SecretCredentials = { username: string; password: string } | { token: string };

export function credentialsFromSecret(secret: string): SecretCredentials {
  const colon = secret.indexOf(':');
  return colon > 0 ? { username: secret.slice(0, colon), password: secret.slice(colon + 1) } : { token: secret };
}
