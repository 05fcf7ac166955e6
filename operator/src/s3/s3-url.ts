/** `s3://` URLs as the CRD takes them (spec.initialSavepoint, job-config prefixes). Pure. */

/**
 * Splits `s3://bucket/key/prefix/` into bucket and key prefix (without trailing slash).
 * @returns undefined when `url` is not of that form.
 */
export function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) return undefined;
  return { bucket: m[1]!, key: m[2]!.replace(/\/+$/, '') };
}
