/**
 * RPM header tag numbers that ferry reads (rpm's include/rpm/rpmtag.h), and dependency flag bits
 * (rpmds.h rpmsenseFlags_e).
 */
export const Tag = {
  name: 1000,
  version: 1001,
  release: 1002,
  epoch: 1003,
  summary: 1004,
  description: 1005,
  buildTime: 1006,
  buildHost: 1007,
  size: 1009,
  vendor: 1011,
  license: 1014,
  packager: 1015,
  group: 1016,
  url: 1020,
  arch: 1022,
  fileModes: 1030,
  fileFlags: 1037,
  sourceRpm: 1044,
  provideName: 1047,
  requireFlags: 1048,
  requireName: 1049,
  requireVersion: 1050,
  conflictFlags: 1053,
  conflictName: 1054,
  conflictVersion: 1055,
  changelogTime: 1080,
  changelogName: 1081,
  changelogText: 1082,
  obsoleteName: 1090,
  provideFlags: 1112,
  provideVersion: 1113,
  obsoleteFlags: 1114,
  obsoleteVersion: 1115,
  sourcePackage: 1106,
  dirIndexes: 1116,
  baseNames: 1117,
  dirNames: 1118,
  longSize: 5009,
  payloadDigest: 5092,
  payloadDigestAlgo: 5093,
} as const;

/** Tags of the signature header. */
export const SigTag = {
  size: 1000,
  payloadSize: 1007,
  sha256: 273,
  longSize: 270,
  longArchiveSize: 271,
} as const;

export const Sense = {
  less: 1 << 1,
  greater: 1 << 2,
  equal: 1 << 3,
  prereq: 1 << 6,
  scriptPre: 1 << 9,
  scriptPost: 1 << 10,
} as const;

/** RPMFILE_GHOST: a file the package owns but does not ship. */
export const FILE_GHOST = 1 << 6;
/** PGPHASHALGO_SHA256 in PAYLOADDIGESTALGO. */
export const HASH_ALGO_SHA256 = 8;
