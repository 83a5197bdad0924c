/** Error codes of the git domain (stable: tests and callers branch on them). */
export const GitErrorCode = {
  /** The directory is not a Git repository (no .git, not a bare repository). */
  notARepository: 'GIT_NOT_A_REPOSITORY',
  /** The revision does not name a commit (unknown ref, unknown or ambiguous short id, no such parent). */
  revisionNotFound: 'GIT_REVISION_NOT_FOUND',
  /** The revision string is not of a supported form. */
  invalidRevision: 'GIT_INVALID_REVISION',
  /** The topology path is not a directory at the revision (or the path is not a safe relative path). */
  pathNotFound: 'GIT_PATH_NOT_FOUND',
  /** A file, the number of files, or their total size is over the configured cap. */
  tooLarge: 'GIT_TOO_LARGE',
} as const;
export type GitErrorCode = (typeof GitErrorCode)[keyof typeof GitErrorCode];
