/** Error codes of the plan domain. */
export const PlanErrorCode = {
  /** `planForSite` was asked for a site the topology does not define; `data.suggestion` may name a close one. */
  siteNotFound: 'PLAN_SITE_NOT_FOUND',
} as const;
export type PlanErrorCode = (typeof PlanErrorCode)[keyof typeof PlanErrorCode];
