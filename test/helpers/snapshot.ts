/**
 * The one snapshot normaliser: masks asset hashes and other values that change without a change in meaning,
 * so that snapshots churn only when the infrastructure does.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;
/**
 * A Lambda version's logical id ends in a hash of the function's code and configuration
 * (`<Fn>CurrentVersion<8 hex of the path><32 hex of the code>`): it changes with every code change, in keys and refs.
 */
const VERSION_HASH = /(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}/g;

export function normaliseTemplate(template: unknown): unknown {
  return JSON.parse(
    JSON.stringify(template, (key, value: unknown) => {
      if (key === 'aws:asset:path' || key === 'aws:asset:property') return '<asset>';
      if (typeof value === 'string') return value.replace(ASSET_HASH, '<asset-hash>');
      return value;
    }).replace(VERSION_HASH, '$1<code-hash>'),
  ) as unknown;
}
