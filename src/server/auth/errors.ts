/** Auth error codes: the contract of `Authorize` in src/feeds/types.ts. */
export const AuthErrorCode = {
  /** No token, or a token no incoming rule knows: 401 with a challenge. */
  unauthorized: 'AUTH_UNAUTHORIZED',
  /** A known token without the access asked for: 403. */
  denied: 'AUTH_DENIED',
  /** The incoming rules file is invalid (`ferry serve --incoming`). */
  rulesInvalid: 'AUTH_RULES_INVALID',
} as const;
