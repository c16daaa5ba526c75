import { parseS3EndpointUrl, type MinioObjectStorageOptions } from '../src/minio.storage';

/** The local S3 endpoint of `scripts/services.sh up`, overridable with VECRON_TEST_S3_* variables. */
export function testS3Options(overrides: Partial<MinioObjectStorageOptions> = {}): MinioObjectStorageOptions {
  const endpoint = parseS3EndpointUrl(process.env.VECRON_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:29000');
  return {
    ...endpoint,
    accessKey: process.env.VECRON_TEST_S3_ACCESS_KEY ?? 'S3RVER',
    secretKey: process.env.VECRON_TEST_S3_SECRET_KEY ?? 'S3RVER',
    bucket: process.env.VECRON_TEST_S3_BUCKET ?? 'vecron-test-storage',
    ...overrides,
  };
}

/** A bucket name no other run uses (S3 rules: 3-63 lowercase letters, digits, dashes). */
export function uniqueBucketName(label: string): string {
  return `vecron-test-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`.slice(0, 63);
}
