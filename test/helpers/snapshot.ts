/**
 * The one snapshot normaliser: masks asset hashes and other values that change without a change in meaning,
 * so that snapshots churn only when the infrastructure does.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;

export function normaliseTemplate(template: unknown): unknown {
  return JSON.parse(
    JSON.stringify(template, (key, value: unknown) => {
      if (key === 'aws:asset:path' || key === 'aws:asset:property') return '<asset>';
      if (typeof value === 'string') return value.replace(ASSET_HASH, '<asset-hash>');
      return value;
    }),
  ) as unknown;
}
